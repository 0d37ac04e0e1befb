#!/usr/bin/env bash
# Roles, moderation, DMs and profiles through `haos run` against the test
# homeserver: a server with 10 channels built with the mapping's shapes,
# every command, every permission error, a role cascade verified room by
# room, a failed cascade repaired by /server doctor, and run's exit codes.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
python3 "$ROOT/tests/integration/moderation_world.py" "$HS_URL" Guild 10 \
	>"$TMP/world.json" || { echo "cannot build the world"; exit 1; }
w() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/world.json" "$1"; }
SPACE=$(w 'd["space"]')
ATOK=$(w 'd["tokens"]["alice"]')
BTOK=$(w 'd["tokens"]["bob"]')
ROOMS="$SPACE $(w '" ".join(d["channels"].values())')"
chan() { w "d['channels']['$1']"; }
A=@alice:haos.test B=@bob:haos.test C=@carol:haos.test D=@dave:haos.test

cfg=$TMP/config.ini
for u in alice bob carol dave; do
	printf '[account %s]\nuser = @%s:haos.test\nhomeserver = %s\npassword_command = echo %s-password\n\n' \
		"$u" "$u" "$HS_URL" "$u" >>"$cfg"
done
for u in alice carol dave; do
	"$HAOS_BIN" --config "$cfg" -p "$u" login </dev/null >/dev/null 2>"$TMP/err" ||
		{ echo "login $u failed"; cat "$TMP/err"; exit 1; }
done

# as USER ARGS...: haos run as USER; sets OUT, ERR and RC.
as() {
	local u=$1; shift
	"$HAOS_BIN" --config "$cfg" -p "$u" run "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out") ERR=$(cat "$TMP/err")
}
has_out() { grep -qF -- "$1" <<<"$OUT"; }
has_err() { grep -qF -- "$1" <<<"$ERR"; }

# pl ROOM USER: the user's level in the room's m.room.power_levels (server).
pl() {
	hs_call GET "/_matrix/client/v3/rooms/$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")/state/m.room.power_levels" "$ATOK" |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("users",{}).get(sys.argv[1], d.get("users_default",0)))' "$2"
}
# all_pl USER LEVEL: the level is LEVEL in the space and all 10 channels.
all_pl() {
	local r n=0
	for r in $ROOMS; do [ "$(pl "$r" "$1")" = "$2" ] && n=$((n + 1)); done
	[ "$n" = 11 ]
}
# membership ROOM USER
membership() {
	hs_call GET "/_matrix/client/v3/rooms/$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")/state/m.room.member/$2" "$ATOK" |
		sed 's/^[0-9]* //' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("membership","?"), d.get("reason",""))'
}
all_membership() {
	local r n=0
	for r in $ROOMS; do membership "$r" "$1" | grep -q "^$2" && n=$((n + 1)); done
	[ "$n" = 11 ]
}
requests() { hs_call GET "/_test/requests" | sed 's/^[0-9]* //'; }

# 1. Exit codes and contexts.
as alice '/help'
check "run: a harmless command exits 0" test "$RC" = 0
"$HAOS_BIN" --config "$cfg" -p alice run >/dev/null 2>"$TMP/err"; rc=$?
check "run: no command is a usage error (exit 2)" test "$rc" = 2
check "run: says a command is needed" grep -q "run: no command given" "$TMP/err"
"$HAOS_BIN" --config "$cfg" -p bob run '/help' >/dev/null 2>"$TMP/err"; rc=$?
check "run: without a session exits 1" test "$rc" = 1
as alice '/kick @bob:haos.test'
check "run: missing server exits 1" test "$RC" = 1
check "run: says --server is missing ($ERR)" has_err "kick needs a server: give --server NAME|ID"
as alice --server "$SPACE" '/purge @bob:haos.test 1'
check "run: missing channel says so ($ERR)" has_err "purge needs a channel: give --channel NAME|ID"
as alice --server Nowhere '/audit'
check "run: unknown server exits 1" test "$RC" = 1
check "run: unknown server named ($ERR)" has_err "no server called Nowhere"
# A second server called Guild makes the name ambiguous.
hs_call POST /_matrix/client/v3/createRoom "$ATOK" '{"name":"Guild","creation_content":{"type":"m.space"}}' >/dev/null
as alice --server Guild '/audit'
check "run: ambiguous server exits 1" test "$RC" = 1
check "run: ambiguous name lists candidates ($ERR)" bash -c "grep -q 'ambiguous' <<<'$ERR' && grep -qF '$SPACE' <<<'$ERR' && test \$(grep -o '!' <<<'$ERR' | wc -l) -ge 2"
as alice '/toggle rail'
check "run: a UI-only command refuses ($ERR)" bash -c "test $RC = 1 && grep -q 'only in the interactive client' <<<'$ERR'"
as alice --channel chan-03 '/me waves from cron'
check "run: --channel alone finds the channel, /me exits 0 ($ERR)" test "$RC" = 0
emote=$(curl -s -H "Authorization: Bearer $ATOK" "$HS_URL/_matrix/client/v3/rooms/$(chan chan-03)/messages?dir=b&limit=5" |
	python3 -c 'import json,sys; print([e["content"] for e in json.load(sys.stdin)["chunk"] if e["type"]=="m.room.message"][0])')
