#!/usr/bin/env bash
# Permanent send failures: the message stays, marked failed with the
# reason; /retry sends it again with the same transaction id (and it
# arrives once), /delete discards an unsent one.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
haos_start 120 40
check "demo world appears" wait_for "Heads-up: the office is closed" 15

# bodies_on_server TEXT: how many messages of general have body TEXT.
bodies_on_server() {
	hs_call GET "/_matrix/client/v3/rooms/$GENERAL/messages?dir=b&limit=50" "$BOB_TOKEN" |
		sed 's/^[0-9]* //' | python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin)["chunk"] if e.get("content", {}).get("body") == sys.argv[1]))' "$1"
}
wait_count() {	# wait_count TEXT N
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(bodies_on_server "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
fault() {
	hs_call POST /_test/faults "" "{\"faults\":[{\"action\":\"status\",\"method\":\"PUT\",\"path\":\"/send/m.room.message/\",\"status\":$1,\"errcode\":\"$2\",\"error\":\"$3\",\"count\":${4:-1}}]}" >/dev/null
}

# 1. 403: failed, with the reason; nothing lost; /retry sends it.
fault 403 M_FORBIDDEN "You are not allowed to send"
keys -l "refused at first"
keys Enter
check "403: marked failed" wait_for "refused at first ✗ failed to send" 10
check "403: status line counts it" wait_for "1 failed" 5
check "403: not on the server" test "$(bodies_on_server "refused at first")" = 0
sleep 2
check "403: not retried by itself" test "$(bodies_on_server "refused at first")" = 0
keys -l "/retry"
keys Enter
check "/retry: reason shown" wait_for "M_FORBIDDEN" 5
check "/retry: on the server once" wait_count "refused at first" 1
check "/retry: the mark goes" wait_gone "failed to send" 10
check "/retry: failed count goes" wait_gone "1 failed" 5
check "/retry: shown once" test "$(screen | grep -c "refused at first")" = 1
keys -l "/retry"
keys Enter
check "/retry with nothing failed says so" wait_for "nothing failed in this channel" 5

# 2. 413 on a selected message, then discard it with /delete.
fault 413 M_TOO_LARGE "event too large"
keys -l "too large to keep"
keys Enter
check "413: marked failed" wait_for "too large to keep ✗ failed to send" 10
keys -l "/delete"
keys Enter
check "/delete discards the unsent message" wait_gone "too large to keep" 10
check "413: never reached the server" test "$(bodies_on_server "too large to keep")" = 0
check "status line: nothing failed" wait_gone "failed" 5

# 3. A failure after the server stored the event (a 500 on the answer is
# retried by itself with the same transaction id): arrives once.
hs_call POST /_test/faults "" '{"faults":[{"action":"drop","method":"PUT","path":"/send/m.room.message/","process":true}]}' >/dev/null
keys -l "dropped answer"
keys Enter
check "dropped answer: on the server exactly once" wait_count "dropped answer" 1
sleep 2
check "dropped answer: still once" test "$(bodies_on_server "dropped answer")" = 1
check "dropped answer: shown once" test "$(screen | grep -c "dropped answer")" = 1

keys -l "/quit"; keys Enter
check "/quit exits with 0" wait_for "HAOS-EXITED 0" 10
finish
