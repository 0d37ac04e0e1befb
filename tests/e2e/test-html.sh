#!/usr/bin/env bash
# Element's HTML in tmux: bob sends formatted_body messages from the
# corpus in tests/fixtures/html (bold, lists, a quote, links, a reply, a
# code block), and the timeline draws their text with bullets, numbers,
# the quote bar, the box and links' URLs in brackets: never the markup,
# never a reply's quoted fallback, never an escape sequence; selection o
# copies a link whose URL is only in the HTML.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
haos_start 160 50
check "demo world appears" wait_for "Heads-up: the office is closed" 15
TITLE0=$(tm display -p -t h '#{pane_title}')

# bob sends each fixture's content as it is, in this order.
python3 - "$HS_URL" "$BOB_TOKEN" "$GENERAL" "$ROOT/tests/fixtures/html" \
	bold lists nested links reply code-block hostile >"$TMP/send.log" 2>&1 <<'PY' ||
import json, sys, urllib.parse, urllib.request
url, tok, room, fx = sys.argv[1:5]
for i, name in enumerate(sys.argv[5:]):
    content = json.load(open("%s/%s.json" % (fx, name)))["content"]
    r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/"
        "m.room.message/html%d" % (urllib.parse.quote(room, safe=""), i),
        method="PUT", data=json.dumps(content).encode(),
        headers={"Authorization": "Bearer " + tok,
                 "Content-Type": "application/json"})
    urllib.request.urlopen(r, timeout=10)
PY
	{ cat "$TMP/send.log"; exit 1; }

check "the last message arrives" wait_for "evil" 15
sleep 0.5
s=$(screen)
has() { grep -qF -- "$1" <<<"$s"; }
hasnt() { ! grep -qF -- "$1" <<<"$s"; }
check "bold text is there, without its tags" has "bold and italic, under, gone, code()"
check "bullets" has "• first"
check "a nested list's bullet, indented" has "  ◦ nested"
check "numbers from <ol start=2>" has "2. two"
check "numbers go on" has "3. three"
check "the quote bar" has "│ quote with bold and italic"
check "a link's URL in brackets" has "the docs [https://example.org/docs]"
check "a link whose text is its URL: no brackets" hasnt "[https://example.org]"
check "the reply's text" has "the answer"
check "the reply's quoted fallback is not drawn" hasnt "In reply to"
check "a code block's box and language" has "┌─ c ─"
check "a code block's lines" has "│ int main(void)"
check "no markup on screen" bash -c '! grep -qE "</?(strong|em|li|ul|ol|p|a|pre|code|blockquote|mx-reply)[ >]" <<<"$1"' _ "$s"
check "hostile HTML: its text" has "evil"
check "hostile HTML: no title change" test "$(tm display -p -t h '#{pane_title}')" = "$TITLE0"
[ "$FAILS" = 0 ] || dump

# o on a message whose link is only in its HTML (text "here", the URL in
# its href; a pill before it is no link): that URL is the one copied.
python3 - "$HS_URL" "$BOB_TOKEN" "$GENERAL" >>"$TMP/send.log" 2>&1 <<'PY' ||
import json, sys, urllib.parse, urllib.request
url, tok, room = sys.argv[1:4]
content = {"msgtype": "m.text", "body": "Alice: the notes are here",
    "format": "org.matrix.custom.html", "formatted_body":
    "<a href=\"https://matrix.to/#/@alice:haos.test\">Alice</a>: the "
    "notes are <a href=\"https://example.org/only-in-html\">here</a>"}
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/"
    "m.room.message/htmlopen" % urllib.parse.quote(room, safe=""),
    method="PUT", data=json.dumps(content).encode(),
    headers={"Authorization": "Bearer " + tok,
             "Content-Type": "application/json"})
urllib.request.urlopen(r, timeout=10)
PY
	{ cat "$TMP/send.log"; exit 1; }
check "the HTML-only link's message arrives" wait_for "the notes are here" 15
keys M-s; sleep 0.3; keys o
check "o copies the URL that is only in the HTML" \
	wait_for "link copied: https://example.org/only-in-html" 5
keys Escape; sleep 0.3

keys -l "/quit"
keys Enter
check "quits" wait_for "HAOS-EXITED 0" 5
finish
