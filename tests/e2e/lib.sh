# Helpers for the end-to-end scripts: the demo world on a test homeserver,
# haos logged in as alice, running in an isolated tmux server.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

TMUX_SOCK=haostest$$
CFG=$TMP/config.ini

tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }

# seed_world: the demo world; sets ALICE_TOKEN, BOB_TOKEN, CAROL_TOKEN.
seed_world() {
	python3 "$ROOT/tests/homeserver/seed_demo.py" "$HS_URL" >"$TMP/seed.log" 2>&1 ||
		{ echo "seed failed"; cat "$TMP/seed.log"; exit 1; }
	ALICE_TOKEN=$(login_token alice alice-password)
	BOB_TOKEN=$(login_token bob bob-password)
	CAROL_TOKEN=$(login_token carol carol-password)
}

# login_token USER PASSWORD: a fresh access token.
login_token() {
	hs_call POST /_matrix/client/v3/login "" \
		"{\"type\":\"m.login.password\",\"identifier\":{\"type\":\"m.id.user\",\"user\":\"$1\"},\"password\":\"$2\"}" |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# room_id NAME TOKEN: the id of a joined room by name.
room_id() {
	PYTHONPATH=$ROOT/tests/homeserver python3 - "$HS_URL" "$2" "$1" <<'PY'
import json, sys, urllib.request
url, tok, name = sys.argv[1:4]
def get(p):
    r = urllib.request.Request(url + p, headers={"Authorization": "Bearer " + tok})
    return json.load(urllib.request.urlopen(r, timeout=10))
for rid in get("/_matrix/client/v3/joined_rooms")["joined_rooms"]:
    try:
        n = get("/_matrix/client/v3/rooms/%s/state/m.room.name/" % urllib.request.quote(rid, safe=""))
    except Exception:
        continue
    if n.get("name") == name:
        print(rid); break
PY
}

# send_text ROOM TOKEN BODY: post m.text as someone else.
send_text() {
	local txn="e2e$RANDOM$RANDOM"
	python3 - "$HS_URL" "$2" "$1" "$3" "$txn" <<'PY'
import json, sys, urllib.request
url, tok, room, body, txn = sys.argv[1:6]
q = urllib.request.quote
r = urllib.request.Request(url + "/_matrix/client/v3/rooms/%s/send/m.room.message/%s" % (q(room, safe=""), txn),
    data=json.dumps({"msgtype": "m.text", "body": body}).encode(), method="PUT",
    headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
urllib.request.urlopen(r, timeout=10)
PY
}

# haos_login: config and session for alice.
haos_login() {
	cat >"$CFG" <<INI
[account]
user = @alice:haos.test
homeserver = $HS_URL
password = alice-password
${CFG_EXTRA:-}
INI
	chmod 600 "$CFG"
	"$HAOS_BIN" --config "$CFG" login </dev/null >/dev/null 2>"$TMP/login.err" ||
		{ echo "login failed"; cat "$TMP/login.err"; exit 1; }
}

# haos_cmd: the shell command that runs haos in the tmux pane.
haos_cmd() {
	echo "env TERM=tmux-256color HOME=$HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_DATA_HOME=$XDG_DATA_HOME XDG_STATE_HOME=$XDG_STATE_HOME LANG=C.UTF-8 LC_ALL=C.UTF-8 ${HAOS_ENV:-} $HAOS_BIN --config $CFG; echo HAOS-EXITED \$?; sleep 30"
}

# haos_start COLS ROWS: haos in a detached tmux session "h".
haos_start() {
	local i
	# Right after a kill-server the old tmux server may still be going
	# ("server exited unexpectedly"): try again for a few seconds.
	for ((i = 0; i < 30; i++)); do
		tm new-session -d -s h -x "$1" -y "$2" "$(haos_cmd)" \
			2>/dev/null && return 0
		sleep 0.1
	done
	tm new-session -d -s h -x "$1" -y "$2" "$(haos_cmd)"
}

# haos_restart: haos again in the same pane (after it exited).
haos_restart() {
	tm respawn-pane -k -t h "clear; $(haos_cmd)"
}

screen() { tm capture-pane -p -t h; }

# wait_for TEXT [SECONDS]: until the screen shows TEXT (fixed string).
wait_for() {
	local i n=$(( ${2:-10} * 10 ))
	for ((i = 0; i < n; i++)); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# wait_gone TEXT [SECONDS]: until the screen no longer shows TEXT.
wait_gone() {
	local i n=$(( ${2:-10} * 10 ))
	for ((i = 0; i < n; i++)); do
		screen | grep -qF -- "$1" || return 0
		sleep 0.1
	done
	return 1
}

keys() { tm send-keys -t h "$@"; }

# dump: the screen into the test output, for failures.
dump() { echo "---- screen ----"; screen; echo "----------------"; }
