#!/usr/bin/env bash
# haos login / logout against the test homeserver: session file, prompts,
# profiles, errors, and no secret in a debug log.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
register alice 'pw-alice-S3cret'
register bob 'pw-bob-S3cret'

cfg=$TMP/config.ini
cat >"$cfg" <<INI
[account]
user = @alice:haos.test
homeserver = $HS_URL
password_command = printf 'pw-alice-S3cret\\n'

[account bob]
user = @bob:haos.test
homeserver = $HS_URL/
password_command = echo pw-bob-S3cret
device_name = bob's terminal
INI

# 1. Scripted login with password_command, at debug level.
out=$("$HAOS_BIN" --config "$cfg" --debug login </dev/null 2>"$TMP/err"); rc=$?
check "login exits 0" test "$rc" = 0
check "login says who" grep -q "Logged in as @alice:haos.test" <<<"$out"
sess=$XDG_DATA_HOME/haos/default/session.json
check "session file exists" test -f "$sess"
check "session file is 0600" test "$(stat -c %a "$sess")" = 600
check "data dir is 0700" test "$(stat -c %a "$XDG_DATA_HOME/haos/default")" = 700
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$sess")
device=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_id"])' "$sess")
check "token stored" test -n "$token"
who=$(hs_call GET /_matrix/client/v3/account/whoami "$token")
check "token works (whoami)" grep -q '^200 .*"@alice:haos.test"' <<<"$who"
check "whoami device matches" grep -q "\"$device\"" <<<"$who"
devs=$(hs_call GET /_matrix/client/v3/devices "$token")
check "device display name is 'haos on HOST'" grep -q "\"haos on $(hostname)\"" <<<"$devs"

# 2. The debug log has the requests but never the token or password.
log=$XDG_STATE_HOME/haos/default.log
check "log file is 0600" test "$(stat -c %a "$log")" = 600
check "debug log records the login request" grep -q 'debug http: POST .*/_matrix/client/v3/login -> 200' "$log"
check "token not in log" bash -c "! grep -qF -- '$token' '$log'"
check "password not in log" bash -c "! grep -qF 'pw-alice-S3cret' '$log'"

# 3. A second login is refused while the session exists.
"$HAOS_BIN" --config "$cfg" login </dev/null 2>"$TMP/err"; rc=$?
check "second login exits 1" test "$rc" = 1
check "second login explains" grep -q "already logged in as @alice:haos.test" "$TMP/err"

# 4. Profiles: [account bob] has its own session.
"$HAOS_BIN" --config "$cfg" --profile bob login </dev/null >/dev/null 2>"$TMP/err"; rc=$?
check "profile login exits 0" test "$rc" = 0
check "profile session separate" test -f "$XDG_DATA_HOME/haos/bob/session.json"
btoken=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$XDG_DATA_HOME/haos/bob/session.json")
check "bob's device name from config" grep -q "bob's terminal" <<<"$(hs_call GET /_matrix/client/v3/devices "$btoken")"

# 5. Logout invalidates the token and removes the session.
out=$("$HAOS_BIN" --config "$cfg" --debug logout 2>"$TMP/err"); rc=$?
check "logout exits 0" test "$rc" = 0
check "session removed" test ! -e "$sess"
check "old token is dead" grep -q '^401 .*M_UNKNOWN_TOKEN' <<<"$(hs_call GET /_matrix/client/v3/account/whoami "$token")"
check "token not in log after logout" bash -c "! grep -qF -- '$token' '$log'"
"$HAOS_BIN" --config "$cfg" logout 2>"$TMP/err"; rc=$?
check "logout without session exits 1" test "$rc" = 1
check "logout without session explains" grep -q "not logged in" "$TMP/err"

# 6. A token the server already forgot: logout still cleans up, exit 0.
hs_call POST /_matrix/client/v3/logout/all "$btoken" '{}' >/dev/null
"$HAOS_BIN" --config "$cfg" -p bob logout >/dev/null 2>"$TMP/err"; rc=$?
check "logout of a dead token exits 0" test "$rc" = 0
check "dead-token session removed" test ! -e "$XDG_DATA_HOME/haos/bob/session.json"

# 7. Wrong password: exit 1, the server's error on one line.
cat >"$TMP/wrong.ini" <<INI
[account]
user = @alice:haos.test
homeserver = $HS_URL
password_command = echo wrong
INI
"$HAOS_BIN" --config "$TMP/wrong.ini" login </dev/null 2>"$TMP/err"; rc=$?
check "wrong password exits 1" test "$rc" = 1
check "wrong password message" grep -qx 'haos: M_FORBIDDEN: Invalid username or password' "$TMP/err"
check "no session after failed login" test ! -e "$sess"

