#!/usr/bin/env bash
# Activity in tmux on the demo world, with bob and carol acting through
# the homeserver's API: typing both ways, read markers, unread and
# mention counts, mentions sent and shown, bell and OSC notifications
# (the bytes haos writes, through pipe-pane), presence in the member list.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
CFG_EXTRA=$'[notify]\nosc9 = yes'
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
RANDOM_ROOM=$(room_id random "$ALICE_TOKEN")
haos_start 200 50
OUT=$TMP/out.bin
: >"$OUT"
tm pipe-pane -t h -o "cat >> $OUT"

q() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
api() { hs_call "$1" "$2" "$3" "${4:-}"; }

# requests [JQ-LIKE PYTHON FILTER]: recorded requests matching a filter on
# r (method, path unquoted, user, body), one JSON body per line.
requests() {
	python3 - "$HS_URL" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url, expr = sys.argv[1:3]
reqs = json.load(urllib.request.urlopen(url + "/_test/requests", timeout=10))["requests"]
for r in reqs:
    r["path"] = urllib.parse.unquote(r["path"])
    if eval(expr, {}, {"r": r}):
        print(json.dumps(r.get("body"), sort_keys=True))
PY
}

# wait_for_re REGEX: until the screen matches (extended regex).
wait_for_re() {
	local i
	for ((i = 0; i < 50; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# has_request FILTER: some recorded request matches.
has_request() { requests "$1" | grep -q .; }

# bob_sees m.typing ROOM USER | m.receipt ROOM EVENT: in bob's /sync.
bob_sees() {
	python3 - "$HS_URL" "$BOB_TOKEN" "$@" <<'PY'
import json, random, sys, urllib.request
url, tok, kind, room, what = sys.argv[1:6]
# A fresh timeout: an identical /sync would get Synapse's cached answer.
r = urllib.request.Request(url + "/_matrix/client/v3/sync?timeout=%d" %
    random.randint(1, 10 ** 6),
    headers={"Authorization": "Bearer " + tok})
s = json.load(urllib.request.urlopen(r, timeout=10))
ev = s["rooms"]["join"][room].get("ephemeral", {}).get("events", [])
if kind == "m.typing":
    ok = any(e["type"] == kind and what in e["content"]["user_ids"] for e in ev)
else:
    ok = any(e["type"] == kind and "@alice:haos.test" in
             e["content"].get(what, {}).get("m.read", {}) for e in ev)
if not ok:
    print("bob_sees %s %s: %s" % (kind, what, json.dumps(ev)), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# random_bold: "# random" is drawn in bold (unread).
random_bold() { tm capture-pane -e -p -t h | grep -qF $'\e[1mrandom'; }
general_bold() { tm capture-pane -e -p -t h | grep -qF $'\e[1mgeneral'; }

# newest_event ROOM TOKEN: the id of the room's newest event.
newest_event() {
	api GET "/_matrix/client/v3/rooms/$(q "$1")/messages?dir=b&limit=1" "$2" |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["chunk"][0]["event_id"])'
}

check "demo world appears" wait_for "Heads-up: the office is closed" 15
sleep 1

# 1. Typing by others shows above the input and clears.
BOB_TYPING=/_matrix/client/v3/rooms/$(q "$GENERAL")/typing/$(q @bob:haos.test)
CAROL_TYPING=/_matrix/client/v3/rooms/$(q "$GENERAL")/typing/$(q @carol:haos.test)
api PUT "$BOB_TYPING" "$BOB_TOKEN" '{"typing":true,"timeout":30000}' >/dev/null
check "bob typing shows" wait_for "Bob is typing…" 5
api PUT "$CAROL_TYPING" "$CAROL_TOKEN" '{"typing":true,"timeout":30000}' >/dev/null
check "two typing" wait_for "Bob and Carol are typing…" 5
# The server sends the names in no order (a set in Synapse): the line
# keeps one order however they come.
flips=0
for i in 1 2 3 4 5 6 7 8; do
	api PUT "$CAROL_TYPING" "$CAROL_TOKEN" '{"typing":false}' >/dev/null
	wait_for "Bob is typing…" 5
	api PUT "$CAROL_TYPING" "$CAROL_TOKEN" '{"typing":true,"timeout":30000}' >/dev/null
	wait_for_re "(Bob and Carol|Carol and Bob) are typing…"
	screen | grep -qF "Carol and Bob are typing" && flips=$((flips + 1))
done
check "typing names keep their order ($flips flips in 8)" test "$flips" = 0
api PUT "$BOB_TYPING" "$BOB_TOKEN" '{"typing":false}' >/dev/null
api PUT "$CAROL_TYPING" "$CAROL_TOKEN" '{"typing":false}' >/dev/null
check "typing line clears" wait_gone "typing…" 5

# 2. Typing in haos reaches the server, throttled, and stops on clear.
MYTYPING="r['method'] == 'PUT' and r['path'].endswith('/typing/@alice:haos.test') and '$GENERAL' in r['path']"
keys -l "hello"
sleep 0.8
keys -l " there"
sleep 0.8
on=$(requests "$MYTYPING and r['body'].get('typing') is True" | wc -l)
check "typing:true sent once for a burst ($on)" test "$on" = 1
check "typing timeout is 30000" has_request "$MYTYPING and r['body'].get('timeout') == 30000"
check "bob's sync sees alice typing" bob_sees m.typing "$GENERAL" @alice:haos.test
keys C-u
sleep 1
off=$(requests "$MYTYPING and r['body'].get('typing') is False" | wc -l)
check "typing:false when the input is cleared ($off)" test "$off" = 1
keys -l "/help"
sleep 0.8
on=$(requests "$MYTYPING and r['body'].get('typing') is True" | wc -l)
check "a /command is not typing ($on)" test "$on" = 1
keys C-u

# 3. Mentions: @-completion, m.mentions and the matrix.to link.
keys -l "@Bo"
keys Tab
sleep 0.3
check "Tab completes @Bob" wait_for "> @Bob" 5
keys -l " lunch?"
keys Enter
sleep 1.5
SENT="r['method'] == 'PUT' and '/send/m.room.message/' in r['path'] and r['user'] == '@alice:haos.test'"
body=$(requests "$SENT" | tail -1)
check "sent body keeps the display name ($body)" grep -qF '"body": "Bob lunch?"' <<<"$body"
check "m.mentions names bob" grep -qF '"m.mentions": {"user_ids": ["@bob:haos.test"]}' <<<"$body"
check "formatted_body has the matrix.to link" grep -qF '"formatted_body": "<a href=\"https://matrix.to/#/@bob:haos.test\">Bob</a> lunch?"' <<<"$body"
check "format is org.matrix.custom.html" grep -qF '"format": "org.matrix.custom.html"' <<<"$body"
off=$(requests "$MYTYPING and r['body'].get('typing') is False" | wc -l)
check "typing:false on send ($off)" test "$off" = 2

# 4. The newest message on screen: m.read and m.fully_read reach the server.
sleep 1
NEWEST=$(newest_event "$GENERAL" "$ALICE_TOKEN")
check "read_markers posted for the newest event" has_request "r['method'] == 'POST' and r['path'].endswith('/read_markers') and '$GENERAL' in r['path'] and r['body'].get('m.read') == '$NEWEST' and r['body'].get('m.fully_read') == '$NEWEST'"
fr=$(api GET "/_matrix/client/v3/user/$(q @alice:haos.test)/rooms/$(q "$GENERAL")/account_data/m.fully_read" "$ALICE_TOKEN")
check "m.fully_read account data is the newest event" grep -qF "$NEWEST" <<<"$fr"
check "bob's sync has alice's m.read receipt" bob_sees m.receipt "$GENERAL" "$NEWEST"
n=$(requests "r['method'] == 'POST' and r['path'].endswith('/read_markers') and r['body'].get('m.read') == '$NEWEST'" | wc -l)
check "one read marker per event ($n)" test "$n" = 1

# 5. User ids in incoming bodies read as display names.
send_text "$GENERAL" "$BOB_TOKEN" "ask @carol:haos.test about it"
check "user id shown as display name" wait_for "ask @Carol about it" 5

# 6. Unread: bob posts in #random (not on screen) -> bold, no badge yet.
send_text "$RANDOM_ROOM" "$BOB_TOKEN" "plain chatter in random"
sleep 2
check "#random is drawn bold when unread" random_bold
check "no notification for plain chatter" bash -c "! grep -aF 'plain chatter' '$OUT'"

# 7. A mention of me in #random: badge, bell and OSC 777 / OSC 9 bytes.
send_text "$RANDOM_ROOM" "$BOB_TOKEN" "Alice: can you review; now?"
check "mention badge on #random" wait_for "# random" 5
sleep 2
s=$(screen)
check "channel list shows a mention count" grep -qE '# random +1' <<<"$s"
check "the server's rail badge shows it too" grep -qE '^.Ac 1' <<<"$s"
check "bell written" grep -qaF $'\a' "$OUT"
# haos runs inside tmux, which swallows OSC 777 and OSC 9: they come
# wrapped in its passthrough (ESC P tmux ; ESC doubled ... ESC \).
check "OSC 777 written (tmux passthrough)" grep -qaF $'\ePtmux;\e\e]777;notify;Bob in #random;Alice: can you review, now?\a\e\\' "$OUT"
check "OSC 9 written (tmux passthrough)" grep -qaF $'\ePtmux;\e\e]9;Bob in #random: Alice: can you review, now?\a\e\\' "$OUT"

# Opening #random clears the counts (and sends its read marker).
keys M-Down
check "Alt+Down selects #random" wait_for "Acme > # random" 5
sleep 2
s=$(screen)
check "new messages line in #random" grep -q "new messages" <<<"$s"
check "mention count cleared" bash -c '! grep -qE "# random +1" <<<"$0"' "$s"
check "rail badge cleared" bash -c '! grep -qE "^.Ac 1" <<<"$0"' "$s"
RNEWEST=$(newest_event "$RANDOM_ROOM" "$ALICE_TOKEN")
check "#random read marker posted" has_request "r['method'] == 'POST' and r['path'].endswith('/read_markers') and '$RANDOM_ROOM' in r['path'] and r['body'].get('m.read') == '$RNEWEST'"
fr=$(api GET "/_matrix/client/v3/user/$(q @alice:haos.test)/rooms/$(q "$RANDOM_ROOM")/account_data/m.fully_read" "$ALICE_TOKEN")
check "#random m.fully_read is its newest event" grep -qF "$RNEWEST" <<<"$fr"

# 8. A DM from bob while I am in #random: notified with his name.
DM=$(python3 - "$HS_URL" "$BOB_TOKEN" <<'PY'
import json, sys, urllib.request
url, tok = sys.argv[1:3]
r = urllib.request.Request(url + "/_matrix/client/v3/user/@bob:haos.test/account_data/m.direct", headers={"Authorization": "Bearer " + tok})
d = json.load(urllib.request.urlopen(r, timeout=10))
print(d["@alice:haos.test"][0])
PY
)
send_text "$DM" "$BOB_TOKEN" "are you around?"
sleep 2
check "DM notification (OSC 777 titled Bob)" grep -qaF $'\e]777;notify;Bob;are you around?\a\e\\' "$OUT"

# 9. Hostile notification text cannot break out of the OSC.
send_text "$DM" "$BOB_TOKEN" $'evil\e]52;c;aGk=\a\nline two'
sleep 2
check "hostile DM sanitised in the OSC" grep -qaF $'\e]777;notify;Bob;evil line two\a\e\\' "$OUT"
check "no clipboard escape passed through" bash -c "! grep -qaF ']52;' '$OUT'"

# 10. Presence in the member list.
api PUT "/_matrix/client/v3/presence/$(q @bob:haos.test)/status" "$BOB_TOKEN" '{"presence":"online"}' >/dev/null
send_text "$GENERAL" "$BOB_TOKEN" "while you were away"
sleep 1
keys M-Up
check "back in #general" wait_for "Acme > # general" 5
check "general shows the new message" wait_for "while you were away" 5
s=$(screen)
order=$(grep -noE 'ask @Carol about it|new messages|while you were away' <<<"$s" | cut -d: -f2 | tr '\n' ,)
check "new messages line at the read marker ($order)" test "$order" = "ask @Carol about it,new messages,while you were away,"
check "bob shown online" wait_for "● Bob" 5
api PUT "/_matrix/client/v3/presence/$(q @bob:haos.test)/status" "$BOB_TOKEN" '{"presence":"unavailable"}' >/dev/null
check "bob shown away" wait_for "◐ Bob" 5
check "alice (syncing) shown online" wait_for "● Alice" 5

# Scrolled up, the newest message is not on screen: no receipt until
# Esc (mark read).
tm resize-window -t h -x 200 -y 16
sleep 0.5
keys PPage
sleep 0.5
send_text "$GENERAL" "$BOB_TOKEN" "posted while scrolled up"
sleep 2
UP=$(newest_event "$GENERAL" "$ALICE_TOKEN")
RM="r['method'] == 'POST' and r['path'].endswith('/read_markers') and r['body'].get('m.read') == '$UP'"
check "no read marker while scrolled up" bash -c '! grep -q . <<<"$0"' "$(requests "$RM")"
keys Escape
sleep 1.5
check "Esc posts the read marker" has_request "$RM"
tm resize-window -t h -x 200 -y 50
sleep 0.5
# Esc marked #general read up to its newest message, not for the rest of
# the session: what bob posts there later makes it unread again.
keys M-Down
check "Alt+Down selects #random again" wait_for "Acme > # random" 5
send_text "$GENERAL" "$BOB_TOKEN" "posted after the Esc"
sleep 2
check "#general unread again after Esc" general_bold
keys M-Up
check "back in #general after Esc" wait_for "Acme > # general" 5
sleep 0.5

# 11. A mention only in m.mentions (no name in the body, so the server
# does not highlight it) is found by haos: badge and notification.
python3 - "$HS_URL" "$BOB_TOKEN" "$RANDOM_ROOM" <<'PY'
import json, sys, urllib.request
url, tok, room = sys.argv[1:4]
body = {"msgtype": "m.text", "body": "look at this",
        "m.mentions": {"user_ids": ["@alice:haos.test"]}}
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/m.room.message/e2e-mm1" %
    urllib.request.quote(room, safe=""), data=json.dumps(body).encode(), method="PUT",
    headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
urllib.request.urlopen(r, timeout=10)
PY
sleep 2
check "m.mentions-only mention counted" wait_for_re '# random +1'
check "m.mentions-only mention notified" grep -qaF $'\e]777;notify;Bob in #random;look at this\a' "$OUT"

# 12. io.haos.member_role is only a label: bob claiming ADMIN for himself
# stays under MODERATOR (his power level).
api PUT "/_matrix/client/v3/rooms/$(q "$GENERAL")/state/io.haos.member_role/$(q @bob:haos.test)" "$BOB_TOKEN" '{"role":"ADMIN"}' >/dev/null
sleep 2
roles=$(screen | grep -oE '(ADMIN|MODERATOR|GUEST) - [0-9]|(Alice|Bob|Carol) *$' | sed 's/ *$//' | tr '\n' ,)
check "roles from power levels ($roles)" test "$roles" = "ADMIN - 1,Alice,MODERATOR - 1,Bob,GUEST - 1,Carol,"

# 12b. After /nick, the whole new name is highlighted in a mention, not
# the part the old name matches ("Alice" of "Alice Anders").
keys -l "/nick Alice Anders"; keys Enter
check "nick changed" wait_for "Alice Anders" 10
sleep 1
send_text "$GENERAL" "$BOB_TOKEN" "Alice Anders: the new name works"
check "mention by the new name arrives" wait_for "Alice Anders: the new name works" 5
check "the whole new name is highlighted" python3 -c '
import re, sys
t = sys.stdin.read()
line = [l for l in t.split("\n") if "the new name works" in l][0]
sys.exit(0 if re.search(r"\x1b\[[0-9;]*mAlice Anders\x1b\[", line) else 1)' < <(tm capture-pane -e -p -t h)

# 12c. Others' read receipts: "seen by" under the newest message, and in
# its details.
keys -l "seen by test"; keys Enter
check "my message shows" wait_for "seen by test" 5
sleep 1.5
SEEN=$(newest_event "$GENERAL" "$ALICE_TOKEN")
api POST "/_matrix/client/v3/rooms/$(q "$GENERAL")/receipt/m.read/$(q "$SEEN")" "$CAROL_TOKEN" '{}' >/dev/null
api POST "/_matrix/client/v3/rooms/$(q "$GENERAL")/receipt/m.read/$(q "$SEEN")" "$BOB_TOKEN" '{}' >/dev/null
check "seen by under the newest message" wait_for "seen by Bob and Carol" 5
keys M-s; sleep 0.3; keys Enter
check "message details say who has seen it" wait_for "seen by:  Bob and Carol" 5
keys Escape; sleep 0.3; keys Escape
sleep 0.3

# 13. Through tmux to the terminal: with allow-passthrough on, a client
# attached to this tmux (a terminal, recorded by script) receives the
# plain OSC 777 that haos wrapped.
if tm set-option -g allow-passthrough on 2>/dev/null; then
	timeout 6 script -qf -c "TERM=xterm-256color tmux -L $TMUX_SOCK attach -t h" \
		"$TMP/client.out" >/dev/null 2>&1 &
	client=$!
	sleep 2
	send_text "$DM" "$BOB_TOKEN" "through to the terminal"
	wait "$client"
	check "the terminal gets OSC 777 through tmux" \
		grep -qaF $'\e]777;notify;Bob;through to the terminal\a' "$TMP/client.out"
	check "and no passthrough wrapper" bash -c "! grep -qaF 'Ptmux;' '$TMP/client.out'"
fi

tm pipe-pane -t h
keys -l "/quit"; keys Enter
check "quits" wait_for "HAOS-EXITED 0" 5
finish
