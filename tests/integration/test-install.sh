#!/usr/bin/env bash
# make install / uninstall honour PREFIX and DESTDIR.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d /tmp/haos-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
PASSES=0 FAILS=0
check() { local d=$1; shift; if "$@"; then PASSES=$((PASSES+1)); echo "ok - $d"; else FAILS=$((FAILS+1)); echo "FAIL - $d"; fi; }

make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr >/dev/null
check "binary installed, 755" test "$(stat -c %a "$dest/usr/bin/haos" 2>/dev/null)" = 755
check "man page installed" test -f "$dest/usr/share/man/man1/haos.1"
check "example config installed" test -f "$dest/usr/share/doc/haos/config.example.ini"
check "installed binary runs" bash -c "'$dest/usr/bin/haos' --version | grep -q '^haos '"
check "DESTDIR not baked into the binary" bash -c "! grep -q '$dest' '$dest/usr/bin/haos'"
make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null
check "uninstall removes the binary" test ! -e "$dest/usr/bin/haos"
check "uninstall removes the man page" test ! -e "$dest/usr/share/man/man1/haos.1"
check "uninstall removes the docs" test ! -e "$dest/usr/share/doc/haos"
echo "$PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
