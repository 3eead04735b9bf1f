# SPDX-License-Identifier: BSD-2-Clause
# Helpers for tests/integration/tnc-*.sh: start tnc and peers on free
# loopback ports, read their bound port from -v stderr, wait with bounds,
# assert exactly. Sourced, never run; expects BIN, SRC, BUILD from CTest.

set -u
: "${BIN:?BIN not set (run through ctest)}"
: "${SRC:?SRC not set (run through ctest)}"
TNC=$BIN/tnc
PEER="python3 $SRC/tests/peers/tnc_peer.py"
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

# port_of FILE: sets PORT from the "listening on 127.0.0.1:PORT" line in
# FILE (tnc -v or a peer), waiting for it at most 10 s.
port_of() {
	PORT=""
	wait_line "$1" 'listening on 127\.0\.0\.1:[0-9]+' || return 1
	PORT=$(grep -Eo 'listening on 127\.0\.0\.1:[0-9]+' "$1" | head -n1 |
	    sed 's/.*://')
	[ -n "$PORT" ]
}

# start NAME STDIN CMD...: run CMD in the background with stdin from the
# file STDIN (or - for none), stdout/stderr in $T/NAME.out/.err; sets
# LAST_PID (also remembered as ${PID_NAME}). Port: port_of $T/NAME.err.
start() {
	local name=$1 in=$2
	shift 2
	# Truncate here, not in the background job: port_of must never
	# read a previous run's "listening on" line.
	: >"$T/$name.out"
	: >"$T/$name.err"
	# 3>&-: tests hold FIFOs open on fd 3; a child that inherited it
	# would keep them open and its stdin would never see EOF.
	if [ "$in" = - ]; then
		"$@" </dev/null >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	else
		"$@" <"$in" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	fi
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# start_listening NAME STDIN CMD...: start, then wait for its port: PORT.
start_listening() {
	local name=$1
	start "$@"
	if ! port_of "$T/$name.err"; then
		fail "$name did not start listening: $(cat "$T/$name.err")"
		PORT=1
		return 1
	fi
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

# jfield FILE KEY: a top-level field of the JSON line in FILE.
jfield() {
	python3 -c 'import json, sys
try:
    v = json.loads(open(sys.argv[1]).read())[sys.argv[2]]
except Exception as e:
    v = "<%s>" % type(e).__name__
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1" "$2"
}

# json_str STRING: STRING as a JSON string (trailing newlines kept).
json_str() {
	python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"
}

# jfield_json FILE KEY: the field JSON-encoded (strings keep "\r\n").
jfield_json() {
	python3 -c 'import json, sys
try:
    v = json.loads(open(sys.argv[1]).read())[sys.argv[2]]
except Exception as e:
    v = "<%s>" % type(e).__name__
print(json.dumps(v, sort_keys=True))' "$1" "$2"
}

# free_port: a loopback port nobody listens on (bound, then released).
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sanitized: true in a -DTEARDOWN_SANITIZE=ON build (slower: scale down).
sanitized() {
	grep -q '^TEARDOWN_SANITIZE:BOOL=ON' "${BUILD:-.}/CMakeCache.txt" \
	    2>/dev/null
}

# gen BYTES SEED: BYTES deterministic pseudo-random bytes (AES-CTR).
gen() {
	head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt \
	    -K "$(printf '%032x' "$2")" -iv 0 2>/dev/null
}

# sha: SHA-256 of stdin as bare hex.
sha() {
	openssl dgst -sha256 -r | cut -d' ' -f1
}

# relay_modes: the relay engines to exercise, as option strings.
RELAY_MODES=("" "--splice" "--io threads" "--io threads --splice")
relay_label() {
	[ -z "$1" ] && echo "epoll copy" || echo "$1"
}
