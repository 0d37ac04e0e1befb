#!/usr/bin/env bash
# Server invites: /invite sends one invite (the server's; its channels are
# open to members), a server invite is one rail entry with the channel
# invites of that server folded in, Alt+N reaches it, Alt+a accepts all of
# it and moves on to the next invite, Alt+d declines all of it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login

q() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# children SPACE TOKEN: the room ids a space lists (m.space.child).
children() {
	hs_call GET "/_matrix/client/v3/rooms/$(q "$1")/state" "$2" | sed 's/^[0-9]* //' |
		python3 -c 'import json, sys
for e in json.load(sys.stdin):
    if e["type"] == "m.space.child" and e["content"].get("via"):
        print(e["state_key"])'
}

# membership ROOM USER TOKEN: USER's membership in ROOM, or "none".
membership() {
	hs_call GET "/_matrix/client/v3/rooms/$(q "$1")/state/m.room.member/$(q "$2")" "$3" |
		sed 's/^[0-9]* //' | python3 -c 'import json, sys
print(json.load(sys.stdin).get("membership", "none"))'
}

# Bob has two servers of his own, made with haos run.
cat >"$TMP/bob.ini" <<INI
[account bob]
user = @bob:haos.test
homeserver = $HS_URL
password = bob-password
INI
chmod 600 "$TMP/bob.ini"
bob() { "$HAOS_BIN" --config "$TMP/bob.ini" --profile bob run "$@"; }
"$HAOS_BIN" --config "$TMP/bob.ini" --profile bob login </dev/null >/dev/null 2>&1
bob "/server create Zeta Team" >/dev/null
bob --server "Zeta Team" "/channel create random" >/dev/null
bob "/server create Omega Crew" >/dev/null
bob --server "Omega Crew" "/channel create dev" >/dev/null
zeta=$(room_id "Zeta Team" "$BOB_TOKEN")
omega=$(room_id "Omega Crew" "$BOB_TOKEN")
check "bob's servers exist" test -n "$zeta" -a -n "$omega"

# 1. /invite: one invite, to the server; its channels are restricted to
# the server's members and need none.
out=$(bob --server "Zeta Team" "/invite @alice:haos.test" 2>&1)
check "/invite reports" grep -q "invited" <<<"$out"
check "alice is invited to the server" test "$(membership "$zeta" @alice:haos.test "$BOB_TOKEN")" = invite
zkids=$(children "$zeta" "$BOB_TOKEN")
check "Zeta Team has two channels" test "$(wc -l <<<"$zkids")" = 2
for c in $zkids; do
	check "no invite to a restricted channel ($c)" test "$(membership "$c" @alice:haos.test "$BOB_TOKEN")" = none
done

# Channel invites as another client (or an older haos) sends them: one
# per channel, which must still show as part of the server's invite.
for c in $zkids; do
	hs_call POST "/_matrix/client/v3/rooms/$(q "$c")/invite" "$BOB_TOKEN" \
		'{"user_id":"@alice:haos.test"}' >/dev/null
done
okids=$(children "$omega" "$BOB_TOKEN")
for r in "$omega" $okids; do
	hs_call POST "/_matrix/client/v3/rooms/$(q "$r")/invite" "$BOB_TOKEN" \
		'{"user_id":"@alice:haos.test"}' >/dev/null
done

haos_start 140 40
check "client up" wait_for "Heads-up: the office is closed" 30

# 2. One rail entry per server invite; the channel invites are not listed
# on their own under Direct Messages.
check "Zeta Team's invite on the rail" wait_for "+ZT " 10
check "Omega Crew's invite on the rail" wait_for "+OC " 10
keys M-1
check "Direct Messages selected" wait_for "DIRECT MESSAGES" 5
sleep 0.5
check "no loose channel invites under Direct Messages" bash -c '! grep -qE "(general|random|dev) from Bob" <<<"$(tmux -L '"$TMUX_SOCK"' capture-pane -p -t h)"'
check "no INVITES heading for them" bash -c '! grep -q "INVITES" <<<"$(tmux -L '"$TMUX_SOCK"' capture-pane -p -t h)"'

# 3. Alt+N reaches the invites: numbered after the servers (1 is Direct
# Messages, 2 Acme), in the order they are drawn.
keys M-4
check "Alt+4: Zeta Team's invite card" wait_for "Bob invited you to Zeta Team" 5
check "the card lists the channels that come with it" wait_for "and its channels #general, #random" 5
check "the entry shows its channels" wait_for "WITH CHANNELS" 2
keys M-3
check "Alt+3: Omega Crew's invite card" wait_for "Bob invited you to Omega Crew" 5
check "Omega Crew comes with #dev" wait_for "and its channels #dev" 5
keys M-4
check "back on Zeta Team" wait_for "Bob invited you to Zeta Team" 5

# 4. Alt+a joins the server and all of its channels, and moves on to the
# next invite.  (/goto too reaches an invite.)
keys "/goto Zeta Team" Enter
check "/goto: Zeta Team's invite card" wait_for "Bob invited you to Zeta Team" 5
keys M-a
check "accept joins the server and both channels" wait_for "joined server Zeta Team and its 2 channels" 10
check "the next invite is selected" wait_for "Bob invited you to Omega Crew" 5
check "server: alice joined Zeta Team" test "$(membership "$zeta" @alice:haos.test "$BOB_TOKEN")" = join
for c in $zkids; do
	check "server: alice joined its channel $c" test "$(membership "$c" @alice:haos.test "$BOB_TOKEN")" = join
done
check "Zeta Team is a server now" wait_gone "+ZT " 10

# 5. Alt+d declines the server and each of its channel invites.
keys "/goto Omega Crew" Enter
check "/goto: Omega Crew's invite card" wait_for "Bob invited you to Omega Crew" 5
keys M-d
check "decline reports all of it" wait_for "invite to Omega Crew: declined in 3 invites" 10
check "server: Omega Crew declined" test "$(membership "$omega" @alice:haos.test "$BOB_TOKEN")" = leave
for c in $okids; do
	check "server: its channel invite declined ($c)" test "$(membership "$c" @alice:haos.test "$BOB_TOKEN")" = leave
done
check "declined server leaves the rail" wait_gone "+OC " 10
keys M-1
sleep 0.5
check "nothing of it is left under Direct Messages" bash -c '! grep -q "dev from Bob" <<<"$(tmux -L '"$TMUX_SOCK"' capture-pane -p -t h)"'

[ "$FAILS" = 0 ] || dump
finish
