#!/usr/bin/env bash
# Mouse: off by default; with [ui] mouse = yes a click picks a server or a
# channel and the wheel scrolls the messages.  Clicks are written into
# the pane as the terminal would send them (X10 encoding, as kmous says).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
RANDOM_ROOM=$(room_id random "$ALICE_TOKEN")
for i in $(seq 1 60); do send_text "$RANDOM_ROOM" "$BOB_TOKEN" "wheel line $i"; done

# where TEXT: "x y" of the first cell of TEXT on the screen.
where() {
	screen | python3 -c '
import sys
t = sys.argv[1]
for y, l in enumerate(sys.stdin.read().split("\n")):
    i = l.find(t)
    if i >= 0:
        print(len(l[:i].encode("utf-16-le")) // 2, y); break' "$1"
}
# mouse BUTTON X Y: press and release (X10: 32+button, 33+x, 33+y).
mouse() {
	local c x y
	c=$(printf '\\x%x' $((32 + $1)))
	x=$(printf '\\x%x' $((33 + $2)))
	y=$(printf '\\x%x' $((33 + $3)))
	tm send-keys -t h -l "$(printf "\e[M$c$x$y")"
	[ "$1" -ge 64 ] && return	# wheel: no release
	tm send-keys -t h -l "$(printf "\e[M\\x23$x$y")"
}
click() { local p; p=$(where "$1"); [ -n "$p" ] || return 1; mouse 0 $p; }

# 1. Off by default: no mouse tracking asked of the terminal (so it sends
# no reports and selecting text with the mouse works as usual).
# start_recorded FILE: haos in tmux with everything it writes kept in FILE.
# The session stays (killing a tmux server and starting another on the
# same socket races); the pane is respawned with a new recording.
start_recorded() {
	tm has-session -t h 2>/dev/null ||
		tm new-session -d -s h -x 120 -y 40 "sleep 600"
	tm pipe-pane -t h
	tm pipe-pane -t h -o "cat > $1"
	tm respawn-pane -k -t h "clear; env TERM=tmux-256color HOME=$HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_DATA_HOME=$XDG_DATA_HOME XDG_STATE_HOME=$XDG_STATE_HOME LANG=C.UTF-8 LC_ALL=C.UTF-8 $HAOS_BIN --config $CFG; echo HAOS-EXITED \$?; sleep 30"
}
haos_login
start_recorded "$TMP/out.bin"
check "demo world appears" wait_for "Heads-up: the office is closed" 15
check "default: no mouse tracking requested" bash -c '! grep -qaF $'"'"'\e[?1000h'"'"' '"$TMP/out.bin"
keys -l "/quit"; keys Enter
check "default: quits" wait_for "HAOS-EXITED 0" 10

# 2. Enabled.
printf '[ui]\nmouse = yes\n' >>"$CFG"
start_recorded "$TMP/out2.bin"
check "mouse on: demo world" wait_for "Heads-up: the office is closed" 15
check "mouse on: tracking requested" grep -qaF $'\e[?1000h' "$TMP/out2.bin"
click "# random"
check "click on a channel opens it" wait_for " Acme > # random" 5
check "the newest message shows" wait_for "wheel line 60" 5
# The screen keeps updating after a click, with no key pressed.
send_text "$RANDOM_ROOM" "$BOB_TOKEN" "posted after the click"
check "a message after a click shows without a key" wait_for "posted after the click" 5
p=$(where "wheel line 60")
for i in 1 2 3 4 5 6; do mouse 64 $p; done
check "wheel up scrolls back" wait_gone "wheel line 60" 5
oldest() { screen | grep -oE 'wheel line [0-9]+' | awk '{print $3}' | sort -n | head -1; }
check "older messages show ($(oldest))" test "$(oldest)" -lt 40
for i in 1 2 3 4 5 6 7 8; do mouse 65 $p; done
check "wheel down comes back" wait_for "wheel line 60" 5
click "●DM"
check "click on the rail opens Direct Messages" wait_for " Direct Messages" 5
click "Ac"
check "click on a server badge opens it" wait_for " Acme > #" 5
keys -l "/quit"; keys Enter
check "/quit exits with 0" wait_for "HAOS-EXITED 0" 10
finish
