#!/usr/bin/env bash
# Conversation features in tmux: edits, deletes, replies, reactions and
# threads, with bob and carol acting through the homeserver's API and
# what haos sends checked on the server.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
haos_start 160 50
NB=$'\xc2\xa0'		# between a reaction key and its count

# api ACTION ...: the homeserver as bob, carol or alice (stdlib Python).
cat >"$TMP/api.py" <<'PY'
import json, sys, urllib.parse, urllib.request, random
url, action, room, tok = sys.argv[1:5]
args = sys.argv[5:]
q = lambda s: urllib.parse.quote(s, safe="")
def call(method, path, body=None):
    r = urllib.request.Request(url + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Bearer " + tok,
                 "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r, timeout=10))
def txn():
    return "conv%d" % random.randrange(1 << 40)
def recent(limit=80):
    return call("GET", "/_matrix/client/v3/rooms/%s/messages?dir=b&limit=%d"
                % (q(room), limit))["chunk"]
if action == "send":		# send TYPE CONTENT -> event id
    print(call("PUT", "/_matrix/client/v3/rooms/%s/send/%s/%s"
               % (q(room), args[0], txn()), json.loads(args[1]))["event_id"])
elif action == "redact":	# redact EVENT
    print(call("PUT", "/_matrix/client/v3/rooms/%s/redact/%s/%s"
               % (q(room), q(args[0]), txn()), {})["event_id"])
elif action == "last":		# last SENDER TYPE EXPR: newest such event
    for e in recent():
        if e["sender"] == args[0] and e["type"] == args[1]:
            c = e.get("content", {})
            rel = c.get("m.relates_to", {})
            ok = eval(args[2])
            if not ok:
                print(json.dumps(e), file=sys.stderr)
            sys.exit(0 if ok else 1)
    print("no %s from %s" % (args[1], args[0]), file=sys.stderr)
    sys.exit(1)
elif action == "reactions":	# reactions TARGET SENDER KEY -> live count
    n = 0
    for e in recent():
        rel = e.get("content", {}).get("m.relates_to", {})
        if (e["type"] == "m.reaction" and e["sender"] == args[1] and
                rel.get("event_id") == args[0] and rel.get("key") == args[2]):
            n += 1
    print(n)
elif action == "demote":	# demote USER: power level 0 in the room
    pl = call("GET", "/_matrix/client/v3/rooms/%s/state/m.room.power_levels/" % q(room))
    pl.setdefault("users", {})[args[0]] = 0
    call("PUT", "/_matrix/client/v3/rooms/%s/state/m.room.power_levels/" % q(room), pl)
elif action == "redacted":	# redacted EVENT -> exit 0 if redacted
    e = call("GET", "/_matrix/client/v3/rooms/%s/event/%s" % (q(room), q(args[0])))
    ok = "redacted_because" in e.get("unsigned", {}) and not e.get("content")
    if not ok:
        print(json.dumps(e), file=sys.stderr)
    sys.exit(0 if ok else 1)
PY
api() { python3 "$TMP/api.py" "$HS_URL" "$1" "$GENERAL" "$2" "${@:3}"; }
text() { printf '{"msgtype":"m.text","body":"%s"}' "$1"; }
# until_ok SECONDS COMMAND...: retry until the command succeeds.
until_ok() {
	local i n=$(( $1 * 5 )); shift
	for ((i = 0; i < n; i++)); do "$@" 2>/dev/null && return 0; sleep 0.2; done
	"$@"
}
reactions_are() { test "$(api reactions "$ALICE_TOKEN" "$1" "$2" "$3")" = "$4"; }

check "demo world appears" wait_for "Heads-up: the office is closed" 15

# 1. Edits from the sender replace the text; a third user's are ignored.
ORIG=$(api send "$BOB_TOKEN" m.room.message "$(text "conv original words")")
check "bob's message arrives" wait_for "conv original words" 10
api send "$BOB_TOKEN" m.room.message '{"msgtype":"m.text","body":"* conv words v2","m.new_content":{"msgtype":"m.text","body":"conv words v2"},"m.relates_to":{"rel_type":"m.replace","event_id":"'"$ORIG"'"}}' >/dev/null
check "bob's edit updates the line" wait_for "conv words v2 (edited)" 10
check "the old text is gone" wait_gone "conv original words" 5
api send "$CAROL_TOKEN" m.room.message '{"msgtype":"m.text","body":"* carol hijack","m.new_content":{"msgtype":"m.text","body":"carol hijack"},"m.relates_to":{"rel_type":"m.replace","event_id":"'"$ORIG"'"}}' >/dev/null
api send "$BOB_TOKEN" m.room.message "$(text "conv marker after hijack")" >/dev/null
check "later message arrives" wait_for "conv marker after hijack" 10
s=$(screen)
check "carol's edit of bob's message is ignored" bash -c '! grep -q "carol hijack" <<<"$1" && grep -q "conv words v2 (edited)" <<<"$1"' _ "$s"

# 2. A moderator's redaction: "message deleted by Bob".
DOOMED=$(api send "$CAROL_TOKEN" m.room.message "$(text "conv doomed words")")
check "carol's message arrives" wait_for "conv doomed words" 10
api redact "$BOB_TOKEN" "$DOOMED" >/dev/null
check "redaction shows message deleted by Bob" wait_for "message deleted by Bob" 10
check "the deleted text is gone" wait_gone "conv doomed words" 5

# 3. Reactions aggregate, mine via + and the picker, again to remove.
TARGET=$(api send "$BOB_TOKEN" m.room.message "$(text "conv react to me")")
check "reaction target arrives" wait_for "conv react to me" 10
api send "$BOB_TOKEN" m.reaction '{"m.relates_to":{"rel_type":"m.annotation","event_id":"'"$TARGET"'","key":"👍"}}' >/dev/null
api send "$CAROL_TOKEN" m.reaction '{"m.relates_to":{"rel_type":"m.annotation","event_id":"'"$TARGET"'","key":"👍"}}' >/dev/null
api send "$CAROL_TOKEN" m.reaction '{"m.relates_to":{"rel_type":"m.annotation","event_id":"'"$TARGET"'","key":"🎉"}}' >/dev/null
check "reactions aggregate (👍 2  🎉 1)" wait_for "👍${NB}2  🎉${NB}1" 10
keys M-s
sleep 0.3
keys +
check "+ opens the emoji picker" wait_for "React: _" 5
keys -l "thumbsu"
check "picker searches shortcodes" wait_for ":thumbsup:" 5
keys Enter
check "my reaction counts (👍 3)" wait_for "👍${NB}3" 10
check "the picker closed" wait_gone "React:" 5
check "server has my m.annotation" until_ok 5 reactions_are "$TARGET" "@alice:haos.test" "👍" 1
api last "$ALICE_TOKEN" "@alice:haos.test" m.reaction 'rel == {"rel_type": "m.annotation", "event_id": "'"$TARGET"'", "key": "👍"}'
check "reaction JSON is the mapping's" test $? = 0
keys M-s
sleep 0.3
keys +
wait_for "React: _" 5 >/dev/null
keys -l "thumbsup"
sleep 0.3
keys Enter
check "choosing it again removes it (👍 2)" wait_for "👍${NB}2  🎉" 10
check "server: my reaction redacted" until_ok 5 reactions_are "$TARGET" "@alice:haos.test" "👍" 0
keys M-s; sleep 0.3; keys +
wait_for "React: _" 5 >/dev/null
keys Escape
check "Esc closes the picker" wait_gone "React:" 5
sleep 0.5
check "no reaction from closing the picker" reactions_are "$TARGET" "@alice:haos.test" "👍" 0
keys Escape
sleep 0.5
keys -l "/react :joy:"
keys Enter
check "/react :joy: reacts to the newest message" wait_for "😂${NB}1" 10
check "server has the /react reaction" until_ok 5 reactions_are "$TARGET" "@alice:haos.test" "😂" 1

# 4. Replies: an incoming one shows a preview without its fallback.
QUESTION=$(api send "$BOB_TOKEN" m.room.message "$(text "conv question from bob")")
check "bob's question arrives" wait_for "conv question from bob" 10
api send "$CAROL_TOKEN" m.room.message '{"msgtype":"m.text","body":"> <@bob:haos.test> conv question from bob\n\nconv carol answers","format":"org.matrix.custom.html","formatted_body":"<mx-reply><blockquote>conv question from bob</blockquote></mx-reply>conv carol answers","m.relates_to":{"m.in_reply_to":{"event_id":"'"$QUESTION"'"}}}' >/dev/null
check "carol's reply arrives" wait_for "conv carol answers" 10
s=$(screen)
check "reply preview above the reply" grep -qF "Bob: conv question from bob" <<<"$s"
check "reply fallback stripped" bash -c '! grep -qF "> <@bob:haos.test>" <<<"$1"' _ "$s"
keys M-s
sleep 0.3
keys Up
sleep 0.2
keys r
check "r shows what I reply to" wait_for "replying to Bob: conv question from bob" 5
keys -l "conv alice replies"
keys Enter
check "my reply shows" wait_for "conv alice replies" 10
check "banner gone after sending" wait_gone "replying to Bob" 5
check "server: my reply has m.in_reply_to" until_ok 5 api last "$ALICE_TOKEN" "@alice:haos.test" m.room.message 'c.get("body") == "conv alice replies" and rel == {"m.in_reply_to": {"event_id": "'"$QUESTION"'"}}'
# Esc cancels a reply.
keys M-s; sleep 0.3; keys r
wait_for "replying to" 5 >/dev/null
keys Escape
check "Esc cancels the reply" wait_gone "replying to" 5

# 5. Up on an empty input edits my last message; edits of edits.
MINE=$(python3 "$TMP/api.py" "$HS_URL" last "$GENERAL" "$ALICE_TOKEN" "@alice:haos.test" m.room.message 'print(e["event_id"]) or True' 2>/dev/null | tail -1)
keys C-u
keys Up
check "Up on empty input starts editing" wait_for "editing your message" 5
s=$(screen)
check "the editor holds the message" grep -qF "> conv alice replies" <<<"$s"
keys C-u
keys -l "conv alice fixed"
keys Enter
check "the edit shows (edited)" wait_for "conv alice fixed (edited)" 10
check "server: m.replace of my message" until_ok 5 api last "$ALICE_TOKEN" "@alice:haos.test" m.room.message 'c == {"msgtype": "m.text", "body": "* conv alice fixed", "m.new_content": {"msgtype": "m.text", "body": "conv alice fixed"}, "m.relates_to": {"rel_type": "m.replace", "event_id": "'"$MINE"'"}}'
keys M-s
sleep 0.3
keys e
check "e edits the selected message" wait_for "editing your message" 5
keys C-u
keys -l "conv alice fixed twice"
keys Enter
check "the second edit shows" wait_for "conv alice fixed twice (edited)" 10
check "server: an edit of an edit relates to the original" until_ok 5 api last "$ALICE_TOKEN" "@alice:haos.test" m.room.message 'c.get("m.new_content", {}).get("body") == "conv alice fixed twice" and rel == {"rel_type": "m.replace", "event_id": "'"$MINE"'"}'
keys M-s; sleep 0.3; keys e
wait_for "editing your message" 5 >/dev/null
keys Escape
check "Esc cancels an edit" wait_gone "editing your message" 5
check "the input is empty again" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -qE "^> conv alice"'

# 6. d asks, n keeps, y redacts on the server.
keys -l "conv delete me"
keys Enter
check "my message to delete shows" wait_for "conv delete me" 10
sleep 1
DEL=$(python3 "$TMP/api.py" "$HS_URL" last "$GENERAL" "$ALICE_TOKEN" "@alice:haos.test" m.room.message 'print(e["event_id"]) or True' 2>/dev/null | tail -1)
keys M-s; sleep 0.3; keys d
check "d asks for confirmation" wait_for "delete this message? (y/n)" 5
keys n
check "n keeps it" wait_for "not deleted" 5
check "still there" wait_for "conv delete me" 2
keys M-s; sleep 0.3; keys d
wait_for "delete this message?" 5 >/dev/null
keys y
check "y deletes it" wait_gone "conv delete me" 10
check "the question is gone after the delete" wait_gone "delete this message?" 2
check "server: my message redacted" until_ok 5 api redacted "$ALICE_TOKEN" "$DEL"
# alice is an admin: she may delete bob's message too.
BOBS=$(api send "$BOB_TOKEN" m.room.message "$(text "conv bob says something rude")")
check "bob's rude message arrives" wait_for "conv bob says something rude" 10
keys M-s; sleep 0.3; keys d
wait_for "delete this message?" 5 >/dev/null
keys y
check "a moderator's delete shows who did it" wait_for "message deleted by Alice" 10
check "server: bob's message redacted" until_ok 5 api redacted "$ALICE_TOKEN" "$BOBS"

# 7. Threads: summary, t opens, a reply goes out as m.thread.
ROOT_ID=$(api send "$BOB_TOKEN" m.room.message "$(text "conv thread root")")
R1=$(api send "$CAROL_TOKEN" m.room.message '{"msgtype":"m.text","body":"conv thread first reply","m.relates_to":{"rel_type":"m.thread","event_id":"'"$ROOT_ID"'","is_falling_back":true,"m.in_reply_to":{"event_id":"'"$ROOT_ID"'"}}}')
check "thread summary on the root" wait_for "1 reply · last by Carol" 10
check "thread replies stay out of the channel" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q "conv thread first reply"'
keys M-s; sleep 0.3; keys t
check "t opens the thread" wait_for "conv thread first reply" 5
check "thread header and hint" wait_for "Esc returns to the channel" 5
keys -l "conv my thread reply"
keys Enter
check "my thread reply shows in the thread" wait_for "conv my thread reply" 10
check "server: m.thread with the fallback to the newest event" until_ok 5 api last "$ALICE_TOKEN" "@alice:haos.test" m.room.message 'c.get("body") == "conv my thread reply" and rel == {"rel_type": "m.thread", "event_id": "'"$ROOT_ID"'", "is_falling_back": True, "m.in_reply_to": {"event_id": "'"$R1"'"}}'
keys Escape
check "Esc returns to the channel" wait_gone "Esc returns to the channel" 5
check "summary counts my reply" wait_for "2 replies · last by Alice" 10
check "thread reply not in the channel" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q "conv my thread reply"'

# 8. Hostile text in a quote is sanitised.
EVIL=$(api send "$BOB_TOKEN" m.room.message "$(text 'conv evil \u001b[2J\u001b]0;pwned\u0007 end')")
check "hostile message arrives" wait_for "conv evil" 10
keys M-s; sleep 0.3; keys r
check "quote of a hostile message" wait_for "replying to Bob: conv evil" 5
check "no escape sequence reached the terminal (title intact)" bash -c '! tmux -L '"$TMUX_SOCK"' display -p -t h "#{pane_title}" | grep -q pwned'
keys Escape
sleep 0.5

# 9. A guest may not delete other people's messages: told before asking.
api demote "$ALICE_TOKEN" "@alice:haos.test"
sleep 2
api send "$BOB_TOKEN" m.room.message "$(text "conv bob keeps this")" >/dev/null
check "bob's message arrives" wait_for "conv bob keeps this" 10
keys M-s; sleep 0.3; keys d
check "a guest is told deleting needs a moderator" wait_for "only moderators may delete others' messages (needs power level 50, you have 0)" 5
check "no confirmation asked" bash -c '! tmux -L '"$TMUX_SOCK"' capture-pane -p -t h | grep -q "delete this message?"'
keys Escape
sleep 0.5

keys -l "/quit"
keys Enter
check "quits" wait_for "HAOS-EXITED 0" 5
finish
