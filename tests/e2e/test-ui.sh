#!/usr/bin/env bash
# The client in tmux on the demo world: panes, navigation, sending,
# invites, hostile text, resizing, help and quitting.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
CFG_EXTRA=$'[keys]\nC-t = toggle members'
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
haos_start 200 50
tm set-option -g set-clipboard on >/dev/null

buffer_has() { tm show-buffer 2>/dev/null | grep -q -- "$1"; }
buffer_clean() { ! tm show-buffer 2>/dev/null | grep -q $'\e'; }

# 1. The demo world at 200x50: four panes.
check "demo world appears" wait_for "Heads-up: the office is closed" 15
s=$(screen)
check "topic bar names server and channel" grep -q "^ Acme > # general" <<<"$s"
check "rail: Direct Messages badge" grep -qE '^.DM ' <<<"$s"
check "rail: Acme badge" grep -qE '^.Ac ' <<<"$s"
order=$(tail -n +2 <<<"$s" | grep -oE 'TEXT CHANNELS|VOICE CHANNELS|# general|# random|lounge|stage' | head -6 | tr '\n' ,)
check "channels grouped and in order ($order)" test "$order" = "TEXT CHANNELS,# general,# random,VOICE CHANNELS,lounge,stage,"
roles=$(grep -oE '(ADMIN|MODERATOR|GUEST) - 1|  ?(Alice|Bob|Carol) *$' <<<"$s" | sed 's/ *$//; s/^ *//' | tr '\n' ,)
check "member pane grouped by role ($roles)" test "$roles" = "ADMIN - 1,Alice,MODERATOR - 1,Bob,GUEST - 1,Carol,"
check "edited message marked" grep -q "on Tuesdays. (edited)" <<<"$s"
check "deleted message shown as deleted" grep -q "message deleted" <<<"$s"
check "status: connected and account" grep -qE "connected .*@alice:haos.test" <<<"$s"

check "colours in use" bash -c 'tmux -L '"$TMUX_SOCK"' capture-pane -e -p -t h | grep -qE $'"'"'\e\\[([0-9;]*;)?(3[0-7]|9[0-7]|38;[25])[;m]'"'"

# A new message in the open channel costs a few hundred bytes, not a
# repaint (measured at the pane's output); one elsewhere costs almost none.
RANDOM_ROOM=$(room_id random "$ALICE_TOKEN")
sleep 1
tm pipe-pane -t h -o "cat > $TMP/out1.bin"
sleep 0.3
send_text "$GENERAL" "$BOB_TOKEN" "a new message over ssh"
wait_for "a new message over ssh" 5
sleep 1.2
tm pipe-pane -t h
tm pipe-pane -t h -o "cat > $TMP/out2.bin"
sleep 0.3
send_text "$RANDOM_ROOM" "$BOB_TOKEN" "a message elsewhere"
sleep 1.5
tm pipe-pane -t h
b1=$(stat -c %s "$TMP/out1.bin") b2=$(stat -c %s "$TMP/out2.bin")
check "new message costs < 1000 bytes ($b1)" test "$b1" -gt 0 -a "$b1" -lt 1000
check "message in another channel costs < 300 bytes ($b2)" test "$b2" -lt 300

# 2. Channels and servers by key.
keys M-Down
check "Alt+Down selects #random" wait_for "Acme > # random" 5
check "random's messages shown" wait_for "Thread: ideas for the team offsite?" 5
keys C-p
check "Ctrl+P back to #general" wait_for "Acme > # general" 5
keys M-1
check "Alt+1 selects Direct Messages" wait_for "Direct Messages > Bob" 5
check "DM messages shown" wait_for "probably by Thursday" 5
keys M-2
check "Alt+2 back to Acme" wait_for "Acme > # general" 5
keys M-Left
check "Alt+Left: previous server" wait_for "Direct Messages > Bob" 5
keys M-Right
check "Alt+Right: next server" wait_for "Acme > # general" 5

