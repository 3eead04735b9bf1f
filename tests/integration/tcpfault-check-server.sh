#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault check-server against real servers: python3 -m http.server,
# nginx (unprivileged, in the foreground) and a server that never closes.
. "$SRC/tests/peers/tcpfault-lib.bash"
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }

# cs NAME ARGS...: check-server --json into $T/NAME.jsonl; RC its status.
cs() {
	check_json "$1" check-server "${@:2}"
}

# ---- python3 -m http.server: answers, but holds a vanished client --------
PORT=$(free_port)
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$T" \
    >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 is_listening tcp "$PORT" || fail "http.server did not listen"
cs py "127.0.0.1:$PORT" --http / --wait 1 --conns 10
expect "python: exit status (a leak)" "$RC" 1
expect "python: cases" "$(jq -r .case "$T/py.jsonl" | paste -sd,)" \
    "vanish,reset,exit-unread,half-close,send-after-close,idle,many"
expect "python: alive after each" "$(jq -r .alive "$T/py.jsonl" | sort -u)" \
    true
expect "python vanish: ESTABLISHED leak" "$(row py vanish \
    '[.verdict, .held_state, .released] | join(" ")')" \
    "leak ESTABLISHED ESTABLISHED for 1.0 s, still"
expect "python reset: released" "$(row py reset .verdict)" released
expect_match "python half-close: answered" "$(row py half-close .sent)" \
    '^200, [0-9]+ bytes, eof$'
expect "python half-close: released" "$(row py half-close .verdict)" \
    released
expect "python send-after-close" "$(row py send-after-close .note)" \
    "sends after its EOF: ok, broken-pipe"
expect "python many" "$(row py many '[.sent, .verdict] | join(" ")')" \
    "10 of 10 answered ok"

# ---- nginx: times out the vanished and the idle client -------------------
if [ -x /usr/sbin/nginx ]; then
	NPORT=$(free_port)
	mkdir -p "$T/ngx"
	echo hello >"$T/ngx/index.html"
	cat >"$T/ngx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $T/ngx/body;
	proxy_temp_path $T/ngx/proxy;
	fastcgi_temp_path $T/ngx/fastcgi;
	uwsgi_temp_path $T/ngx/uwsgi;
	scgi_temp_path $T/ngx/scgi;
	client_header_timeout 1s;
	keepalive_timeout 1s;
	server {
		listen 127.0.0.1:$NPORT;
		root $T/ngx;
	}
}
CONF
	/usr/sbin/nginx -p "$T/ngx" -c "$T/ngx/nginx.conf" \
	    -e "$T/ngx/error.log" >/dev/null 2>&1 &
	PIDS+=($!)
	wait_for 10 is_listening tcp "$NPORT" || fail "nginx did not listen"
	cs ngx "127.0.0.1:$NPORT" --http /index.html --wait 4 --conns 10 \
	    --junit "$T/ngx.xml"
	expect "nginx: exit status" "$RC" 0
	expect "nginx: verdicts" "$(jq -r .verdict "$T/ngx.jsonl" | paste -sd,)" \
	    "released,released,released,released,released,released,ok"
	expect "nginx vanish: released by its header timeout" \
	    "$(row ngx vanish '.held_state')" null
	expect_match "nginx half-close" "$(row ngx half-close .sent)" \
	    '^200, [0-9]+ bytes, eof$'
	expect "nginx junit: no failure" "$(grep -c '<failure' "$T/ngx.xml")" 0
	expect "nginx junit: seven cases" "$(grep -c '<testcase ' "$T/ngx.xml")" 7
else
	echo "nginx not installed: its part skipped"
fi

# ---- a server that never closes: the CLOSE_WAIT leak, with its duration --
python3 "$SRC/tests/peers/never_close.py" 2>"$T/nc.port" &
PIDS+=($!)
wait_for 10 grep -q '^port ' "$T/nc.port" || fail "never_close did not start"
LPORT=$(cut -d' ' -f2 "$T/nc.port")
printf 'ping\n' >"$T/req"
cs leak "127.0.0.1:$LPORT" --request "$T/req" --wait 1 \
    --cases half-close,vanish
expect "leak: exit status" "$RC" 1
expect "leak half-close: CLOSE_WAIT" "$(row leak half-close \
    '[.verdict, .held_state, .released, .sent] | join(" | ")')" \
    "leak | CLOSE_WAIT | CLOSE_WAIT for 1.0 s, still | 6 bytes, open"
expect "leak vanish: ESTABLISHED" "$(row leak vanish .released)" \
    "ESTABLISHED for 1.0 s, still"
# The table says the same.
timeout 30 "$TCPFAULT" check-server "127.0.0.1:$LPORT" --request "$T/req" \
    --wait 1 --cases half-close >"$T/leak.txt" 2>&1
expect "leak table: exit" "$?" 1
expect_match "leak table: row" "$(sed -n 2p "$T/leak.txt")" \
    '^half-close +6 bytes, open +CLOSE_WAIT for 1\.0 s, still +yes, [0-9]+ ms +leak$'

# ---- errors --------------------------------------------------------------
"$TCPFAULT" check-server >/dev/null 2>"$T/u1"
expect "no address: exit" "$?" 2
expect "no address: message" "$(head -1 "$T/u1")" \
    "tcpfault: check-server: name the server as HOST:PORT"
"$TCPFAULT" check-server "127.0.0.1:$PORT" --http / --request "$T/req" \
    >/dev/null 2>"$T/u2"
expect "both requests: exit" "$?" 2
expect "both requests: message" "$(cat "$T/u2")" \
    "tcpfault: --request and --http exclude each other"
DEAD=$(free_port)
"$TCPFAULT" check-server "127.0.0.1:$DEAD" >/dev/null 2>"$T/u3"
expect "nobody there: exit" "$?" 1
expect "nobody there: message" "$(cat "$T/u3")" \
    "tcpfault: 127.0.0.1:$DEAD does not answer a well-behaved request: connect to 127.0.0.1 port $DEAD: Connection refused"
finish
