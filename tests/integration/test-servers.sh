#!/usr/bin/env bash
# Servers, channels, invites and discovery through `haos run` against the
# test homeserver: every /server, /channel, /join, /invite and /explore
# form, each permission error, invite expiry, join-by-code opening every
# channel, and the JSON of every state event haos wrote compared with
# tests/fixtures/space/shapes.json (the mapping's shapes).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
for u in alice bob carol dave erin; do register $u "pw-$u-S3cret"; done

cfg=$TMP/config.ini
{
	for u in alice bob carol dave erin; do
		if [ $u = alice ]; then echo "[account]"; else echo "[account $u]"; fi
		echo "user = @$u:haos.test"
		echo "homeserver = $HS_URL"
		echo "password_command = echo pw-$u-S3cret"
		echo
	done
} >"$cfg"
for u in alice bob carol dave erin; do
	p=; [ $u = alice ] || p="--profile $u"
	"$HAOS_BIN" --config "$cfg" $p login </dev/null >/dev/null 2>&1 ||
		{ echo "login $u failed"; exit 1; }
done

sess() { # sess USER FIELD
	local d=default; [ "$1" = alice ] || d=$1
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$XDG_DATA_HOME/haos/$d/session.json" "$2"
}
TA=$(sess alice access_token); TB=$(sess bob access_token)
TC=$(sess carol access_token); TD=$(sess dave access_token)
TE=$(sess erin access_token)
# Writes the test itself makes (as another client would) use another device,
# so that the shape check below sees only what haos wrote.
TX=$(hs_call POST /_matrix/client/v3/login "" '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"alice"},"password":"pw-alice-S3cret"}' | cut -d' ' -f2- | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# hrun USER ARGS...: haos run as USER; sets OUT, ERR, RC.
hrun() {
	local u=$1 p=; shift
	[ "$u" = alice ] || p="--profile $u"
	OUT=$("$HAOS_BIN" --config "${HCFG:-$cfg}" $p run "$@" 2>"$TMP/err" </dev/null)
	RC=$?
	ERR=$(cat "$TMP/err")
}

# js EXPR: evaluate a Python expression over j (JSON on stdin).
js() { python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
enc() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
# state TOKEN ROOM TYPE [KEY]: the content (body only) or "404".
state() {
	local r; r=$(hs_call GET "/_matrix/client/v3/rooms/$(enc "$2")/state/$3/$(enc "${4:-}")" "$1")
	case $r in 200\ *) echo "${r#200 }";; *) echo "${r%% *}";; esac
}
membership() { # membership ROOM USER (read with alice's token)
	local c; c=$(state "$TA" "$1" m.room.member "$2")
	case $c in "{"*) js 'j["membership"]' <<<"$c";; *) echo none;; esac
}
joined_rooms() { hs_call GET /_matrix/client/v3/joined_rooms "$1" | cut -d' ' -f2-; }
space_of() { # space_of NAME: room id of alice's space called NAME
	local id
	for id in $(joined_rooms "$TA" | js '" ".join(j["joined_rooms"])'); do
		c=$(state "$TA" "$id" m.room.create)
		n=$(state "$TA" "$id" m.room.name)
		if js 'j.get("type")' <<<"$c" | grep -qx m.space &&
		    js 'j.get("name")' <<<"$n" | grep -qxF "$1"; then
			echo "$id"; return
		fi
	done
}
children() { # children SPACE: "order id" lines of linked children, sorted
	hs_call GET "/_matrix/client/v3/rooms/$(enc "$1")/state" "$TA" | cut -d' ' -f2- |
		js '"\n".join(sorted("%s %s" % (e["content"].get("order","~"), e["state_key"]) for e in j if e["type"]=="m.space.child" and e["content"].get("via")))'
}
name_of() { state "$TA" "$1" m.room.name | js 'j.get("name")'; }

printf '\x89PNG\r\n\x1a\n-icon-one' >"$TMP/icon.png"
printf '\x89PNG\r\n\x1a\n-icon-two' >"$TMP/icon2.png"

