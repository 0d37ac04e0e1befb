#!/usr/bin/env bash
# My presence and typing as the server is told them: online while in use,
# unavailable after [ui] idle minutes without a key, and at quit the
# typing notice stopped and offline.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login

# requests PYTHON-FILTER: bodies of the recorded requests matching r.
requests() {
	python3 - "$HS_URL" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url, expr = sys.argv[1:3]
reqs = json.load(urllib.request.urlopen(url + "/_test/requests", timeout=10))["requests"]
for r in reqs:
    r["path"] = urllib.parse.unquote(r["path"])
    if eval(expr, {}, {"r": r}):
        print(json.dumps(r.get("body"), sort_keys=True))
PY
}
presence() {
	requests 'r["method"] == "PUT" and r["path"].endswith("/presence/@alice:haos.test/status")'
}
typing() {
	requests 'r["method"] == "PUT" and "/typing/@alice:haos.test" in r["path"]'
}
last_presence() { presence | tail -1; }

haos_start 120 40
check "client up" wait_for "Heads-up: the office is closed" 30
for i in $(seq 50); do [ -n "$(presence)" ] && break; sleep 0.1; done
check "online at start ($(presence | tr '\n' ' '))" test "$(presence | head -1)" = '{"presence": "online"}'

# Other people's status messages show in their profile.
hs_call PUT "/_matrix/client/v3/presence/@bob:haos.test/status" "$BOB_TOKEN" \
	'{"presence": "unavailable", "status_msg": "at lunch, back at 2"}' >/dev/null
keys "/profile @bob:haos.test" Enter
check "bob's status message in his profile" wait_for "Status:        at lunch, back at 2" 10
check "and his presence" wait_for "Presence:      away" 2
keys Escape
check "profile closed" wait_gone "Status:" 5
check "and in the member list, beside his name" wait_for "Bob  at lunch" 10

# Typing starts a typing notice; quitting stops it and goes offline.
keys "a draft in progress"
for i in $(seq 50); do typing | grep -q true && break; sleep 0.1; done
check "typing told" sh -c "$(declare -f requests typing); HS_URL=$HS_URL typing | grep -q '\"typing\": true'"
keys C-u "/quit" Enter
check "haos quit" wait_for "HAOS-EXITED 0" 10
check "typing stopped at quit ($(typing | tail -1))" test "$(typing | tail -1)" = '{"typing": false}'
check "offline at quit ($(last_presence))" test "$(last_presence)" = '{"presence": "offline"}'

# [ui] idle: unavailable after a minute without a key, online again
# with the next key.
tm kill-server
printf '[network]\nsync_timeout = 2\n[ui]\nidle = 1\n' >>"$CFG"
haos_start 120 40
check "client up again" wait_for "Heads-up: the office is closed" 15
for i in $(seq 80); do [ "$(last_presence)" = '{"presence": "online"}' ] && break; sleep 0.1; done
check "online again" test "$(last_presence)" = '{"presence": "online"}'
for i in $(seq 900); do [ "$(last_presence)" = '{"presence": "unavailable"}' ] && break; sleep 0.1; done
check "unavailable after a minute idle" test "$(last_presence)" = '{"presence": "unavailable"}'
# The syncs say so too: one without set_presence would make us online.
away_syncs() {
	python3 - "$HS_URL" <<'PY'
import json, sys, urllib.request
reqs = json.load(urllib.request.urlopen(sys.argv[1] + "/_test/requests", timeout=10))["requests"]
print(sum(1 for r in reqs if r["path"].endswith("/sync") and "set_presence=unavailable" in r["query"]))
PY
}
for i in $(seq 100); do [ "$(away_syncs)" -gt 0 ] && break; sleep 0.1; done
check "idle syncs carry set_presence=unavailable" test "$(away_syncs)" -gt 0
keys "x"
for i in $(seq 50); do [ "$(last_presence)" = '{"presence": "online"}' ] && break; sleep 0.1; done
check "online with the next key" test "$(last_presence)" = '{"presence": "online"}'

[ "$FAILS" = 0 ] || dump
finish
