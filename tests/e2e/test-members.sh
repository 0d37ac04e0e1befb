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

# wait_event ROOM BODY EXPR: until ROOM has an m.room.message whose body
# is BODY and whose content c makes the Python EXPR true.
wait_event() {
	local i
	for ((i = 0; i < 50; i++)); do
		python3 - "$HS_URL" "$ALICE_TOKEN" "$1" "$2" "$3" <<'PY' && return 0
import json, sys, urllib.parse, urllib.request
url, tok, room, body, expr = sys.argv[1:6]
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/messages?dir=b&limit=30"
    % urllib.parse.quote(room, safe=""), headers={"Authorization": "Bearer " + tok})
for e in json.load(urllib.request.urlopen(r, timeout=10))["chunk"]:
    c = e.get("content", {})
    if e["type"] == "m.room.message" and c.get("body") == body:
        sys.exit(0 if eval(expr) else 1)
sys.exit(1)
PY
		sleep 0.2
	done
	return 1
}
# wait_body ROOM BODY: until ROOM has a message with that body.
wait_body() { wait_event "$1" "$2" True; }

# wait_encrypted ROOM BODY: until ROOM has an m.room.encrypted event of
# alice's, and no message in clear with that body.
wait_encrypted() {
	local i
	for ((i = 0; i < 50; i++)); do
		python3 - "$HS_URL" "$ALICE_TOKEN" "$1" "$2" <<'PY' && return 0
import json, sys, urllib.parse, urllib.request
url, tok, room, body = sys.argv[1:5]
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/messages?dir=b&limit=30"
    % urllib.parse.quote(room, safe=""), headers={"Authorization": "Bearer " + tok})
chunk = json.load(urllib.request.urlopen(r, timeout=10))["chunk"]
clear = [e for e in chunk if e.get("content", {}).get("body") == body]
enc = [e for e in chunk if e["type"] == "m.room.encrypted" and
       e["sender"] == "@alice:haos.test"]
sys.exit(0 if enc and not clear and body not in json.dumps(chunk, ensure_ascii=False) else 1)
PY
		sleep 0.2
	done
	return 1
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

# 5. /dm creates a conversation that appears under Direct Messages and,
#    once a sync brings the new room, is selected: the next line goes there.
keys -l "/dm @carol:haos.test"
keys Enter
check "/dm reports a new conversation" wait_for "dm: new conversation with @carol:haos.test" 10
check "the new DM is selected" wait_for "Direct Messages > Carol" 10
direct=$(hs_call GET "/_matrix/client/v3/user/@alice:haos.test/account_data/m.direct" "$ALICE_TOKEN")
check "m.direct now lists carol ($direct)" grep -q '"@carol:haos.test": *\[' <<<"$direct"
CAROL_DM=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].split(" ",1)[1])["@carol:haos.test"][0])' "$direct")
keys -l "zq hello carol"
keys Enter
check "the line is shown in the DM" wait_for "zq hello carol" 10
# A conversation /dm makes is encrypted: the server has only ciphertext.
check "the line was sent to the new DM, encrypted" wait_encrypted "$CAROL_DM" "zq hello carol"

# 6. /dm of an existing DM, typed from a channel, selects it too.
keys -l "/goto general"
keys Enter
check "back in #general" wait_for "> # general" 10
keys -l "/dm @bob:haos.test"
keys Enter
check "/dm finds the DM with Bob" wait_for "dm: existing conversation with @bob:haos.test" 10
check "the DM with Bob is selected" wait_for "Direct Messages > Bob" 5

# 7. Completion: in a message @b + Tab inserts the display name, sent as a
#    pill with m.mentions; in a command it inserts the user id, which the
#    command accepts.
keys -l "/goto general"
keys Enter
check "in #general again" wait_for "> # general" 10
keys -l "zq ping @b"
keys Tab
check "message: @b + Tab inserts the display name" wait_for "zq ping @Bob" 5
keys -l " now"
keys Enter
check "the mention was sent as a pill" wait_event "$GENERAL" "zq ping Bob now" \
	'c.get("m.mentions") == {"user_ids": ["@bob:haos.test"]} and c.get("formatted_body") == "zq ping <a href=\"https://matrix.to/#/@bob:haos.test\">Bob</a> now"'
keys -l "/me waves at @b"
keys Tab
check "/me (a message): @b + Tab inserts the display name" wait_for "> /me waves at @Bob" 5
keys C-u
check "the line is cleared" wait_gone "/me waves" 5
keys -l "/kick @b"
keys Tab
check "/kick @b + Tab inserts the user id" wait_for "> /kick @bob:haos.test" 5
keys C-u
check "the line is cleared" wait_gone "/kick @bob" 5
keys -l "/dm @b"
keys Tab
check "/dm @b + Tab inserts the user id" wait_for "> /dm @bob:haos.test" 5
keys Enter
check "/dm accepts the completed id" wait_for "dm: existing conversation with @bob:haos.test" 10
check "and selects the DM with Bob" wait_for "Direct Messages > Bob" 5

# 8. Esc leaves member selection: typing goes to the input again.
keys M-m
wait_for "member: Up/Down (j) select" 5
keys Escape
sleep 1
keys -l "zq typed after esc"
check "typing after Esc goes to the input" wait_for "zq typed after esc" 5

finish
