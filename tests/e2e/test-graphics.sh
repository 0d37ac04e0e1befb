#!/usr/bin/env bash
# Kitty and sixel previews: haos's raw output (tmux pipe-pane) holds, for
# an m.image, a kitty transmit (ESC _G a=t, base64 of pixels, never the
# file's bytes) and a placement, and a delete once the preview scrolled
# away and on quitting; with sixel a DCS ... q ... ESC \ sequence; with
# symbols no graphics sequence at all.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$BOB_TOKEN")

# post KIND ARG: Bob posts the fixture image ARG, or ARG text messages.
post() {
	python3 - "$HS_URL" "$BOB_TOKEN" "$GENERAL" "$ROOT/tests/fixtures/image" \
		"$1" "$2" <<'PY'
import json, sys, time, urllib.request
url, tok, room, d, kind, arg = sys.argv[1:7]
auth = {"Authorization": "Bearer " + tok}
q = urllib.request.quote
def send(body, txn):
    r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/m.room.message/%s"
        % (q(room, safe=""), txn), data=json.dumps(body).encode(), method="PUT",
        headers=dict(auth, **{"Content-Type": "application/json"}))
    urllib.request.urlopen(r, timeout=10)
if kind == "image":
    data = open(d + "/" + arg, "rb").read()
    r = urllib.request.Request(url + "/_matrix/media/v3/upload?filename=" + arg,
        data=data, method="POST", headers=dict(auth, **{"Content-Type": "image/png"}))
    mxc = json.load(urllib.request.urlopen(r, timeout=10))["content_uri"]
    send({"msgtype": "m.image", "body": arg, "url": mxc,
          "info": {"size": len(data), "mimetype": "image/png", "w": 64, "h": 32}},
         "gx%d" % time.time_ns())
else:
    for i in range(int(arg)):
        send({"msgtype": "m.text", "body": "filler %d" % i}, "fx%d-%d" % (time.time_ns(), i))
PY
}
post image good.png || { echo "could not post the image"; exit 1; }

RAW=$TMP/raw.out
# count PATTERN: matches of the Python regex PATTERN (bytes) in the output.
count() {
	python3 -c '
import re, sys
print(len(re.findall(sys.argv[1].encode(), open(sys.argv[2], "rb").read(), re.S)))' "$1" "$RAW"
}
# wait_count PATTERN N [SECONDS]: until PATTERN matches at least N times.
wait_count() {
	local i
	for ((i = 0; i < ${3:-15} * 10; i++)); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# run_mode MODE TEXT: haos with image_preview = MODE, its output in
# $RAW, up once the screen shows TEXT.
run_mode() {
	: >"$RAW"
	sed -i '/^\[ui\]$/,$d' "$CFG"
	printf '[ui]\nimage_preview = %s\n' "$1" >>"$CFG"
	if [ "${STARTED:-}" = "" ]; then
		haos_start 100 40
		STARTED=1
	else
		haos_restart
	fi
	tm pipe-pane -t h	# the last run's pipe closed
	tm pipe-pane -o -t h "cat >> $RAW"
	check "client up ($1)" wait_for "$2" 30
	keys "/goto general" Enter
	check "the image's label ($1)" wait_for "[image: good.png" 15
}

KSEND='\x1b_Ga=t,f=32,s=[0-9]+,v=[0-9]+,i=([0-9]+),q=2,m=[01];[A-Za-z0-9+/=]+\x1b\\'
KPLACE='\x1b7\x1b\[[0-9]+;[0-9]+H\x1b_Ga=p,i=[0-9]+,p=1,c=[0-9]+,r=[0-9]+,C=1,q=2\x1b\\\x1b8'
KDEL='\x1b_Ga=d,d=i,i=[0-9]+,p=1,q=2\x1b\\'

run_mode kitty "Heads-up: the office is closed"
check "kitty: the image transmitted" wait_count "$KSEND" 1
check "kitty: placed at the preview" wait_count "$KPLACE" 1
check "kitty: transmitted once" test "$(count '\x1b_Ga=t')" = 1
check "kitty: no delete while it is on screen" test "$(count "$KDEL")" = 0
# Only APC sequences of base64 and keys: no byte of the PNG file.
check "kitty: no raw file bytes" test "$(count 'IHDR|\x89PNG')" = 0
# The placement starts on the line right under the label.
row=$(python3 -c '
import re, sys
m = re.search(rb"\x1b7\x1b\[([0-9]+);([0-9]+)H\x1b_Ga=p", open(sys.argv[1], "rb").read())
print(m.group(1).decode() if m else -1)' "$RAW")
lab=$(screen | grep -nF "[image: good.png" | head -1 | cut -d: -f1)
check "kitty: placed on the line under the label ($row, $lab)" \
	test "$row" = "$((lab + 1))"
post text 45
check "kitty: deleted once scrolled away" wait_count "$KDEL" 1
keys "/quit" Enter
check "client quit (kitty)" wait_for "HAOS-EXITED 0" 10
check "kitty: all deleted on quitting" \
	test "$(count '\x1b_Ga=d,d=A,q=2\x1b\\')" = 1

# Sixel: a new image at the bottom, on screen (the first one scrolled
# away under the fillers).
post image good.png
run_mode sixel "filler 44"
check "sixel: a DCS sixel sequence at the preview" \
	wait_count '\x1b7\x1b\[[0-9]+;[0-9]+H\x1bP[0-9;]*q.*?\x1b\\\x1b8' 1
check "sixel: no kitty" test "$(count '\x1b_G')" = 0
check "sixel: no raw file bytes" test "$(count 'IHDR|\x89PNG')" = 0
n=$(count '\x1bP[0-9;]*q')
sleep 2
check "sixel: not written again while nothing moves" \
	test "$(count '\x1bP[0-9;]*q')" = "$n"
# A new message moves it up a line: written again at its new place.
post text 1
check "sixel: written again where it moved" \
	wait_count '\x1bP[0-9;]*q' "$((n + 1))"
keys "/quit" Enter
check "client quit (sixel)" wait_for "HAOS-EXITED 0" 10

run_mode symbols "filler 44"
sleep 3
check "symbols: block symbols drawn" sh -c "tmux -L $TMUX_SOCK \
	capture-pane -p -t h | python3 -c 'import sys; sys.exit(not any(
	0x2580 <= ord(c) <= 0x259f for c in sys.stdin.read()))'"
check "symbols: no kitty or sixel sequence" \
	test "$(count '\x1b_G|\x1bP[0-9;]*q')" = 0
keys "/quit" Enter
check "client quit (symbols)" wait_for "HAOS-EXITED 0" 10

[ "$FAILS" = 0 ] || dump
finish
