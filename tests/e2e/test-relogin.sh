#!/usr/bin/env bash
# The server ends the session (an expired token: soft logout; a logout
# elsewhere: hard): haos asks for the password in place, logs in again,
# keeps the device on a soft logout and carries on syncing and sending.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
SESSION=$XDG_DATA_HOME/haos/default/session.json
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$SESSION" "$1"; }
TOKEN1=$(field access_token)
DEVICE1=$(field device_id)
haos_start 120 40
check "demo world appears" wait_for "Heads-up: the office is closed" 15

# 1. Soft logout: the token expires; the held /sync returns on the next
# event and the one after it is refused.
hs_call POST /_test/expire_token "" "{\"access_token\":\"$TOKEN1\"}" >/dev/null
send_text "$GENERAL" "$BOB_TOKEN" "wakes the long poll"
check "soft logout: password prompt" wait_for "Password for @alice:haos.test:" 15
check "soft logout: says the session expired" wait_for "session expired" 5
s=$(screen)
check "status line: logged out" grep -qE "^ logged out - /login .*@alice:haos.test" <<<"$s"

keys -l "wrong-pass"
check "password is not echoed" wait_for "@alice:haos.test: **********" 5
check "password not on screen" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q wrong-pass'
keys Enter
check "wrong password: error with errcode" wait_for "login failed: M_FORBIDDEN" 10
keys C-u
keys -l "alice-password"
keys Enter
check "right password: logged in again" wait_for "logged in again as @alice:haos.test" 10
check "soft logout keeps the device" test "$(field device_id)" = "$DEVICE1"
check "session file has the new token" test "$(field access_token)" != "$TOKEN1"
check "session file still 0600" test "$(stat -c %a "$SESSION")" = 600
check "password not in the session file" bash -c '! grep -q alice-password '"$SESSION"
check "password not in the log" bash -c '! grep -rq alice-password '"$XDG_STATE_HOME"

send_text "$GENERAL" "$BOB_TOKEN" "after the soft logout"
check "sync resumes" wait_for "after the soft logout" 15
keys -l "typed after relogin"
keys Enter
check "sending works with the new token" bash -c '
for i in $(seq 50); do
	'"$(declare -f hs_call)"'
	HS_URL='"$HS_URL"' hs_call GET "/_matrix/client/v3/rooms/'"$GENERAL"'/messages?dir=b&limit=5" "'"$BOB_TOKEN"'" | grep -q "typed after relogin" && exit 0
	sleep 0.2
done; exit 1'

# 2. Hard logout: the token is logged out elsewhere; the device is gone.
TOKEN2=$(field access_token)
hs_call POST /_matrix/client/v3/logout "$TOKEN2" '{}' >/dev/null
send_text "$GENERAL" "$BOB_TOKEN" "wakes it again"
check "hard logout: password prompt" wait_for "signed out by the server" 15
keys Escape
check "Esc postpones" wait_for "type /login when ready" 5
keys -l "/login"
keys Enter
check "/login reopens the prompt" wait_for "Password for @alice:haos.test:" 5
keys -l "alice-password"
keys Enter
check "hard logout: logged in again" wait_for "logged in again as @alice:haos.test" 10
check "hard logout: a new device" test "$(field device_id)" != "$DEVICE1"
send_text "$GENERAL" "$BOB_TOKEN" "after the hard logout"
check "sync resumes after a hard logout" wait_for "after the hard logout" 15
keys -l "/login"
keys Enter
check "/login when logged in says so" wait_for "already logged in" 5

keys -l "/quit"
keys Enter
check "/quit exits with 0" wait_for "HAOS-EXITED 0" 10
finish
