#!/usr/bin/env bash
# Cross-signing (issue #16, E2EE.md Step 7): `haos run /crosssign`
# bootstraps the account's identity (device_signing/upload with the
# password as user-interactive auth, this device signed through
# signatures/upload); its own /keys/query then lists its device as
# verified, another haos sees it signed by its owner; an account that
# has cross-signing is never reset: a device without its keys is
# refused, one that holds them (made them, or /recovery unlocked them)
# signs itself with them.  A master key that changes holds the
# sender (no key shared, nothing sent) until /trust.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
register alice 'pw-alice-S3cret'
register bob 'pw-bob-S3cret'

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
sess() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/$1/data/haos/default/session.json" "$2"; }
atok=$(sess alice access_token)
btok=$(sess bob access_token)
adev=$(sess alice device_id)

room=$(hs_call POST /_matrix/client/v3/createRoom "$atok" '{"preset":"private_chat","invite":["@bob:haos.test"],"initial_state":[{"type":"m.room.encryption","state_key":"","content":{"algorithm":"m.megolm.v1.aes-sha2"}}]}' |
	sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["room_id"])')
hs_call POST "/_matrix/client/v3/join/$room" "$btok" '{}' >/dev/null

hs_call DELETE /_test/requests >/dev/null
as alice run /crosssign >"$TMP/out" 2>"$TMP/err"; rc=$?
check "crosssign: done ($(cat "$TMP/err"))" test "$rc" = 0
check "crosssign: says so" grep -q 'cross-signing set up' "$TMP/out" "$TMP/err"
reqs=$(hs_call GET /_test/requests | sed 's/^[0-9]* //')
uploads() {
	python3 -c '
import json, sys
reqs = json.load(sys.stdin)["requests"]
paths = [r["path"] for r in reqs]
up = [p for p in paths if p.endswith("/keys/device_signing/upload")]
sig = [p for p in paths if p.endswith("/keys/signatures/upload")]
sys.exit(0 if up and sig and paths.index(up[-1]) < paths.index(sig[0]) else 1)
' <<<"$reqs"
}
check "crosssign: keys uploaded, then the device's signature" uploads
check "crosssign: the password is not in the log" bash -c "! grep -rq 'pw-alice-S3cret' '$TMP/alice/state'"

# The server's view, as bob's client sees it: alice's master key, her
# self-signing key signed by it, her device signed by the self-signing key.
signed_on_server() {
	hs_call POST /_matrix/client/v3/keys/query "$btok" '{"device_keys":{"@alice:haos.test":[]}}' |
		sed 's/^[0-9]* //' | python3 -c '
import json, sys
a = json.load(sys.stdin); u = "@alice:haos.test"; dev = sys.argv[1]
msk = list(a["master_keys"][u]["keys"].values())[0]
ssk = list(a["self_signing_keys"][u]["keys"].values())[0]
assert "ed25519:" + msk in a["self_signing_keys"][u]["signatures"][u]
assert "ed25519:" + ssk in a["device_keys"][u][dev]["signatures"][u]
' "$adev"
}
check "server: alice's device is signed by her self-signing key" signed_on_server

# Alice's own haos: its /keys/query shows this device verified.
own_verified() {
	local i
	for i in 1 2 3 4 5; do
		as alice run /devices >"$TMP/out" 2>&1
		grep -q "identity verified" "$TMP/out" &&
			grep -q "^ *$adev .* verified$" "$TMP/out" && return 0
		sleep 1
	done
	cat "$TMP/out"
	return 1
}
check "devices: alice's own device is verified" own_verified

# Bob's haos sees alice's device signed by its owner (he has not
# verified alice herself).
bob_sees() {
	local i
	for i in 1 2 3 4 5; do
		as bob run "/devices @alice:haos.test" >"$TMP/out" 2>&1
		grep -q "^ *$adev .*unverified (signed by its owner)$" \
			"$TMP/out" && return 0
		sleep 1
	done
	cat "$TMP/out"
	return 1
}
check "devices: bob sees alice's device signed by its owner" bob_sees

# A second /crosssign never resets the identity: the device holds the
# keys it made (sealed), so it only signs itself again.
hs_call DELETE /_test/requests >/dev/null
as alice run /crosssign >"$TMP/out" 2>&1; rc=$?
check "crosssign again: done ($(tail -1 "$TMP/out"))" test "$rc" = 0
reqs=$(hs_call GET /_test/requests | sed 's/^[0-9]* //')
check "crosssign again: no new keys uploaded" bash -c "! grep -q 'device_signing/upload' <<<'$reqs'"
check "server: still the same signed device" signed_on_server
# Any later run holds the keys, ready to sign what it verifies.
: >"$(ls "$TMP"/alice/state/haos/*.log | head -1)"
as alice run /help >/dev/null 2>&1
check "a later run has the keys to sign with" grep -rq 'cross-signing keys ready to sign' "$TMP/alice/state"

