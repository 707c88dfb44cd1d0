#!/usr/bin/env bash
# Node.js 22 and 24 beside the machine's own Node (20, end of life since April 2026), for
# `npm run test:node-versions`: the official binaries as the npm registry ships them
# (node-linux-<arch>, the package the `node` package installs), unpacked under
# $BADMX_CACHE/node/<major>. Idempotent; needs no root, only the npm registry.
set -euo pipefail
cache="${BADMX_CACHE:-/var/cache/badmx}/node"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-node-versions.sh: no registry-shipped Node binary for $(uname -m)" >&2; exit 1 ;;
esac
for major in ${BADMX_NODE_MAJORS:-22 24}; do
  bin="$cache/$major/node_modules/node-linux-$arch/bin/node"
  if [[ ! -x "$bin" ]]; then
    mkdir -p "$cache/$major"
    npm install --prefix "$cache/$major" --no-save --no-audit --no-fund --loglevel=error "node-linux-$arch@$major" >/dev/null
  fi
  [[ -x "$bin" ]] || { echo "install-node-versions.sh: Node $major did not install to $bin" >&2; exit 1; }
done