check "/me sent m.emote ($emote)" test "$emote" = "{'msgtype': 'm.emote', 'body': 'waves from cron'}"

# 2. Permission errors, checked before anything is sent.
hs_call DELETE /_test/requests >/dev/null
for c in "/kick $B" "/ban $B" "/unban $B" "/audit"; do
	as dave --server "$SPACE" "$c"
	check "GUEST ${c%% *}: refused locally ($ERR)" bash -c "test $RC = 1 && grep -qF '${c%% *} needs MODERATOR (50); you are GUEST (0)' <<<'$ERR' | sed 's|/||'"
done
as dave --server "$SPACE" "/kick $B"
check "GUEST /kick message exact ($ERR)" test "$ERR" = "haos: kick needs MODERATOR (50); you are GUEST (0)"
as dave --server "$SPACE" --channel chan-01 "/purge $B 2"
check "GUEST /purge refused ($ERR)" has_err "purge needs MODERATOR (50); you are GUEST (0)"
as dave --server "$SPACE" "/role $D admin"
check "GUEST /role refused ($ERR)" has_err "role needs ADMIN (100); you are GUEST (0)"
as dave --server "$SPACE" --channel chan-02 "/topic mine now"
check "GUEST /topic refused ($ERR)" has_err "topic needs MODERATOR (50); you are GUEST (0)"
# The device's own housekeeping (sync filter, its keys, the device lists) is not a write.
n0=$(requests | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r["user"]=="@dave:haos.test" and r["method"] in ("PUT","POST") and "/sync" not in r["path"] and "/filter" not in r["path"] and "/keys/upload" not in r["path"] and "/keys/query" not in r["path"]))')
check "refusals sent nothing to the server ($n0 writes by dave)" test "$n0" = 0

