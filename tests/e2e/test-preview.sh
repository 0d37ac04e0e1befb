#!/usr/bin/env bash
# Image previews in symbols mode: an m.image whose thumbnail the server
# serves shows block symbols under its label (fetched once into the
# cache); a file that is no image shows the placeholder line; with
# [ui] image_preview = off there are no symbols at all.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$BOB_TOKEN")

# Bob posts two images in general: a real PNG and a truncated one.
python3 - "$HS_URL" "$BOB_TOKEN" "$GENERAL" "$ROOT/tests/fixtures/image" <<'PY' ||
import json, sys, urllib.request
url, tok, room, d = sys.argv[1:5]
auth = {"Authorization": "Bearer " + tok}
q = urllib.request.quote
def post(name, src, txn):
    data = open(d + "/" + src, "rb").read()
    r = urllib.request.Request(url + "/_matrix/media/v3/upload?filename=" + name,
        data=data, method="POST", headers=dict(auth, **{"Content-Type": "image/png"}))
    mxc = json.load(urllib.request.urlopen(r, timeout=10))["content_uri"]
    body = {"msgtype": "m.image", "body": name, "url": mxc,
            "info": {"size": len(data), "mimetype": "image/png", "w": 64, "h": 32}}
    r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/m.room.message/%s"
        % (q(room, safe=""), txn), data=json.dumps(body).encode(), method="PUT",
        headers=dict(auth, **{"Content-Type": "application/json"}))
    urllib.request.urlopen(r, timeout=10)
post("broken.png", "truncated.png", "pv1")
post("flag.png", "good.png", "pv2")
PY
	{ echo "could not post the images"; exit 1; }

# symbols_under LABEL: how many block/shade symbols (U+2580-U+259F) the
# 8 screen lines under the line showing LABEL hold.
symbols_under() {
	screen | python3 -c '
import sys
label, lines = sys.argv[1], sys.stdin.read().split("\n")
at = [i for i, l in enumerate(lines) if label in l]
if not at:
    print(-1); sys.exit()
print(sum(1 for l in lines[at[0] + 1:at[0] + 9] for ch in l
          if 0x2580 <= ord(ch) <= 0x259f))' "$1"
}

haos_start 100 40
check "client up" wait_for "Heads-up: the office is closed" 30
keys "/goto general" Enter
check "the image's label" wait_for "[image: flag.png" 15
n=0
for ((i = 0; i < 100; i++)); do
	n=$(symbols_under "[image: flag.png")
	[ "$n" -ge 20 ] && break
	sleep 0.1
done
check "block symbols under the label ($n)" test "$n" -ge 20
[ "$n" -ge 200 ] || { dump; grep -i 'preview\|media\|ui' "$XDG_STATE_HOME"/haos/*.log | tail -20; ls -la "$HOME/.cache/haos/default/previews"; }
# In colour: the cells' pairs reach the terminal (256 colours in tmux).
colours=$(tm capture-pane -e -p -t h | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
at = [i for i, l in enumerate(lines) if "[image: flag.png" in l][0]
print(len(set(re.findall(r"\x1b\[[0-9;]*?(?:38|48);5;([0-9]+)",
                         "\n".join(lines[at + 1:at + 9])))))')
check "the symbols in several 256-colour colours ($colours)" \
	test "$colours" -ge 2
check "a truncated PNG: the placeholder line" \
	wait_for "[image: broken.png — preview unavailable: cannot decode it]" 10
check "the placeholder right under its label" sh -c "tmux -L $TMUX_SOCK \
	capture-pane -p -t h | grep -A1 -F '[image: broken.png, 109 B]' |
	tail -1 | grep -qF 'preview unavailable'"
PV=$HOME/.cache/haos/default/previews
check "the thumbnails are in the cache" \
	test "$(ls -A "$PV" 2>/dev/null | wc -l)" = 2
check "the log names no file or body" \
	sh -c "! grep -qE 'flag.png|broken.png|thumb-' '$XDG_STATE_HOME/haos/default.log'"
keys "/quit" Enter
check "client quit" wait_for "HAOS-EXITED 0" 10

# Again with previews off: the label, no symbols, nothing fetched.
rm -rf "$PV"
printf '[ui]\nimage_preview = off\n' >>"$CFG"
haos_restart
check "client up again" wait_for "Heads-up: the office is closed" 30
keys "/goto general" Enter
check "the label without a preview" wait_for "[image: flag.png" 15
sleep 2
check "no symbols under it" test "$(symbols_under "[image: flag.png")" = 0
check "no placeholder either" wait_gone "preview unavailable" 1
check "nothing fetched" test ! -e "$PV"
keys "/quit" Enter
check "client quit" wait_for "HAOS-EXITED 0" 10

[ "$FAILS" = 0 ] || dump
finish
