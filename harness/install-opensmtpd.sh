#!/usr/bin/env bash
# Install OpenSMTPD for the opensmtpd:... senders, without touching Postfix or Exim.
#
# Debian's opensmtpd package conflicts with postfix (and every other
# mail-transport-agent), so it is unpacked from its Debian package into a cache
# (apt-get download + dpkg -x), as harness/install-mtas.sh does for Exim, with the
# libraries it links and the run-time users and directory its postinst and package
# would have made. Nothing starts a system daemon: the unpacked package's init script and
# systemd unit are never installed. badmx runs private instances on loopback, each in its
# own mount namespace (private queue, control socket and pid file; see
# src/senders/mta/opensmtpd-instance.ts).
#
# Needs root. Idempotent. BADMX_CACHE (default /var/cache/badmx) says where it goes.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "install-opensmtpd.sh: run as root (sudo bash harness/install-opensmtpd.sh)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install-opensmtpd.sh: needs a Debian or Ubuntu system (apt-get)" >&2; exit 1; }

cache="${BADMX_CACHE:-/var/cache/badmx}/opensmtpd"
export DEBIAN_FRONTEND=noninteractive

if [[ ! -x "$cache/usr/sbin/smtpd" ]]; then
  # The libraries smtpd links (the package's Depends, less what conflicts: debconf, ed,
  # adduser and lsb-base are only for its maintainer scripts), and the system trust store
  # its TLS client uses (/etc/ssl/certs/ca-certificates.crt, compiled in).
  apt-get install -y -qq --no-install-recommends libc6 libcrypt1 libdb5.3 libevent-2.1-7 libpam0g libssl3 zlib1g ca-certificates util-linux >/dev/null
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"
  (cd "$work" && apt-get download -qq opensmtpd >/dev/null 2>&1 \
    || su -s /bin/sh _apt -c "cd '$work' && apt-get download -qq opensmtpd")
  rm -rf "$cache.new" && mkdir -p "$cache.new"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$cache.new"; done
  rm -rf "$cache" && mv "$cache.new" "$cache"
  chmod 755 "$(dirname "$cache")"
fi

# The run-time users and groups the binary was built for (the opensmtpd postinst makes
# them: "unknown user opensmtpd" otherwise).
for name in opensmtpd opensmtpq; do
  getent group "$name" >/dev/null || groupadd --system "$name"
  id "$name" >/dev/null 2>&1 || useradd --system --gid "$name" --no-create-home --home-dir /var/lib/opensmtpd/empty --shell /usr/sbin/nologin "$name"
done
# The chroot directory of its unprivileged processes, compiled in (the package ships it).
install -d -o root -g root -m 755 /var/lib/opensmtpd/empty

echo "opensmtpd: $("$cache/usr/sbin/smtpd" -h 2>&1 | sed -n 's/^version: OpenSMTPD \([^ ]*\).*/\1/p') ($cache/usr/sbin/smtpd)"
