#!/usr/bin/env bash
# Links as OSC 8 hyperlinks (issue #17): with hyperlinks = yes the bytes
# haos writes to the terminal (tmux pipe-pane -o) hold ESC ] 8 ; id=... ;
# URL ESC \ around each link's text (an <a>'s and a URL in a plain body)
# and the screen no URL in brackets after the text; hostile hrefs (ESC,
# BEL, over 2048 bytes) are never hyperlinks and never reach the terminal
# as a control sequence; with hyperlinks = no (and auto in a tmux that
# does not report the hyperlinks feature) the URL is in brackets and no
# OSC 8 is written at all.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# send_html ROOM TOKEN TXN BODY HTML: post an HTML m.text as someone else.
send_html() {
	python3 - "$HS_URL" "$2" "$1" "$3" "$4" "$5" <<'PY'
import json, sys, urllib.parse, urllib.request
url, tok, room, txn, body, html = sys.argv[1:7]
html = html.replace("<ESC>", "\x1b").replace("<BEL>", "\x07")
html = html.replace("<LONG>", "x" * 3000)
content = {"msgtype": "m.text", "body": body,
    "format": "org.matrix.custom.html", "formatted_body": html}
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/"
    "m.room.message/%s" % (urllib.parse.quote(room, safe=""), txn),
    method="PUT", data=json.dumps(content).encode(),
    headers={"Authorization": "Bearer " + tok,
             "Content-Type": "application/json"})
urllib.request.urlopen(r, timeout=10)
PY
}

# raw_check FILE MODE: asserts on the captured bytes (see the python).
raw_check() {
	python3 - "$1" "$2" <<'PY'
import re, sys
raw = open(sys.argv[1], "rb").read()
mode = sys.argv[2]
osc8 = re.compile(rb"\x1b\]8;([^;\x1b\x07]*);([^\x1b\x07]*)\x1b\\")
sgr = re.compile(rb"\x1b\[[0-9;]*m|\x1b\([B0]|\x0f")
def fail(msg):
    print("raw_check %s: %s" % (mode, msg)); sys.exit(1)
if mode == "none":
    if b"\x1b]8;" in raw:
        fail("an OSC 8 with hyperlinks = no")
    sys.exit(0)
if b"pwned" in raw and re.search(rb"\x1b\]2;pwned", raw):
    fail("the hostile title sequence reached the terminal")
links = {}
for m in osc8.finditer(raw):
    params, uri = m.group(1), m.group(2)
    if uri == b"":
        continue
    if not re.fullmatch(rb"id=haos-[0-9a-f]{8}-[0-9]+", params):
        fail("params %r" % params)
    if not re.fullmatch(rb"[\x21-\x7e]{1,2048}", uri):
        fail("a URI with bytes it may not hold: %r" % uri[:80])
    # The text up to the close, renditions taken out.
    end = raw.find(b"\x1b]8;;\x1b\\", m.end())
    if end < 0:
        fail("no close after %r" % uri)
    text = sgr.sub(b"", raw[m.end():end])
    links.setdefault(uri, set()).add(text)
want = {
    b"https://example.org/docs": b"the docs",
    b"https://example.org/plain": b"https://example.org/plain",
    b"https://example.org/a;b": b"semi",
}
for uri, text in want.items():
    if text not in links.get(uri, set()):
        fail("no hyperlink %r around %r (have %r)" % (uri, text, links))
for uri in links:
    if b"evil" in uri or len(uri) > 2048:
        fail("a hostile href became a hyperlink: %r" % uri[:80])
PY
}

# look TEXT: the screen row holding TEXT with its renditions (-e).
look() {
	local row
	row=$(screen | grep -nF -- "$1" | head -1 | cut -d: -f1)
	[ -n "$row" ] && tm capture-pane -p -e -t h | sed -n "${row}p"
}

hs_start
seed_world
CFG_EXTRA=$'[ui]\nhyperlinks = yes'
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
haos_start 160 50
check "demo world appears" wait_for "Heads-up: the office is closed" 15
TITLE0=$(tm display -p -t h '#{pane_title}')
tm pipe-pane -o -t h "cat >>$TMP/raw-yes"

