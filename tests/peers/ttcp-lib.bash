# SPDX-License-Identifier: BSD-2-Clause
# Helpers for tests/integration/ttcp-*.sh: start receivers on a free
# loopback port, wait with timeouts, read JSON reports, assert exactly.
# Sourced, never run; expects BIN and SRC from CTest.

set -u
: "${BIN:?BIN not set (run through ctest)}"
: "${SRC:?SRC not set (run through ctest)}"
TTCP=$BIN/ttcp
PEER="python3 $SRC/tests/peers/ttcp_peer.py"
. "$SRC/tests/lib/testlib.bash"

# wait_port FILE: the port of the "listening on 127.0.0.1:PORT" line
# that starts FILE, once that whole line (newline included) is there.
wait_port() {
	wait_for 5 has_lines "$1" 1 || return 1
	PORT=$(head -n1 "$1" |
	    sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p')
	[ -n "$PORT" ]
}

# start_receiver NAME WHAT CMD...: CMD in the background, stdout in
# $T/NAME.out, stderr in $T/NAME.err, pid in RPID; sets PORT from its
# first stderr line, or fails saying WHAT did not start.
start_receiver() {
	local name=$1 what=$2
	shift 2
	# Truncate here: a background job's redirections happen later, and
	# the port of a previous run must not be read.
	: >"$T/$name.out"
	: >"$T/$name.err"
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	RPID=$!
	PIDS+=("$RPID")
	if ! wait_port "$T/$name.err"; then
		fail "$name: $what did not start: $(cat "$T/$name.err")"
		PORT=1
		return 1
	fi
}

# start_ttcp_r NAME ARGS...: ttcp -r on 127.0.0.1, a free port, -v.
start_ttcp_r() {
	local name=$1
	shift
	start_receiver "$name" receiver "$TTCP" -r -v -B 127.0.0.1 -p 0 "$@"
}

# start_peer_r NAME ARGS...: the Python peer as receiver.
start_peer_r() {
	local name=$1
	shift
	# shellcheck disable=SC2086
	start_receiver "$name" peer $PEER receive "$@"
}

# jget FILE [LINE] EXPR: a Python expression over the JSON object j read
# from line LINE (default 1) of FILE; prints the result (json-encoded for
# strings/bools so "true"/"false"/"null" appear as in JSON).
jget() {
	local file=$1 line=1
	if [ $# -eq 3 ]; then
		line=$2
		shift
	fi
	python3 - "$file" "$line" "$2" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
try:
    j = json.loads(lines[int(sys.argv[2]) - 1])
except (IndexError, ValueError) as e:
    print("<no json: %s>" % e)
    sys.exit(0)
try:
    v = eval("(" + sys.argv[3] + ")", {"j": j})
except Exception as e:
    v = "<%s>" % type(e).__name__
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# jcheck LABEL FILE LINE EXPR WANT [EXPR WANT]...: evaluate every EXPR
# (Python over the JSON object j on line LINE of FILE, printed as jget
# does) in one interpreter and compare with WANT exactly.
jcheck() {
	local label=$1 file=$2 line=$3 out
	shift 3
	out=$(python3 - "$label" "$file" "$line" "$@" <<'PY'
import json, sys
label, path, line, pairs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
try:
    j = json.loads(open(path).read().splitlines()[int(line) - 1])
except (IndexError, ValueError, OSError):
    j = None
checks = fails = 0
for expr, want in zip(pairs[0::2], pairs[1::2]):
    checks += 1
    try:
        v = eval("(" + expr + ")", {"j": j})
        v = v if isinstance(v, str) else json.dumps(v)
    except Exception as e:
        v = "<%s: %s>" % (type(e).__name__, e)
    if v != want:
        fails += 1
        print("FAIL: %s: %s: got [%s], expected [%s]" % (label, expr, v, want))
print("%d %d" % (checks, fails))
PY
)
	printf '%s\n' "$out" | sed '$d' >&2
	set -- $(printf '%s\n' "$out" | tail -n1)
	CHECKS=$((CHECKS + $1))
	FAILS=$((FAILS + $2))
}

