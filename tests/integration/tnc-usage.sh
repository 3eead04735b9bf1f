#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bad command lines: exit 2, the exact one-line complaint on stderr (then
# the synopsis where the line alone would not help), nothing on stdout,
# and no work done (nothing listens, nothing connects).
. "$SRC/tests/peers/tnc-lib.bash"

SYNOPSIS='usage: tnc [-46CNnuv] [-c cmd | -e prog] [-p srcport] [-q secs] [-s srcaddr] [-w secs] [options] host port'

# bad LINE-REGEX ARGS...: exit 2, first stderr line, empty stdout.
bad() {
	local want=$1 out err rc
	shift
	out=$(timeout 5 "$TNC" "$@" 2>"$T/err" </dev/null)
	rc=$?
	err=$(head -n1 "$T/err")
	expect "tnc $*: exit" "$rc" 2
	expect "tnc $*: stderr" "$err" "$want"
	expect "tnc $*: stdout" "$out" ""
}

# synopsis ARGS...: exit 2 with the full synopsis as the first line.
synopsis() {
	bad "$SYNOPSIS" "$@"
	expect "tnc $*: synopsis lines" "$(wc -l <"$T/err")" 10
}

# -h and --help: asked for, so the synopsis and options go to stdout and
# tnc exits 0.
for h in -h --help; do
	out=$(timeout 5 "$TNC" "$h" 2>"$T/err" </dev/null)
	expect "tnc $h: exit" $? 0
	expect "tnc $h: first line" "$(printf '%s\n' "$out" | head -n1)" \
	    "$SYNOPSIS"
	expect_match "tnc $h: options" "$out" '  -l  +listen on .*'
	expect "tnc $h: stderr" "$(cat "$T/err")" ""
done
out=$(timeout 5 "$TNC" --version 2>"$T/err" </dev/null)
expect "tnc --version: exit" $? 0
expect_match "tnc --version: stdout" "$out" 'tnc teardown [0-9]+\.[0-9]+\.[0-9]+.*'
expect "tnc --version: lines" "$(printf '%s\n' "$out" | wc -l)" 1
expect "tnc --version: stderr" "$(cat "$T/err")" ""

synopsis
synopsis host
synopsis host 1 extra
synopsis -l
synopsis -l a b c

bad "tnc: -x: unknown option" -x host 1
bad "tnc: --bogus: unknown option" --bogus host 1
bad "tnc: -w: needs an argument" host 1 -w
bad "tnc: --relay: needs an argument" -l 1 --relay
bad "tnc: -k: only with -l" -k host 1
bad "tnc: -p: not with -l; give the port to listen on as an argument" \
    -l -p 1 5
bad "tnc: -s: not with -l; give the address to listen on as an argument" \
    -l -s 127.0.0.1 5
bad "tnc: --relay: only with -l" --relay 127.0.0.1:1 host 1
bad "tnc: --relay: no host in :1" -l --relay :1 5
bad 'tnc: --relay: address "nocolon": missing '"':port'" \
    -l --relay nocolon 5
bad "tnc: --relay port: port 0 is only for listening" \
    -l --relay 127.0.0.1:0 5
bad "tnc: --splice: only with --relay" -l --splice 5
bad "tnc: --close: not with --relay, which passes on how each side closes" \
    -l --relay a:1 --close abort 5
bad "tnc: --io: only with --relay" --io threads host 1
bad "tnc: --io: want threads or epoll: fork" -l --relay a:1 --io fork 5
bad "tnc: -q: only with --close graceful" -q 1 --close abort host 1
bad "tnc: -u: --nodelay, --keepalive, --user-timeout and --close are TCP only" \
    -u --nodelay host 1
bad "tnc: -k: TCP only, not with -u" -u -l -k 1
bad "tnc: --relay: TCP only, not with -u" -u -l --relay a:1 5
bad "tnc: -w: must be more than 0: 0" -w 0 host 1
bad "tnc: -w: too large: 99999999" -w 99999999 host 1
bad "tnc: -w: not a number of seconds: 1s" -w 1s host 1
bad "tnc: -q: not a number of seconds: -1" -q -1 host 1
bad "tnc: -q: finer than a millisecond: 0.0001" -q 0.0001 host 1
bad "tnc: --sndbuf: not a size: 2x" --sndbuf 2x host 1
bad "tnc: --rcvbuf: too large: 2g" --rcvbuf 2g host 1
bad "tnc: --keepalive: want IDLE,INTVL,CNT: 1,2" --keepalive 1,2 host 1
bad "tnc: --keepalive count: too large: 300" --keepalive 1,2,300 host 1
bad "tnc: --keepalive idle: not a number: x" --keepalive x,2,3 host 1
bad "tnc: --user-timeout: too small: 0" --user-timeout 0 host 1
bad "tnc: --close: want graceful, abort or plain: nope" --close nope host 1
bad "tnc: --buffer: too small: 1" -l --relay a:1 --buffer 1 5
bad "tnc: port: too large: 70000" host 70000
bad "tnc: port: port 0 is only for listening" host 0
bad "tnc: port: empty" host ''
bad "tnc: host: empty" '' 1
bad "tnc: -p: too large: 65536" -p 65536 host 1
bad "tnc: -C: for standard input only, not with -u, -z, -e, -c or --relay" \
    -C -e /bin/cat 127.0.0.1 1
bad "tnc: -n: host is not a numeric address: localhost" -n localhost 1
bad "tnc: -n: port is not a number: http" -n 127.0.0.1 http
bad "tnc: -n: -s is not a numeric address: localhost" \
    -n -s localhost 127.0.0.1 1
bad "tnc: -n: --relay host is not a numeric address: localhost" \
    -n -l --relay localhost:1 5

finish
