#!/usr/bin/env bash
# Attachments: the timeline shows name, kind and size; selection o
# downloads into the download directory with a progress bar (Esc cancels)
# and, with no display, says "saved to PATH";
# again as "name (1).ext"; /download under haos run prints the path.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
DL=$TMP/dl
CFG_EXTRA="[files]
download_dir = $DL"
haos_login
HAOS_ENV="DISPLAY= WAYLAND_DISPLAY="
GENERAL=$(room_id general "$BOB_TOKEN")

# Bob uploads a file and posts it as m.file in general.
printf 'quarterly numbers: 42\n\x00\x01\xff end\n' >"$TMP/report.src"
python3 - "$HS_URL" "$BOB_TOKEN" "$GENERAL" "$TMP/report.src" <<'PY' ||
import json, sys, urllib.request
url, tok, room, path = sys.argv[1:5]
data = open(path, "rb").read()
auth = {"Authorization": "Bearer " + tok}
r = urllib.request.Request(url + "/_matrix/media/v3/upload?filename=report.txt",
    data=data, method="POST", headers=dict(auth, **{"Content-Type": "text/plain"}))
mxc = json.load(urllib.request.urlopen(r, timeout=10))["content_uri"]
body = {"msgtype": "m.file", "body": "../report.txt", "url": mxc,
        "info": {"size": len(data), "mimetype": "text/plain"}}
q = urllib.request.quote
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/m.room.message/dl1"
    % q(room, safe=""), data=json.dumps(body).encode(), method="PUT",
    headers=dict(auth, **{"Content-Type": "application/json"}))
urllib.request.urlopen(r, timeout=10)
PY
	{ echo "could not post the file"; exit 1; }
SIZE=$(stat -c %s "$TMP/report.src")

haos_start 120 40
check "client up" wait_for "Heads-up: the office is closed" 30
keys "/goto general" Enter
check "the attachment shows name, kind and size" \
	wait_for "[file: ../report.txt, $SIZE B]" 15

# Select it (the newest message) and press o while the server holds the
# answer: a progress bar; Esc cancels and leaves nothing.
hs_call POST /_test/faults "" '{"faults": [{"action": "delay", "path": "/media/download/", "ms": 4000}]}' >/dev/null
keys M-s; sleep 0.3; keys o
check "a progress bar in the status line" \
	wait_for "downloading 0 B of $SIZE B [----------] 0% - Esc cancels" 5
keys Escape
check "Esc cancels the download" wait_for "download cancelled" 5
check "the cancelled download left no file" test "$(ls -A "$DL" | wc -l)" = 0
hs_call DELETE /_test/faults "" >/dev/null

# o again: no display, so it is saved.
keys o
check "the status line says where it was saved" \
	wait_for "saved to $DL/report.txt" 15
check "the file has the uploaded bytes" cmp -s "$TMP/report.src" "$DL/report.txt"
keys o
check "again: a new name, never over the first" \
	wait_for "saved to $DL/report (1).txt" 15
check "the second copy has the same bytes" \
	cmp -s "$TMP/report.src" "$DL/report (1).txt"
check "nothing else in the directory" test "$(ls -A "$DL" | wc -l)" = 2
keys Escape; sleep 0.5

keys "/quit" Enter
check "client quit" wait_for "HAOS-EXITED 0" 10

# haos run: the newest attachment of the channel.
"$HAOS_BIN" --config "$CFG" run --channel general "/download last" \
	>"$TMP/run.out" 2>"$TMP/run.err"; rc=$?
check "haos run /download exits 0 ($rc: $(cat "$TMP/run.err"))" test "$rc" = 0
check "haos run prints the path ($(cat "$TMP/run.out"))" \
	grep -qF "saved to $DL/report (2).txt" "$TMP/run.out"
check "the third copy has the same bytes" \
	cmp -s "$TMP/report.src" "$DL/report (2).txt"

[ "$FAILS" = 0 ] || dump
finish
