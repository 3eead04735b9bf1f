#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst --html in a real browser: headless Chromium loads the report of a
# corpus capture, its DOM holds one diagram per connection that did not
# end fin, and a screenshot of it is not blank (many colours, the panels'
# background, data bars and ACK lines on a good share of the pixels).
# Chromium is slow to start: this is the one test that runs it.
. "$SRC/tests/lib/testlib.bash"
check=$SRC/tests/peers/finrst_pictures.py
cap=${FINRST_CORPUS:-$SRC/tests/data/zeek}/pcaps/pop3_pop3.pcap
[ -f "$cap" ] || cap=$SRC/tests/pcap/gen-en10mb.pcap
chromium=$(command -v chromium || command -v chromium-browser) || {
	echo "chromium not installed (scripts/setup): skipped"
	exit 77
}
browse() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
	    --user-data-dir="$T/profile" --hide-scrollbars "$@" \
	    "file://$T/report.html" 2>>"$T/chromium.err"
}

"$BIN/finrst" --json --html "$T/report.html" "$cap" >"$T/out.jsonl"
expect "finrst exit" "$?" 0
want=$(grep '"type":"connection"' "$T/out.jsonl" |
    grep -vc '"teardown":"fin"')
expect "pictured connections" "$([ "$want" -ge 2 ] && echo some)" some

browse --dump-dom >"$T/dom.html"
expect "chromium --dump-dom exit" "$?" 0
got=$(grep -Eo '<section class="pic" id="c[0-9]+"><svg class="seq"' \
    "$T/dom.html" | wc -l)
expect "diagrams in Chromium's DOM" "$got" "$want"

browse --screenshot="$T/shot.png" --window-size=1200,2000 >/dev/null
expect "chromium --screenshot exit" "$?" 0
out=$(python3 "$check" png "$T/shot.png" 20 5 fafafa:10 1f5fae:0.001 \
    2ca02c:0.01)
rc=$?
echo "$out"
expect "screenshot not blank" "$rc" 0

finish
