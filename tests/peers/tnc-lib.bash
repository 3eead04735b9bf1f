# SPDX-License-Identifier: BSD-2-Clause
# Helpers for tests/integration/tnc-*.sh: start tnc and peers on free
# loopback ports, read their bound port from -v stderr, wait with bounds,
# assert exactly. Sourced, never run; expects BIN, SRC, BUILD from CTest.

set -u
: "${BIN:?BIN not set (run through ctest)}"
: "${SRC:?SRC not set (run through ctest)}"
TNC=$BIN/tnc
PEER="python3 $SRC/tests/peers/tnc_peer.py"
. "$SRC/tests/lib/testlib.bash"

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

# start_relay OPTS...: tnc -l -v OPTS relaying to 127.0.0.1:$PORT (the
# upstream just started), on a free port: PORT becomes the relay's, relay
# its pid, stderr in $T/relay.err.
start_relay() {
	start_listening relay - "$TNC" -l -v "$@" --relay "127.0.0.1:$PORT" \
	    127.0.0.1 0
	relay=$LAST_PID
}

# expect_log LABEL FILE REGEX: FILE (a -v stderr) has a line
# "tnc: [ secs] " followed by what REGEX matches.
expect_log() {
	expect_match "$1" "$(cat "$2")" "tnc: \[ *[0-9.]+\] $3"
}

# expect_plain_err LABEL FILE WANT: FILE less its -v lines ("tnc: [")
# is WANT.
expect_plain_err() {
	expect "$1" "$(grep -v '^tnc: \[' "$2")" "$3"
}

# relay_ends LABEL EXIT REGEX: the relay exits EXIT, and its stderr less
# the -v lines matches REGEX.
relay_ends() {
	wait_rc "$relay"
	expect "$1: relay exit" "$RC" "$2"
	expect_match "$1: relay stderr" \
	    "$(grep -v '^tnc: \[' "$T/relay.err")" "$3"
}

# jfield FILE KEY [json]: a top-level field of the JSON line in FILE;
# strings bare, unless json is given.
jfield() {
	python3 -c 'import json, sys
try:
    v = json.loads(open(sys.argv[1]).read())[sys.argv[2]]
except Exception as e:
    v = "<%s>" % type(e).__name__
bare = isinstance(v, str) and sys.argv[3:] != ["json"]
print(v if bare else json.dumps(v, sort_keys=True))' "$@"
}

# json_str STRING: STRING as a JSON string (trailing newlines kept).
json_str() {
	python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"
}

# jfield_json FILE KEY: the field JSON-encoded (strings keep "\r\n").
jfield_json() {
	jfield "$1" "$2" json
}

# sanitized: true in a -DTEARDOWN_SANITIZE=ON build (slower: scale down).
sanitized() {
	grep -q '^TEARDOWN_SANITIZE:BOOL=ON' "${BUILD:-.}/CMakeCache.txt" \
	    2>/dev/null
}

# bulk_bytes VAR: N = bytes to move each way: $VAR when set, 256 MiB in
# a sanitizer build, else 1 GiB. Skips (77) without openssl (gen, sha).
bulk_bytes() {
	command -v openssl >/dev/null ||
	    { echo "openssl not installed"; exit 77; }
	if [ -n "${!1:-}" ]; then
		N=${!1}
	elif sanitized; then
		N=$((256 << 20))
	else
		N=$((1 << 30))
	fi
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
