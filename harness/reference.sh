#!/usr/bin/env bash
# npm run reference: every managed recipe against every receiver profile, written to
# reports/reference/ (committed: the published reference matrix):
# - reports/reference/: every suite (the study's fourteen, the MTA-STS and the DANE suites)
#   under the strict policy, the study's reading;
# - reports/reference-mta-sts/: the MTA-STS suite under the mta-sts policy (RFC 8461), with
#   builtin:mta-sts, badmx's own RFC 8461 sender, beside the MTAs;
# - reports/reference-dane/: the DANE suite under the dane policy (RFC 7672), with
#   builtin:dane, badmx's own RFC 7672 sender, beside the MTAs.
# Needs root and the MTAs (harness/install-mtas.sh). Failing cells are the findings, so
# exit 1 from `badmx run` (some cell failed) is success here; 2 (setup error) is not.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${BADMX_REFERENCE_OUT:-reports/reference}"
formats="${BADMX_REFERENCE_FORMATS:-json,html,svg,md}"
mtas=(
  --sender postfix:may --sender postfix:encrypt --sender postfix:verify --sender postfix:secure --sender postfix:mta-sts --sender postfix:dane
  --sender exim:default --sender exim:strict --sender exim:dane
  --sender opensmtpd:default --sender opensmtpd:tls --sender opensmtpd:verify
  --sender sendmail:default --sender sendmail:starttls
)

# reference <out dir> <badmx run arguments...>
reference() {
  local dir="$1"
  shift
  rm -rf "$dir.new"
  node dist/cli/bin.js run "$@" --wait 120s --out "$dir.new" ${formats:+--format "$formats"} | sed "s#$dir.new#$dir#g"
  local status=${PIPESTATUS[0]}
  if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "reference: badmx run failed (exit $status); $dir left as it was" >&2
    rm -rf "$dir.new"
    return "$status"
  fi
  rm -rf "$dir" && mv "$dir.new" "$dir"
  echo "reference: written to $dir"
}

reference "$out" "${mtas[@]}" --suite all --policy strict || exit
reference "$out-mta-sts" "${mtas[@]}" --sender builtin:mta-sts --suite mta-sts --policy mta-sts || exit
reference "$out-dane" "${mtas[@]}" --sender builtin:dane --suite dane --policy dane || exit
