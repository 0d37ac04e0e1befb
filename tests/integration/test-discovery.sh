#!/usr/bin/env bash
# .well-known discovery over real TLS: haos finds the homeserver from the
# user id alone, verifies the certificate (ca_file), refuses a
# certificate it cannot verify, and refuses a .well-known that names a
# plain http:// homeserver on another machine (the password would follow).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# The user id's server is localhost:TLS_PORT, served over HTTPS by a small
# .well-known server whose self-signed certificate is our ca_file.
TLS_PORT=$(free_port)
hs_start "localhost:$TLS_PORT"
register carol 'pw-carol-S3cret'

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -keyout "$TMP/key.pem" \
	-out "$TMP/cert.pem" 2>/dev/null
echo "$HS_URL/" >"$TMP/wk-base"
python3 - "$TLS_PORT" "$TMP/cert.pem" "$TMP/key.pem" "$TMP/wk-base" >"$TMP/wk.log" 2>&1 <<'PY' &
import http.server, json, ssl, sys
port, cert, key, base = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/.well-known/matrix/client":
            hs = open(base).read().strip()
            body = json.dumps({"m.homeserver": {"base_url": hs}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            body = b'{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}'
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
WK_PID=$!
trap 'kill $WK_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 50); do
	python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$TLS_PORT),1)" 2>/dev/null && break
	sleep 0.1
done

cat >"$TMP/ok.ini" <<INI
[account]
user = @carol:localhost:$TLS_PORT
password_command = echo pw-carol-S3cret

[network]
ca_file = $TMP/cert.pem
INI
out=$("$HAOS_BIN" --config "$TMP/ok.ini" --debug login </dev/null 2>"$TMP/err"); rc=$?
check "login by discovery exits 0" test "$rc" = 0
check "logged in on the discovered homeserver" grep -q "on $HS_URL " <<<"$out"
check "log names the discovered homeserver" grep -q "discovered homeserver $HS_URL for localhost:$TLS_PORT" "$XDG_STATE_HOME/haos/default.log"
check "session records the discovered URL" grep -q "\"homeserver\": \"$HS_URL\"" "$XDG_DATA_HOME/haos/default/session.json"
"$HAOS_BIN" --config "$TMP/ok.ini" logout >/dev/null 2>&1

# Without our CA the certificate cannot be verified: no login.
sed '/^\[network\]/,$d' "$TMP/ok.ini" >"$TMP/noca.ini"
"$HAOS_BIN" --config "$TMP/noca.ini" login </dev/null >/dev/null 2>"$TMP/err"; rc=$?
check "unverifiable certificate exits 1" test "$rc" = 1
check "unverifiable certificate explained" grep -qiE 'certificate|SSL' "$TMP/err"
check "one line on stderr" test "$(wc -l <"$TMP/err")" = 1
check "no session without verification" test ! -e "$XDG_DATA_HOME/haos/default/session.json"

# The .well-known, fetched over https, names plain http on another host:
# no password goes there (a loopback http URL, as above, is fine).
echo "http://haos-insecure.invalid:${HS_URL##*:}/" >"$TMP/wk-base"
"$HAOS_BIN" --config "$TMP/ok.ini" login </dev/null >/dev/null 2>"$TMP/err"; rc=$?
check "http:// from an https .well-known exits 1" test "$rc" = 1
check "downgrade explained" grep -q 'names the homeserver http://haos-insecure.invalid.*plain http' "$TMP/err"
check "downgrade: one line on stderr" test "$(wc -l <"$TMP/err")" = 1
check "no session after a downgrade" test ! -e "$XDG_DATA_HOME/haos/default/session.json"

finish
