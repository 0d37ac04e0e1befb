#!/usr/bin/env bash
# Names through `haos run` against the test homeserver: a DM invite is a
# DM (named after the inviter, recorded in m.direct on /accept, found by
# /dm), people are named by display name (/profile Bobby), channels by
# "server channel", an ambiguous name lists its candidates with their
# server, and /profile set writes io.haos.profile.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
for u in alice bob; do register $u "pw-$u-S3cret"; done
cfg=$TMP/config.ini
for u in alice bob; do
	printf '[account %s]\nuser = @%s:haos.test\nhomeserver = %s\npassword_command = echo pw-%s-S3cret\n\n' \
		"$u" "$u" "$HS_URL" "$u" >>"$cfg"
done
for u in alice bob; do
	"$HAOS_BIN" --config "$cfg" -p "$u" login </dev/null >/dev/null 2>"$TMP/err" ||
		{ echo "login $u failed"; cat "$TMP/err"; exit 1; }
done
tok() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$XDG_DATA_HOME/haos/$1/session.json"; }
ATOK=$(tok alice) BTOK=$(tok bob)
A=@alice:haos.test B=@bob:haos.test

as() {
	local u=$1; shift
	"$HAOS_BIN" --config "$cfg" -p "$u" run "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out") ERR=$(cat "$TMP/err")
}
has_out() { grep -qF -- "$1" <<<"$OUT"; }
has_err() { grep -qF -- "$1" <<<"$ERR"; }
ncreate() { hs_call GET /_test/requests | sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r["path"].endswith("/createRoom")))'; }

hs_call PUT "/_matrix/client/v3/profile/$B/displayname" "$BTOK" '{"displayname":"Bobby"}' >/dev/null

# 1. Bob opens a DM with Alice; Alice accepts it by Bob's display name.
as bob "/dm $A"
check "bob's /dm made a room ($ERR)" has_out "dm: new conversation with $A: !"
dm=$(grep -o '![^ ]*' <<<"$OUT" | head -1)
as alice "/accept Bobby"
check "alice accepts the DM invite by bob's name ($OUT $ERR)" \
	bash -c "test $RC = 0 && grep -qF 'joined Bobby' <<<'$OUT'"
direct=$(hs_call GET "/_matrix/client/v3/user/$A/account_data/m.direct" "$ATOK")
check "accepting recorded the DM in alice's m.direct ($direct)" \
	grep -qF "\"$B\": [\"$dm\"]" <<<"$direct"

# 2. /dm back finds that room: no second room.
hs_call DELETE /_test/requests >/dev/null
as alice "/dm $B"
check "alice's /dm reuses bob's room ($OUT $ERR)" has_out "dm: existing conversation with $B: $dm"
check "no createRoom for /dm back" test "$(ncreate)" = 0

# 3. A DM another client recorded under someone else is found through its
#    members (here: m.direct lists the room under a stale key).
hs_call PUT "/_matrix/client/v3/user/$A/account_data/m.direct" "$ATOK" \
	"{\"@old:haos.test\": [\"$dm\"]}" >/dev/null
as alice "/dm Bobby"
check "/dm by display name finds the DM through its members ($OUT $ERR)" \
	has_out "dm: existing conversation with $B: $dm"
check "still no createRoom" test "$(ncreate)" = 0

# 4. People by display name: /profile Bobby.
as alice "/profile Bobby"
check "/profile takes a display name ($OUT $ERR)" bash -c \
	"test $RC = 0 && grep -qF 'Bobby' <<<'$OUT'"
as alice "/profile @Bobby"
check "/profile takes @Name as completion writes it ($ERR)" test "$RC" = 0

# 5. /profile set email VALUE writes io.haos.profile, keeping other fields.
hs_call PUT "/_matrix/client/v3/user/$A/account_data/io.haos.profile" "$ATOK" \
	'{"clerkId":"c1"}' >/dev/null
as alice "/profile set email alice@example.org"
check "/profile set exits 0 ($ERR)" test "$RC" = 0
prof=$(hs_call GET "/_matrix/client/v3/user/$A/account_data/io.haos.profile" "$ATOK")
check "io.haos.profile has the email and kept clerkId ($prof)" python3 -c \
	'import json,sys; d=json.loads(sys.argv[1].split(" ",1)[1]); assert d=={"clerkId":"c1","email":"alice@example.org"}' "$prof"
as alice "/profile"
check "/profile shows the email ($OUT)" has_out "alice@example.org"

# 6. Two servers with a general each: "server channel" picks one, and the
#    bare name lists both with their server.
as alice "/server create Acme"
as alice "/server create Zeta"
check "servers made ($ERR)" test "$RC" = 0
as alice --channel "zeta general" "/topic zeta's own"
check "--channel 'zeta general' resolves ($ERR)" test "$RC" = 0
as alice --channel "general" "/topic x"
check "an ambiguous channel fails" test "$RC" != 0
as alice "/leave general"
check "/leave general lists the candidates with their server ($ERR)" \
	bash -c "grep -qF '#general (Acme)' <<<'$ERR' && grep -qF '#general (Zeta)' <<<'$ERR'"
as alice "/leave zeta gen"
check "/leave 'zeta gen' (server, channel prefix) works ($OUT $ERR)" test "$RC" = 0

finish
