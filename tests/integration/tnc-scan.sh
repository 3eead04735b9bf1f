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

# Six ports below the ephemeral range (no port-0 bind of a parallel test
# lands there), all six free when picked; listeners on the second and the
# fourth. The holder prints "listening on 127.0.0.1:BASE".
start holder - python3 -c 'import random, socket, sys, time
for attempt in range(200):
    base = random.randrange(20000, 32000)
    socks, ok = [], True
    for p in range(base, base + 6):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
            s.close()
            break
        socks.append(s)
    if ok:
        break
    for s in socks:
        s.close()
else:
    sys.exit("no six free ports in a row")
for i, s in enumerate(socks):
    if i in (1, 3):
        s.listen(16)
    else:
        s.close()
print("listening on 127.0.0.1:%d" % base, file=sys.stderr, flush=True)
time.sleep(60)'
port_of "$T/holder.err" || fail "holder did not start: $(cat "$T/holder.err")"
base=$PORT
lo=$base
hi=$((base + 5))

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
