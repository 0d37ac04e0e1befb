#!/usr/bin/env bash
# A big room Alice just joined (issue 14): her lazy-loaded sync knows only
# who spoke last, not Bob who made the room.  Opening the room fetches its
# members once: Bob is in the member pane, and the timeline names him
# ("Bob Owner created this", not "@bob:haos.test created this").
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
register alice alice-password
PYTHONPATH=$ROOT/tests/homeserver python3 - "$HS_URL" >"$TMP/world.log" 2>&1 <<'PY' ||
import sys, urllib.parse, hsclient
url = sys.argv[1]
q = lambda s: urllib.parse.quote(s, safe="")
def client(name, password=None):
    _, tok, _ = hsclient.register(url, name, password or name + "-pw")
    return hsclient.Client(url, tok)
bob = client("bob")
bob.put("/_matrix/client/v3/profile/%s/displayname" % q("@bob:haos.test"),
        {"displayname": "Bob Owner"})
st, _, r = bob.post("/_matrix/client/v3/createRoom",
                    {"name": "Big Room", "preset": "public_chat"})
assert st == 200, r
room = r["room_id"]
crowd = [client("crowd%d" % i) for i in range(8)]
for c in crowd:
    st, _, r = c.post("/_matrix/client/v3/rooms/%s/join" % q(room))
    assert st == 200, r
for i, c in enumerate(crowd):
    st, _, r = c.put("/_matrix/client/v3/rooms/%s/send/m.room.message/t%d"
                     % (q(room), i), {"msgtype": "m.text",
                                      "body": "chatter %d" % i})
    assert st == 200, r
_, atok, _ = hsclient.login(url, "alice", "alice-password")
st, _, r = hsclient.Client(url, atok).post(
    "/_matrix/client/v3/rooms/%s/join" % q(room))
assert st == 200, r
print(room)
PY
	{ echo "world failed"; cat "$TMP/world.log"; exit 1; }
ROOM=$(tail -1 "$TMP/world.log")
haos_login
hs_call DELETE /_test/requests >/dev/null
nmembers() {
	hs_call GET /_test/requests | sed 's/^[0-9]* //' | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"]
          if r["method"] == "GET" and r["path"].endswith("/members")))'
}
haos_start 160 60

check "the room opens" wait_for "chatter 7" 15
wait_for "Bob Owner created this" 10 || dump
check "the timeline names the creator" wait_for "Bob Owner created this" 1
check "no raw id for the creator" wait_gone "@bob:haos.test created this" 1
check "the owner is in the member pane" grep -q "Bob Owner *$" <<<"$(screen)"
check "a crowd member is listed" grep -q "crowd0" <<<"$(screen)"
sleep 1
n=$(nmembers)
check "/members fetched once ($n)" test "$n" = 1

# Back to the same room (the switcher): the cache has the list.
keys C-k
wait_for "Big Room" 5
keys Enter
sleep 1.5
n=$(nmembers)
check "opening it again fetches nothing ($n)" test "$n" = 1

keys -l "/quit"
keys Enter
wait_for "HAOS-EXITED" 10
finish
