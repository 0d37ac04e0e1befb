# Shared helpers for the integration scripts: a test homeserver and asserts.
# Source it; it sets HS_URL and cleans up on exit.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HAOS_BIN=${HAOS_BIN:-$ROOT/haos}
TMP=$(mktemp -d /tmp/haos-it.XXXXXX)
export HOME=$TMP/home XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data \
	XDG_STATE_HOME=$TMP/state
mkdir -p "$HOME"
HS_PID=
FAILS=0
PASSES=0

cleanup() {
	[ -n "$HS_PID" ] && kill "$HS_PID" 2>/dev/null && wait "$HS_PID" 2>/dev/null
	[ -n "${TMUX_SOCK:-}" ] && tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Start tests/homeserver on a free port; sets HS_URL. $1: server name.
hs_start() {
	mkfifo "$TMP/hs.fifo"
	python3 "$ROOT/tests/homeserver/server.py" --port 0 \
		--server-name "${1:-haos.test}" >"$TMP/hs.fifo" 2>"$TMP/hs.err" &
	HS_PID=$!
	exec 9<"$TMP/hs.fifo"
	read -r -t 20 line <&9 || { echo "homeserver did not start"; cat "$TMP/hs.err"; exit 1; }
	HS_URL=${line#listening on }
	# Keep draining the server's output so it never blocks on a full pipe.
	cat <&9 >/dev/null &
}

# hs_call METHOD PATH [TOKEN] [JSON]: prints "STATUS BODY".
hs_call() {
	python3 - "$HS_URL" "$@" <<'PY'
import json, sys, urllib.request, urllib.error
url, method, path = sys.argv[1:4]
token = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request(url + path, data=body, method=method)
if token: req.add_header("Authorization", "Bearer " + token)
if body is not None: req.add_header("Content-Type", "application/json")
try:
    r = urllib.request.urlopen(req, timeout=10); print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}

# register LOCALPART PASSWORD: an account through the m.login.dummy flow.
register() {
	PYTHONPATH=$ROOT/tests/homeserver python3 -c \
		'import sys, hsclient; hsclient.register(sys.argv[1], sys.argv[2], sys.argv[3])' \
		"$HS_URL" "$1" "$2"
}

ok()   { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $*"; }

# check DESCRIPTION COMMAND...: the command must succeed.
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" = 0 ]
}
