#!/usr/bin/env bash
# Channels follow their server (issue #14): a channel created after alice
# joined is joined for her and shows in the list, /goto and the switcher;
# one whose m.space.child is removed leaves the server's list; one she
# left is not joined again, and leaving a server leaves those joined.  A voice
# channel says in its header what it is and who is in its call (MatrixRTC
# memberships in the room state, expired ones ignored).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

enc() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
# put_state TOKEN ROOM TYPE KEY JSON: a state event, as the web app would.
put_state() {
	hs_call PUT "/_matrix/client/v3/rooms/$(enc "$2")/state/$3/$(enc "$4")" "$1" "$5" |
		grep -q '^200 '
}

hs_start
seed_world
haos_login

# Bob makes and publishes a server with a voice channel (his own profile).
cat >"$TMP/bob.ini" <<INI
[account bob]
user = @bob:haos.test
homeserver = $HS_URL
password = bob-password
INI
chmod 600 "$TMP/bob.ini"
brun() { "$HAOS_BIN" --config "$TMP/bob.ini" --profile bob run "$@" >/dev/null 2>"$TMP/bob.err"; }
"$HAOS_BIN" --config "$TMP/bob.ini" --profile bob login </dev/null >/dev/null 2>&1
brun "/server create Zeta Guild"
brun --server "Zeta Guild" "/channel create voice audio" "/channel create old" \
	"/server publish on"
check "bob's server is published" test $? = 0

haos_start 160 45
check "client up" wait_for "Heads-up: the office is closed" 30
keys "/explore Zeta" Enter
check "explore lists Zeta Guild" wait_for "Zeta Guild (1 member)" 10
keys Enter
check "alice joined Zeta Guild" wait_for "joined server Zeta Guild and its 3 channels" 10
keys "/goto Zeta Guild" Enter
check "Zeta Guild selected" wait_for "Zeta Guild > # general" 10

# 1. A channel bob creates now is joined for alice and listed.
brun --server "Zeta Guild" "/channel create news"
check "bob created #news" test $? = 0
# (Within NET_CHANNELS_SETTLE_MS of alice's join: joined once it passes.)
check "#news appears in alice's channel list" wait_for "# news" 30
news=$(room_id news "$ALICE_TOKEN")
check "alice is in #news on the server" test -n "$news"
keys "/goto news" Enter
check "/goto finds #news" wait_for "Zeta Guild > # news" 5
keys "/goto general" Enter
check "back in #general" wait_for "Zeta Guild > # general" 5
keys C-k
check "switcher open" wait_for "Switch to" 5
keys -l "news"
sleep 0.3
check "the switcher lists #news" wait_for "#news  Zeta Guild" 5
keys Enter
check "the switcher selects #news" wait_for "Zeta Guild > # news" 5
keys "/goto general" Enter
check "back in #general again" wait_for "Zeta Guild > # general" 5

# 2. The web app unlinks #old (m.space.child emptied, no kick): it leaves
# the server's list, though alice is still in the room and it still names
# the server in its m.space.parent.
zeta=$(room_id "Zeta Guild" "$ALICE_TOKEN")
old=$(room_id old "$ALICE_TOKEN")
check "#old listed before" wait_for "# old" 2
check "bob unlinks #old" put_state "$BOB_TOKEN" "$zeta" m.space.child "$old" '{}'
check "#old leaves Zeta Guild's list" wait_gone "# old" 10
check "#general is still listed" wait_for "# general" 2
check "alice is still in #old" test -n "$(room_id old "$ALICE_TOKEN")"

# 3. The voice channel's header: what it is, then who is in the call.
voice=$(room_id voice "$ALICE_TOKEN")
keys "/goto voice" Enter
check "voice channel header" wait_for "voice channel: calls are joined from the web app" 5
check "nobody in the call yet" wait_gone "in the call:" 2
# An expired legacy membership (expires_ts in the past) is ignored.
check "bob's expired membership" put_state "$BOB_TOKEN" "$voice" m.call.member "@bob:haos.test" \
	'{"memberships":[{"application":"m.call","call_id":"","scope":"m.room","device_id":"OLDDEV","expires_ts":1000}]}'
