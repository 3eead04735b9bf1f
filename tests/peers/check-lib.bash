# SPDX-License-Identifier: BSD-2-Clause
# Checks shared by the integration test helpers (tnc-lib.bash,
# ttcp-lib.bash): exact assertions with a count, bounded waits, a scratch
# directory and background processes cleaned up at exit. Sourced only.

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

finish() {
	echo "$CHECKS checks, $FAILS failures"
	[ "$FAILS" -eq 0 ]
	exit $?
}

# wait_line FILE REGEX: until a line matches, at most 10 s.
wait_line() {
	timeout 10 bash -c 'until grep -Eq -- "$2" "$1" 2>/dev/null; do
		sleep 0.01; done' _ "$1" "$2"
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

# free_port: a loopback port nobody listens on (bound, then released).
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