# 8. Failing password_command.
printf '[account]\nuser = @alice:haos.test\nhomeserver = %s\npassword_command = exit 3\n' "$HS_URL" >"$TMP/pc.ini"
"$HAOS_BIN" --config "$TMP/pc.ini" login </dev/null 2>"$TMP/err"; rc=$?
check "failing password_command exits 1" test "$rc" = 1
check "failing password_command explained" grep -q 'password_command failed (exit status 3)' "$TMP/err"

# 9. Answers piped on standard input: homeserver URL, user name, password.
rm -f "$XDG_CONFIG_HOME/haos/config.ini"
printf '%s\nalice\npw-alice-S3cret\n' "$HS_URL" | "$HAOS_BIN" login >"$TMP/out" 2>"$TMP/err"; rc=$?
check "piped login exits 0" test "$rc" = 0
check "piped login logged in" grep -q "Logged in as @alice:haos.test" "$TMP/out"
"$HAOS_BIN" logout >/dev/null 2>&1

# 10. Interactive login in a terminal: the password is not echoed.
if command -v tmux >/dev/null; then
	TMUX_SOCK=haostest$$
	tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -x 100 -y 10 \
		"env HOME=$HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_DATA_HOME=$XDG_DATA_HOME XDG_STATE_HOME=$XDG_STATE_HOME $HAOS_BIN login; echo EXIT=\$?; sleep 30"
	wait_for() { for _ in $(seq 100); do tmux -L "$TMUX_SOCK" capture-pane -p | grep -q "$1" && return 0; sleep 0.1; done; return 1; }
	check "tty: asks for user id" wait_for "Matrix user id"
	tmux -L "$TMUX_SOCK" send-keys "$HS_URL" Enter
	check "tty: asks for user name" wait_for "User name:"
	tmux -L "$TMUX_SOCK" send-keys "alice" Enter
	check "tty: asks for password" wait_for "Password:"
	tmux -L "$TMUX_SOCK" send-keys "pw-alice-S3cret" Enter
	check "tty: login succeeds" wait_for "EXIT=0"
	screen=$(tmux -L "$TMUX_SOCK" capture-pane -p)
	check "tty: password was not echoed" bash -c "! grep -q 'pw-alice-S3cret' <<<'$screen'"
	check "tty: user name was echoed" grep -q "User name: alice" <<<"$screen"
	tmux -L "$TMUX_SOCK" kill-server
	TMUX_SOCK=
	"$HAOS_BIN" logout >/dev/null 2>&1
else
	fail "tmux is not installed (make deps installs it)"
fi

# 11. Unreachable homeserver: exit 1 with a network error.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[account]\nuser = @alice:haos.test\nhomeserver = http://127.0.0.1:%s\npassword_command = echo x\n' "$port" >"$TMP/down.ini"
"$HAOS_BIN" --config "$TMP/down.ini" login </dev/null 2>"$TMP/err"; rc=$?
check "unreachable server exits 1" test "$rc" = 1
check "unreachable server explained" grep -qi 'connect' "$TMP/err"

# 12. A readable config with a plaintext password is refused (exit 2).
printf '[account]\nuser = @alice:haos.test\nhomeserver = %s\npassword = pw-alice-S3cret\n' "$HS_URL" >"$TMP/pw.ini"
chmod 644 "$TMP/pw.ini"
"$HAOS_BIN" --config "$TMP/pw.ini" login </dev/null 2>"$TMP/err"; rc=$?
check "world-readable password file exits 2" test "$rc" = 2
check "world-readable password file explained" grep -q 'chmod 600' "$TMP/err"
chmod 600 "$TMP/pw.ini"
"$HAOS_BIN" --config "$TMP/pw.ini" login </dev/null >/dev/null 2>"$TMP/err"; rc=$?
check "0600 password file logs in" test "$rc" = 0

# Hostile server text never reaches the terminal raw: an error whose text
# holds OSC 2 (title), OSC 52 (clipboard), CSI, C1 controls and bidi.
hs_call POST /_test/faults "" '{"faults":[{"action":"status","method":"POST","path":"/login","status":403,"errcode":"M_FORBIDDEN","error":"no \u001b]2;pwned\u0007 \u001b]52;c;cHduZWQ=\u0007 \u001b[31mred \u009b31m c1 \u009d0;t\u009c \u202eevil end"}]}' >/dev/null
XDG_DATA_HOME=$TMP/hostile "$HAOS_BIN" --config "$cfg" login </dev/null >"$TMP/h.out" 2>"$TMP/h.err"; rc=$?
check "hostile error: login fails" test "$rc" = 1
check "hostile error: the message is shown" grep -q "no .*red .*c1 .*evil end" "$TMP/h.err"
check "hostile error: no ESC, BEL or C1 on stderr" python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in (b"\x1b", b"\x07", b"\xc2\x9b", b"\xc2\x9c", b"\xc2\x9d", b"\xe2\x80\xae") if c in b]
sys.exit(1 if bad else 0)' "$TMP/h.err"
check "hostile error: nothing on stdout" test ! -s "$TMP/h.out"

finish
