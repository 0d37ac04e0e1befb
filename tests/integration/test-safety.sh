#!/usr/bin/env bash
# Hostile files and planted paths: config errors show escapes instead of
# obeying them, a 0777 data dir is made private, a log symlink is not
# followed, and `haos run` never writes message text to the log.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

ESC=$'\033'

# 1. Escape sequences in a config file's section and key names.
printf '[acc\033]0;pwned\007ount]\nuser = @a:b\n' >"$TMP/sect.ini"
"$HAOS_BIN" --config "$TMP/sect.ini" run /help >/dev/null 2>"$TMP/err"
check "config: bad section is an error" grep -q 'unknown section' "$TMP/err"
check "config: section's ESC shown as \\x1b" grep -qF '[acc\x1b]' "$TMP/err"
check "config: no raw ESC or BEL on stderr" bash -c \
	"! grep -q \$'[\\033\\007]' '$TMP/err'"
printf '[account]\nus\033[2Jer = @a:b\nhomeserver = http://x\n' >"$TMP/key.ini"
"$HAOS_BIN" --config "$TMP/key.ini" run /help >/dev/null 2>"$TMP/err"
check "config: bad key shown with its escape" \
	grep -qF 'unknown key "us\x1b[2Jer" in [account]' "$TMP/err"
check "config: no raw ESC on stderr" bash -c "! grep -q \$'\\033' '$TMP/err'"

hs_start
register alice 'pw-alice-S3cret'
cfg=$TMP/config.ini
cat >"$cfg" <<INI
[account]
user = @alice:haos.test
homeserver = $HS_URL
password_command = echo pw-alice-S3cret
INI

# 2. A data dir that others may write is made private before use.
data=$XDG_DATA_HOME/haos/default
mkdir -p "$data"
chmod 0777 "$data"
"$HAOS_BIN" --config "$cfg" login </dev/null >/dev/null 2>"$TMP/err"
check "login into a 0777 data dir works ($(cat "$TMP/err"))" \
	test -f "$data/session.json"
check "the data dir is now 0700" test "$(stat -c %a "$data")" = 700

# 3. A symlink planted as the log is not followed.
mkdir -p "$XDG_STATE_HOME/haos"
rm -f "$XDG_STATE_HOME/haos/default.log"
echo precious >"$TMP/victim"
chmod 0644 "$TMP/victim"
ln -s "$TMP/victim" "$XDG_STATE_HOME/haos/default.log"
"$HAOS_BIN" --config "$cfg" run /help >/dev/null 2>"$TMP/err"
check "log symlink: haos says it cannot open the log" \
	grep -q 'cannot open log' "$TMP/err"
check "log symlink: the target is untouched" \
	test "$(cat "$TMP/victim")" = precious
check "log symlink: the target's mode is untouched" \
	test "$(stat -c %a "$TMP/victim")" = 644
rm -f "$XDG_STATE_HOME/haos/default.log"

# 4. haos run logs command names, never what was said.
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$data/session.json")
room=$(hs_call POST /_matrix/client/v3/createRoom "$token" '{"name":"lobby"}' |
	sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["room_id"])')
"$HAOS_BIN" --config "$cfg" --debug run --channel "$room" \
	'/send the-s3cret-words' '/me whispers s3cret-emote' \
	>/dev/null 2>"$TMP/err"; rc=$?
check "run: messages sent ($(cat "$TMP/err"))" test "$rc" = 0
log=$XDG_STATE_HOME/haos/default.log
check "run: the log names the commands" bash -c \
	"grep -q 'run: command: /send' '$log' && grep -q 'run: command: /me' '$log'"
check "run: no message text in the log" bash -c "! grep -q 's3cret' '$log'"
check "run: the log is 0600" test "$(stat -c %a "$log")" = 600
bodies=$(hs_call GET "/_matrix/client/v3/rooms/$room/messages?dir=b&limit=10" "$token")
check "run: the server got the words" grep -q 'the-s3cret-words' <<<"$bodies"

finish
