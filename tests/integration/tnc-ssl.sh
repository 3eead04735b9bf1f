#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tnc --ssl: 1 MiB byte-exact to openssl s_server and from tnc -l to
# openssl s_client; each way a TLS session ends, reported with its exit
# code (a clean close_notify then FIN from s_server and from tcpfault
# server half-close, a FIN without close_notify from send-close, an RST
# from reset); sending after the peer's close_notify (TLS 1.3
# half-close); verification of a self-signed server without and with a
# trust file, and --no-verify; the option checks.
. "$SRC/tests/peers/tnc-lib.bash"
TCPFAULT=$BIN/tcpfault

command -v openssl >/dev/null || { echo "openssl not installed"; exit 77; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null ||
    fail "openssl req"
gen $((1 << 20)) 16 >"$T/1m"
V='tnc: \[ *[0-9.]+\] '
# A FIFO held open on fd 3: stdin that never ends (start closes fd 3 in
# the child).
mkfifo "$T/hold"
exec 3<>"$T/hold"

# s_server PORT OUT: openssl s_server for one connection on PORT, its
# stdin the held FIFO (so it ends only on the client's close_notify), what
# it receives in $T/OUT; waits until it listens. Sets SPID.
s_server() {
	openssl s_server -quiet -naccept 1 -accept "127.0.0.1:$1" \
	    -cert "$T/cert.pem" -key "$T/key.pem" <"$T/hold" \
	    >"$T/$2" 2>"$T/$2.err" &
	SPID=$!
	PIDS+=("$SPID")
	wait_for 10 is_listening tcp "$1" || fail "s_server did not listen"
}

# ended LABEL RC EXIT ERR VLINE [FILE]: the exit status RC is EXIT, the
# stderr ($T/c.err or FILE) less the -v lines is ERR, and one -v line
# matches VLINE.
ended() {
	local err=${6:-$T/c.err}
	expect "$1: exit" "$2" "$3"
	expect "$1: stderr" "$(grep -v '^tnc: \[' "$err")" "$4"
	expect_match "$1: -v" "$(cat "$err")" "${V}$5"
}

# same LABEL WANT GOT: the two files are byte for byte the same.
same() {
	cmp -s "$2" "$3" || fail "$1: not byte-exact ($(wc -c <"$3") bytes)"
}

CLEAN="TLS ended cleanly: the peer's close_notify came before its FIN"
# truncated: the one-line error of a truncation by the server at PORT.
truncated() {
	echo "tnc: 127.0.0.1:$PORT: TLS: FIN without close_notify: the data" \
	    "may be truncated"
}

# -- tnc --ssl -> openssl s_server: 1 MiB, then close_notify both ways --
port=$(free_port)
s_server "$port" s.out
timeout 20 "$TNC" -v --ssl --ssl-trustfile "$T/cert.pem" 127.0.0.1 "$port" \
    <"$T/1m" >"$T/c.out" 2>"$T/c.err"
ended "to s_server" $? 0 "" "$CLEAN"
wait_rc "$SPID"
expect "to s_server: s_server exit" "$RC" 0
same "to s_server: 1 MiB" "$T/1m" "$T/s.out"
for line in \
    "TLS TLSv1\.3 [A-Z0-9_]+ with 127\.0\.0\.1:$port, certificate verified" \
    "stdin EOF -> close_notify and FIN sent after 1048576 bytes" \
    "peer close_notify after 0 bytes received"; do
	expect_match "to s_server: -v" "$(cat "$T/c.err")" "${V}$line"
done

# -- openssl s_client -> tnc --ssl -l: 1 MiB --
start_listening l "$T/1m" "$TNC" -l -v --ssl --ssl-cert "$T/cert.pem" \
    --ssl-key "$T/key.pem" 127.0.0.1 0
lpid=$LAST_PID
timeout 20 openssl s_client -quiet -verify_return_error -CAfile \
    "$T/cert.pem" -verify_hostname localhost -connect "127.0.0.1:$PORT" \
    </dev/null >"$T/sc.out" 2>"$T/sc.err"
expect "s_client: exit" $? 0
wait_rc "$lpid"
ended "tnc -l" "$RC" 0 "" "$CLEAN" "$T/l.err"
same "s_client: 1 MiB" "$T/1m" "$T/sc.out"

# -- tnc --ssl -l -e /bin/cat: the program's end of the relay is plain,
# the connection's TLS; the echo comes back whole and both end cleanly --
gen 300000 17 >"$T/300k"
start_listening l - "$TNC" -l -v --ssl --ssl-cert "$T/cert.pem" \
    --ssl-key "$T/key.pem" -e /bin/cat 127.0.0.1 0
lpid=$LAST_PID
timeout 20 "$TNC" -v --ssl --ssl-trustfile "$T/cert.pem" 127.0.0.1 "$PORT" \
    <"$T/300k" >"$T/c.out" 2>"$T/c.err"
ended "-e cat: client" $? 0 "" "$CLEAN"
wait_rc "$lpid"
ended "-e cat: listener" "$RC" 0 "" "$CLEAN" "$T/l.err"
same "-e cat: echo" "$T/300k" "$T/c.out"

# tfserver BEHAVIOUR BYTES: tcpfault server --ssl (its throwaway
# certificate) for one connection; PORT, TFPID.
tfserver() {
	start_listening tf - "$TCPFAULT" server "$1" --ssl --bytes "$2" \
	    --listen 127.0.0.1:0
	TFPID=$LAST_PID
}

# client IN OPTS...: tnc -v --ssl --no-verify OPTS to PORT, stdin from
# IN; RC, $T/c.out, $T/c.err; the certificate was not verified.
client() {
	local in=$1
	shift
	timeout 20 "$TNC" -v --ssl --no-verify "$@" 127.0.0.1 "$PORT" \
	    <"$in" >"$T/c.out" 2>"$T/c.err"
	RC=$?
	expect_match "client: not verified" "$(cat "$T/c.err")" \
	    "${V}TLS TLSv1\.3 [A-Z0-9_]+ with 127\.0\.0\.1:$PORT, certificate not verified \(--no-verify\)"
}

# server_did LABEL REGEX: tcpfault server exits 0, a timeline line matches.
server_did() {
	wait_rc "$TFPID"
	expect "$1: server exit" "$RC" 0
	expect_match "$1: server timeline" "$(cat "$T/tf.out")" "$2"
}

# -- close_notify then FIN (tcpfault close-notify): clean, exit 0 --
tfserver close-notify 100000
expect_match "tcpfault: self-signed" "$(head -n1 "$T/tf.err")" \
    "tcpfault: server close-notify listening on 127\.0\.0\.1:$PORT \(TLS, a throwaway self-signed certificate for localhost\)"
client /dev/null
ended close-notify "$RC" 0 "" "$CLEAN"
expect "close-notify: bytes" "$(wc -c <"$T/c.out")" 100000
server_did close-notify '.* server +close-notify +- +ok'

# -- TLS 1.3 half-close: tnc still sends after the peer's close_notify --
tfserver close-notify 1000
mkfifo "$T/in"
start c "$T/in" "$TNC" -v --ssl --no-verify 127.0.0.1 "$PORT"
cpid=$LAST_PID
exec 4>"$T/in"
wait_line "$T/c.err" 'peer close_notify after' ||
    fail "half-close: no close_notify: $(cat "$T/c.err")"
printf 'after' >&4
exec 4>&-
wait_rc "$cpid"
ended half-close "$RC" 0 "" \
    "stdin EOF -> close_notify and FIN sent after 5 bytes"
server_did half-close '.* server +close-graceful +- +ok'

# -- FIN without close_notify (half-close: shutdown, no close_notify):
# truncation, exit 1, though we sent our close_notify first --
tfserver half-close 100000
client /dev/null
ended "truncated by half-close" "$RC" 1 "$(truncated)" \
    "TLS ended by a FIN without close_notify: the data may be truncated"
expect "truncated by half-close: bytes" "$(wc -c <"$T/c.out")" 100000
server_did "truncated by half-close" '.* server +close-graceful +- +ok'

# -- FIN without close_notify (send-close: close() while the client
# sends nothing): truncation, exit 1 --
tfserver send-close 100000
client "$T/hold"
ended "truncated by close" "$RC" 1 "$(truncated)" \
    "peer FIN without close_notify after 100000 bytes received"
expect "truncated by close: bytes" "$(wc -c <"$T/c.out")" 100000
server_did "truncated by close" '.* server +close +- +ok'

tfserver send-close 100000
client "$T/hold" --ssl-allow-truncation
ended "allowed truncation" "$RC" 0 "" \
    "TLS ended by a FIN without close_notify: the data may be truncated \(--ssl-allow-truncation\)"
wait_rc "$TFPID"

# -- RST (reset): exit 4 --
tfserver reset 0
client "$T/hold"
ended reset "$RC" 4 \
    "tnc: 127.0.0.1:$PORT: receive: reset (ECONNRESET) after 0 bytes received, 0 bytes sent" \
    "TLS ended by an RST, without close_notify"
wait_rc "$TFPID"

# -- verification: a self-signed server fails without a trust file --
tfserver half-close 0
timeout 20 "$TNC" --ssl localhost "$PORT" </dev/null >"$T/c.out" \
    2>"$T/c.err"
expect "verify: exit" $? 1
expect "verify: one line" "$(cat "$T/c.err")" \
    "tnc: 127.0.0.1:$PORT: TLS handshake: certificate verify failed: self-signed certificate"
wait_rc "$TFPID"
expect "verify: the server saw the refusal" "$RC" 1

# -- the options --
usage() {
	"$TNC" "$@" </dev/null >"$T/u.out" 2>"$T/u.err"
	expect "tnc $*: exit" $? 2
	expect "tnc $*: error" "$(head -n1 "$T/u.err")" "$ERR"
}
ERR="tnc: --ssl with -l: needs --ssl-cert and --ssl-key"
usage --ssl -l 0
ERR="tnc: --ssl-verify, --no-verify, --ssl-trustfile, --ssl-cert, --ssl-key, --ssl-allow-truncation: only with --ssl"
usage --no-verify 127.0.0.1 1
ERR="tnc: --ssl-verify and --no-verify: choose one"
usage --ssl --ssl-verify --no-verify 127.0.0.1 1
ERR="tnc: --ssl-cert and --ssl-key go together"
usage --ssl --ssl-cert "$T/cert.pem" 127.0.0.1 1
ERR="tnc: --ssl: TCP streams only, not with -u, -z or --relay"
usage --ssl -u 127.0.0.1 1
"$TNC" --ssl --ssl-trustfile "$T/none.pem" 127.0.0.1 1 </dev/null \
    >/dev/null 2>"$T/u.err"
expect "missing trust file: exit" $? 1
expect_match "missing trust file: error" "$(cat "$T/u.err")" \
    "tnc: TLS CA file $T/none\.pem: .*"
"$TCPFAULT" server vanish --ssl --listen 127.0.0.1:0 >/dev/null \
    2>"$T/u.err"
expect "tcpfault vanish --ssl: exit" $? 2
expect "tcpfault vanish --ssl: error" "$(head -n1 "$T/u.err")" \
    "tcpfault: --ssl: not with behaviour 'vanish'"

finish
