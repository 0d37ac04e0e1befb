#!/usr/bin/env bash
# Cross-signing in the client (issue #16): /crosssign asks the password
# on the input line (stars only, never on screen or in the log), a wrong
# one is refused, the right one publishes the identity and signs this
# device; /devices then shows it verified, with its fingerprint.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
SESSION=$XDG_DATA_HOME/haos/default/session.json
DEVICE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_id"])' "$SESSION")
haos_start 160 40
check "demo world appears" wait_for "Heads-up: the office is closed" 15

keys -l "/crosssign"
keys Enter
check "crosssign: password prompt" wait_for "Password for @alice:haos.test (cross-signing):" 10
keys -l "wrong-pass"
check "crosssign: password not echoed" wait_for "(cross-signing): **********" 5
keys Enter
check "crosssign: wrong password refused" wait_for "cross-signing not set up" 15
no_master() {
	hs_call POST /_matrix/client/v3/keys/query "$ALICE_TOKEN" \
		'{"device_keys":{"@alice:haos.test":[]}}' | sed 's/^[0-9]* //' |
		python3 -c 'import json,sys; sys.exit(1 if json.load(sys.stdin)["master_keys"].get("@alice:haos.test") else 0)'
}
check "crosssign: nothing published" no_master

keys -l "/crosssign"
keys Enter
check "crosssign: prompt again" wait_for "Password for @alice:haos.test (cross-signing):" 10
keys -l "alice-password"
keys Enter
check "crosssign: done" wait_for "cross-signing set up (master key" 15
has_master() { ! no_master; }
check "crosssign: published" has_master
check "crosssign: password not on screen" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q alice-password'
check "crosssign: password not in the log" bash -c '! grep -rq alice-password '"$XDG_STATE_HOME"

verified() {
	local i
	for i in $(seq 20); do
		keys -l "/devices"
		keys Enter
		if wait_for "identity verified" 2 && screen | grep -qE "^.*$DEVICE .* verified"; then
			return 0
		fi
		keys Escape
		sleep 0.5
	done
	dump
	return 1
}
check "devices: this device verified" verified

finish
