#!/usr/bin/env bash
# Run the matrix-js-sdk E2EE interop test against tests/homeserver/server.py.
# Installs the pinned npm dependencies (npm ci) when node_modules is missing or
# older than package-lock.json, then runs node's test runner. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

stamp=node_modules/.package-lock.json   # written by npm ci/install
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
    echo "interop: npm ci" >&2
    npm ci --no-audit --no-fund
fi

exec node --test --test-force-exit --test-reporter=spec e2ee.test.mjs