send_text "$voice" "$BOB_TOKEN" "voice marker one"
check "marker after the expired membership" wait_for "voice marker one" 10
check "an expired membership shows nobody" wait_gone "in the call:" 1
# A current session membership (MSC4143 form) shows bob.
check "bob joins the call" put_state "$BOB_TOKEN" "$voice" org.matrix.msc3401.call.member "_@bob:haos.test_BOBDEV" \
	'{"application":"m.call","call_id":"","scope":"m.room","device_id":"BOBDEV","focus_active":{"type":"livekit","focus_selection":"oldest_membership"},"foci_preferred":[],"expires":14400000}'
check "bob shown in the call" wait_for "in the call: Bob" 10
# Leaving (empty content) takes him off.
check "bob leaves the call" put_state "$BOB_TOKEN" "$voice" org.matrix.msc3401.call.member "_@bob:haos.test_BOBDEV" '{}'
check "nobody in the call again" wait_gone "in the call:" 10
check "the header stays" wait_for "voice channel: calls are joined from the web app" 2
# A membership that expires while shown goes at the next tick (a status
# message makes the ticks a second apart).
soon=$(python3 -c 'import time; print(int(time.time() * 1000) - 14400000 + 5000)')
check "bob joins for 5 s" put_state "$BOB_TOKEN" "$voice" m.call.member "_@bob:haos.test_BOBDEV" \
	"{\"application\":\"m.call\",\"call_id\":\"\",\"device_id\":\"BOBDEV\",\"created_ts\":$soon,\"expires\":14400000}"
check "bob shown until it expires" wait_for "in the call: Bob" 4
sleep 5
keys -l "/no-such-command"
keys Enter
check "an expired membership leaves the header" wait_gone "in the call:" 5

# 4. A new cache: channels of alice's servers she was never in are joined
# at once, and one she left before is not joined again.
brun "/server create Quiet Guild"
brun --server "Quiet Guild" "/channel create kept" "/channel create gone"
quiet=$(room_id "Quiet Guild" "$BOB_TOKEN")
gone=$(room_id gone "$BOB_TOKEN")
keys -l "/quit"
keys Enter
check "alice quits" wait_for "HAOS-EXITED 0" 15
join() { hs_call POST "/_matrix/client/v3/join/$(enc "$1")" "$ALICE_TOKEN" '{}' | grep -q '^200 '; }
check "alice joins Quiet Guild elsewhere" join "$quiet"
check "alice joins #gone elsewhere" join "$gone"
check "and leaves it" bash -c "$(declare -f hs_call); HS_URL=$HS_URL hs_call POST /_matrix/client/v3/rooms/$(enc "$gone")/leave $ALICE_TOKEN '{}' | grep -q '^200 '"
rm -f "$XDG_DATA_HOME"/haos/default/store.sqlite3*
check "the cache is gone" test ! -e "$XDG_DATA_HOME/haos/default/store.sqlite3"
tm kill-session -t h
haos_start 160 45
# wait_joined NAME: until alice is in the room called NAME (20 s).
wait_joined() {
	local i
	for ((i = 0; i < 40; i++)); do
		[ -n "$(room_id "$1" "$ALICE_TOKEN")" ] && return 0
		sleep 0.5
	done
	return 1
}
check "#kept joined after the first sync" wait_joined kept
keys "/goto Quiet Guild" Enter
check "Quiet Guild lists #kept" wait_for "# kept" 15
check "#gone is not joined again" test -z "$(room_id gone "$ALICE_TOKEN")"
check "nor listed" wait_gone "# gone" 1

# 5. Leaving a server (here from another client) leaves the channels haos
# joined in it.
leave() { hs_call POST "/_matrix/client/v3/rooms/$(enc "$1")/leave" "$ALICE_TOKEN" '{}' | grep -q '^200 '; }
check "alice leaves Quiet Guild elsewhere" leave "$quiet"
wait_left() {
	local i
	for ((i = 0; i < 40; i++)); do
		[ -z "$(room_id "$1" "$ALICE_TOKEN")" ] && return 0
		sleep 0.5
	done
	return 1
}
check "#kept is left with its server" wait_left kept

[ "$FAILS" = 0 ] || dump
finish
