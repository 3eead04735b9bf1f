#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tnc -e PROG and -c CMD: the program's stdin and stdout are the
# connection. -e /bin/cat echoes 1+ MiB byte-exact; the -v lines say how
# the connection and the program ended; a -k listener runs one program
# per connection; a client can run one too.
. "$SRC/tests/peers/tnc-lib.bash"

command -v openssl >/dev/null || { echo "openssl not installed"; exit 77; }

gen $(((1 << 20) + 777)) 3 >"$T/in"
start_listening srv - "$TNC" -l -v -e /bin/cat 127.0.0.1 0
srv=$LAST_PID
timeout 30 "$TNC" 127.0.0.1 "$PORT" <"$T/in" >"$T/c.out" 2>"$T/c.err"
expect "-e cat: client exit" $? 0
expect "-e cat: echoed byte-exact" "$(sha <"$T/c.out")" "$(sha <"$T/in")"
wait_rc "$srv"
expect "-e cat: listener exit" "$RC" 0
n=$(((1 << 20) + 777))
expect_log "-e cat: -v peer EOF" "$T/srv.err" \
    "peer EOF after $n bytes -> EOF on /bin/cat's stdin"
expect_log "-e cat: -v program closed" "$T/srv.err" \
    "/bin/cat ended after $n bytes -> FIN sent"
expect_log "-e cat: -v connection" "$T/srv.err" \
    "connection closed \(ok\): $n bytes to /bin/cat, $n bytes from it"
expect_log "-e cat: -v status" "$T/srv.err" "/bin/cat exited with status 0"
expect_plain_err "-e cat: nothing else on stderr" "$T/srv.err" ""

# -c through the shell, with its exit status reported; -k: twice.
start_listening srv - "$TNC" -l -k -v -c 'tr a-z A-Z; exit 3' 127.0.0.1 0
srv=$LAST_PID
for w in abc xyz; do
	printf "$w" | timeout 10 "$TNC" 127.0.0.1 "$PORT" >"$T/c.out" \
	    2>"$T/c.err"
	expect "-c $w: client exit" $? 0
	expect "-c $w: client got" "$(cat "$T/c.out")" \
	    "$(printf "$w" | tr a-z A-Z)"
done
wait_for 5 has_matches "$T/srv.err" 2 'exited with status 3' ||
    fail "-c: statuses: $(cat "$T/srv.err")"
expect "-c: two programs" "$(grep -c 'running tr a-z' "$T/srv.err")" 2
kill -TERM "$srv"
wait_rc "$srv"
expect "-c -k: exit after SIGTERM" "$RC" 143

# A client running a program: the server's request is answered by it.
start_listening peer - $PEER collect --reply "hello" --fin
timeout 10 "$TNC" -v -c 'x=$(head -c 5); echo "got $x"' 127.0.0.1 "$PORT" \
    </dev/null >"$T/c.out" 2>"$T/c.err"
expect "client -c: exit" $? 0
wait_rc "$LAST_PID"
expect "client -c: peer saw" "$(cat "$T/peer.out")" \
    '{"data": "got hello\n", "end": "eof"}'

# Usage.
timeout 5 "$TNC" -e /bin/cat -c cat 127.0.0.1 1 </dev/null 2>"$T/c.err"
expect "-e -c: exit" $? 2
expect "-e -c: stderr" "$(cat "$T/c.err")" "tnc: -e and -c: one program only"

finish
