#!/usr/bin/env bash
# Install Sendmail for badmx's sendmail:... recipes, next to Postfix and Exim.
#
# Debian's sendmail-bin conflicts with postfix (both provide mail-transport-agent), so it
# is unpacked from its Debian packages into a cache (apt-get download + dpkg -x), as
# install-mtas.sh does for Exim, with the libraries it links, m4 (to build sendmail.cf
# from Debian's sendmail.mc) and the smmta/smmsp users its sendmail-base postinst
# creates. Nothing is configured system-wide and no daemon is started: badmx runs
# private instances with their own configuration (sendmail -C).
#
# Needs root. Idempotent. BADMX_CACHE (default /var/cache/badmx) says where it goes.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "install-sendmail.sh: run as root (sudo bash harness/install-mtas.sh)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install-sendmail.sh: needs a Debian or Ubuntu system (apt-get)" >&2; exit 1; }

cache="${BADMX_CACHE:-/var/cache/badmx}/sendmail"
export DEBIAN_FRONTEND=noninteractive

if [[ ! -x "$cache/usr/libexec/sendmail/sendmail" || ! -f "$cache/usr/share/sendmail/cf/m4/cf.m4" ]] || ! command -v m4 >/dev/null || ! command -v openssl >/dev/null; then
  # sendmail-bin's Depends (less what conflicts), m4 for the .cf build (sendmail-cf's
  # Depends), openssl for the certificates Debian's update_tls makes.
  apt-get install -y -qq --no-install-recommends libdb5.3 libldap-2.5-0 liblockfile1 libnsl2 libsasl2-2 libssl3 libwrap0 m4 openssl ca-certificates procps >/dev/null
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"
  (cd "$work" && apt-get download -qq sendmail-bin sendmail-base sendmail-cf >/dev/null 2>&1 \
    || su -s /bin/sh _apt -c "cd '$work' && apt-get download -qq sendmail-bin sendmail-base sendmail-cf")
  rm -rf "$cache.new" && mkdir -p "$cache.new"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$cache.new"; done
  rm -rf "$cache" && mv "$cache.new" "$cache"
  chmod 755 "$(dirname "$cache")"
fi

# The users and groups sendmail-base's postinst creates (addgroup/adduser --system).
# Debian's sendmail.cf runs deliveries as smmta (RunAsUser is not set: DefaultUser=smmta).
for name in smmta smmsp; do
  getent group "$name" >/dev/null || groupadd --system "$name"
  id "$name" >/dev/null 2>&1 || useradd --system --gid "$name" --no-create-home --home-dir /var/lib/sendmail --shell /usr/sbin/nologin "$name"
done
# sendmail-bin's postinst: the binary is setgid smmsp (dpkg-statoverride root smmsp 02755).
chown root:smmsp "$cache/usr/libexec/sendmail/sendmail"
chmod 02755 "$cache/usr/libexec/sendmail/sendmail"

echo "sendmail: $("$cache/usr/libexec/sendmail/sendmail" -d0.1 -bt </dev/null 2>/dev/null | sed -n 's/^Version \([^ ]*\).*/\1/p' | head -1) ($cache/usr/libexec/sendmail/sendmail)"