# 3. Quick switcher (Ctrl+K on an empty line, fuzzy).
keys C-k
check "Ctrl+K opens the switcher" wait_for "Switch to" 5
keys -l "stg"
sleep 0.3
check "fuzzy match lists #stage" wait_for "#stage  Acme" 5
keys Enter
check "switcher selects #stage" wait_for "Acme > # stage" 5
check "switcher closed" wait_gone "Switch to" 5
keys C-k; sleep 0.3; keys -l "bob"; sleep 0.3; keys Enter
check "switcher reaches the DM" wait_for "Direct Messages > Bob" 5
keys C-k; sleep 0.3; keys -l "general"; sleep 0.3; keys Enter
check "switcher back to #general" wait_for "Acme > # general" 5
# The server's name, then the channel's ("acme sta"), as the list shows.
keys C-k; sleep 0.3; keys -l "acme sta"; sleep 0.3
check "switcher matches 'server channel'" wait_for "#stage  Acme" 5
keys Enter
check "switcher selects #stage by 'acme sta'" wait_for "Acme > # stage" 5
# /goto names a DM as the rail does: by the other person's display name.
keys -l "/goto Bob"; keys Enter
check "/goto Bob reaches the DM" wait_for "Direct Messages > Bob" 5
keys -l "/goto acme general"; keys Enter
check "/goto 'server channel'" wait_for "Acme > # general" 5

# 4. A typed message reaches the server and shows once.
msg="typed in haos $$"
keys -l "$msg"
keys Enter
check "typed message shows" wait_for "$msg" 5
sleep 1.5
n=$(screen | grep -cF "$msg")
check "typed message shows once (saw $n)" test "$n" = 1
api=$(hs_call GET "/_matrix/client/v3/rooms/$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$GENERAL")/messages?dir=b&limit=5" "$ALICE_TOKEN")
check "server has it as m.text from alice" python3 -c '
import json, sys
st, body = sys.argv[1].split(" ", 1)
evs = json.loads(body)["chunk"]
ok = [e for e in evs if e["sender"] == "@alice:haos.test" and e["content"].get("msgtype") == "m.text" and e["content"].get("body") == sys.argv[2]]
sys.exit(0 if len(ok) == 1 else 1)' "$api" "$msg"
check "no pending mark left" wait_gone "pending" 5
keys -l "/me waves"; keys Enter
check "/me sends an emote" wait_for "Alice waves" 5

# A send the server refuses is marked failed, and counted.
hs_call POST /_test/faults "" '{"faults":[{"action":"status","path":"/send/m.room.message/","method":"PUT","status":403,"errcode":"M_FORBIDDEN","error":"nope","count":1}]}' >/dev/null
keys -l "this one fails"; keys Enter
check "failed send is marked" wait_for "this one fails ✗ failed to send" 10
check "status line counts it" wait_for "1 failed" 5

# A bracketed paste of several lines is one message.
tm set-buffer -b p "$(printf 'pasted line one\npasted line two')"
tm paste-buffer -p -d -b p -t h
sleep 0.3
check "paste waits in the input as one draft" wait_for "> pasted line one" 3
check "both lines in the draft" grep -q "^  pasted line two" <<<"$(screen)"
keys Enter
check "pasted block shows" wait_for "pasted line two" 5
api=$(hs_call GET "/_matrix/client/v3/rooms/$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$GENERAL")/messages?dir=b&limit=3" "$ALICE_TOKEN")
check "server got the paste as one message" python3 -c '
import json, sys
evs = json.loads(sys.argv[1].split(" ", 1)[1])["chunk"]
ok = [e for e in evs if e["content"].get("body") == "pasted line one\npasted line two"]
lines = [e for e in evs if e["content"].get("body") in ("pasted line one", "pasted line two")]
sys.exit(0 if len(ok) == 1 and not lines else 1)' "$api"