send_html "$GENERAL" "$BOB_TOKEN" hl1 "read the docs" \
	'read <a href="https://example.org/docs">the docs</a> today'
send_text "$GENERAL" "$BOB_TOKEN" "plain https://example.org/plain here"
send_html "$GENERAL" "$BOB_TOKEN" hl2 "semi" \
	'a <a href="https://example.org/a;b">semi</a> colon'
send_html "$GENERAL" "$BOB_TOKEN" hl3 "evil" \
	'x <a href="https://evil.example/<ESC>]2;pwned<BEL>">evil one</a> y'
send_html "$GENERAL" "$BOB_TOKEN" hl4 "long" \
	'z <a href="https://evil.example/<LONG>">long one</a> end'
check "the last message arrives" wait_for "long one" 15
sleep 1
s=$(screen)
has() { grep -qF -- "$1" <<<"$s"; }
hasnt() { ! grep -qF -- "$1" <<<"$s"; }
check "a link's text" has "read the docs today"
check "no URL in brackets after a hyperlink" hasnt "[https://example.org/docs]"
check "a plain URL is drawn" has "plain https://example.org/plain here"
check "a hostile href is no hyperlink: its URL in brackets" has "evil one [https://evil.example/"
check "an over-long href: its text" has "z long one"
check "an over-long href: in brackets, cut" has "[https://evil.example/xxx"
check "hostile HTML: no title change" test "$(tm display -p -t h '#{pane_title}')" = "$TITLE0"
check "OSC 8 around each link, nothing hostile" raw_check "$TMP/raw-yes" yes
# The cells written again look as curses drew them (tmux keeps each
# cell's rendition): the same line as with hyperlinks = no, below.
LOOK_YES=$(look "plain https://example.org/plain here")
[ "$FAILS" = 0 ] || { dump; od -c "$TMP/raw-yes" | tail -40; }

# Scroll: the links move, and are written again where they are now.
: >"$TMP/raw-yes"
send_text "$GENERAL" "$BOB_TOKEN" "one more line"
check "a new message" wait_for "one more line" 10
sleep 0.5
check "links written again after the timeline moved" raw_check "$TMP/raw-yes" yes
keys -l "/quit"; keys Enter
check "haos quits" wait_for "HAOS-EXITED 0" 10
tm pipe-pane -t h

# hyperlinks = no: the brackets are back, and no OSC 8 at all.
sed -i 's/^hyperlinks = yes/hyperlinks = no/' "$CFG"
haos_restart
check "haos runs again" wait_for "long one" 15
tm pipe-pane -o -t h "cat >>$TMP/raw-no"
keys M-s; sleep 0.3; keys Escape
sleep 1
s=$(screen)
check "hyperlinks = no: the URL in brackets" has "the docs [https://example.org/docs]"
check "hyperlinks = no: no OSC 8 written" raw_check "$TMP/raw-no" none
LOOK_NO=$(look "plain https://example.org/plain here")
check "a hyperlink's cells look as curses drew them" test -n "$LOOK_NO" -a "$LOOK_YES" = "$LOOK_NO"
check "hyperlinks = no: the screen was drawn again" test -s "$TMP/raw-no"
keys -l "/quit"; keys Enter
check "haos quits" wait_for "HAOS-EXITED 0" 10
tm pipe-pane -t h

# auto inside a tmux whose client does not report hyperlinks (none is
# attached here): off, as with no.
sed -i 's/^hyperlinks = no/hyperlinks = auto/' "$CFG"
haos_restart
check "haos runs a third time" wait_for "long one" 15
tm pipe-pane -o -t h "cat >>$TMP/raw-auto"
keys M-s; sleep 0.3; keys Escape
sleep 1
s=$(screen)
check "auto in this tmux: the URL in brackets" has "the docs [https://example.org/docs]"
check "auto in this tmux: no OSC 8 written" raw_check "$TMP/raw-auto" none
check "auto in this tmux: the screen was drawn again" test -s "$TMP/raw-auto"
keys -l "/quit"; keys Enter
check "haos quits" wait_for "HAOS-EXITED 0" 10
[ "$FAILS" = 0 ] || dump
finish
