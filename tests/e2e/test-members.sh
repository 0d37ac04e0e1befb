#!/usr/bin/env bash
# The member pane from the keyboard: select a member, kick by key (the
# command lands in the input for a reason, Enter confirms), profile by
# Enter, and a [keys] rebinding of the focus key.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
CFG_EXTRA=$'[keys]\nM-u = members focus\nmembers/x = members profile'
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
haos_start 200 50
membership() {
	hs_call GET "/_matrix/client/v3/rooms/$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")/state/m.room.member/$2" "$ALICE_TOKEN" |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("membership","?"), d.get("reason",""))'
}

check "demo world appears" wait_for "Heads-up: the office is closed" 15
check "carol is a member" grep -q '^join' <<<"$(membership "$GENERAL" @carol:haos.test)"

# 1. Alt+m focuses the member list; Enter shows the selected profile.
keys M-m
check "Alt+m selects a member" wait_for "member: Up/Down (j) select" 5
keys Enter
check "Enter shows the member's profile" wait_for "Profile of @alice:haos.test" 5
check "profile has the display name" wait_for "Alice" 5
keys q
check "profile closes" wait_gone "Profile of @alice:haos.test" 5
keys M-m
keys x
check "[keys] members/x = members profile works" wait_for "Profile of @alice:haos.test" 5
keys q
wait_gone "Profile of @alice:haos.test" 5

# 2. The rebound key focuses too; Down, Down reaches Carol (GUEST).
keys M-u
check "[keys] M-u = members focus works" wait_for "member: Up/Down (j) select" 5
keys Down
keys j
keys k
check "k puts /kick @carol in the input" wait_for "/kick @carol:haos.test" 5
keys -l "being rude"
keys Enter
wait_for "kick @carol:haos.test: removed in" 15 || dump
check "kick reported in the status bar" wait_for "kick @carol:haos.test: removed in" 1
check "carol was kicked from #general (server)" grep -q '^leave being rude' <<<"$(membership "$GENERAL" @carol:haos.test)"

# 3. r changes a role: Bob (MODERATOR, now second) becomes GUEST.
keys M-m
wait_for "member: Up/Down (j) select" 5
keys Down
keys r
check "r puts /role @bob in the input" wait_for "/role @bob:haos.test" 5
keys -l "guest"
keys Enter
wait_for "role @bob:haos.test: is now GUEST (0) in" 15 || dump
check "role change reported" wait_for "role @bob:haos.test: is now GUEST (0) in" 1
check "member pane regroups Bob under GUEST" wait_for "GUEST - 1" 10

# 4. m opens the existing DM with the selected member (from m.direct).
keys M-m
wait_for "member: Up/Down (j) select" 5
keys End
keys m
check "m reuses the DM with Bob" wait_for "dm: existing conversation with @bob:haos.test" 10
check "the DM is selected" wait_for "Direct Messages > Bob" 5

# 5. /dm creates a conversation that appears under Direct Messages.
keys -l "/dm @carol:haos.test"
keys Enter
check "/dm reports a new conversation" wait_for "dm: new conversation with @carol:haos.test" 10
keys M-1
check "the new DM is listed under Direct Messages" wait_for "Carol" 10
direct=$(hs_call GET "/_matrix/client/v3/user/@alice:haos.test/account_data/m.direct" "$ALICE_TOKEN")
check "m.direct now lists carol ($direct)" grep -q '"@carol:haos.test": *\[' <<<"$direct"

# 6. Esc leaves member selection: typing goes to the input again.
keys M-m
wait_for "member: Up/Down (j) select" 5
keys Escape
sleep 1
keys -l "zq typed after esc"
check "typing after Esc goes to the input" wait_for "zq typed after esc" 5

finish
