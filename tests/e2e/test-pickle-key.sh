#!/usr/bin/env bash
# The device identity (issue #15, Step 1) as the user meets it: the first
# start makes the pickle key (0600, 32 bytes) and uploads signed device
# keys; a restart keeps the identity; a pickle key that is open to others
# or does not open the identity stops haos with the reason on the screen
# and changes nothing; logout deletes the key with the cache.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
DATA=$XDG_DATA_HOME/haos/default
KEY=$DATA/pickle-key
SESSION=$DATA/session.json
DEV=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_id"])' "$SESSION")

# ed25519 key of alice's device as bob sees it through /keys/query ("" if none).
server_ed() {
	hs_call POST /_matrix/client/v3/keys/query "$BOB_TOKEN" \
		'{"device_keys":{"@alice:haos.test":[]}}' | sed 's/^[0-9]* //' |
		python3 -c 'import json,sys; d=json.load(sys.stdin)["device_keys"].get("@alice:haos.test",{}).get(sys.argv[1],{}); print(d.get("keys",{}).get("ed25519:"+sys.argv[1],""))' "$DEV"
}
pickle() {
	python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute("select pickle from olm_account").fetchone(); print(r[0] if r else "")' "$DATA/store.sqlite3"
}
quit() { keys -l "/quit"; keys Enter; wait_for "HAOS-EXITED 0" 10 || dump; }
# The reason is longer than the pane is wide: the screen with wrapped lines joined.
joined() { tm capture-pane -p -J -t h; }

check "no pickle key before the first start" test ! -e "$KEY"
haos_start 120 40
check "connected" wait_for "connected" 20 || dump
ED=
for ((i = 0; i < 100; i++)); do
	ED=$(server_ed)
	[ -n "$ED" ] && break
	sleep 0.1
done
check "device keys on the server" test -n "$ED"
check "pickle key: mode 0600, 32 bytes ($(stat -c '%a %s' "$KEY"))" \
	test "$(stat -c '%a %s' "$KEY")" = "600 32"
check "the key is not in the cache" bash -c "! grep -qF \"\$(od -An -tx1 '$KEY' | tr -d ' \n')\" <(od -An -tx1 '$DATA/store.sqlite3' | tr -d ' \n')"
quit
P1=$(pickle)
check "the identity is in the cache" test -n "$P1"

# A restart: the same identity, nothing made again.
haos_restart
check "connected again" wait_for "connected" 20 || dump
sleep 1
check "same device keys after a restart" test "$(server_ed)" = "$ED"
quit

# A key open to others: refused with the reason; the file is left as it is.
chmod 644 "$KEY"
haos_restart
wait_for "HAOS-EXITED" 15
check "mode refused on screen" grep -qF "mode 0644, not 0600: refused; nothing changed" <<<"$(joined)"
check "haos exits 1" wait_for "HAOS-EXITED 1" 5 || dump
check "mode left alone" test "$(stat -c '%a' "$KEY")" = 644
chmod 600 "$KEY"

# Another key: refused with the reason; the stored identity is unchanged.
cp "$KEY" "$TMP/good-key"
head -c 32 /dev/urandom >"$TMP/bad-key"
chmod 600 "$TMP/bad-key"
mv "$TMP/bad-key" "$KEY"
haos_restart
wait_for "HAOS-EXITED" 15
check "wrong key refused on screen" grep -qF "does not open the stored identity (OLM_BAD_ACCOUNT_KEY): nothing changed" <<<"$(joined)"
check "haos exits 1 (wrong key)" wait_for "HAOS-EXITED 1" 5 || dump
check "the identity is unchanged" test "$(pickle)" = "$P1"
check "the server keys are unchanged" test "$(server_ed)" = "$ED"
check "the wrong key file is left" bash -c "! cmp -s '$KEY' '$TMP/good-key'"

# The right key back: the same identity again.
cp "$TMP/good-key" "$KEY"
haos_restart
check "connected with the right key" wait_for "connected" 20 || dump
quit
check "same identity with the right key" test "$(pickle)" = "$P1" -o "$(server_ed)" = "$ED"

# Logout deletes the key with the cache.
"$HAOS_BIN" --config "$CFG" logout </dev/null >/dev/null 2>&1
check "logout deletes the pickle key" test ! -e "$KEY"
check "logout deletes the cache" test ! -e "$DATA/store.sqlite3"
check "no key in the log" bash -c "! grep -qF \"\$(base64 -w0 '$TMP/good-key' | tr -d '=')\" '$XDG_STATE_HOME/haos/default.log'"
grep -q 'device identity' "$XDG_STATE_HOME/haos/default.log"
check "the log names the identity by key id" grep -q "key id ed25519:$DEV" "$XDG_STATE_HOME/haos/default.log"

finish
