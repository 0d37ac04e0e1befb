#!/usr/bin/env bash
# A refused device key, as the user sees it: bob's device comes back from
# /keys/query with other keys (a server handing out an attacker's keys),
# and haos says so in the status line, marks Bob in the member list and
# names the device in his profile; a new device claiming another one's
# key is told too; at the next start the warnings from before are told
# once, with "!" on an ASCII terminal.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

WARN=$'\xe2\x9a\xa0'

hs_start
seed_world
haos_login
RANDOM_ROOM=$(room_id random "$ALICE_TOKEN")
q() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
STORE=$XDG_DATA_HOME/haos/default/store.sqlite3

# bob_device DEVICE: bob logged in on DEVICE; prints its access token.
bob_device() {
	hs_call POST /_matrix/client/v3/login "" \
		"{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"bob\"},\"password\":\"bob-password\",\"device_id\":\"$1\"}" |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# upload_keys TOKEN DEVICE KEYS: device keys of bob's DEVICE made of the
# key pair kept in $TMP/KEYS (made the first time), self-signed, uploaded
# as a client would.  The test homeserver takes a changed key for a known
# device, as a server under an attacker's control would hand it out.
upload_keys() {
	# Debian's python3-cryptography (make deps installs it).
	"${HAOS_ORACLE_PYTHON:-/usr/bin/python3}" - "$HS_URL" "$1" "$2" "$TMP/$3.keys" <<'PY'
import base64, json, os, sys, urllib.request
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives import serialization as ser
url, tok, dev, path = sys.argv[1:5]
if not os.path.exists(path):
    with open(path, "wb") as f:
        f.write(os.urandom(64))
seed = open(path, "rb").read()
sk = ed25519.Ed25519PrivateKey.from_private_bytes(seed[:32])
ck = x25519.X25519PrivateKey.from_private_bytes(seed[32:])
raw = lambda k: k.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
uid = "@bob:haos.test"
dk = {"user_id": uid, "device_id": dev,
      "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
      "keys": {"ed25519:" + dev: b64(raw(sk.public_key())),
               "curve25519:" + dev: b64(raw(ck.public_key()))}}
canon = json.dumps(dk, sort_keys=True, separators=(",", ":"),
                   ensure_ascii=False).encode()
dk["signatures"] = {uid: {"ed25519:" + dev: b64(sk.sign(canon))}}
r = urllib.request.Request(url + "/_matrix/client/v3/keys/upload",
    data=json.dumps({"device_keys": dk}).encode(), method="POST",
    headers={"Authorization": "Bearer " + tok,
             "Content-Type": "application/json"})
urllib.request.urlopen(r, timeout=10)
print(dk["keys"]["ed25519:" + dev])
PY
}

# stored_ed25519 DEVICE: bob's DEVICE's key as haos's cache pins it.
stored_ed25519() {
	python3 -c 'import sqlite3,sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
r = db.execute("select ed25519 from devices where user_id = ? and device_id = ?", ("@bob:haos.test", sys.argv[2])).fetchone()
print(r[0] if r else "")' "$STORE" "$1" 2>/dev/null
}

# wait_stored DEVICE KEY [SECONDS]: until haos pinned KEY for DEVICE.
wait_stored() {
	local i n=$(( ${3:-20} * 10 ))
	for ((i = 0; i < n; i++)); do
		[ "$(stored_ed25519 "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. random is encrypted and bob has a device with keys before the start.
r=$(hs_call PUT "/_matrix/client/v3/rooms/$(q "$RANDOM_ROOM")/state/m.room.encryption/" \
	"$ALICE_TOKEN" '{"algorithm":"m.megolm.v1.aes-sha2"}')
check "random encrypted on the server ($r)" test "${r%% *}" = 200
PHONE_TOKEN=$(bob_device BOBPHONE)
KEY_A=$(upload_keys "$PHONE_TOKEN" BOBPHONE phone)
check "bob's phone has keys ($KEY_A)" test -n "$KEY_A"

haos_start 250 40
check "client up" wait_for "Heads-up: the office is closed" 30
keys -l "/goto random"
keys Enter
check "in #random" wait_for "> # random" 10
check "haos pinned the phone's key" wait_stored BOBPHONE "$KEY_A" 30
check "no warning while the keys are the same" bash -c "! tmux -L $TMUX_SOCK capture-pane -p -t h | grep -qF -- '$WARN'"

# 2. The phone comes back with other keys: refused, and shown.
KEY_B=$(upload_keys "$PHONE_TOKEN" BOBPHONE attacker)
check "the server hands out other keys ($KEY_B)" test -n "$KEY_B" -a "$KEY_B" != "$KEY_A"
check "the status line tells it" wait_for "$WARN @bob:haos.test's device BOBPHONE came back with other keys: refused" 30
check "the key pinned stays" test "$(stored_ed25519 BOBPHONE)" = "$KEY_A"
check "Bob is marked in the member list" wait_for "Bob $WARN" 5
check "only Bob is marked" bash -c "! tmux -L $TMUX_SOCK capture-pane -p -t h | grep -qE -- '(Alice|Carol) $WARN'"

# 3. His profile names the device and why.
keys -l "/profile @bob:haos.test"
keys Enter
check "the profile opens" wait_for "Profile of @bob:haos.test" 10
check "the profile names the refused device" wait_for "Refused device: BOBPHONE: came back with other keys, refused" 10
keys q
wait_gone "Profile of @bob:haos.test" 5

# 4. A new device with the phone's key: refused as another device's key.
TAB_TOKEN=$(bob_device BOBTAB)
upload_keys "$TAB_TOKEN" BOBTAB phone >/dev/null
check "a reused key is told" wait_for "$WARN @bob:haos.test's device BOBTAB claims another device's key: refused" 30
check "the copy is not pinned" test -z "$(stored_ed25519 BOBTAB)"

# 5. The next start tells the warnings from before, once; "!" in ASCII.
keys -l "/quit"
keys Enter
check "client quit" wait_for "HAOS-EXITED 0" 10
printf '[ui]\nascii = yes\n' >>"$CFG"
haos_restart
check "the warnings from before are told at the start" wait_for "! @bob:haos.test's device BOBTAB claims another device's key: refused" 30
check "joined with the older one" wait_for "! @bob:haos.test's device BOBPHONE came back" 5
keys -l "/goto random"
keys Enter
check "in #random again" wait_for "> # random" 10
check "Bob is marked with ! in ASCII" wait_for "Bob !" 10
check "no emoji sign in ASCII" bash -c "! tmux -L $TMUX_SOCK capture-pane -p -t h | grep -qF -- '$WARN'"

[ "$FAILS" = 0 ] || dump
finish
