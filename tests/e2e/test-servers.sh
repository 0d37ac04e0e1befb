#!/usr/bin/env bash
# Servers in the client: /explore opens a list to pick from, Enter joins
# the chosen server and all its channels; /server invite in the status bar.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login

# Bob makes and publishes a server with haos run (his own profile).
cat >"$TMP/bob.ini" <<INI
[account bob]
user = @bob:haos.test
homeserver = $HS_URL
password = bob-password
INI
chmod 600 "$TMP/bob.ini"
"$HAOS_BIN" --config "$TMP/bob.ini" --profile bob login </dev/null >/dev/null 2>&1
"$HAOS_BIN" --config "$TMP/bob.ini" --profile bob run "/server create Zeta Guild" >/dev/null
"$HAOS_BIN" --config "$TMP/bob.ini" --profile bob run --server "Zeta Guild" \
	"/channel create voice audio" "/server publish on" >/dev/null
check "bob's server is published" test $? = 0

haos_start 160 45
check "client up" wait_for "Heads-up: the office is closed" 30

# 1. /explore: a pick list of public servers.
keys "/explore Zeta" Enter
check "explore opens a pick list" wait_for "Public servers: Enter joins" 10
check "the server with its member count" wait_for "Zeta Guild (1 member)" 5
check "pick list hint" wait_for "Up/Down choose, Enter selects" 2

# 2. Enter joins the chosen server and its channels.
keys Enter
check "joined message in the status bar" wait_for "joined server Zeta Guild and its 2 channels" 10
check "pick list closed" wait_gone "Public servers: Enter joins" 5
zeta=$(room_id "Zeta Guild" "$ALICE_TOKEN")
check "alice is in Zeta Guild (server)" test -n "$zeta"
check "alice is in its voice channel" test -n "$(room_id voice "$ALICE_TOKEN")"
check "alice is in its general channel" test "$(hs_call GET "/_matrix/client/v3/rooms/$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1],safe=""))' "$zeta")/joined_members" "$ALICE_TOKEN" | grep -c '@alice:haos.test')" = 1

# 3. Esc closes a pick list without joining.
keys "/explore" Enter
check "explore again" wait_for "Public servers: Enter joins" 10
keys Escape
check "Esc closes it" wait_gone "Public servers: Enter joins" 5

# 4. A GUEST's refusal shows in the status bar, before anything is sent.
keys "/goto Zeta Guild" Enter
sleep 0.5
keys "/channel create spam" Enter
check "permission message in the client" wait_for "channel create needs MODERATOR (50); you are GUEST (0)" 5

# 5. A destructive command says how to confirm first, and the whole of
# what it would do in a dialog, even at 80 columns.
tm resize-window -t h -x 80 -y 24
keys "/goto Acme" Enter
check "back in Acme at 80x24" wait_for "Acme > # general" 5
keys "/channel delete" Enter
check "80 cols: the status line says how to confirm" wait_for "channel delete: to confirm, type /channel delete" 5
check "a dialog explains it" wait_for "Confirm channel delete" 5
check "the dialog has the command to type" wait_for "  /channel delete general" 2
check "and the whole of its effect (wrapped)" wait_for "leaves it." 2
keys Escape
check "Esc closes the dialog" wait_gone "Confirm channel delete" 5
tm resize-window -t h -x 140 -y 40
keys "/server delete" Enter
check "140 cols: /server delete says how to confirm" wait_for "server delete: to confirm, type /server delete Acme" 5
check "its dialog says what is lost" wait_for "Confirm server delete" 5
keys Escape
check "the server is still there" test -n "$(room_id general "$ALICE_TOKEN")"

[ "$FAILS" = 0 ] || dump
finish