# Tab completes #channels and /commands.
keys -l "see #gen"; keys Tab
check "Tab completes #general" wait_for "> see #general" 5
keys C-u; keys -l "/hel"; keys Tab
check "Tab completes /help" wait_for "> /help" 5
keys C-u
keys -l "abc def"; keys Home; keys -l "X"; keys End; keys -l "Y"; keys M-b; keys -l "Z"
check "Home, End, Alt+B edit the line" wait_for "> Xabc ZdefY" 5
keys C-a; keys C-k
check "Ctrl+A, Ctrl+K kill the line" wait_gone "ZdefY" 5
keys C-y
check "Ctrl+Y yanks it back" wait_for "> Xabc ZdefY" 5
keys C-u

# Typing notifications show above the input.
hs_call PUT "/_matrix/client/v3/rooms/$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$GENERAL")/typing/@bob:haos.test" \
	"$BOB_TOKEN" '{"typing":true,"timeout":20000}' >/dev/null
check "typing line names Bob" wait_for "Bob is typing…" 10
hs_call PUT "/_matrix/client/v3/rooms/$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$GENERAL")/typing/@bob:haos.test" \
	"$BOB_TOKEN" '{"typing":false}' >/dev/null
check "typing line clears" wait_gone "Bob is typing…" 10

