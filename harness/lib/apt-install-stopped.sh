# Sourced by harness/install-*.sh: install Debian packages whose service badmx must never see
# running (badmx runs private instances of its own).
#
# apt_install_stopped <script name> "<units to disable>" <package>...
#
# The packages' postinst scripts start their init script (invoke-rc.d) and systemd unit
# (deb-systemd-invoke), and both ask /usr/sbin/policy-rc.d first (policy-rc.d(8) protocol: exit
# 101, "action forbidden"): so a policy-rc.d that denies every start is in place for the install,
# and any policy-rc.d already there is put back afterwards. apt-get update only when the install
# needs it. Then each named service is disabled for boot: its systemd units (deb-systemd-helper
# works without a running systemd, and keeps them disabled across upgrades), stopped if a systemd
# runs, and its init script.
apt_install_stopped() {
  local script="$1" units="$2"
  shift 2
  local policy=/usr/sbin/policy-rc.d saved=""
  if [[ -e "$policy" ]]; then
    saved="$(mktemp)"
    cp -p "$policy" "$saved"
  fi
  # shellcheck disable=SC2317 # called through the trap
  _apt_install_stopped_restore() {
    if [[ -n "$saved" ]]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi
  }
  trap _apt_install_stopped_restore EXIT
  printf '#!/bin/sh\n# %s: no service starts during this install\nexit 101\n' "$script" > "$policy"
  chmod 755 "$policy"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
  _apt_install_stopped_restore
  trap - EXIT
  local unit
  for unit in $units; do
    if command -v deb-systemd-helper >/dev/null; then deb-systemd-helper disable "$unit.service" >/dev/null 2>&1 || true; fi
    if [[ -d /run/systemd/system ]]; then systemctl stop "$unit.service" >/dev/null 2>&1 || true; fi
    if command -v update-rc.d >/dev/null; then update-rc.d "$unit" disable >/dev/null 2>&1 || true; fi
  done
}