# 3. /role cascades to the space and all 10 channels.
hs_call DELETE /_test/requests >/dev/null
as alice --server "$SPACE" "/role $C moderator"
check "/role moderator exits 0 ($ERR)" test "$RC" = 0
check "/role reports 11 rooms ($OUT)" has_out "role $C: is now MODERATOR (50) in 11 rooms"
check "carol is 50 in all 11 rooms (read from the server)" all_pl "$C" 50
nmr=$(requests | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if "io.haos.member_role" in r["path"]))')
check "no io.haos.member_role written for someone else ($nmr)" test "$nmr" = 0
# The PUT bodies of that cascade keep the template (mapping 4.2) intact.
shape=$(requests | python3 -c '
import json, sys
rs = [r for r in json.load(sys.stdin)["requests"] if r["method"] == "PUT" and r["path"].rstrip("/").endswith("/state/m.room.power_levels")]
ok = len(rs) == 11
for r in rs:
    b = r["body"]
    ok = ok and b["users"]["@carol:haos.test"] == 50 and b["users"]["@alice:haos.test"] == 100
    ok = ok and all(isinstance(v, int) for v in b["users"].values())
    ok = ok and b["events"]["m.room.power_levels"] == 100 and b["events"]["io.haos.channel"] == 50
    ok = ok and b["kick"] == 50 and b["ban"] == 50 and b["redact"] == 50 and b["users_default"] == 0
print("ok" if ok else "bad %d" % len(rs))')
check "power-level PUTs: 11, template intact, users are integers ($shape)" test "$shape" = ok
hs_call DELETE /_test/requests >/dev/null
as alice --server "$SPACE" "/role $A admin"
check "/role on myself exits 0" test "$RC" = 0
mrs=$(requests | python3 -c '
import json, sys, urllib.parse
rs = [r for r in json.load(sys.stdin)["requests"] if "io.haos.member_role" in r["path"]]
print(len(rs), all(r["method"] == "PUT" and urllib.parse.unquote(r["path"]).endswith("/state/io.haos.member_role/@alice:haos.test") and r["body"] == {"role": "ADMIN"} for r in rs))')
check "io.haos.member_role {role} with my own state key in all 11 rooms ($mrs)" test "$mrs" = "11 True"
mr=$(hs_call GET "/_matrix/client/v3/rooms/$(chan chan-07)/state/io.haos.member_role/$A" "$ATOK")
check "own io.haos.member_role written ($mr)" grep -q '^200 .*"role": *"ADMIN"' <<<"$mr"
# MODERATOR errors: local (role) and from the server (kick an admin).
as carol --server "$SPACE" "/role $D admin"
check "MODERATOR /role admin refused ($ERR)" has_err "role needs ADMIN (100); you are MODERATOR (50)"
as carol --server "$SPACE" "/server doctor"
check "MODERATOR /server doctor refused ($ERR)" has_err "server doctor needs ADMIN (100); you are MODERATOR (50)"
as carol --server "$SPACE" "/kick $A"
check "server refusal exits 1" test "$RC" = 1
check "server refusal shown with errcode ($ERR)" has_err "M_FORBIDDEN: "

# 4. A failed cascade: one channel's state PUT fails twice (first try and
# the automatic retry); the room is listed, then /server doctor repairs.
c5=$(chan chan-05)
hs_call POST /_test/faults "" "{\"faults\":[{\"action\":\"status\",\"status\":500,\"errcode\":\"M_UNKNOWN\",\"error\":\"injected\",\"method\":\"PUT\",\"path\":\"${c5:1:12}.*m.room.power_levels\",\"count\":2}]}" >/dev/null
hs_call DELETE /_test/requests >/dev/null
as alice --server "$SPACE" "/role $D moderator"
check "failed cascade exits 1" test "$RC" = 1
check "failed cascade lists the room ($ERR)" has_err "failed in 1 of 11 rooms (after a retry): #chan-05 (M_UNKNOWN: injected)"
check "failed cascade points at /server doctor" has_err "run /server doctor"
tries=$(requests | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r["method"]=="PUT" and "m.room.power_levels" in r["path"] and sys.argv[1] in r["path"]))' "${c5:1:12}")
check "the failed room was retried once ($tries PUTs)" test "$tries" = 2
check "drift: chan-05 still has dave at 0" test "$(pl "$c5" "$D")" = 0
check "drift: the space has dave at 50" test "$(pl "$SPACE" "$D")" = 50
as alice --server "$SPACE" "/server doctor"
check "/server doctor exits 0 ($ERR)" test "$RC" = 0
check "/server doctor says what it changed ($OUT)" has_out "#chan-05: $D 0 -> 50"
check "/server doctor repaired chan-05" test "$(pl "$c5" "$D")" = 50
check "dave is 50 in all 11 rooms after the repair" all_pl "$D" 50
as alice --server "$SPACE" "/server doctor"
check "second /server doctor finds no drift ($OUT)" has_out "no drift: 10 channels agree"
as alice --server "$SPACE" "/role $D guest"
check "/role guest back ($ERR)" bash -c "test $RC = 0 && true"
check "dave is 0 in all 11 rooms" all_pl "$D" 0

# 5. /purge: bob's last 3 of 5 messages in chan-01.
c1=$(chan chan-01)
for i in 1 2 3 4 5; do
	hs_call PUT "/_matrix/client/v3/rooms/$c1/send/m.room.message/p$i" "$BTOK" "{\"msgtype\":\"m.text\",\"body\":\"spam $i\"}" >/dev/null
done
as carol --server "$SPACE" --channel chan-01 "/purge $B 3"
check "/purge exits 0 ($ERR)" test "$RC" = 0
check "/purge reports 3 messages ($OUT)" has_out "purge $B: deleted in 3 messages"
left=$(curl -s -H "Authorization: Bearer $ATOK" "$HS_URL/_matrix/client/v3/rooms/$c1/messages?dir=b&limit=20" |
	python3 -c 'import json,sys; print(",".join(e["content"].get("body","-") for e in json.load(sys.stdin)["chunk"] if e["type"]=="m.room.message"))')
check "purge removed spam 3-5 and kept 1-2 ($left)" test "$left" = "-,-,-,spam 2,spam 1"

# 6. /kick, /ban, /unban on the space and every channel.
as carol --server "$SPACE" "/kick $B spamming"
check "/kick exits 0 ($ERR)" test "$RC" = 0
check "/kick reports 11 rooms ($OUT)" has_out "kick $B: removed in 11 rooms"
check "bob left all 11 rooms" all_membership "$B" leave
check "kick reason recorded" grep -q 'leave spamming' <<<"$(membership "$SPACE" "$B")"
as carol --server "$SPACE" "/kick $B again"
check "kick of a non-member: nothing to do, exit 1 ($ERR)" bash -c "test $RC = 1 && grep -q 'nothing to do' <<<'$ERR'"
as carol --server "$SPACE" "/ban $B raid"
check "/ban exits 0 ($ERR)" test "$RC" = 0
check "bob banned in all 11 rooms" all_membership "$B" ban
as carol --server "$SPACE" "/unban $B"
check "/unban exits 0 ($ERR)" test "$RC" = 0
check "bob unbanned in all 11 rooms" all_membership "$B" leave

# 7. /audit: newest first, with who did it.
as carol --server "$SPACE" '/audit'
check "/audit exits 0" test "$RC" = 0
check "audit: kick with actor and reason" has_out "Carol kicked Bob (reason: spamming)  [11 rooms]"
check "audit: ban" has_out "Carol banned Bob (reason: raid)"
check "audit: unban" has_out "Carol unbanned Bob"
check "audit: role change" has_out "Alice changed the role of Carol: GUEST (0) -> MODERATOR (50)  [11 rooms]"
check "audit: deletions by moderators" has_out "Carol deleted a message of Bob"
check "audit: three deletions in one room are not [3 rooms]" has_out "Carol deleted a message of Bob (3 times)  [#chan-01]"
check "audit: channel creation" has_out "Alice created channel #chan-09  [#chan-09]"
check "audit: joins" has_out "Bob joined"
order=$(grep -oE "Carol (unbanned|banned|kicked) Bob" <<<"$OUT" | awk '{print $2}' | tr '\n' ,)
check "audit: newest first ($order)" test "$order" = "unbanned,banned,kicked,"

# 8. /dm creates once, then reuses the room in m.direct.
hs_call DELETE /_test/requests >/dev/null
as alice "/dm $B"
check "/dm exits 0 ($ERR)" test "$RC" = 0
check "/dm made a new conversation" has_out "dm: new conversation with $B: !"
dm=$(grep -o '![^ ]*' <<<"$OUT" | head -1)
direct=$(hs_call GET "/_matrix/client/v3/user/$A/account_data/m.direct" "$ATOK")
check "m.direct lists the room for bob ($direct)" grep -qF "\"$dm\"" <<<"$direct"
body=$(requests | python3 -c 'import json,sys; print(json.dumps([r["body"] for r in json.load(sys.stdin)["requests"] if r["path"].endswith("/createRoom")]))')
check "createRoom is_direct, trusted_private_chat, invite bob, encrypted ($body)" python3 -c 'import json,sys; b=json.loads(sys.argv[1]); assert len(b)==1 and b[0]["is_direct"] is True and b[0]["preset"]=="trusted_private_chat" and b[0]["invite"]==["@bob:haos.test"] and b[0]["initial_state"]==[{"type":"m.room.encryption","state_key":"","content":{"algorithm":"m.megolm.v1.aes-sha2"}}] and len(b[0])==4' "$body"
enc=$(hs_call GET "/_matrix/client/v3/rooms/$dm/state/m.room.encryption/" "$ATOK")
check "the DM is encrypted on the server ($enc)" grep -q '"m.megolm.v1.aes-sha2"' <<<"$enc"
as alice "/dm bob"
check "/dm again reuses the room ($OUT)" has_out "dm: existing conversation with $B: $dm"
ncr=$(requests | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r["path"].endswith("/createRoom")))')
check "no second createRoom ($ncr)" test "$ncr" = 1

