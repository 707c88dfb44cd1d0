#!/usr/bin/env bash
# Install unbound for badmx: Debian's validating, recursive resolver, which managed senders
# are to resolve through so that the AD bit they see is earned (issue 17): unbound validates
# the harness zone's DNSSEC signatures from the zone's DS alone, and answers SERVFAIL when
# they do not validate.
#
# Installed with apt as Debian ships it (bookworm: 1.17.1). --no-install-recommends leaves
# out dns-root-data (the root hints and root trust anchor): badmx's unbound never asks the
# root, it knows the harness zone only (harness/unbound/unbound.conf).
#
# Nothing starts a system unbound on 127.0.0.1:53: the package's postinst starts its init
# script (invoke-rc.d) and its systemd unit (deb-systemd-invoke), and both ask
# /usr/sbin/policy-rc.d first, so a policy-rc.d that denies every start is in place for the
# install (any policy-rc.d already there is put back afterwards). Then the unit, its
# resolvconf hook unit and the init script are disabled, so that no system unbound starts at
# boot either; badmx runs private ones (src/senders/mta/unbound-instance.ts).
# A package that was already installed is left as its owner configured it.
#
# Needs root. Idempotent.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "install-unbound.sh: run as root (sudo bash harness/install-mtas.sh)" >&2; exit 1; }
command -v apt-get >/dev/null || { echo "install-unbound.sh: needs a Debian or Ubuntu system (apt-get)" >&2; exit 1; }

daemon=/usr/sbin/unbound
export DEBIAN_FRONTEND=noninteractive
# shellcheck source=harness/lib/apt-install-stopped.sh
source "$(dirname "$0")/lib/apt-install-stopped.sh"

if [[ ! -x "$daemon" || ! -x /usr/sbin/unbound-checkconf ]]; then
  apt_install_stopped install-unbound.sh "unbound unbound-resolvconf" unbound
fi

echo "unbound: $("$daemon" -V 2>/dev/null | sed -n 's/^Version \(.*\)$/\1/p') ($daemon)"
