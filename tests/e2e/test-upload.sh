#!/usr/bin/env bash
# /upload: a progress bar in the status line while the server holds the
# upload, Esc cancels (the message stays failed "cancelled", /retry sends
# it); a pasted file path asks "upload NAME (SIZE)? y/n": y sends it as
# m.image with w/h, n inserts the text; /upload under haos run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$BOB_TOKEN")

# The newest m.room.message contents in general, one JSON a line.
contents() {
	python3 - "$HS_URL" "$BOB_TOKEN" "$GENERAL" 2>/dev/null <<'PY'
import json, sys, urllib.request
url, tok, room = sys.argv[1:4]
q = urllib.request.quote
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/messages?dir=b&limit=30"
    % q(room, safe=""), headers={"Authorization": "Bearer " + tok})
for ev in json.load(urllib.request.urlopen(r, timeout=10))["chunk"]:
    if ev["type"] == "m.room.message":
        print(json.dumps(ev["content"], sort_keys=True))
PY
}

head -c 300000 /dev/urandom >"$TMP/slow.bin"
cp "$ROOT/tests/fixtures/upload/red-3x2.png" "$TMP/red dot.png"

haos_start 120 40
check "client up" wait_for "Heads-up: the office is closed" 30
keys "/goto general" Enter
sleep 0.5

# The server holds the upload: the bar shows; Esc cancels.
hs_call POST /_test/faults "" '{"faults": [{"action": "delay", "path": "/media/v3/upload", "ms": 6000, "count": 1}]}' >/dev/null
keys -l "/upload $TMP/slow.bin"
keys Enter
check "a progress bar in the status line" \
	wait_for "- Esc cancels" 10
check "it says uploading" wait_for "uploading " 5
keys Escape
check "Esc leaves the message failed" wait_for "1 failed" 10
hs_call DELETE /_test/faults "" >/dev/null
check "nothing on the server yet" test "$(contents | grep -c slow.bin)" = 0
keys -l "/retry"
keys Enter
check "/retry sends it" wait_gone "1 failed" 30
sleep 1
check "the file's message is on the server" \
	test "$(contents | grep -c '"body": "slow.bin"')" = 1

# A pasted path: the question; y uploads it.
tm set-buffer -- "$TMP/red dot.png"
tm paste-buffer -p -t h
check "a pasted path asks" wait_for "upload red dot.png (73 B)? y/n" 10
keys y
for i in $(seq 1 50); do
	contents | grep -q '"body": "red dot.png"' && break
	sleep 0.2
done
has() { contents | grep -qF -- "$1"; }
check "y sent it as m.image with w and h ($(contents | head -1))" \
	has '"h": 2, "mimetype": "image/png", "size": 73, "w": 3}, "msgtype": "m.image"'

# Pasted again, n: the text goes into the input line as pasted.
tm set-buffer -- "file://$TMP/red%20dot.png"
tm paste-buffer -p -t h
check "a file:// URL asks too" wait_for "upload red dot.png (73 B)? y/n" 10
keys n
check "n inserts the text as pasted" wait_for "file://$TMP/red%20dot.png" 5
keys C-u
sleep 0.3

keys "/quit" Enter
check "client quit" wait_for "HAOS-EXITED 0" 10

# haos run: waits until the message is sent; a caption is the body.
printf 'minutes of the meeting\n' >"$TMP/notes.txt"
"$HAOS_BIN" --config "$CFG" run --channel general \
	"/upload $TMP/notes.txt the minutes" >"$TMP/run.out" 2>"$TMP/run.err"; rc=$?
check "haos run /upload exits 0 ($rc: $(cat "$TMP/run.err"))" test "$rc" = 0
check "the caption is the body, the name filename ($(contents | head -1))" \
	has '"body": "the minutes", "filename": "notes.txt"'
# Over the server's limit: refused with both sizes, exit non-zero.
hs_call POST /_test/faults "" '{"max_upload_size": 10}' >/dev/null
"$HAOS_BIN" --config "$CFG" run --channel general \
	"/upload $TMP/notes.txt" >"$TMP/run2.out" 2>"$TMP/run2.err"; rc=$?
check "haos run: too large exits non-zero" test "$rc" != 0
check "haos run: both sizes said ($(cat "$TMP/run2.err"))" \
	grep -q "23 bytes; this server takes files up to 10 bytes" "$TMP/run2.err"
hs_call DELETE /_test/faults "" >/dev/null

# A message the server refuses for good keeps its copy in the spool
# (to retry or discard); logout deletes it with the cache.
SPOOL=$XDG_DATA_HOME/haos/default/spool
hs_call POST /_test/faults "" '{"faults": [{"action": "status", "status": 413, "errcode": "M_TOO_LARGE", "path": "/media/v3/upload", "count": 1}]}' >/dev/null
"$HAOS_BIN" --config "$CFG" run --channel general \
	"/upload $TMP/notes.txt" >"$TMP/run3.out" 2>"$TMP/run3.err"; rc=$?
check "haos run: a 413 fails the message ($(cat "$TMP/run3.err"))" \
	grep -q "too large" "$TMP/run3.err"
check "its copy waits in the spool" test "$(ls -A "$SPOOL" | wc -l)" = 1
hs_call DELETE /_test/faults "" >/dev/null
"$HAOS_BIN" --config "$CFG" logout </dev/null >/dev/null 2>&1
check "logout deletes the spool" test ! -e "$SPOOL"

[ "$FAILS" = 0 ] || dump
finish
