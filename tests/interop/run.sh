#!/usr/bin/env bash
# Run the haos <-> matrix-js-sdk E2EE interop tests (tests/interop/*.test.mjs).
# Installs the pinned npm dependencies (npm ci) when node_modules is missing or
# older than package.json/package-lock.json, then runs node's test runner with
# the Node that npm brought (the `node` package), so that the tests run the
# same on a system whose own node is too old (Debian 12: 18). Exits non-zero on
# failure.
#
#   ./run.sh                    every *.test.mjs here
#   ./run.sh e2ee.test.mjs      one file
#
# Env: HAOS_BIN (default: ../../haos), HAOS_INTEROP_KEEP=1, HAOS_INTEROP_VERBOSE=1
# (see README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
. ./node.sh

interop_npm_ci
node=$(interop_node)
if (($# == 0)); then
	set -- *.test.mjs
fi
exec "$node" --test --test-force-exit --test-concurrency=1 --test-reporter=spec "$@"