# 1. /server create with an icon.
hrun alice "/server create Acme --icon $TMP/icon.png"
check "server create exits 0" test "$RC" = 0
check "server create reports the code" grep -q "created server Acme .*with #general; invite code [a-z0-9]\{10\}" <<<"$OUT"
CODE=$(sed -n 's/.*invite code \([a-z0-9]*\).*/\1/p' <<<"$OUT")
S=$(space_of Acme)
check "space exists" test -n "$S"
check "space: m.room.create type m.space" test "$(state "$TA" "$S" m.room.create | js 'j.get("type")')" = m.space
srv=$(state "$TA" "$S" io.haos.server)
check "io.haos.server inviteCode" test "$(js 'j["inviteCode"]' <<<"$srv")" = "$CODE"
check "io.haos.server ownerId" test "$(js 'j["ownerId"]' <<<"$srv")" = "@alice:haos.test"
av=$(state "$TA" "$S" m.room.avatar | js 'j["url"]')
check "icon uploaded as m.room.avatar (mxc)" grep -q '^mxc://haos.test/' <<<"$av"
dl=$(curl -s "$HS_URL/_matrix/media/v3/download/${av#mxc://}" -H "Authorization: Bearer $TA" | tail -c 9)
check "icon bytes on the media repo" test "$dl" = "-icon-one"
pl=$(state "$TA" "$S" m.room.power_levels)
check "creator at 100" test "$(js 'j["users"]["@alice:haos.test"]' <<<"$pl")" = 100
check "4.2 template events" test "$(js 'sorted(j["events"].items())' <<<"$pl")" = "$(python3 -c 'print(sorted({"m.room.message":0,"m.room.name":50,"m.room.avatar":50,"m.room.power_levels":100,"m.space.child":50,"io.haos.channel":50}.items()))')"
check "4.2 template kick/ban/redact/invite" test "$(js '[j["kick"],j["ban"],j["redact"],j["invite"],j["users_default"]]' <<<"$pl")" = "[50, 50, 50, 0, 0]"
check "space join rule public" test "$(state "$TA" "$S" m.room.join_rules | js 'j["join_rule"]')" = public
vis=$(hs_call GET "/_matrix/client/v3/directory/list/room/$(enc "$S")" "$TA")
check "space not published" grep -q '"private"' <<<"$vis"
al=$(hs_call GET "/_matrix/client/v3/directory/room/$(enc "#haos-$CODE:haos.test")")
check "alias #haos-CODE points at the space" grep -qF "\"$S\"" <<<"$al"
G=$(children "$S" | awk '{print $2}')
check "one child: #general" test "$(name_of "$G")" = general
par=$(state "$TA" "$G" m.space.parent "$S")
check "general: m.space.parent via + canonical" test "$(js '[j["via"], j["canonical"]]' <<<"$par")" = "[['haos.test'], True]"
check "general: io.haos.channel TEXT by alice" test "$(state "$TA" "$G" io.haos.channel | js '[j["type"], j["creatorId"]]')" = "['TEXT', '@alice:haos.test']"
jr=$(state "$TA" "$G" m.room.join_rules)
check "general: restricted to the space" test "$(js '[j["join_rule"], j["allow"]]' <<<"$jr")" = "['restricted', [{'type': 'm.room_membership', 'room_id': '$S'}]]"
check "general: room version 10" test "$(state "$TA" "$G" m.room.create | js 'j["room_version"]')" = 10
check "space child via" test "$(state "$TA" "$S" m.space.child "$G" | js 'j["via"]')" = "['haos.test']"

# 2. /join CODE opens the server and all its channels.
hrun bob "/join $CODE"
check "bob joins by code (exit 0)" test "$RC" = 0
check "bob told: server and 1 channel" grep -q "joined server Acme and its 1 channel" <<<"$OUT"
check "bob in the space" test "$(membership "$S" @bob:haos.test)" = join
check "bob in #general (restricted join)" test "$(membership "$G" @bob:haos.test)" = join

# 3. Permission errors for a GUEST; nothing is sent.
since=$(hs_call GET /_test/requests | cut -d' ' -f2- | js 'j["next"]')
hrun bob --server Acme "/channel create spam"
check "guest /channel create exits 1" test "$RC" = 1
check "guest /channel create: role message" grep -qx "haos: channel create needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme "/server rename Mine"
check "guest /server rename refused" grep -qx "haos: server rename needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme "/server icon $TMP/icon2.png"
check "guest /server icon refused" grep -qx "haos: server icon needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme "/server invite --regenerate"
check "guest /server invite --regenerate refused" grep -qx "haos: server invite --regenerate needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme "/server publish on"
check "guest /server publish refused" grep -qx "haos: server publish needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme --channel general "/channel move down"
check "guest /channel move refused" grep -qx "haos: channel move needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme --channel general "/channel delete general"
check "guest /channel delete refused" grep -qx "haos: channel delete needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme --channel general "/channel rename x"
check "guest /channel rename refused" grep -qx "haos: channel rename needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme --channel general "/channel topic x"
check "guest /channel topic refused" grep -qx "haos: channel topic needs MODERATOR (50); you are GUEST (0)" <<<"$ERR"
hrun bob --server Acme "/server delete Acme"
check "non-owner /server delete refused" grep -q "haos: server delete: only the owner (@alice:haos.test) can delete the server" <<<"$ERR"
sent=$(hs_call GET "/_test/requests?since=$since" | cut -d' ' -f2- | js 'len([r for r in j["requests"] if r["method"] in ("PUT","DELETE") or r["path"].endswith("createRoom") or "/media/" in r["path"]])')
check "refused commands sent nothing" test "$sent" = 0
hrun bob "/server rename Mine"
check "no --server: says which context is missing" grep -qx "haos: server rename needs a server: give --server NAME|ID" <<<"$ERR"
hrun bob --server Acme "/channel rename x"
check "no --channel: says which context is missing" grep -qx "haos: channel rename needs a channel: give --channel NAME|ID" <<<"$ERR"

# 4. /channel create, types, order last.
hrun alice --server Acme "/channel create random" "/channel create lounge audio" "/channel create stage video"
check "channel create x3 exits 0" test "$RC" = 0
check "channel create reports" grep -q "created channel #stage" <<<"$OUT"
names=$(for id in $(children "$S" | awk '{print $2}'); do name_of "$id"; done | tr '\n' ' ')
check "children in creation order (order sorts last)" test "$names" = "general random lounge stage "
R=$(children "$S" | awk 'NR==2{print $2}'); L=$(children "$S" | awk 'NR==3{print $2}'); T=$(children "$S" | awk 'NR==4{print $2}')
check "lounge is AUDIO" test "$(state "$TA" "$L" io.haos.channel | js 'j["type"]')" = AUDIO
check "stage is VIDEO" test "$(state "$TA" "$T" io.haos.channel | js 'j["type"]')" = VIDEO
check "random: parent link" test "$(state "$TA" "$R" m.space.parent "$S" | js 'j["via"]')" = "['haos.test']"
check "random: restricted" test "$(state "$TA" "$R" m.room.join_rules | js 'j["join_rule"]')" = restricted
check "channel users map = the space's" test "$(state "$TA" "$R" m.room.power_levels | js 'sorted(j["users"].items())')" = "$(state "$TA" "$S" m.room.power_levels | js 'sorted(j["users"].items())')"
check "bad type is a usage error" bash -c "'$HAOS_BIN' --config '$cfg' run --server Acme '/channel create x smell' 2>&1 | grep -q 'usage: /channel create NAME'"

# 5. /channel move rewrites order.
hrun alice --server Acme --channel stage "/channel move up"
check "move up exits 0" test "$RC" = 0
names=$(for id in $(children "$S" | awk '{print $2}'); do name_of "$id"; done | tr '\n' ' ')
check "stage moved above lounge" test "$names" = "general random stage lounge "
hrun alice --server Acme --channel general "/channel move down"
names=$(for id in $(children "$S" | awk '{print $2}'); do name_of "$id"; done | tr '\n' ' ')
check "general moved below random" test "$names" = "random general stage lounge "
hrun alice --server Acme --channel random "/channel move up"
check "move up at the top: says so" grep -q "already first" <<<"$OUT"

# 6. rename and topic.
hrun alice --server Acme --channel random "/channel rename off-topic" "/channel topic 'anything goes'"
check "channel rename+topic exit 0" test "$RC" = 0
check "channel renamed" test "$(name_of "$R")" = off-topic
check "channel topic set" test "$(state "$TA" "$R" m.room.topic | js 'j["topic"]')" = "anything goes"
hrun alice --server Acme "/server rename Acme Two" "/server icon $TMP/icon2.png"
check "server rename+icon exit 0" test "$RC" = 0
check "server renamed" test "$(name_of "$S")" = "Acme Two"
av2=$(state "$TA" "$S" m.room.avatar | js 'j["url"]')
check "server icon replaced" test -n "$av2" -a "$av2" != "$av"

# 7. /server invite and --regenerate.
hrun alice --server "Acme Two" "/server invite"
check "server invite shows the code" grep -q "invite code: $CODE" <<<"$OUT"
hrun alice --server "Acme Two" "/server invite --regenerate"
check "regenerate exits 0" test "$RC" = 0
NEW=$(sed -n 's/.*new invite code: \([a-z0-9]*\).*/\1/p' <<<"$OUT")
check "a new code" test -n "$NEW" -a "$NEW" != "$CODE"
check "io.haos.server has the new code" test "$(state "$TA" "$S" io.haos.server | js 'j["inviteCode"]')" = "$NEW"
check "ownerId kept" test "$(state "$TA" "$S" io.haos.server | js 'j["ownerId"]')" = "@alice:haos.test"
check "new alias published" grep -qF "\"$S\"" <<<"$(hs_call GET "/_matrix/client/v3/directory/room/$(enc "#haos-$NEW:haos.test")")"
check "old alias removed" grep -q '^404' <<<"$(hs_call GET "/_matrix/client/v3/directory/room/$(enc "#haos-$CODE:haos.test")")"

# 8. The old code has expired; a stale alias (another client) too.
hrun carol "/join $CODE"
check "old code: exit 1" test "$RC" = 1
check "old code: this invite has expired" grep -q "this invite has expired" <<<"$ERR"
check "old code: carol not in the space" test "$(membership "$S" @carol:haos.test)" != join
hs_call PUT "/_matrix/client/v3/directory/room/$(enc "#haos-stale:haos.test")" "$TX" "{\"room_id\":\"$S\"}" >/dev/null
hrun carol "/join stale"
check "stale alias: this invite has expired" grep -q "this invite has expired" <<<"$ERR"
check "stale alias: carol left again" test "$(membership "$S" @carol:haos.test)" = leave
check "stale alias: carol in no channel" test "$(membership "$G" @carol:haos.test)" = none

# 9. The new code opens every channel.
hrun carol "/join $NEW"
check "new code: exit 0" test "$RC" = 0
check "new code: 4 channels" grep -q "joined server Acme Two and its 4 channels" <<<"$OUT"
cj=$(joined_rooms "$TC")
for id in "$S" "$G" "$R" "$L" "$T"; do
	check "carol joined $(name_of "$id")" grep -qF "\"$id\"" <<<"$cj"
done

# 10. invite_service is asked first (no token sent to it).
cat >"$TMP/svc.py" <<'PY'
import http.server, json, sys
room, code, log = sys.argv[1], sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, "a") as f:
            f.write("%s auth=%s\n" % (self.path, self.headers.get("Authorization")))
        if self.path == "/invite/" + code:
            b = json.dumps({"roomId": room}).encode(); self.send_response(200)
        else:
            b = b'{"errcode":"M_NOT_FOUND"}'; self.send_response(404)
        self.send_header("Content-Type", "application/json"); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True); s.serve_forever()
