#!/usr/bin/env bash
# Warm start: a store of 1,000 rooms / 100,000 events, then haos from process
# start to its first complete frame (clock from main()), and its peak RSS.
# Usage: bench-startup.sh HAOS BENCH_INGEST
set -euo pipefail
haos=$(realpath "$1") ingest=$(realpath "$2")
tmp=$(mktemp -d /tmp/haos-bench-start.XXXXXX)
sock=haosbench$$
trap 'tmux -L $sock kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_STATE_HOME=$tmp/state
mkdir -p "$XDG_DATA_HOME/haos/default"
"$ingest" "$XDG_DATA_HOME/haos/default/store.sqlite3" >/dev/null
# A session whose homeserver is unreachable: the first frame comes from the
# cache alone, as it must.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$XDG_DATA_HOME/haos/default/session.json" <<JSON
{"user_id": "@user00-bench:haos.test", "homeserver": "http://127.0.0.1:$port",
 "access_token": "bench", "device_id": "BENCHDEV"}
JSON
chmod 600 "$XDG_DATA_HOME/haos/default/session.json"
for run in 1 2 3 4 5; do
	rm -f "$tmp/frame"
	tmux -L $sock -f /dev/null new-session -d -x 200 -y 50 \
		"env HOME=$HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_DATA_HOME=$XDG_DATA_HOME XDG_STATE_HOME=$XDG_STATE_HOME HAOS_BENCH_FIRST_FRAME=$tmp/frame $haos"
	for _ in $(seq 100); do [ -s "$tmp/frame" ] && break; sleep 0.05; done
	[ "$run" = 1 ] && [ -n "${BENCH_SHOW_FRAME:-}" ] && tmux -L $sock capture-pane -p
	tmux -L $sock kill-server 2>/dev/null || true
	[ -s "$tmp/frame" ] || { echo "warm start: no frame written"; exit 1; }
	echo "warm start run $run: $(cat "$tmp/frame")"
done