# 5. Hostile text from another user is inert.
hostile=$(printf 'HOSTILE-A \033[2J\033[H\033[31mred\033[0m \033]52;c;UFdORUQ=\007 \342\200\256evil\342\200\254 \302\2332J HOSTILE-Z')
send_text "$GENERAL" "$BOB_TOKEN" "$hostile"
check "hostile message arrives" wait_for "HOSTILE-Z" 10
s=$(screen)
check "hostile: on one line, sequences removed" grep -qE 'HOSTILE-A +red +evil +HOSTILE-Z|HOSTILE-A .*red.*evil.*HOSTILE-Z' <<<"$s"
check "hostile: screen not cleared (topic intact)" grep -q "^ Acme > # general" <<<"$s"
check "hostile: no escape text leaked" bash -c '! grep -qE "\[2J|\[31m|52;c" <<<"$1"' _ "$s"
check "hostile: no bidi override on screen" python3 -c '
import sys; t = sys.stdin.read()
sys.exit(1 if any(c in t for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x9b") else 0)' <<<"$s"
check "hostile: clipboard untouched (no OSC 52)" bash -c '[ -z "$(tmux -L '"$TMUX_SOCK"' list-buffers 2>/dev/null)" ]'
check "hostile: no red text on screen" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -e -p -t h | grep -F "HOSTILE-A" | grep -qE "\[(0;)?31m\S*red"'

# 6. Pending invites: shown with the inviter, accepted by key.
plan=$(hs_call POST /_matrix/client/v3/createRoom "$BOB_TOKEN" \
	'{"name":"Planning","invite":["@alice:haos.test"]}' | sed 's/^[0-9]* //' |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["room_id"])')
keys M-1
check "invite listed with inviter" wait_for "Planning from Bob" 10
check "invites heading" grep -q "INVITES" <<<"$(screen)"
keys C-k; sleep 0.3; keys -l "plann"; sleep 0.3; keys Enter
check "invite card" wait_for "Bob invited you to Planning" 5
keys M-a
check "accept by key joins" wait_for "joined Planning" 10
mem=$(hs_call GET "/_matrix/client/v3/rooms/$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "$plan")/joined_members" "$BOB_TOKEN")
check "server: alice joined Planning" grep -q '@alice:haos.test' <<<"$mem"
check "joined room listed under ROOMS" wait_for "ROOMS" 10
keys M-2
check "back to Acme" wait_for "Acme > # general" 5

# An invite to a server sits at the top of the rail; /decline refuses it.
hs_call POST /_matrix/client/v3/createRoom "$BOB_TOKEN" \
	'{"name":"Beta Corp","creation_content":{"type":"m.space"},"invite":["@alice:haos.test"]}' >/dev/null
check "server invite at the top of the rail" wait_for "+BC " 10
check "it is the first rail row" grep -q '^+BC ' <<<"$(screen | sed -n 2p)"
keys -l "/decline Beta Corp"; keys Enter
check "/decline reports" wait_for "declined the invite to Beta Corp" 10
check "declined server leaves the rail" wait_gone "+BC " 10
check "still on Acme" grep -q "^ Acme > # general" <<<"$(screen)"

# 7. Resizing: 200x50 -> 80x24 -> 50x20 -> 200x50, each as after Ctrl+L.
same_after_redraw() {
	local a b
	sleep 0.6; a=$(screen | grep -v "@alice:haos.test")
	keys C-l; sleep 0.6; b=$(screen | grep -v "@alice:haos.test")
	[ "$a" = "$b" ] || { diff <(echo "$a") <(echo "$b") | head -20; return 1; }
}
tm resize-window -t h -x 80 -y 24
check "80x24: messages and channels" wait_for "TEXT CHANNELS" 5
s=$(screen)
check "80x24: rail folded" bash -c '! grep -qE "^.Ac " <<<"$1"' _ "$s"
check "80x24: members folded" bash -c '! grep -q "ADMIN - 1" <<<"$1"' _ "$s"
check "80x24: 24 rows, none wider than 80" python3 -c '
import sys; l = sys.stdin.read().split("\n")[:-1]
sys.exit(0 if len(l) == 24 and max(len(x) for x in l) <= 80 else 1)' <<<"$s"
check "80x24: screen equals a full redraw" same_after_redraw
keys F3
check "80x24: F3 shows members" wait_for "ADMIN - 1" 5
keys F3
check "80x24: F3 hides members" wait_gone "ADMIN - 1" 5
keys C-t
check "80x24: C-t (bound in [keys]) shows members" wait_for "ADMIN - 1" 5
keys C-t
check "80x24: C-t hides members" wait_gone "ADMIN - 1" 5
tm resize-window -t h -x 50 -y 20
check "50x20: channel list folded" wait_gone "TEXT CHANNELS" 5
s=$(screen)
check "50x20: input line" grep -q "> Message #general" <<<"$s"
check "50x20: messages" grep -q "HOSTILE-Z" <<<"$s"
check "50x20: screen equals a full redraw" same_after_redraw
tm resize-window -t h -x 200 -y 50
check "200x50: members again" wait_for "ADMIN - 1" 5
s=$(screen)
check "200x50: rail again" grep -qE '^.Ac ' <<<"$s"
check "200x50: screen equals a full redraw" same_after_redraw

# 8. Help, selection, quit.
keys F1
check "F1 lists keys" wait_for "Keys:" 5
check "help lists commands" bash -c 'for i in 1 2 3 4 5 6 7 8; do tmux -L '"$TMUX_SOCK"' send-keys -t h PgDn; done; sleep 0.5; tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q "/quit"'
keys Escape
check "Esc closes help" wait_gone "Keys:" 5
sleep 0.2
keys M-s
check "Alt+S selects a message" wait_for "SELECT:" 5
keys y
sleep 0.5
check "y copies the newest message with OSC 52" buffer_has "HOSTILE-A.*HOSTILE-Z"
check "the copy is sanitised too" buffer_clean
keys k; sleep 0.2; keys Enter
check "Enter shows message details" wait_for "Message details" 5
check "details show the time as a date, not ms" bash -c 'tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -qE "time: +[A-Z][a-z]{2} [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}"'
keys Escape; sleep 0.3; keys Escape
check "Esc leaves selection" wait_gone "SELECT:" 5
sleep 0.3
keys -l "/goto random"; keys Enter
check "in #random before quitting" wait_for "Acme > # random" 5
keys -l "/quit"; keys Enter
check "/quit exits with 0" wait_for "HAOS-EXITED 0" 10

# A restart opens the channel open at the end, not the first one.
haos_restart
check "restart: back in #random" wait_for "Acme > # random" 15
check "restart: not the first channel" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q "Acme > # general"'
keys -l "/quit"; keys Enter
check "/quit exits with 0 again" wait_for "HAOS-EXITED 0" 10
finish
