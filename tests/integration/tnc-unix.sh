#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tnc -U: Unix-domain stream sockets. 1+ MiB each way at once, byte-exact
# (checksums), each side half-closing on its stdin EOF while the other
# direction goes on; the listener removes its path; -k serves again;
# errors name the path.
. "$SRC/tests/peers/tnc-lib.bash"

command -v openssl >/dev/null || { echo "openssl not installed"; exit 77; }

S=$T/sock
gen $((3 << 20)) 1 >"$T/down"		# listener -> client
gen $(((1 << 20) + 12345)) 2 >"$T/up"	# client -> listener

start srv "$T/down" "$TNC" -l -U -v "$S"
srv=$LAST_PID
wait_line "$T/srv.err" "listening on unix:$S" ||
    fail "listener: $(cat "$T/srv.err")"
timeout 30 "$TNC" -U -v "$S" <"$T/up" >"$T/c.out" 2>"$T/c.err"
expect "client exit" $? 0
wait_rc "$srv"
expect "listener exit" "$RC" 0
expect "client got all" "$(sha <"$T/c.out")" "$(sha <"$T/down")"
expect "listener got all" "$(sha <"$T/srv.out")" "$(sha <"$T/up")"
expect_log "client: FIN after its input" "$T/c.err" \
    "stdin EOF -> FIN sent after $(((1 << 20) + 12345)) bytes"
expect_log "client: peer EOF after all" "$T/c.err" \
    "peer EOF after $((3 << 20)) bytes received"
expect_log "client: connected" "$T/c.err" "connected to unix:$S from unix:"
expect_log "listener: connection from" "$T/srv.err" \
    "connection from unix: on unix:$S"
expect "listener removed its path" "$(test -e "$S" && echo there)" ""

# Half-close: the client's request ends with FIN; the listener's reply
# comes only after (its stdin is a FIFO we write once the request is in).
mkfifo "$T/hold"
exec 3<>"$T/hold"
start srv "$T/hold" "$TNC" -l -U "$S"
srv=$LAST_PID
wait_for 5 test -S "$S" || fail "no socket at $S"
start cli - sh -c "printf request | '$TNC' -U '$S'"
cli=$LAST_PID
wait_for 5 grep -q request "$T/srv.out" || fail "request not in"
printf reply >&3
exec 3>&-
wait_rc "$cli"
expect "half-close: client exit" "$RC" 0
expect "half-close: client got" "$(cat "$T/cli.out")" reply
wait_rc "$srv"
expect "half-close: listener exit" "$RC" 0

# -k: two clients in a row, then SIGTERM: 143, path removed.
start srv - "$TNC" -l -k -U -v "$S"
srv=$LAST_PID
wait_for 5 test -S "$S" || fail "no socket at $S"
for c in a b; do
	printf "$c" | timeout 10 "$TNC" -U "$S" >/dev/null 2>&1
	expect "-k $c: exit" $? 0
done
wait_for 5 has_matches "$T/srv.err" 2 'closed: '
kill -TERM "$srv"
wait_rc "$srv"
expect "-k: exit after SIGTERM" "$RC" 143
expect "-k: got" "$(cat "$T/srv.out")" ab
expect "-k: path removed" "$(test -e "$S" && echo there)" ""

# Errors: nobody there; a path already taken; not with -u.
timeout 5 "$TNC" -U "$T/none" </dev/null >/dev/null 2>"$T/c.err"
expect "no such path: exit" $? 1
expect "no such path: stderr" "$(cat "$T/c.err")" \
    "tnc: connect to unix:$T/none: No such file or directory"
: >"$T/file"
timeout 5 "$TNC" -l -U "$T/file" </dev/null >/dev/null 2>"$T/c.err"
expect "path taken: exit" $? 1
expect "path taken: stderr" "$(cat "$T/c.err")" \
    "tnc: listen on unix:$T/file: Address already in use"
timeout 5 "$TNC" -u -U "$S" </dev/null >/dev/null 2>"$T/c.err"
expect "-U -u: exit" $? 2
expect "-U -u: stderr" "$(cat "$T/c.err")" \
    "tnc: -U: a stream socket at a path: not with -u, -z, -p, -s or --relay"

finish
