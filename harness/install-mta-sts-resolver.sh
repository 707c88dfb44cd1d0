#!/usr/bin/env bash
# Install postfix-mta-sts-resolver for badmx's postfix:mta-sts recipe: Debian's MTA-STS
# (RFC 8461) policy daemon, which Postfix asks through smtp_tls_policy_maps (socketmap).
#
# Unlike the other MTAs it does not conflict with Postfix, so it is installed with apt as
# Debian ships it (bookworm: 1.1.2). Its Depends are Python libraries only (aiohttp,
# aiodns with libc-ares2, PyYAML, aiosqlite, aioredis) and adduser; --no-install-recommends
# leaves out python3-uvloop (the daemon falls back to asyncio's own event loop). Its
# postinst makes the _mta-sts user the daemon runs as (badmx runs it as that user too).
#
# Nothing starts a system daemon: the package's postinst starts its init script
# (invoke-rc.d) and its systemd unit (deb-systemd-invoke), and both ask
# /usr/sbin/policy-rc.d first, so a policy-rc.d that denies every start is in place for
# the install (any policy-rc.d already there is put back afterwards). Then the unit and the
# init script are disabled, so that no system daemon starts at boot either; badmx runs a
# private daemon per postfix:mta-sts instance (src/senders/mta/mta-sts-daemon.ts).
# A package that was already installed is left as its owner configured it.
#
# Needs root. Idempotent.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "install-mta-sts-resolver.sh: run as root (sudo bash harness/install-mtas.sh)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install-mta-sts-resolver.sh: needs a Debian or Ubuntu system (apt-get)" >&2; exit 1; }

daemon=/usr/bin/mta-sts-daemon
service=postfix-mta-sts-resolver
export DEBIAN_FRONTEND=noninteractive

if [[ ! -x "$daemon" ]] || ! command -v setpriv >/dev/null; then
  policy=/usr/sbin/policy-rc.d
  saved=""
  if [[ -e "$policy" ]]; then
    saved="$(mktemp)"
    cp -p "$policy" "$saved"
  fi
  restore() {
    if [[ -n "$saved" ]]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
  }
  trap restore EXIT
  # policy-rc.d(8) protocol (invoke-rc.d(8), deb-systemd-invoke(1p)): exit 101, "action forbidden".
  printf '#!/bin/sh\n# install-mta-sts-resolver.sh: no service starts during this install\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  # util-linux for setpriv (the daemon drops to _mta-sts) and unshare (its resolver namespace).
  apt-get install -y -qq --no-install-recommends postfix-mta-sts-resolver util-linux >/dev/null
  restore
  trap - EXIT
  # Never started at boot: not by the systemd unit (deb-systemd-helper works without a
  # running systemd, and keeps the unit disabled across upgrades), nor by the init script.
  if command -v deb-systemd-helper >/dev/null; then deb-systemd-helper disable "$service.service" >/dev/null 2>&1 || true; fi
  if [[ -d /run/systemd/system ]]; then systemctl stop "$service.service" >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null; then update-rc.d "$service" disable >/dev/null 2>&1 || true; fi
fi

echo "mta-sts-resolver: $(/usr/bin/python3 -c "import importlib.metadata as m; print(m.version('postfix-mta-sts-resolver'))" 2>/dev/null || echo '?') ($daemon)"