PY
mkfifo "$TMP/svc.fifo"
python3 "$TMP/svc.py" "$S" "$NEW" "$TMP/svc.log" >"$TMP/svc.fifo" &
SVC_PID=$!
exec 8<"$TMP/svc.fifo"; read -r SVC_PORT <&8
printf '[network]\ninvite_service = http://127.0.0.1:%s/\n\n' "$SVC_PORT" >"$TMP/svc2.ini"
cat "$cfg" >>"$TMP/svc2.ini"
since=$(hs_call GET /_test/requests | cut -d' ' -f2- | js 'j["next"]')
HCFG=$TMP/svc2.ini hrun dave "/join $NEW"
check "invite_service: dave joins (exit 0)" test "$RC" = 0
check "invite_service asked for the code" grep -q "^/invite/$NEW auth=None" "$TMP/svc.log"
joins=$(hs_call GET "/_test/requests?since=$since" | cut -d' ' -f2- | js '" ".join(r["path"] for r in j["requests"] if r["path"].startswith("/_matrix/client/v3/join/"))')
check "invite_service: joined by room id, not alias" bash -c "grep -q '/join/%21' <<<'$joins' && ! grep -q '%23haos-' <<<'$joins'"
check "dave in every channel" test "$(joined_rooms "$TD" | js 'len(j["joined_rooms"])')" = 5
HCFG=$TMP/svc2.ini hrun erin "/join $CODE"
check "invite_service 404 falls back to the alias: expired" grep -q "this invite has expired" <<<"$ERR"
kill $SVC_PID 2>/dev/null; wait $SVC_PID 2>/dev/null

