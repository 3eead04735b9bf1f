#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst --html in a real browser: headless Chromium loads the report of a
# corpus capture, its DOM holds one diagram per connection that did not
# end fin, and a screenshot of it is not blank (many colours, the panels'
# background, data bars and ACK lines on a good share of the pixels).
# Then a report large enough to be packed (tests/finrst/benchgen): scrolled
# to each packed block in turn, the page unpacks it, until its DOM holds
# every row and, for each pictured connection, its diagram.
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
	    "file://$T/${page:-report.html}" 2>>"$T/chromium.err"
}
# ids FILE: the ids of the diagrams in a DOM, sorted
ids() {
	grep -Eo '<section class="pic" id="c[0-9]+"><svg class="seq"' "$1" |
	    tr -dc '0-9\n' | sort -n
}

"$BIN/finrst" --json --html "$T/report.html" "$cap" >"$T/out.jsonl"
expect "finrst exit" "$?" 0
want=$(grep '"type":"connection"' "$T/out.jsonl" |
    grep -vc '"teardown":"fin"')
expect "pictured connections" "$([ "$want" -ge 2 ] && echo some)" some

browse --dump-dom >"$T/dom.html"
expect "chromium --dump-dom exit" "$?" 0
got=$(ids "$T/dom.html" | wc -l)
expect "diagrams in Chromium's DOM" "$got" "$want"

browse --screenshot="$T/shot.png" --window-size=1200,2000 >/dev/null
expect "chromium --screenshot exit" "$?" 0
out=$(python3 "$check" png "$T/shot.png" 20 5 fafafa:10 1f5fae:0.001 \
    2ca02c:0.01)
rc=$?
echo "$out"
expect "screenshot not blank" "$rc" 0

# packed blocks: each unpacked as it is scrolled into view
"$BUILD/tests/finrst-benchgen" -c 300 -o "$T/big.pcap" -t "$T/big.truth" \
    2>/dev/null
"$BIN/finrst" --json --html "$T/big.html" "$T/big.pcap" >"$T/big.jsonl"
expect "finrst exit (packed)" "$?" 0
grep '"type":"connection"' "$T/big.jsonl" | grep -v '"teardown":"fin"' |
    grep -Eo '"id":[0-9]+' | tr -dc '0-9\n' | sort -n >"$T/want.ids"
expect "packed blocks in the report" \
    "$([ "$(grep -c 'class="rows z"' "$T/big.html")" -ge 1 ] &&
    [ "$(grep -c 'class="pics z"' "$T/big.html")" -ge 2 ] && echo some)" some
# scroll the first block still packed into view, wait for the page to
# unpack it (30 s at most), again; then the DOM. --dump-dom would not
# wait: the DevTools protocol does (finrst_pictures.py browse).
python3 "$check" browse "$chromium" "$T/profile" "file://$T/big.html" "
(async function () {
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  var n = 0, d, t;
  while ((d = document.querySelector('div.z'))) {
    d.scrollIntoView();
    for (t = 0; d.classList.contains('z') && 600 > t; t++) await sleep(50);
    if (d.classList.contains('z')) return 'block ' + n + ' still packed';
    n++;
  }
  return document.documentElement.outerHTML;
})()" >"$T/bigdom.html" 2>>"$T/chromium.err"
expect "chromium over the DevTools protocol (packed)" "$?" 0
expect "every packed block unpacked once in view" \
    "$(head -c 200 "$T/bigdom.html" | grep -o 'still packed\|^<html')" "<html"
expect "packed blocks left" "$(grep -Ec 'class="(rows|pics) z"' \
    "$T/bigdom.html")" 0
expect "rows in Chromium's DOM (packed)" \
    "$(grep -Eo '<tr class="k-' "$T/bigdom.html" | wc -l)" 300
ids "$T/bigdom.html" >"$T/got.ids"
expect "diagrams in Chromium's DOM (packed)" "$(wc -l <"$T/got.ids")" \
    "$(wc -l <"$T/want.ids")"
expect "one diagram per pictured connection (packed)" \
    "$(cmp "$T/want.ids" "$T/got.ids" && echo same)" same

finish
