#!/usr/bin/env bash
# `haos run` into an encrypted room (issue #15 Step 5): it shares the
# room key with the other member's device and sends the message
# encrypted before it exits, never in the clear; the other member's haos
# decrypts it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
register alice 'pw-alice-S3cret'
register bob 'pw-bob-S3cret'

# profile NAME: a config file and data/state dirs of its own.
profile() {
	mkdir -p "$TMP/$1"
	cat >"$TMP/$1/config.ini" <<INI
[account]
user = @$1:haos.test
homeserver = $HS_URL
password_command = echo pw-$1-S3cret
INI
}
as() {
	local who=$1; shift
	XDG_DATA_HOME=$TMP/$who/data XDG_STATE_HOME=$TMP/$who/state \
		"$HAOS_BIN" --config "$TMP/$who/config.ini" "$@"
}
profile alice
profile bob
as alice login </dev/null >/dev/null 2>"$TMP/err"
check "alice logs in ($(cat "$TMP/err"))" test -f "$TMP/alice/data/haos/default/session.json"
as bob login </dev/null >/dev/null 2>"$TMP/err"
check "bob logs in ($(cat "$TMP/err"))" test -f "$TMP/bob/data/haos/default/session.json"
tok() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$TMP/$1/data/haos/default/session.json"; }
atok=$(tok alice)
btok=$(tok bob)

room=$(hs_call POST /_matrix/client/v3/createRoom "$atok" '{"preset":"private_chat","invite":["@bob:haos.test"],"initial_state":[{"type":"m.room.encryption","state_key":"","content":{"algorithm":"m.megolm.v1.aes-sha2"}}]}' |
	sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["room_id"])')
hs_call POST "/_matrix/client/v3/join/$room" "$btok" '{}' >/dev/null

# Bob's haos puts his device keys and one-time keys up.  The one-time
# keys go up once a /sync has told the count: one short run must not
# exit before they are on the server (run_wait_keys()).
keys_up() {
	hs_call POST /_matrix/client/v3/keys/query "$atok" '{"device_keys":{"@bob:haos.test":[]}}' |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; d=json.load(sys.stdin)["device_keys"].get("@bob:haos.test",{}); sys.exit(0 if d else 1)'
}
otks_up() {
	hs_call POST /_matrix/client/v3/keys/upload "$btok" '{}' |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("one_time_key_counts",{}).get("signed_curve25519",0) > 0 else 1)'
}
as bob run /help >/dev/null 2>"$TMP/err"
check "bob's device keys are on the server" keys_up
check "and his one-time keys, after one short run" otks_up

hs_call DELETE /_test/requests >/dev/null
as alice run --channel "$room" '/send the-s3cret-words' >/dev/null 2>"$TMP/err"; rc=$?
check "run: sent into the encrypted room ($(cat "$TMP/err"))" test "$rc" = 0
reqs=$(hs_call GET /_test/requests | sed 's/^[0-9]* //')
check "run: no plaintext went to the server" bash -c "! grep -q 's3cret-words' <<<'$reqs'"
only_encrypted() {
	python3 -c '
import json, sys
reqs = json.load(sys.stdin)["requests"]
sends = [r["path"] for r in reqs if "/send/" in r["path"]]
keys = [r["path"] for r in reqs if "/sendToDevice/m.room.encrypted/" in r["path"]]
sys.exit(0 if sends and keys and all("/send/m.room.encrypted/" in p for p in sends) else 1)' <<<"$reqs"
}
check "run: the key went over Olm, the message as m.room.encrypted" only_encrypted
pending=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from outbox where state != \"sent\"").fetchone()[0])' "$TMP/alice/data/haos/default/store.sqlite3")
check "run: nothing left unsent when it exits" test "$pending" = 0

# Bob's haos receives the key and decrypts the message.
decrypted() {
	as bob run /help >/dev/null 2>&1
	python3 -c 'import sqlite3,sys; n=sqlite3.connect(sys.argv[1]).execute("select count(*) from events where e2e = 1 and json_extract(content, \"$.body\") = \"the-s3cret-words\"").fetchone()[0]; sys.exit(0 if n == 1 else 1)' "$TMP/bob/data/haos/default/store.sqlite3"
}
check "bob's haos decrypts the message" decrypted

finish
