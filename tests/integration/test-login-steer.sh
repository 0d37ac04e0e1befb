#!/usr/bin/env bash
# A login answer cannot steer the session into another account: an answer
# for another user than the one asked for is refused, and its token is
# logged out again.  (The https -> http well_known case is unit-tested in
# check_matrix.c and the .well-known one in test-discovery.sh.)  The
# server is a stand-in that answers /versions, /login and /logout.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
echo '@mallory:haos.test' >"$TMP/answer-user"
python3 - "$PORT" "$TMP/answer-user" "$TMP/requests" >"$TMP/fake.log" 2>&1 <<'PY' &
import http.server, json, sys
port, user_file, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        with open(log, "a") as f: f.write("GET %s\n" % self.path)
        self.answer({"versions": ["v1.2"]})
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(log, "a") as f: f.write("POST %s\n" % self.path)
        if self.path.endswith("/login"):
            self.answer({"user_id": open(user_file).read().strip(),
                         "access_token": "stray-token", "device_id": "DEV",
                         "well_known": {"m.homeserver": {
                             "base_url": "http://haos-insecure.invalid/"}}})
        else:
            self.answer({})
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break
	sleep 0.1
done

cat >"$TMP/carol.ini" <<INI
[account]
user = @carol:haos.test
homeserver = http://127.0.0.1:$PORT
password_command = echo pw-carol
INI
"$HAOS_BIN" --config "$TMP/carol.ini" login </dev/null >"$TMP/out" 2>"$TMP/err"; rc=$?
check "a login answer for another user exits non-zero" test "$rc" != 0
check "mismatch explained" grep -q 'logged in @mallory:haos.test, not the @carol:haos.test asked for' "$TMP/err"
check "mismatch: one line on stderr" test "$(wc -l <"$TMP/err")" = 1
check "no session for the wrong user" test ! -e "$XDG_DATA_HOME/haos/default/session.json"
check "the stray token is logged out" grep -q '^POST /_matrix/client/v3/logout' "$TMP/requests"

# The same answer for the user asked for is a login.
echo '@carol:haos.test' >"$TMP/answer-user"
"$HAOS_BIN" --config "$TMP/carol.ini" login </dev/null >"$TMP/out" 2>"$TMP/err"; rc=$?
check "the right user logs in" test "$rc" = 0
check "a session is written" test -e "$XDG_DATA_HOME/haos/default/session.json"
finish