# 11. /invite @user: one invite, the space's; its channels are restricted
# to the space's members and need none (/accept joins them).
hrun alice --server "Acme Two" "/invite @erin:haos.test"
check "invite exits 0" test "$RC" = 0
check "invite says 1 room" grep -q "invited in 1 room" <<<"$OUT"
check "erin invited to the space" test "$(membership "$S" @erin:haos.test)" = invite
for id in "$G" "$R" "$L" "$T"; do
	check "erin not invited to restricted $(name_of "$id")" bash -c "! test \"\$1\" = invite" _ "$(membership "$id" @erin:haos.test)"
done
hrun alice --server "Acme Two" "/invite @carol:haos.test"
check "invite a member of everything: nothing sent" grep -q "already in the server" <<<"$OUT"
hrun alice --server "Acme Two" "/invite @bob:haos.test"
check "invite bob (in the space): nothing sent, channels open" grep -q "already in the server, whose channels are open to its members" <<<"$OUT"
check "bob not invited to stage" bash -c "! test \"\$1\" = invite" _ "$(membership "$T" @bob:haos.test)"
hrun alice --server "Acme Two" "/invite erin"
check "invite: bad user id" grep -q "not a user id" <<<"$ERR"

# 12. /explore and /server publish.
hs_call POST /_matrix/client/v3/createRoom "$TX" '{"name":"Acme chat","preset":"public_chat","visibility":"public"}' >/dev/null
hrun erin "/explore Acme"
check "explore before publish: none" grep -q "no public servers found" <<<"$OUT"
hrun alice --server "Acme Two" "/server publish on"
check "publish on exits 0" test "$RC" = 0
check "directory says public" grep -q '"public"' <<<"$(hs_call GET "/_matrix/client/v3/directory/list/room/$(enc "$S")" "$TA")"
hrun erin "/explore Acme"
check "explore lists the server with members" grep -q "^Acme Two (4 members)  /join $S" <<<"$OUT"
check "explore skips non-space rooms" bash -c "! grep -q 'Acme chat' <<<'$OUT'"
hrun erin "/explore --join Acme"
check "explore --join joins it and its channels" grep -q "joined server Acme Two and its 4 channels" <<<"$OUT"
check "erin joined a channel" test "$(membership "$T" @erin:haos.test)" = join
hs_call POST /_matrix/client/v3/createRoom "$TX" '{"name":"Evil\u001b[2J\u001b]0;pwned\u0007Guild","topic":"red\u001b[31m text\u202e","preset":"public_chat","visibility":"public","creation_content":{"type":"m.space"}}' >/dev/null
hrun erin "/explore Evil"
check "explore lists a hostile name" grep -q "Guild" <<<"$OUT"
check "explore output has no control characters" test -z "$(printf '%s' "$OUT" | tr -d '\n' | LC_ALL=C grep -P '[\x00-\x1f\x7f]')"
check "explore output has no bidi override" test -z "$(printf '%s' "$OUT" | LC_ALL=C.UTF-8 grep -P '\x{202e}')"
hrun alice --server "Acme Two" "/server publish off"
check "publish off" grep -q '"private"' <<<"$(hs_call GET "/_matrix/client/v3/directory/list/room/$(enc "$S")" "$TA")"

