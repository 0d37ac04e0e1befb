#!/usr/bin/env bash
# Run the matrix-js-sdk E2EE interop test against tests/homeserver/server.py.
# Installs the pinned npm dependencies (npm ci) when node_modules is missing or
# older than package-lock.json, then runs node's test runner with the Node that
# npm brought (the `node` package: Debian 12's own node 18 is too old for
# matrix-js-sdk 37.5.0; see tests/interop/node.sh). Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
. ../../interop/node.sh

interop_npm_ci
node=$(interop_node)
exec "$node" --test --test-force-exit --test-reporter=spec e2ee.test.mjs