# Bob gets a master key, then another one (any 32 bytes: only a key's
# form is checked at the top of the chain).
newkey() { python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode().rstrip("="))'; }
bob_msk() {
	local k=$1
	hs_call POST /_matrix/client/v3/keys/device_signing/upload "$btok" \
		"{\"master_key\":{\"user_id\":\"@bob:haos.test\",\"usage\":[\"master\"],\"keys\":{\"ed25519:$k\":\"$k\"}},\"auth\":{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"@bob:haos.test\"},\"password\":\"pw-bob-S3cret\"}}" |
		cut -d' ' -f1
}
as bob run /help >/dev/null 2>&1	# bob's device keys go up
k1=$(newkey)
check "bob publishes a master key" test "$(bob_msk "$k1")" = 200
as alice run /devices >/dev/null 2>&1	# pins bob's first key
as alice run /devices >/dev/null 2>&1
k2=$(newkey)
check "bob publishes another master key" test "$(bob_msk "$k2")" = 200
changed() {
	local i
	for i in 1 2 3 4 5; do
		as alice run "/devices @bob:haos.test" >"$TMP/out" 2>&1
		grep -q "identity CHANGED" "$TMP/out" && return 0
		sleep 1
	done
	cat "$TMP/out"
	return 1
}
check "devices: bob's identity changed" changed

hs_call DELETE /_test/requests >/dev/null
timeout 60 bash -c "XDG_DATA_HOME=$TMP/alice/data XDG_STATE_HOME=$TMP/alice/state \
	'$HAOS_BIN' --config '$TMP/alice/config.ini' run --channel '$room' '/send held-words'" \
	>"$TMP/out" 2>&1; rc=$?
check "send while bob's identity changed: not sent" test "$rc" != 0
reqs=$(hs_call GET /_test/requests | sed 's/^[0-9]* //')
check "held: nothing went to the room" bash -c "! grep -q '/send/m.room.encrypted/' <<<'$reqs'"
check "held: no room key to bob" bash -c "! grep -q '/sendToDevice/' <<<'$reqs'"

as alice run "/trust @bob:haos.test" >"$TMP/out" 2>&1; rc=$?
check "trust: accepted ($(cat "$TMP/out"))" test "$rc" = 0
check "trust: says so" grep -q "new identity is trusted" "$TMP/out"
hs_call DELETE /_test/requests >/dev/null
as alice run --channel "$room" '/retry' >"$TMP/out" 2>&1
sent_now() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		hs_call GET /_test/requests | grep -q '/send/m.room.encrypted/' && return 0
		as alice run /help >/dev/null 2>&1
		sleep 1
	done
	return 1
}
check "after /trust the held message goes" sent_now

# Case b: alice's identity exists; a new device of hers gets the keys
# through secret storage (/recovery new on the first device uploads the
# seeds /crosssign sealed; /recovery on the second unlocks them), then
# /crosssign signs the new device with the self-signing key, no reset.
as alice run "/recovery new" </dev/null >"$TMP/out" 2>&1; rc=$?
check "recovery new: done ($(tail -1 "$TMP/out"))" test "$rc" = 0
rkey=$(sed -n 's/.*haos does not keep it): //p' "$TMP/out")
check "recovery new: a key shown" test -n "$rkey"
mkdir -p "$TMP/alice2"
sed "s/^password_command.*/password_command = echo pw-alice-S3cret/" \
	"$TMP/alice/config.ini" >"$TMP/alice2/config.ini"
as alice2 login </dev/null >/dev/null 2>"$TMP/err"
check "alice logs in a second device ($(cat "$TMP/err"))" test -f "$TMP/alice2/data/haos/default/session.json"
adev2=$(sess alice2 device_id)
as alice2 run /help >/dev/null 2>&1	# its keys up, ours queried
as alice2 run /help >/dev/null 2>&1
hs_call DELETE /_test/requests >/dev/null
as alice2 run /crosssign >"$TMP/out" 2>&1; rc=$?
check "crosssign without the keys: refused" test "$rc" != 0
check "crosssign without the keys: says why" grep -q 'already has cross-signing' "$TMP/out"
reqs=$(hs_call GET /_test/requests | sed 's/^[0-9]* //')
check "crosssign without the keys: nothing uploaded" bash -c "! grep -qE 'device_signing/upload|signatures/upload' <<<'$reqs'"
echo "$rkey" | as alice2 run /recovery >"$TMP/out" 2>&1; rc=$?
check "recovery on the new device ($(tail -1 "$TMP/out"))" test "$rc" = 0
hs_call DELETE /_test/requests >/dev/null
as alice2 run /crosssign >"$TMP/out" 2>&1; rc=$?
check "crosssign on the new device: done ($(tail -1 "$TMP/out"))" test "$rc" = 0
reqs=$(hs_call GET /_test/requests | sed 's/^[0-9]* //')
check "crosssign on the new device: no new keys uploaded" bash -c "! grep -q 'device_signing/upload' <<<'$reqs'"
check "crosssign on the new device: its signature uploaded" grep -q 'keys/signatures/upload' <<<"$reqs"
dev2_signed() {
	hs_call POST /_matrix/client/v3/keys/query "$btok" '{"device_keys":{"@alice:haos.test":[]}}' |
		sed 's/^[0-9]* //' | python3 -c '
import json, sys
a = json.load(sys.stdin); u = "@alice:haos.test"; dev = sys.argv[1]
ssk = list(a["self_signing_keys"][u]["keys"].values())[0]
assert "ed25519:" + ssk in a["device_keys"][u][dev]["signatures"][u]
' "$adev2"
}
check "server: the new device is signed by the same self-signing key" dev2_signed
check "the recovery key is not in the logs" bash -c "! grep -rqF '$rkey' '$TMP/alice/state' '$TMP/alice2/state'"

finish