# 13. /join #alias, !room, matrix.to links of plain rooms.
P=$(hs_call POST /_matrix/client/v3/createRoom "$TX" '{"name":"plain","preset":"public_chat","room_alias_name":"plain"}' | cut -d' ' -f2- | js 'j["room_id"]')
P2=$(hs_call POST /_matrix/client/v3/createRoom "$TX" '{"name":"plain2","preset":"public_chat"}' | cut -d' ' -f2- | js 'j["room_id"]')
P3=$(hs_call POST /_matrix/client/v3/createRoom "$TX" '{"name":"plain3","preset":"public_chat","room_alias_name":"plain3"}' | cut -d' ' -f2- | js 'j["room_id"]')
hrun erin "/join #plain:haos.test"
check "join #alias" test "$RC" = 0 -a "$(membership "$P" @erin:haos.test)" = join
hrun erin "/join $P2"
check "join !roomid" test "$RC" = 0 -a "$(membership "$P2" @erin:haos.test)" = join
hrun erin "/join https://matrix.to/#/%23plain3:haos.test?via=haos.test"
check "join matrix.to link" test "$RC" = 0 -a "$(membership "$P3" @erin:haos.test)" = join
hrun erin "/join https://example.org/x"
check "join: not a link we know" grep -q "not a matrix.to link" <<<"$ERR"
hrun erin "/join #nope:haos.test"
check "join unknown alias: errcode shown" grep -q "M_NOT_FOUND" <<<"$ERR"

