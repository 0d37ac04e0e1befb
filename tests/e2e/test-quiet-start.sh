#!/usr/bin/env bash
# A quiet account (issue 14, item 10): the status line says connected
# within seconds of the start, not after a ~30 s long poll; with no rooms
# at all the message pane says how to begin instead of waiting for a
# sync that is done; a message typed right after the start is sent at
# once (the outbox waits for no sync).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
register alice alice-password
haos_login
now() { date +%s.%N; }
elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
within() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }

# 1. No rooms: connected at once, and what to do.
t0=$(now)
haos_start 120 40
wait_for "connected" 15 || dump
t1=$(now)
d=$(elapsed "$t0" "$t1")
check "connected within 5 s ($d s)" within "$d" 5
check "the empty account says how to begin" wait_for "Nothing here yet. To begin:" 5
check "... with /server create" wait_for "/server create NAME" 1
check "... /join" wait_for "/join CODE" 1
check "... /dm" wait_for "/dm @user:hs" 1
check "no longer waiting for the first sync" wait_gone "waiting for the first sync" 1
keys -l "/quit"
keys Enter
wait_for "HAOS-EXITED" 10

# 2. One quiet room: a message typed at once goes out at once.
ATOK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' \
	"$(find "$XDG_DATA_HOME" -name session.json | head -1)")
hs_call POST /_matrix/client/v3/createRoom "$ATOK" '{"name":"quiet"}' >/dev/null
hs_call DELETE /_test/requests >/dev/null
t0=$(now)
haos_restart
wait_for "> Message #quiet" 15 || dump
keys -l "hello quiet"
keys Enter
t1=$(now)
sent=
for ((i = 0; i < 100; i++)); do
	sent=$(hs_call GET /_test/requests | sed 's/^[0-9]* //' | python3 -c '
import json, sys
print(" ".join("%.3f" % r["ts"] for r in json.load(sys.stdin)["requests"]
               if r["method"] == "PUT" and "/send/m.room.message/" in r["path"]
               and r.get("body", {}).get("body") == "hello quiet"))')
	[ -n "$sent" ] && break
	sleep 0.1
done
check "the message reached the server" test -n "$sent"
t2=$(now)
d=$(elapsed "$t1" "$t2")
check "sent within 3 s of Enter ($d s)" within "$d" 3
check "the message is shown" wait_for "hello quiet" 5
wait_for "connected" 10
t3=$(now)
d=$(elapsed "$t0" "$t3")
check "connected within 5 s of the restart ($d s)" within "$d" 5

keys -l "/quit"
keys Enter
wait_for "HAOS-EXITED" 10
finish
