#!/usr/bin/env bash
# Daily use: what /join and the create commands made is selected; leaving,
# being kicked or a server going away moves the input to a neighbour,
# discards what can no longer be sent and says why; /server leave names
# the server and asks.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login

# Bob has a server of his own (his profile, with haos run).
cat >"$TMP/bob.ini" <<INI
[account bob]
user = @bob:haos.test
homeserver = $HS_URL
password = bob-password
INI
chmod 600 "$TMP/bob.ini"
bob() { "$HAOS_BIN" --config "$TMP/bob.ini" --profile bob "$@"; }
bob login </dev/null >/dev/null 2>&1
code=$(bob run "/server create Zeta Guild" 2>&1 | sed -n 's/.*invite code \([A-Za-z0-9]*\).*/\1/p')
check "bob's server has an invite code" test -n "$code"

haos_start 160 45
check "client up" wait_for "Heads-up: the office is closed" 30

# 1. /server create selects the new server and its #general.
keys "/server create Beta Base" Enter
check "created" wait_for "created server Beta Base" 10
check "the new server is selected" wait_for "Beta Base > # general" 10

# 2. /channel create selects the new channel.
keys "/channel create lobby" Enter
check "channel created" wait_for "created channel #lobby" 10
check "the new channel is selected" wait_for "Beta Base > # lobby" 10

# 3. /leave names the channel and moves to a neighbour; the next line
#    goes there instead of failing.
keys "/leave" Enter
check "leave names the channel" wait_for "left #lobby" 10
check "the neighbour is selected" wait_for "Beta Base > # general" 10
keys "hello after leaving" Enter
check "the line went to the neighbour" wait_for "hello after leaving" 10
sleep 1
check "nothing failed" sh -c "! tmux -L $TMUX_SOCK -f /dev/null capture-pane -p -t h | grep -q 'failed'"

# 4. /server leave names the server and asks before leaving.
keys "/server leave" Enter
check "server leave asks" wait_for "this leaves Beta Base and its 1 channel; to confirm: /server leave Beta Base" 5
sleep 1
check "still in Beta Base" test -n "$(room_id "Beta Base" "$ALICE_TOKEN")"

# 5. /join selects what it joined.
keys "/join $code" Enter
check "joined" wait_for "joined server Zeta Guild" 10
check "the joined server is selected" wait_for "Zeta Guild > # general" 10

# 6. A line that cannot be sent yet, then bob kicks alice from his server:
#    the kick is said, the line discarded, the input moved on.
hs_call POST /_test/faults "" '{"faults":[{"action":"status","method":"PUT","path":"/send/m.room.message/","status":500,"errcode":"M_UNKNOWN","error":"down","count":50}]}' >/dev/null
keys "stuck line" Enter
check "the line waits" wait_for "stuck line" 5
bob run --server "Zeta Guild" "/kick @alice:haos.test spamming" >"$TMP/kick.out" 2>&1
rc=$?
check "bob kicked alice ($(tr '\n' ' ' <"$TMP/kick.out"))" test "$rc" = 0
check "the kick is said" wait_for "you were kicked from Zeta Guild by Bob: spamming" 15
check "the waiting line is discarded" wait_for "discarded 1 unsent message" 10
hs_call DELETE /_test/faults >/dev/null
check "off Zeta Guild" wait_gone "Zeta Guild > #" 10
sleep 1
check "nothing pending" wait_gone "1 pending" 5
check "no failed line left" sh -c "! tmux -L $TMUX_SOCK -f /dev/null capture-pane -p -t h | grep -q '1 failed'"

# 7. /server leave with the name leaves and moves on.
keys "/goto Beta Base" Enter
check "back in Beta Base" wait_for "Beta Base > # general" 10
keys "/server leave Beta Base" Enter
check "left the server" wait_for "left server Beta Base" 10
check "off Beta Base" wait_gone "Beta Base > #" 10

[ "$FAILS" = 0 ] || dump
finish
