#!/usr/bin/env bash
# A hostile room member: every class of dangerous text in messages, a
# display name, a channel's topic and name, a server's name, a reaction key
# and a file name.  Nothing may steer the terminal (title, clipboard,
# cursor), break the layout or stop haos: the borders stay in their
# columns on every row, tmux's title and paste buffers stay untouched,
# every message is there, and haos keeps syncing and sending.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$BOB_TOKEN")

# bob as the hostile member.  Each message starts with a marker (M01..)
# so that the test can find it; the rest is the attack.
python3 - "$HS_URL" "$BOB_TOKEN" "$GENERAL" >"$TMP/hostile.log" 2>&1 <<'PY' || { cat "$TMP/hostile.log"; exit 1; }
import json, sys, urllib.request
url, tok, room = sys.argv[1:4]
q = urllib.request.quote
n = [0]
def call(method, path, body):
    r = urllib.request.Request(url + path, method=method,
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + tok,
                 "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r, timeout=30))
def send(content, etype="m.room.message"):
    n[0] += 1
    return call("PUT", "/_matrix/client/v3/rooms/%s/send/%s/h%d" %
                (q(room, safe=""), etype, n[0]), content)["event_id"]
ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
attacks = [
    "C0 \x01\x02\x08\x0b\x0c\x0e\x1f\r over",
    "C1 \u0080\u0085\u008d\u0090\u009b31m\u009d0;t\u009c\u009f",
    "CSI " + ESC + "[2J" + ESC + "[H" + ESC + "[31mred" + ESC + "[0m " + ESC + "[5A",
    "OSC0 " + ESC + "]0;pwned-title" + BEL + " OSC2 " + ESC + "]2;pwned2" + ST,
    "OSC8 " + ESC + "]8;;https://evil.example/" + BEL + "link" + ESC + "]8;;" + BEL,
    "OSC52 " + ESC + "]52;c;cHduZWQ=" + BEL + " " + ESC + "]52;p;cHduZWQ=" + ST,
    "OSC777 " + ESC + "]777;notify;pwned;body" + BEL,
    "DCS " + ESC + "Pq#0;2;0;0;0" + ST + " APC " + ESC + "_hi" + ST + " PM " + ESC + "^pm" + ST,
    "CSI8 \u009b2J\u009bH end",
    "BIDI \u202eevil\u202c \u2066iso\u2069 \u200f\u200e",
    "ZW a\u200bb\u200cc\u200dd\ufeffe\u2060f\u00adg\u3164h",
    "COMB a" + "\u0301" * 1000 + " z",
    "NUL a\u0000b",
    "TAB a\tb\t\tc",
    "ZWJ \U0001F468\u200d\U0001F469\u200d\U0001F467 \U0001F44D\U0001F3FD \U0001F1EB\U0001F1F7 \u2764\ufe0f \U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
]
ids = []
# First (so that the rest fits in a few pages): a 1 MB body and a
# 10,000-line body.
send({"msgtype": "m.text", "body": "M16 " + "x" * (1 << 20)})
send({"msgtype": "m.text", "body": "M17 " + "line\n" * 10000})
for i, a in enumerate(attacks):
    ids.append(send({"msgtype": "m.text", "body": "M%02d %s" % (i + 1, a)}))
# HTML with the same tricks.
ids.append(send({"msgtype": "m.text", "body": "M18 html", "format":
    "org.matrix.custom.html", "formatted_body": "M18 <b>" + ESC +
    "]2;htmltitle" + BEL + "</b><a href=\"javascript:" + ESC + "[2J\">x</a>"}))
# A file whose name is an attack.
ids.append(send({"msgtype": "m.file", "body": "M19 " + ESC + "]2;file" + BEL +
    "\u202etxt.exe", "url": "mxc://haos.test/nothing"}))
# A reaction key that is an attack.
send({"m.relates_to": {"rel_type": "m.annotation", "event_id": ids[0],
      "key": ESC + "]52;c;cHduZWQ=" + BEL + "\u202e!"}}, "m.reaction")
# The topic, bob's display name, and a last plain message.
call("PUT", "/_matrix/client/v3/rooms/%s/state/m.room.topic/" % q(room, safe=""),
     {"topic": "topic " + ESC + "]2;topictitle" + BEL + ESC + "[31m\u202ex"})
call("PUT", "/_matrix/client/v3/profile/%s/displayname" %
     q("@bob:haos.test", safe=""),
     {"displayname": "Bob" + ESC + "]2;nametitle" + BEL + "\u202e" + "\u0301" * 50})
# A server whose name is one letter and 1,000 combining marks, and an
# invite to it: its badge is drawn from the cache on every start.
sp = call("POST", "/_matrix/client/v3/createRoom", {
    "name": "Z" + "\u0301" * 1000, "creation_content": {"type": "m.space"},
    "invite": ["@alice:haos.test"]})
# A room named with an attack, and an invite to it.
call("POST", "/_matrix/client/v3/createRoom", {
    "name": "Room " + ESC + "]2;roomtitle" + BEL + ESC + "[7m\u202e" + "\u0301" * 300,
    "topic": ESC + "]52;c;cHduZWQ=" + BEL, "invite": ["@alice:haos.test"]})
send({"msgtype": "m.text", "body": "M20 the end"})
# For the message details view: CR, BS, LF and ESC in a body.
send({"msgtype": "m.text", "body": "M21 det\rCR\bBS\nLF" + ESC + "[31mESC" +
      ESC + "]2;dettitle" + BEL})
PY

tm_set() { tm set -g "$@" >/dev/null 2>&1; }
haos_start 120 40
# tmux turns OSC 52 into a paste buffer only with set-clipboard on.
tm_set set-clipboard on
tm_set allow-rename on
TITLE0=$(tm display -p -t h '#{pane_title}')
check "haos starts" wait_for "general" 20
keys -l "/goto general"
keys Enter
check "the last message arrives" wait_for "M21 det" 30

s=$(screen)
check "no ESC, BEL or C1 on screen" python3 -c '
import sys
t = sys.stdin.read()
bad = [hex(ord(c)) for c in t if ord(c) < 0x20 and c != "\n" or 0x7f <= ord(c) <= 0x9f]
sys.exit(1 if bad else 0)' <<<"$s"
check "the title is untouched" test "$(tm display -p -t h '#{pane_title}')" = "$TITLE0"
check "no paste buffer was set" test -z "$(tm list-buffers 2>/dev/null)"
check "no bidi override or isolate on screen" python3 -c '
import sys
t = sys.stdin.read()
sys.exit(1 if any(c in t for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") else 0)' <<<"$s"

# The borders: each vertical rule stays in the same cell column on every
# row (cells counted the way tmux counts them: wide characters take two).
screen >"$TMP/screen.txt"
[ -n "${HOSTILE_SHOW:-}" ] && cat "$TMP/screen.txt"
cat >"$TMP/borders.py" <<'PY'
import sys, unicodedata
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
def cells(line):
    col, out = 0, []
    for ch in line:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            w = 0
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            w = 2
        else:
            w = 1
        out.append((col, ch))
        col += w
    return out
cols = None
for r in rows[1:-3]:
    bars = {c for c, ch in cells(r) if ch == "\u2502"}
    if not bars:
        continue
    if cols is None:
        cols = bars
    elif not (cols <= bars or bars <= cols):
        print("row:", r)
        print("bars", sorted(bars), "first", sorted(cols))
        sys.exit(1)
sys.exit(0 if cols else 1)
PY
check "borders stay in their columns" python3 "$TMP/borders.py" "$TMP/screen.txt"

# Page up through the attacks: every page keeps the same guarantees, and
# every marker shows up on one of them.
: >"$TMP/seen.txt"
bad=0
for i in $(seq 1 12); do
	screen >"$TMP/page.txt"
	cat "$TMP/page.txt" >>"$TMP/seen.txt"
	python3 "$TMP/borders.py" "$TMP/page.txt" || bad=$((bad + 1))
	python3 - "$TMP/page.txt" <<'PY' || bad=$((bad + 1))
import sys
t = open(sys.argv[1], encoding="utf-8").read()
sys.exit(1 if any(ord(c) < 0x20 and c != "\n" or 0x7f <= ord(c) <= 0x9f or
    c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for c in t) else 0)
PY
	keys PPage
	sleep 0.3
done
check "every page is clean, its borders in place" test "$bad" = 0
missing=""
for m in M01 M02 M03 M04 M05 M06 M07 M08 M09 M10 M11 M12 M13 M14 M15 M18 M19 M20; do
	grep -q "$m" "$TMP/seen.txt" || missing="$missing $m"
done
check "every attack is shown (missing:${missing:- none})" test -z "$missing"
check "the title is still untouched after paging" test "$(tm display -p -t h '#{pane_title}')" = "$TITLE0"
keys End
check "bob's name shows without its tricks" grep -q "Bob" <<<"$s"

# The details of a hostile message (Alt+S selects the newest, Enter).
keys M-s
sleep 0.3
keys Enter
check "message details open" wait_for "Message details" 5
screen >"$TMP/details.txt"
check "details: clean and in place" python3 "$TMP/borders.py" "$TMP/details.txt"
check "details: the body is shown, without its controls" grep -q "M21 det.*CR.*BS.*LF.*ESC" "$TMP/details.txt"
check "details: no control character" python3 -c '
import sys
t = open(sys.argv[1], encoding="utf-8").read()
sys.exit(1 if any(ord(c) < 0x20 and c != "\n" or 0x7f <= ord(c) <= 0x9f for c in t) else 0)' "$TMP/details.txt"
check "details: the title is untouched" test "$(tm display -p -t h '#{pane_title}')" = "$TITLE0"
keys Escape
sleep 0.3
keys Escape
sleep 0.3

# The invite to the room with the hostile name: where it is listed.
keys -l "/goto Room"
keys Enter
sleep 1
screen >"$TMP/invite.txt"
check "the hostile room's invite: borders in place" python3 "$TMP/borders.py" "$TMP/invite.txt"
check "the hostile room's invite: listed" grep -q "Room" "$TMP/invite.txt"
check "the hostile room's invite: title untouched" test "$(tm display -p -t h '#{pane_title}')" = "$TITLE0"
keys -l "/goto general"
keys Enter
sleep 0.5

# Still syncing and sending.
send_text "$GENERAL" "$BOB_TOKEN" "after the storm"
check "still syncing" wait_for "after the storm" 15
keys -l "alice is fine"
keys Enter
check "still sending" wait_for "alice is fine" 10
keys -l "/quit"
keys Enter
check "quits cleanly" wait_for "HAOS-EXITED 0" 15

# The cache now holds all of it: a second start draws it before any sync.
haos_restart() { tm kill-session -t h; haos_start 120 40; }
haos_restart
check "a restart draws the cached attacks" wait_for "general" 20
check "restart: the title is still untouched" test "$(tm display -p -t h '#{pane_title}')" = "$TITLE0"
keys -l "/quit"
keys Enter
check "restart: quits cleanly" wait_for "HAOS-EXITED 0" 15

finish
