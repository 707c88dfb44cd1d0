#!/usr/bin/env bash
# npm run test:node-versions (part of npm test): the tests that hold badmx's own logic and its
# use of Node's TLS internals (the ClientHello read before the TLS socket, OCSP stapling on a
# STARTTLS socket) run again on each supported Node.js besides the one running npm: 22 and 24
# (harness/install-node-versions.sh, run by install-deps.sh). The suite itself runs on the
# machine's Node (20). --reporter replaces the JSON reporter: reports/test-results.json is the main run's.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${BADMX_CACHE:-/var/cache/badmx}/node"
case "$(uname -m)" in x86_64) arch=x64 ;; *) arch=arm64 ;; esac
files=(
  test/evidence test/classify test/policy test/profiles test/document test/files test/recorder
  test/receivers/profiles-openssl.test.ts test/receivers/tampering-profiles.test.ts
  test/receivers/revoked-openssl.test.ts test/receivers/recorder.test.ts test/receivers/deadlines.test.ts
)
for major in ${BADMX_NODE_MAJORS:-22 24}; do
  bin="$cache/$major/node_modules/node-linux-$arch/bin"
  if [[ ! -x "$bin/node" ]]; then
    echo "test-node-versions.sh: Node $major is missing: run bash harness/install-deps.sh" >&2
    exit 1
  fi
  echo "test-node-versions.sh: Node $("$bin/node" --version)"
  PATH="$bin:$PATH" "$bin/node" node_modules/vitest/vitest.mjs run --reporter=dot "${files[@]}"
done
