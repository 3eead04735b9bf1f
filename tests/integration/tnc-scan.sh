#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tnc -z over a port range with some ports open (listeners started here)
# and some closed: the open set is the one nc.openbsd -z -v reports, the
# -v lines are nc's, exit 0 when any port was open and 1 when none was.
. "$SRC/tests/peers/tnc-lib.bash"

command -v nc.openbsd >/dev/null || { echo "no nc.openbsd"; exit 77; }

# open_set FILE: the ports FILE's "Connection to ... succeeded!" lines
# name, sorted, on one line.
open_set() {
	sed -nE 's/^Connection to 127\.0\.0\.1 ([0-9]+) port .* succeeded!$/\1/p' \
	    "$1" | sort -n | tr '\n' ' '
}

# Six ports from a free one; listeners on the second and the fourth.
base=$(free_port)
[ "$base" -lt 65530 ] || base=40000
lo=$base
hi=$((base + 5))
start holder - python3 -c 'import socket, sys, time
ls = []
for p in sys.argv[1:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(p)))
    s.listen(16)
    ls.append(s)
print("listening on 127.0.0.1:%s" % sys.argv[1], file=sys.stderr, flush=True)
time.sleep(60)' $((base + 1)) $((base + 3))
port_of "$T/holder.err" || fail "holder did not start: $(cat "$T/holder.err")"

timeout 20 "$TNC" -z -v 127.0.0.1 "$lo-$hi" </dev/null >"$T/z.out" \
    2>"$T/z.err"
expect "-z: exit" $? 0
expect "-z: stdout" "$(cat "$T/z.out")" ""
timeout 20 nc.openbsd -z -v 127.0.0.1 "$lo-$hi" </dev/null >/dev/null \
    2>"$T/nc.err"
expect "nc -z: exit" $? 0
expect "-z: open ports" "$(open_set "$T/z.err")" "$((base + 1)) $((base + 3)) "
expect "-z: open ports as nc" "$(open_set "$T/z.err")" \
    "$(open_set "$T/nc.err")"
expect "-z: refused lines" "$(grep -c 'Connection refused$' "$T/z.err")" 4
expect "-z: first line" "$(head -n1 "$T/z.err")" \
    "tnc: connect to 127.0.0.1 port $lo: Connection refused"
expect_match "-z: open line" "$(cat "$T/z.err")" \
    "Connection to 127\.0\.0\.1 $((base + 1)) port \[tcp/[^]]+\] succeeded!"

# Several arguments, single ports and ranges; nothing open: exit 1, as nc.
timeout 20 "$TNC" -z 127.0.0.1 "$lo" "$((base + 4))-$hi" </dev/null \
    >"$T/z.out" 2>"$T/z.err"
expect "-z none open: exit" $? 1
expect "-z none open: quiet without -v" "$(cat "$T/z.err")" ""
timeout 20 nc.openbsd -z 127.0.0.1 "$lo" "$((base + 4))-$hi" </dev/null \
    >/dev/null 2>&1
expect "nc -z none open: exit" $? 1

# Usage.
timeout 5 "$TNC" -z 127.0.0.1 9-8 </dev/null 2>"$T/z.err"
expect "-z backwards: exit" $? 2
expect "-z backwards: stderr" "$(cat "$T/z.err")" \
    "tnc: port: range backwards: 9-8"
timeout 5 "$TNC" -z -l 127.0.0.1 9 </dev/null 2>"$T/z.err"
expect "-z -l: exit" $? 2
expect "-z -l: stderr" "$(cat "$T/z.err")" \
    "tnc: -z: TCP connect only, not with -l, -u or --relay"
kill "$LAST_PID"

finish
