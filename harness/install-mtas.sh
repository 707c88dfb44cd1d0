#!/usr/bin/env bash
# Install the MTAs that badmx runs as senders under test (postfix:..., exim:...,
# opensmtpd:..., sendmail:...), the MTA-STS policy daemon of postfix:mta-sts, and unbound,
# the validating resolver managed senders resolve through (DNSSEC, issue 17).
#
# Debian's postfix and exim4-daemon-* packages conflict (both provide
# mail-transport-agent), so Postfix is installed with apt and Exim is unpacked from its
# Debian packages into a cache (apt-get download + dpkg -x), with the libraries and the
# Debian-exim user its package would have brought. Neither starts a system daemon:
# Postfix is preseeded to "No configuration", and the unpacked Exim has no init script.
# badmx runs private instances of both, on loopback, with their own configuration.
#
# Needs root. Idempotent. BADMX_CACHE (default /var/cache/badmx) says where Exim goes: a
# system directory, since Exim re-executes its setuid binary as the Debian-exim user.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "install-mtas.sh: run as root (sudo bash harness/install-mtas.sh)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install-mtas.sh: needs a Debian or Ubuntu system (apt-get)" >&2; exit 1; }

cache="${BADMX_CACHE:-/var/cache/badmx}/exim4"
export DEBIAN_FRONTEND=noninteractive

if [[ ! -x /usr/sbin/postfix || ! -x /usr/sbin/unshare ]] || ! command -v unshare >/dev/null; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get install -y -qq --no-install-recommends postfix util-linux >/dev/null
fi

if [[ ! -x "$cache/usr/sbin/exim4" ]]; then
  # The libraries exim4-daemon-light links (its Depends, less what conflicts).
  apt-get install -y -qq --no-install-recommends libdb5.3 libgnutls30 libgnutls-dane0 libidn12 libidn2-0 libnsl2 libpcre2-8-0 libcrypt1 ca-certificates >/dev/null
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"
  (cd "$work" && apt-get download -qq exim4-daemon-light exim4-base exim4-config >/dev/null 2>&1 \
    || su -s /bin/sh _apt -c "cd '$work' && apt-get download -qq exim4-daemon-light exim4-base exim4-config")
  rm -rf "$cache.new" && mkdir -p "$cache.new"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$cache.new"; done
  rm -rf "$cache" && mv "$cache.new" "$cache"
  chmod 755 "$(dirname "$cache")"
fi

# The run-time user Exim's binary was built for (the exim4-base postinst creates it).
if ! id Debian-exim >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim
fi

echo "postfix: $(/usr/sbin/postconf -d -h mail_version)"
echo "exim:    $("$cache/usr/sbin/exim4" -bV 2>/dev/null | sed -n 's/^Exim version \([^ ]*\).*/\1/p') ($cache/usr/sbin/exim4)"

# OpenSMTPD and Sendmail conflict with Postfix (and with each other) too: each is unpacked
# into the cache the same way, by a script of its own.
bash "$(dirname "$0")/install-opensmtpd.sh"
bash "$(dirname "$0")/install-sendmail.sh"

# postfix-mta-sts-resolver does not conflict with Postfix: apt, with no system daemon started.
bash "$(dirname "$0")/install-mta-sts-resolver.sh"

# unbound does not conflict with any of them: apt, with no system resolver started.
bash "$(dirname "$0")/install-unbound.sh"
