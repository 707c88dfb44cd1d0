#!/usr/bin/env bash
# Everything the test suite uses for real, from Debian: OpenSSL (s_client proves each
# receiver misconfiguration), Postfix, Exim, OpenSMTPD and Sendmail (managed senders and
# the smtp: relay test; see install-mtas.sh), postfix-mta-sts-resolver (the MTA-STS daemon
# of postfix:mta-sts), unbound (the validating resolver of managed senders; install-mtas.sh
# runs install-unbound.sh), Chromium (the HTML report is opened in a real headless browser,
# driven by playwright-core; nothing is downloaded; it also prints --format pdf), poppler-utils (pdftotext reads the PDF back
# in the tests), fonts (resvg draws the PNG infographic with them), bind9-utils (named-checkzone reads the zone files `badmx zone`
# writes, as a DNS provider or a BIND secondary would) and bind9-dnsutils (dig queries the
# harness DNS of `badmx serve --dns` as an independent client), tshark (Wireshark's dissector
# checks the ClientHello parser and computes JA3 independently), curl and wget (OpenSSL and
# GnuTLS clients whose ClientHellos it reads: test/evidence). Idempotent; as root. Without
# root it only checks that all of it is already there, and says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=(openssl python3 unshare setpriv /usr/bin/chromium /usr/bin/pdftotext /usr/sbin/postfix /usr/bin/mta-sts-daemon /usr/sbin/unbound /usr/bin/named-checkzone /usr/bin/dig /usr/bin/tshark /usr/bin/curl /usr/bin/wget)
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  # "No configuration" keeps Debian from starting a system Postfix on port 25; badmx and the
  # tests run their own instances.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # tshark's package asks whether non-root users may capture; the tests only read files.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openssl python3 ca-certificates util-linux iproute2 chromium poppler-utils fonts-dejavu-core bind9-utils bind9-dnsutils tshark curl wget >/dev/null
  bash harness/install-mtas.sh
fi
# Node.js 22 and 24 for npm run test:node-versions (npm registry only, no root needed).
bash harness/install-node-versions.sh || true
missing=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
exim="${BADMX_EXIM:-}"
[[ -n "$exim" ]] || for c in /usr/sbin/exim4 "${BADMX_CACHE:-/var/cache/badmx}/exim4/usr/sbin/exim4"; do [[ -x "$c" ]] && exim="$c" && break; done
[[ -n "$exim" ]] || missing+=(exim4)
[[ -x "${BADMX_CACHE:-/var/cache/badmx}/opensmtpd/usr/sbin/smtpd" ]] || missing+=(opensmtpd)
[[ -x "${BADMX_CACHE:-/var/cache/badmx}/sendmail/usr/libexec/sendmail/sendmail" ]] || missing+=(sendmail)
for major in 22 24; do compgen -G "${BADMX_CACHE:-/var/cache/badmx}/node/$major/node_modules/node-linux-*/bin/node" >/dev/null || missing+=("node$major"); done
if (( ${#missing[@]} )); then
  echo "install-deps.sh: missing ${missing[*]}: run it as root on Debian or Ubuntu (it installs them with apt)" >&2
  exit 1
fi
