#!/usr/bin/env bash
# One haos per profile: a second client or `haos run` on a profile in use
# says so and exits 1; `haos logout` deletes the message cache unless
# --keep-cache.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

hs_start
seed_world
haos_login
STORE=$XDG_DATA_HOME/haos/default/store.sqlite3

haos_start 120 40
check "client up" wait_for "Heads-up: the office is closed" 30

# 1. A second instance of the same profile is refused, and says why.
"$HAOS_BIN" --config "$CFG" </dev/null >"$TMP/second.out" 2>"$TMP/second.err"; rc=$?
check "second client exits 1 ($rc)" test "$rc" = 1
check "second client says the profile is in use ($(cat "$TMP/second.err"))" \
	grep -q "this profile is already in use by another haos (pid [0-9]*)" "$TMP/second.err"
"$HAOS_BIN" --config "$CFG" run --channel general "/me waves" >"$TMP/run.out" 2>"$TMP/run.err"; rc=$?
check "haos run on the same profile exits 1 ($rc)" test "$rc" = 1
check "haos run says so" grep -q "already in use by another haos" "$TMP/run.err"
check "the first client still runs" wait_for "Heads-up: the office is closed" 2

# 2. After quitting, the profile is free again.
keys "/quit" Enter
check "client quit" wait_for "HAOS-EXITED 0" 10
"$HAOS_BIN" --config "$CFG" run --channel general "/me waves" >"$TMP/run.out" 2>"$TMP/run.err"; rc=$?
check "haos run works once the client quit ($rc: $(cat "$TMP/run.err"))" test "$rc" = 0

# 3. Logout deletes the message cache.
check "the cache exists" test -f "$STORE"
"$HAOS_BIN" --config "$CFG" logout >"$TMP/logout.out" 2>&1; rc=$?
check "logout exits 0" test "$rc" = 0
check "logout says the cache went ($(cat "$TMP/logout.out"))" grep -q "Deleted the message cache" "$TMP/logout.out"
check "the cache is gone" test ! -e "$STORE" -a ! -e "$STORE-wal" -a ! -e "$STORE-shm"

# 4. --keep-cache keeps it.
haos_login
"$HAOS_BIN" --config "$CFG" run --channel general "/me again" >/dev/null 2>&1
check "a cache again" test -f "$STORE"
"$HAOS_BIN" --config "$CFG" logout --keep-cache >"$TMP/logout.out" 2>&1; rc=$?
check "logout --keep-cache exits 0" test "$rc" = 0
check "the cache is kept" test -f "$STORE"

[ "$FAILS" = 0 ] || dump
finish
