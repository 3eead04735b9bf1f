# SPDX-License-Identifier: BSD-2-Clause
# The one shell library of the integration tests: exact assertions with a
# count, bounded waits, free loopback ports, a scratch directory $T and
# background processes ($PIDS) cleaned up at exit. Sourced only, by the
# per-tool helpers in tests/peers/ and by tests/integration/*.sh.

set -u
T=$(mktemp -d)
PIDS=()
FAILS=0
CHECKS=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# The peers need only Python's standard library: run the distribution's
# python3 directly. A version manager's shim first in PATH (pyenv) costs
# a second or more per start, and on a loaded machine that exceeds the
# tests' 5 s wait for a peer to listen.
if [ -x /usr/bin/python3 ]; then
	mkdir -p "$T/bin"
	ln -s /usr/bin/python3 "$T/bin/python3"
	PATH="$T/bin:$PATH"
fi

# ---- assertions ---------------------------------------------------------

# fail TEXT...: count a failure and say what it was; the test goes on.
fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

# expect LABEL ACTUAL EXPECTED
expect() {
	CHECKS=$((CHECKS + 1))
	if [ "$2" != "$3" ]; then
		fail "$1: got [$2], expected [$3]"
	fi
}

# expect_match LABEL ACTUAL EXTENDED-REGEX (some line matches entirely)
expect_match() {
	CHECKS=$((CHECKS + 1))
	if ! printf '%s\n' "$2" | grep -Eqx -- "$3"; then
		fail "$1: got [$2], expected a line matching [$3]"
	fi
}

# expect_no_match LABEL ACTUAL EXTENDED-REGEX (no line matches)
expect_no_match() {
	CHECKS=$((CHECKS + 1))
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		fail "$1: got [$2], expected nothing matching [$3]"
	fi
}

# expect_lines LABEL FILE < "N EXTENDED-REGEX" lines: line N of FILE
# matches its regex entirely, for each line of standard input.
expect_lines() {
	local n re
	while read -r n re; do
		expect_match "$1: line $n" "$(sed -n "${n}p" "$2")" "$re"
	done
}

# finish: the count, and exit 0 only when nothing failed.
finish() {
	echo "$CHECKS checks, $FAILS failures"
	[ "$FAILS" -eq 0 ]
	exit $?
}

# ---- bounded waits ------------------------------------------------------

# wait_for SECS CMD...: run CMD (stderr discarded) every 10 ms until it
# succeeds; returns 1 when SECS (whole) seconds pass first.
wait_for() {
	local now end
	now=${EPOCHREALTIME/[.,]/}
	end=$((now + $1 * 1000000))
	shift
	until "$@" 2>/dev/null; do
		now=${EPOCHREALTIME/[.,]/}
		[ "$now" -lt "$end" ] || return 1
		sleep 0.01
	done
}

# wait_line FILE REGEX: until a line matches, at most 10 s.
wait_line() {
	wait_for 10 grep -Eq -- "$2" "$1"
}

# has_lines FILE N: FILE has at least N lines (a condition for wait_for).
has_lines() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# has_matches FILE N PATTERN: at least N lines of FILE contain the basic
# regular expression PATTERN (a condition for wait_for).
has_matches() {
	[ "$(grep -c -- "$3" "$1")" -ge "$2" ]
}

# is_listening tcp|udp PORT: something is bound to 127.0.0.1:PORT.
is_listening() {
	if [ "$1" = udp ]; then
		ss -lun | grep -q "127.0.0.1:$2 "
	else
		ss -ltn | grep -q "127.0.0.1:$2 "
	fi
}

# has_exited PID: PID is no longer running (a condition for wait_for).
has_exited() {
	! kill -0 "$1"
}

# wait_rc PID [SECS]: RC = its exit status, or 124 after a kill when it
# has not ended within SECS (default 20). Not in $(...): only this shell
# can wait for its children.
wait_rc() {
	local pid=$1 limit=$((${2:-20} * 100)) i
	for ((i = 0; i < limit; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		RC=124
		return
	fi
	wait "$pid"
	RC=$?
}

# ---- ports ------------------------------------------------------------

# free_port [udp]: a loopback port nobody has bound (bound, then released).
free_port() {
	python3 -c 'import socket, sys
t = socket.SOCK_DGRAM if sys.argv[1:] == ["udp"] else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, t)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$@"
}
