#!/usr/bin/env bash
# npm run reference: every managed recipe against every receiver profile, under the strict
# policy, written to reports/reference/ (committed: the published reference matrix).
# Needs root and the MTAs (harness/install-mtas.sh). Failing cells are the findings, so
# exit 1 from `badmx run` (some cell failed) is success here; 2 (setup error) is not.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${BADMX_REFERENCE_OUT:-reports/reference}"
formats="${BADMX_REFERENCE_FORMATS:-json,html,svg,md}"
rm -rf "$out.new"
node dist/cli/bin.js run \
  --sender postfix:may --sender postfix:encrypt --sender postfix:verify --sender postfix:secure \
  --sender exim:default --sender exim:strict \
  --sender opensmtpd:default --sender opensmtpd:tls --sender opensmtpd:verify \
  --sender sendmail:default --sender sendmail:starttls \
  --policy strict --wait 120s --out "$out.new" ${formats:+--format "$formats"} | sed "s#$out.new#$out#g"
status=${PIPESTATUS[0]}
if [[ $status -ne 0 && $status -ne 1 ]]; then
  echo "reference: badmx run failed (exit $status); $out left as it was" >&2
  rm -rf "$out.new"
  exit "$status"
fi
rm -rf "$out" && mv "$out.new" "$out"
echo "reference: written to $out"