# 14. /channel delete: confirmation, unlink, kick, leave.
hrun alice --server "Acme Two" --channel lounge "/channel delete"
check "channel delete asks to confirm" grep -q "channel delete: to confirm, type /channel delete lounge (this removes #lounge" <<<"$ERR"
check "unconfirmed: still linked" test "$(state "$TA" "$S" m.space.child "$L" | js 'j.get("via")')" = "['haos.test']"
hrun alice --server "Acme Two" --channel lounge "/channel delete lounge"
check "channel delete exits 0" test "$RC" = 0
check "m.space.child emptied" test "$(state "$TA" "$S" m.space.child "$L")" = "{}"
check "members kicked" test "$(state "$TB" "$S" m.room.member @carol:haos.test | js 'j["membership"]')" = join -a "$(hs_call GET "/_matrix/client/v3/rooms/$(enc "$L")/state/m.room.member/$(enc @carol:haos.test)" "$TC" | cut -d' ' -f2- | js 'j["membership"]')" = leave
check "alice left the channel" test "$(hs_call GET "/_matrix/client/v3/rooms/$(enc "$L")/state/m.room.member/$(enc @alice:haos.test)" "$TA" | cut -d' ' -f2- | js 'j["membership"]')" = leave

# 15. /server leave.
hrun bob --server "Acme Two" "/server leave Acme Two"
check "server leave exits 0" test "$RC" = 0
check "bob left every room" test "$(joined_rooms "$TB" | js 'len(j["joined_rooms"])')" = 0

# 15b. A banned user's /join says so, however the server or channel is
# named (the server's 403 is not about an invite-only server).
hrun alice --server "Acme Two" "/ban @erin:haos.test trolling"
check "ban erin exits 0 ($ERR)" test "$RC" = 0
for what in "$NEW" "#haos-$NEW:haos.test" "$S" "$G"; do
	hrun erin "/join $what"
	check "banned /join $what: exit 1" test "$RC" = 1
	check "banned /join $what: says banned ($ERR)" grep -qF "cannot join $what: you are banned from it (a moderator can /unban you)" <<<"$ERR"
	check "banned /join $what: not called invite-only" bash -c "! grep -q 'invite-only' <<<\"\$1\"" _ "$ERR"
done
check "erin still banned from the space" test "$(membership "$S" @erin:haos.test)" = ban

# 16. /server doctor is /server's subcommand.
hrun alice --server "Acme Two" "/server doctor"
check "server doctor dispatched (not a usage error)" test -n "$OUT$ERR" -a -z "$(grep 'usage: /server' <<<"$ERR$OUT")"

