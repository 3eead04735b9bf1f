#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst -i: live capture on lo prints each connection once its teardown
# settles (line-buffered, before the capture ends), and the summary on
# SIGINT, exiting 130 (128 + SIGINT).
. "$SRC/tests/finrst/live-lib.sh"

port=$("$tcpscript" -n | sed -n 's/^port //p')
"$BIN/finrst" -v -i lo -f "tcp port $port" --grace 0.2 --json \
    >"$work/out" 2>"$work/err" &
pid=$!
if ! wait_for 5 grep -q 'capturing on lo' "$work/err"; then
	echo "FAIL: finrst -i did not start: $(cat "$work/err")"
	kill $pid
	exit 1
fi
timeout 20 "$tcpscript" -p "$port" c:connect s:accept c:send:100 s:recv:100 \
    c:shutdown s:eof s:close c:eof c:close >"$work/script.log" 2>&1 ||
    { echo "FAIL: tcpscript: $(cat "$work/script.log")"; fail=1; }

# The connection is printed while finrst is still capturing.
if wait_for 5 grep -q '"type":"connection"' "$work/out"; then
	echo "ok   the connection was reported live"
else
	echo "FAIL: no connection line while capturing"
	fail=1
fi
kill -INT $pid
wait $pid
rc=$?
if [ $rc -eq 130 ]; then
	echo "ok   finrst exited 130 on SIGINT (128 + SIGINT)"
else
	echo "FAIL: finrst exited $rc on SIGINT: $(cat "$work/err")"
	fail=1
fi
line=$(grep '"type":"connection"' "$work/out")
expect_fields "" "$line" teardown=fin closed_by=orig conn_state=SF \
    orig_bytes=100 resp_p="$port"
if grep -q '"type":"summary","connections":1,' "$work/out"; then
	echo "ok   summary after SIGINT"
else
	echo "FAIL: no summary: $(tail -1 "$work/out")"
	fail=1
fi
exit $fail
