#!/usr/bin/env bash
# Encryption as the user sees it, in tmux: the lock in the topic bar of an
# encrypted room, an encrypted message haos has no key for, /encrypt (n
# leaves the channel clear, y encrypts it) and /dm making an encrypted
# room, each checked on the server too; the per-message lock (/locks,
# l, message_locks) and its line in Message details.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

LOCK=$'\xf0\x9f\x94\x92'

hs_start
seed_world
haos_login
GENERAL=$(room_id general "$ALICE_TOKEN")
RANDOM_ROOM=$(room_id random "$ALICE_TOKEN")
q() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# state ROOM: the room's m.room.encryption as alice reads it ("STATUS BODY").
state() { hs_call GET "/_matrix/client/v3/rooms/$(q "$1")/state/m.room.encryption/" "$ALICE_TOKEN"; }

# The topic bar is the first line of the screen.
topic_has() { screen | head -1 | grep -qF -- "$1"; }
topic_lacks() { ! topic_has "$1"; }

# 1. random is encrypted before haos starts, and bob sends into it an
#    m.room.encrypted event whose key haos never had.
r=$(hs_call PUT "/_matrix/client/v3/rooms/$(q "$RANDOM_ROOM")/state/m.room.encryption/" \
	"$ALICE_TOKEN" '{"algorithm":"m.megolm.v1.aes-sha2"}')
check "random encrypted on the server ($r)" test "${r%% *}" = 200
r=$(hs_call PUT "/_matrix/client/v3/rooms/$(q "$RANDOM_ROOM")/send/m.room.encrypted/e2e-enc-1" \
	"$BOB_TOKEN" '{"algorithm":"m.megolm.v1.aes-sha2","sender_key":"c2VuZGVyIGtleSBvZiBib2I","device_id":"BOBDEVICE","session_id":"bm8gc3VjaCBzZXNzaW9u","ciphertext":"QXdnQUVuQ2lwaGVydGV4dE5vYm9keUNhblJlYWQ"}')
check "bob sent an encrypted event ($r)" test "${r%% *}" = 200

haos_start 140 40
check "client up" wait_for "Heads-up: the office is closed" 30

keys -l "/goto random"
keys Enter
check "in #random" wait_for "> # random" 10
check "the encrypted room shows the lock" wait_for "# random $LOCK" 10
check "the lock is in the topic bar" topic_has "$LOCK"
check "the message without a key says so" wait_for "waiting for the key to this message" 10
check "its ciphertext is never shown" bash -c "! tmux -L $TMUX_SOCK capture-pane -p -t h | grep -q 'QXdnQUVu'"

# 2. /encrypt on a clear channel asks; n leaves it clear.
keys -l "/goto general"
keys Enter
check "in #general" wait_for "> # general" 10
check "no lock on a clear channel" topic_lacks "$LOCK"
keys -l "/encrypt"
keys Enter
check "/encrypt asks first" wait_for "Encryption cannot be turned off again. Encrypt #general? (y/n)" 10
keys n
check "n cancels" wait_for "cancelled: nothing was done" 5
sleep 1
r=$(state "$GENERAL")
check "general is still clear on the server ($r)" test "${r%% *}" = 404
check "still no lock" topic_lacks "$LOCK"

# 3. y sends m.room.encryption, and the lock appears once the sync has it.
keys -l "/encrypt"
keys Enter
check "asked again" wait_for "Encrypt #general? (y/n)" 10
keys y
check "y turns encryption on" wait_for "encryption turned on in #general" 10
r=$(state "$GENERAL")
check "general is encrypted on the server ($r)" grep -q '^200 .*"algorithm": *"m.megolm.v1.aes-sha2"' <<<"$r"
check "the lock appears" wait_for "# general $LOCK" 10
keys -l "/encrypt"
keys Enter
check "encrypted already: said, nothing asked" wait_for "#general is already encrypted" 10

# 3b. A message haos sends there comes back encrypted and decrypted; /locks
#     draws its lock (alice has no cross-signing: unverified, a plain
#     lock), Message details say so with the device, l on the selected
#     message (or /locks off) takes it away.
keys -l "locked hello"
keys Enter
check "the message is shown" wait_for "locked hello" 10
check "and sent, encrypted" wait_gone "crypting" 30
sleep 1
check "no lock before /locks" bash -c "! tmux -L $TMUX_SOCK capture-pane -p -t h | grep -qF '$LOCK locked hello'"
keys -l "/locks"
keys Enter
check "/locks says it" wait_for "message locks on" 10
check "the message has its lock" wait_for "$LOCK locked hello" 10
keys M-s; sleep 0.3; keys Enter
check "details: the lock's state and device" wait_for "encryption: unverified: encrypted by a device of an identity you" 10
check "details: the sending device" wait_for "(device " 5
keys Escape; sleep 0.3
keys l
check "l on a selected message hides the locks" wait_gone "$LOCK locked hello" 10
keys Escape; sleep 0.3
keys -l "/locks on"
keys Enter
check "/locks on shows it again" wait_for "$LOCK locked hello" 10
keys -l "/locks off"
keys Enter
check "/locks off hides it" wait_gone "$LOCK locked hello" 10

# 4. /dm makes a room that is encrypted from the start.
keys -l "/dm @carol:haos.test"
keys Enter
check "/dm reports a new conversation" wait_for "dm: new conversation with @carol:haos.test" 10
check "the new DM is selected" wait_for "Direct Messages > Carol" 10
direct=$(hs_call GET "/_matrix/client/v3/user/@alice:haos.test/account_data/m.direct" "$ALICE_TOKEN")
CAROL_DM=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].split(" ",1)[1])["@carol:haos.test"][0])' "$direct")
r=$(state "$CAROL_DM")
check "the DM is encrypted on the server ($r)" grep -q '^200 .*"algorithm": *"m.megolm.v1.aes-sha2"' <<<"$r"
check "the DM shows the lock" wait_for "Carol $LOCK" 10

# 5. On an ASCII terminal the lock is "[E2E]".
keys -l "/quit"
keys Enter
check "client quit" wait_for "HAOS-EXITED 0" 10
printf '[ui]\nascii = yes\nmessage_locks = yes\n' >>"$CFG"
haos_restart
check "client up again" wait_for "connected" 30
keys -l "/goto general"
keys Enter
check "in #general" wait_for "> # general" 10
check "the ASCII lock" wait_for "# general [E2E]" 10
check "no emoji on an ASCII terminal" topic_lacks "$LOCK"
check "message_locks = yes: the ASCII lock before the message" wait_for "[E2E] locked hello" 10

[ "$FAILS" = 0 ] || dump
finish