# 17. /server delete: owner, confirmation, mark, kick, leave.
hrun alice --server "Acme Two" "/server delete"
check "server delete asks to confirm" grep -q "server delete: to confirm, type /server delete Acme Two (this removes Acme Two for everyone" <<<"$ERR"
hrun alice --server "Acme Two" "/server delete Acme Two"
check "server delete exits 0" test "$RC" = 0
del=$(hs_call GET "/_matrix/client/v3/rooms/$(enc "$S")/state/io.haos.server_deleted/" "$TA" | cut -d' ' -f2-)
check "io.haos.server_deleted written" test "$(js '[j["deleted"], j["deletedBy"]]' <<<"$del")" = "[True, '@alice:haos.test']"
check "invite alias removed" grep -q '^404' <<<"$(hs_call GET "/_matrix/client/v3/directory/room/$(enc "#haos-$NEW:haos.test")")"
check "carol kicked from the space" test "$(hs_call GET "/_matrix/client/v3/rooms/$(enc "$S")/state/m.room.member/$(enc @carol:haos.test)" "$TC" | cut -d' ' -f2- | js 'j["membership"]')" = leave
check "alice left everything of the server" bash -c "! grep -qE '$S|$G|$R|$T' <<<'$(joined_rooms "$TA")'"
hrun carol "/join $NEW"
check "code of a deleted server: expired" grep -q "this invite has expired" <<<"$ERR"

# 18. A child linked without an order (as the web app links them) is given
# one, so that a new channel still sorts last.
hrun alice "/server create Beta"
B=$(space_of Beta)
LEG=$(hs_call POST /_matrix/client/v3/createRoom "$TX" "{\"name\":\"legacy\",\"initial_state\":[{\"type\":\"m.space.parent\",\"state_key\":\"$B\",\"content\":{\"via\":[\"haos.test\"]}}]}" | cut -d' ' -f2- | js 'j["room_id"]')
hs_call PUT "/_matrix/client/v3/rooms/$(enc "$B")/state/m.space.child/$(enc "$LEG")" "$TX" '{"via":["haos.test"]}' >/dev/null
hrun alice --server Beta "/channel create newest"
check "create with an unordered sibling exits 0" test "$RC" = 0
names=$(for id in $(children "$B" | awk '{print $2}'); do name_of "$id"; done | tr '\n' ' ')
check "unordered child numbered, new channel last" test "$names" = "general legacy newest "
check "every child has an order now" test "$(children "$B" | grep -c '^~')" = 0

# 18b. /channel move steps over voice channels (listed in their own
# group) to the neighbour in the same group.
hrun alice --server Beta "/channel create hall audio" "/channel create notes"
names=$(for id in $(children "$B" | awk '{print $2}'); do name_of "$id"; done | tr '\n' ' ')
check "hall and notes last" test "$names" = "general legacy newest hall notes "
hrun alice --server Beta --channel notes "/channel move up"
check "move up over a voice channel exits 0" test "$RC" = 0
names=$(for id in $(children "$B" | awk '{print $2}'); do name_of "$id"; done | tr '\n' ' ')
check "notes moved above newest, past hall ($names)" test "$names" = "general legacy notes hall newest "
hrun alice --server Beta --channel hall "/channel move down"
check "the last voice channel: already last" grep -q "already last" <<<"$OUT"

# 19. Every state event haos wrote has the mapping's shape.
devs=$(for u in alice bob carol dave erin; do sess $u device_id; done)
shp=$(python3 "$ROOT/tests/integration/shapes.py" "$HS_URL" "$ROOT/tests/fixtures/space/shapes.json" $devs); rc=$?
echo "$shp" | sed 's/^/# /'
check "state events match the mapping's shapes" test "$rc" = 0
for t in io.haos.server io.haos.channel io.haos.server_deleted m.space.child m.space.parent m.room.create m.room.name m.room.topic m.room.avatar m.room.join_rules m.room.power_levels; do
	check "shapes cover $t" grep -q " $t=" <<<" ${shp##*events: }"
done
# The checker itself must catch a wrong shape.
bad=$(python3 -c '
import sys; sys.path.insert(0, sys.argv[1]); import shapes, json
s = {k: v for k, v in json.load(open(sys.argv[2])).items() if not k.startswith("_")}
print(len(shapes.check(s, "io.haos.server", "", {"inviteCode": 5, "owner": "@a:b"}, "x")),
      len(shapes.check(s, "io.haos.channel", "@a:b", {"type": "TEXT", "creatorId": "@a:b"}, "x")),
      len(shapes.check(s, "io.haos.member_role", "", {}, "x")))' "$ROOT/tests/integration" "$ROOT/tests/fixtures/space/shapes.json")
check "shape checker rejects wrong shapes" test "$bad" = "3 1 1"

finish
