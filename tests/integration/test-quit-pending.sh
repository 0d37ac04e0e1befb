#!/usr/bin/env bash
# Quitting with every kind of request still waiting for its answer: a
# plain request (/profile), a sequence (/server create), a moderation
# batch (/role), /join's chain and the re-login prompt's /login.  Each
# pending completion runs once, cancelled: haos exits 0 and, under
# `make asan` (HAOS_BIN is the ASan build), with no ASan or LSan report.
set -uo pipefail
. "$(dirname "$0")/../e2e/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
SESSION=$XDG_DATA_HOME/haos/default/session.json
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$SESSION")
# Reports of a sanitizer build go to files; a normal build writes none.
HAOS_ENV="ASAN_OPTIONS=detect_leaks=1:log_path=$TMP/asan UBSAN_OPTIONS=halt_on_error=1:log_path=$TMP/ubsan"
haos_start 120 40
check "demo world appears" wait_for "Heads-up: the office is closed" 20

# Every answer of these is held back for longer than the test takes.
hs_call POST /_test/faults "" '{"faults":[
 {"action":"delay","path":"/profile/","ms":20000,"count":5},
 {"action":"delay","path":"/createRoom","ms":20000,"count":5},
 {"action":"delay","path":"/state/m.room.power_levels","ms":20000,"count":1},
 {"action":"delay","path":"/join/","ms":20000,"count":5},
 {"action":"delay","path":"/login","ms":20000,"count":5}]}' >/dev/null

cmd() { keys -l "$1"; keys Enter; sleep 0.3; }
cmd "/profile"
cmd "/server create Pending"
cmd "/role @carol:haos.test moderator"
cmd "/join #nowhere:haos.test"
held() { hs_call GET /_test/requests | cut -d' ' -f2- | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if sys.argv[1] in r["path"]))' "$1"; }
check "/profile is waiting" test "$(held /profile/)" -ge 1
check "/server create is waiting" test "$(held /createRoom)" -ge 1
check "/role's batch is waiting" test "$(held m.room.power_levels)" -ge 2
check "/join is waiting" test "$(held /join/)" -ge 1

# The token expires: the prompt's /login is held back too.
hs_call POST /_test/expire_token "" "{\"access_token\":\"$TOKEN\"}" >/dev/null
send_text "$GENERAL" "$BOB_TOKEN" "wakes the long poll"
check "password prompt" wait_for "Password for @alice:haos.test:" 15
keys -l "alice-password"
keys Enter
check "login under way" wait_for "logging in..." 5
keys Escape
check "Esc postpones the prompt" wait_for "type /login when ready" 5
keys -l "/quit"
keys Enter
check "quits with everything pending: exit 0" wait_for "HAOS-EXITED 0" 15
wait_for "HAOS-EXITED 0" 1 || dump
check "quits within the held answers (not after them)" bash -c '! grep -q "logged in again" <<<"$(tmux -L '"$TMUX_SOCK"' capture-pane -p -t h)"'
check "no sanitizer report" bash -c "! ls '$TMP'/asan.* '$TMP'/ubsan.* 2>/dev/null | grep -q ."
ls "$TMP"/asan.* "$TMP"/ubsan.* 2>/dev/null && cat "$TMP"/asan.* "$TMP"/ubsan.* 2>/dev/null | head -40
check "no abort in the log" bash -c "! grep -qi 'double free\\|abort' '$XDG_STATE_HOME/haos/default.log'"

finish
