#!/usr/bin/env bash
# Scrolling to the top of a long room backfills older messages, in order,
# with a visible "loading" line while /messages is under way.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
register alice alice-password >/dev/null
ALICE_TOKEN=$(login_token alice alice-password)
room=$(hs_call POST /_matrix/client/v3/createRoom "$ALICE_TOKEN" '{"name":"History"}' |
	sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["room_id"])')
python3 - "$HS_URL" "$ALICE_TOKEN" "$room" <<'PY'
import json, sys, urllib.request
url, tok, room = sys.argv[1:4]
q = urllib.request.quote
for i in range(1, 131):
    r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/m.room.message/bf%d" % (q(room, safe=""), i),
        data=json.dumps({"msgtype": "m.text", "body": "history %03d" % i}).encode(), method="PUT",
        headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    urllib.request.urlopen(r, timeout=10)
PY
CFG_EXTRA=$'[network]\nsync_timeout = 2'
haos_login
# Slow /messages down so that the loading line can be seen.
hs_call POST /_test/faults "" '{"faults":[{"action":"delay","path":"/messages","ms":1500,"count":10}]}' >/dev/null
HAOS_ENV="NO_COLOR=1" haos_start 100 30
check "the room opens at the newest message" wait_for "history 130" 15
check "the first sync did not bring the oldest" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q "history 001"'
saw_loading=0
for i in $(seq 1 40); do
	keys PgUp
	sleep 0.15
	screen | grep -q "loading older messages" && saw_loading=1
	screen | grep -q "beginning of the conversation" && break
	# Wait out a backfill before the next page.
	wait_gone "loading older messages" 5
done
check "a loading line showed during backfill" test "$saw_loading" = 1
check "scrolled to the beginning" wait_for "beginning of the conversation" 10
check "the oldest message is there" wait_for "history 001" 5
check "older messages in order on screen" python3 -c '
import re, sys
n = [int(m) for m in re.findall(r"history (\d{3})", sys.stdin.read())]
sys.exit(0 if n and n == sorted(n) and n == list(range(n[0], n[0] + len(n))) else 1)' <<<"$(screen)"
# Walk back down: every message once, in order, no gaps or duplicates.
seen=$(for i in $(seq 1 12); do screen; keys PgDn; sleep 0.2; done | grep -oE 'history [0-9]{3}' | awk '!s[$0]++')
check "all 130 messages present once, in order, after backfill" python3 -c '
import sys
n = [int(l.split()[1]) for l in sys.stdin.read().split("\n") if l]
sys.exit(0 if n == list(range(1, 131)) else 1)' <<<"$seen"
reqs=$(hs_call GET "/_test/requests" "")
check "the server saw /messages requests" grep -q '/messages' <<<"$reqs"

# NO_COLOR: attributes only, no colours.
check "NO_COLOR: no colour on screen" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -e -p -t h | grep -qE $'"'"'\e\\[([0-9;]*;)?(3[0-7]|9[0-7]|38;[25])[;m]'"'"
check "NO_COLOR: attributes still used" bash -c 'tmux -L '"$TMUX_SOCK"' capture-pane -e -p -t h | grep -qF $'"'"'\e[7m'"'"

# A revoked token shows a clear state instead of retrying forever.
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' \
	"$XDG_DATA_HOME/haos/default/session.json")
hs_call POST /_matrix/client/v3/logout "$token" '{}' >/dev/null
check "revoked session: the status line says so" wait_for "logged out - /login" 10
check "revoked session: asks for the password" wait_for "Password for @alice:haos.test:" 5
keys Escape
check "Esc postpones the login" wait_for "type /login when ready" 5
keys -l "/quit"; keys Enter
check "/quit still works" wait_for "HAOS-EXITED 0" 10
finish