# 9. Profile: /nick, /avatar, /profile (with io.haos.profile), /topic, /leave.
as alice "/nick Alice Liddell"
check "/nick exits 0" test "$RC" = 0
check "display name set on the server" grep -q '"Alice Liddell"' <<<"$(hs_call GET "/_matrix/client/v3/profile/$A/displayname" "$ATOK")"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\5\0\1\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82' >"$TMP/me.png"
as alice "/avatar $TMP/me.png"
check "/avatar exits 0 ($ERR)" test "$RC" = 0
check "avatar_url is an mxc URI" grep -q '"avatar_url": *"mxc://' <<<"$(hs_call GET "/_matrix/client/v3/profile/$A/avatar_url" "$ATOK")"
echo "not an image" >"$TMP/bad.txt"
as alice "/avatar $TMP/bad.txt"
check "/avatar of a non-image exits 1 ($ERR)" bash -c "test $RC = 1 && grep -q 'not a PNG' <<<'$ERR'"
hs_call PUT "/_matrix/client/v3/user/$A/account_data/io.haos.profile" "$ATOK" '{"email":"alice@example.org"}' >/dev/null
as alice "/profile"
check "/profile: display name" has_out "Alice Liddell"
check "/profile: avatar" has_out "mxc://"
check "/profile: email from io.haos.profile" bash -c "grep -q 'email:' <<<'$OUT' && grep -q 'alice@example.org' <<<'$OUT'"
as alice --server "$SPACE" "/profile"
check "/profile in a server: the role from power levels ($OUT)" has_out "Role:          ADMIN (power level 100"
# A label that contradicts the power level is named and ignored.
SPACE_ESC=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$SPACE")
hs_call PUT "/_matrix/client/v3/rooms/$SPACE_ESC/state/io.haos.member_role/$A" "$ATOK" '{"role":"GUEST"}' >/dev/null
as alice --server "$SPACE" "/profile"
check "/profile: a disagreeing member_role is ignored ($OUT)" has_out "ADMIN (power level 100; io.haos.member_role says GUEST: ignored, power levels decide)"
hs_call PUT "/_matrix/client/v3/rooms/$SPACE_ESC/state/io.haos.member_role/$A" "$ATOK" '{"role":"ADMIN"}' >/dev/null
as alice --server "$SPACE" "/profile"
check "/profile: an agreeing member_role is the label ($OUT)" has_out "ADMIN (power level 100; io.haos.member_role agrees)"
as alice "/profile $B"
check "/profile @bob: his display name, no account data" bash -c "grep -q 'Display name: *Bob' <<<'$OUT' && ! grep -q 'email' <<<'$OUT'"
as alice --server "$SPACE" --channel chan-02 "/topic Be excellent"
check "/topic exits 0" test "$RC" = 0
check "topic set on the server" grep -q '"Be excellent"' <<<"$(hs_call GET "/_matrix/client/v3/rooms/$(chan chan-02)/state/m.room.topic" "$ATOK")"
as alice --server "$SPACE" --channel chan-02 "/topic"
check "/topic shows it ($OUT)" has_out "topic: Be excellent"
as dave --server "$SPACE" --channel chan-09 "/leave"
check "/leave exits 0 ($ERR)" test "$RC" = 0
check "dave left chan-09" grep -q '^leave' <<<"$(membership "$(chan chan-09)" "$D")"
as alice "/dm $A"
check "/dm yourself refused" bash -c "test $RC = 1 && grep -q 'that is you' <<<'$ERR'"

# 10. An ADMIN cannot change another ADMIN's level: refused before sending.
as alice --server "$SPACE" "/role $C admin"
check "/role admin for carol exits 0" test "$RC" = 0
as alice --server "$SPACE" "/role $C guest"
check "/role on a peer ADMIN refused locally ($ERR)" has_err "role: $C is ADMIN (100), not below you"
check "carol is still 100 everywhere" all_pl "$C" 100

finish
