#!/usr/bin/env bash
# Outgoing Markdown, /plain and compose in $VISUAL in tmux: what haos
# sends is checked on the homeserver, the draft on the screen.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")

# The "editor": records the file's path and mode, appends to the draft,
# or fails when told to (a file), as a real editor would exit 1.
cat >"$TMP/ed.sh" <<SH
#!/bin/sh
printf '%s\n' "\$1" >"$TMP/ed.path"
stat -c %a "\$1" >"$TMP/ed.mode"
[ -e "$TMP/ed.fail" ] && exit 3
printf '%s + *edited*\n\n' "\$(cat "\$1")" >"\$1"
SH
chmod 700 "$TMP/ed.sh"
HAOS_ENV="VISUAL=$TMP/ed.sh"
haos_start 160 50

# last EXPR: the newest m.room.message of alice's in general satisfies
# EXPR (Python, over its content c).
last() {
	python3 - "$HS_URL" "$ALICE_TOKEN" "$GENERAL" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url, tok, room, expr = sys.argv[1:5]
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/messages?dir=b&limit=30"
    % urllib.parse.quote(room, safe=""), headers={"Authorization": "Bearer " + tok})
for e in json.load(urllib.request.urlopen(r, timeout=10))["chunk"]:
    if e["sender"] == "@alice:haos.test" and e["type"] == "m.room.message":
        c = e["content"]
        ok = eval(expr)
        if not ok:
            print(json.dumps(c), file=sys.stderr)
        sys.exit(0 if ok else 1)
sys.exit(1)
PY
}
until_ok() {
	local i n=$(( $1 * 5 )); shift
	for ((i = 0; i < n; i++)); do "$@" 2>/dev/null && return 0; sleep 0.2; done
	"$@"
}

check "demo world appears" wait_for "Heads-up: the office is closed" 15

# 1. Markdown: formatted_body beside the body as typed.
keys -l '**md bold** and `code`'
keys Enter
check "the message shows" wait_for "md bold" 10
check "server: formatted_body from the Markdown" until_ok 5 last \
	'c.get("body") == "**md bold** and `code`" and c.get("format") == "org.matrix.custom.html" and c.get("formatted_body") == "<strong>md bold</strong> and <code>code</code>"'

# 2. /plain: exactly as typed, no formatted_body.
keys -l '/plain **md plain**'
keys Enter
check "server: /plain sends no formatted_body" until_ok 5 last \
	'c == {"msgtype": "m.text", "body": "**md plain**"}'
keys -l 'md just words'
keys Enter
check "server: plain text has no formatted_body" until_ok 5 last \
	'c == {"msgtype": "m.text", "body": "md just words"}'

# 3. Ctrl+X Ctrl+E: the draft through the editor and back, not sent.
keys -l 'md draft'
keys C-x C-e
check "the editor's text is the draft" wait_for "> md draft + *edited*" 10
check "the draft file was private (0600)" test "$(cat "$TMP/ed.mode" 2>/dev/null)" = 600
check "the draft file is removed" test ! -e "$(cat "$TMP/ed.path" 2>/dev/null)"
sleep 0.5
check "nothing was sent by the editor" last 'c.get("body") == "md just words"'
keys Enter
check "server: the edited draft is sent, formatted" until_ok 5 last \
	'c.get("body") == "md draft + *edited*" and c.get("formatted_body") == "md draft + <em>edited</em>"'

# 4. An editor that fails keeps the draft and says why.
touch "$TMP/ed.fail"
keys -l 'md kept draft'
keys C-x C-e
check "a failing editor is reported" wait_for "exited with status 3; draft kept" 10
check "the draft is kept" wait_for "> md kept draft" 5
check "no file left behind" test ! -e "$(cat "$TMP/ed.path" 2>/dev/null)"
keys C-u

# 5. F1 lists the key with its command.
keys F1
wait_for "haos help" 5 >/dev/null
keys PgDn
check "help lists C-x C-e with its command" wait_for "C-x C-e    input editor" 5
keys q
check "help closes" wait_gone "haos help" 5

keys -l "/quit"
keys Enter
check "quits" wait_for "HAOS-EXITED 0" 5
finish
