#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Bad options: exit 2, one line naming the problem, then the synopsis;
# nothing on stdout and no connection attempted. -h, --help and
# --version: stdout, exit 0.
. "$SRC/tests/peers/ttcp-lib.bash"

SYNOPSIS="usage: ttcp -r [-1Dv46] [-B addr] [-b bytes] [-f unit] [-i secs] [-p port]
            [--io blocking|epoll] [--json] [--json-stream] [--verify]
       ttcp -t host [-DRv46] [-B addr] [-b bytes] [-f unit] [-i secs]
            [-l length] [-n number | --time secs] [-P connections] [-p port]
            [--io blocking|epoll] [--json] [--json-stream] [--stream] [--verify]
       ttcp --roundtrip -r [-1v46] [-B addr] [-p port] [--json] [--ntp] [--tcp]
       ttcp --roundtrip -t host [-v46] [-B addr] [-i secs] [-n number]
            [-p port] [--time secs] [--json] [--json-stream] [--ntp] [--tcp]
       ttcp -h | --help | --version"
SYNLINES=$(printf '%s\n' "$SYNOPSIS" | wc -l)

# usage_case "FIRST STDERR LINE" ARGS...
usage_case() {
	local want=$1
	shift
	timeout 5 "$TTCP" "$@" >"$T/u.out" 2>"$T/u.err"
	expect "ttcp $*: exit" $? 2
	expect "ttcp $*: first line" "$(head -n1 "$T/u.err")" "$want"
	expect "ttcp $*: synopsis" "$(tail -n +2 "$T/u.err")" "$SYNOPSIS"
	expect "ttcp $*: stdout" "$(cat "$T/u.out")" ""
}

# Asked for: the synopsis and the options on stdout, exit 0, even with
# other options around it.
for args in -h --help "-r -h" "-t 127.0.0.1 --help"; do
	# shellcheck disable=SC2086
	timeout 5 "$TTCP" $args >"$T/h.out" 2>"$T/h.err"
	expect "ttcp $args: exit" $? 0
	expect "ttcp $args: synopsis" "$(head -n "$SYNLINES" "$T/h.out")" "$SYNOPSIS"
	expect_match "ttcp $args: options" "$(cat "$T/h.out")" \
	    '  --stream +no per-message acks: bandwidth, not round trips'
	expect_match "ttcp $args: exit status" "$(cat "$T/h.out")" \
	    'Exit status: 0 ok, 1 failure, 2 usage, 3 refused, 4 reset, 5 timeout,'
	expect_match "ttcp $args: man" "$(tail -n1 "$T/h.out")" \
	    '^man ttcp says more\.$'
	expect "ttcp $args: stderr" "$(cat "$T/h.err")" ""
done
timeout 5 "$TTCP" --version >"$T/v.out" 2>"$T/v.err"
expect "ttcp --version: exit" $? 0
expect_match "ttcp --version: stdout" "$(cat "$T/v.out")" \
    '^ttcp teardown [0-9]+\.[0-9]+\.[0-9]+( \(git [^)]+\))?$'
expect "ttcp --version: one line" "$(wc -l <"$T/v.out")" 1
expect "ttcp --version: stderr" "$(cat "$T/v.err")" ""

usage_case "ttcp: give exactly one of -r and -t host"
usage_case "ttcp: give exactly one of -r and -t host" -r -t 127.0.0.1
usage_case "ttcp: option requires an argument -- 't'" -t
usage_case "ttcp: invalid option -- 'x'" -r -x
usage_case "ttcp: unrecognized option '--bogus'" -r --bogus
usage_case "ttcp: unexpected argument: extra" -r extra
usage_case "ttcp: -l: too small: 0" -t 127.0.0.1 -l 0
usage_case "ttcp: -l: too large: 67108865" -t 127.0.0.1 -l 67108865
usage_case "ttcp: -l: too large: 65537k" -t 127.0.0.1 -l 65537k
usage_case "ttcp: -l: not a size: 1q" -t 127.0.0.1 -l 1q
usage_case "ttcp: -n: too small: 0" -t 127.0.0.1 -n 0
usage_case "ttcp: -n: too small: -3" -t 127.0.0.1 -n -3
usage_case "ttcp: -n: too large: 2147483648" -t 127.0.0.1 -n 2147483648
usage_case "ttcp: -n: not a number: 12x" -t 127.0.0.1 -n 12x
usage_case "ttcp: -P: too small: 0" -t 127.0.0.1 -P 0
usage_case "ttcp: -P: too large: 129" -t 127.0.0.1 -P 129
usage_case "ttcp: -p: too large: 65536" -r -p 65536
usage_case "ttcp: -p: not a number: http" -r -p http
usage_case "ttcp: -p: too small: 0" -t 127.0.0.1 -p 0
usage_case "ttcp: -b: too small: 0" -r -b 0
usage_case "ttcp: -b: too large: 2g" -r -b 2g
usage_case "ttcp: -i: too small: 0" -r -i 0
usage_case "ttcp: -i: not a number of seconds: abc" -r -i abc
usage_case "ttcp: --io: unknown I/O model: poll" -r --io poll
usage_case "ttcp: -1 is a receiver option" -t 127.0.0.1 -1
usage_case "ttcp: option '--version' doesn't allow an argument" --version=1
usage_case "ttcp: invalid option -- 'V'" -V
for opt in "-l 10" "-n 10" "-P 2" -R --stream "--time 1"; do
	# shellcheck disable=SC2086
	usage_case "ttcp: -l, -n, -P, -R, --stream and --time are transmitter options" \
	    -r $opt
done
usage_case "ttcp: -f: unknown unit: x (k, m, g, K, M or G)" -r -f x
usage_case "ttcp: -f: unknown unit: mm (k, m, g, K, M or G)" -r -f mm
usage_case "ttcp: --time: too small: 0" -t 127.0.0.1 --time 0
usage_case "ttcp: give -n or --time, not both" -t 127.0.0.1 -n 5 --time 1
usage_case "ttcp: --tcp and --ntp are --roundtrip options" -r --tcp
usage_case "ttcp: --tcp and --ntp are --roundtrip options" -t 127.0.0.1 --ntp
usage_case "ttcp: -1 needs --tcp: a UDP --roundtrip server has no sessions" \
    --roundtrip -r -1
usage_case "ttcp: -l, -P, -R, --stream and --verify are not --roundtrip options" \
    --roundtrip -t 127.0.0.1 --stream
usage_case "ttcp: option '--trans' requires an argument" --trans

finish
