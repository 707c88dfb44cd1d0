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
export DEBIAN_FRONTEND=noninteractive
# shellcheck source=harness/lib/apt-install-stopped.sh
source "$(dirname "$0")/lib/apt-install-stopped.sh"

if [[ ! -x "$daemon" ]] || ! command -v setpriv >/dev/null; then
  # util-linux for setpriv (the daemon drops to _mta-sts) and unshare (its resolver namespace).
  apt_install_stopped install-mta-sts-resolver.sh "postfix-mta-sts-resolver" postfix-mta-sts-resolver util-linux
fi

echo "mta-sts-resolver: $(/usr/bin/python3 -c "import importlib.metadata as m; print(m.version('postfix-mta-sts-resolver'))" 2>/dev/null || echo '?') ($daemon)"
