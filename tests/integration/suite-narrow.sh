#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Tables follow the screen: under 120 columns ($COLUMNS, else the
# terminal's width) finrst and `tcpfault run` print their narrow layout,
# broken only between fields; wide or unknown (a pipe) keeps the wide one
# that scripts and saved outputs rely on.
. "$SRC/tests/lib/testlib.bash"

pcap=$SRC/tests/pcap/gen-en10mb.pcap
wide=$SRC/tests/pcap/gen-v4.out

# longest FILE: the length of FILE's longest line.
longest() {
	awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$1"
}

# finrst: the narrow layout at 80 columns, byte for byte.
COLUMNS=80 "$BIN/finrst" "$pcap" >"$T/n80" 2>"$T/err"
expect "finrst COLUMNS=80 exit" "$?" 0
expect "finrst COLUMNS=80 output" \
    "$(cmp -s "$T/n80" "$SRC/tests/pcap/gen-v4.narrow80.out" && echo same)" same
expect "finrst COLUMNS=80 stderr" "$(cat "$T/err")" ""

# every width from 40 to 119 fits, IPv4 and IPv6, nothing cut: the words
# of each output are the words of the 80-column one
for pc in "$pcap" "$SRC/tests/pcap/gen-en10mb-v6.pcap"; do
	COLUMNS=80 "$BIN/finrst" "$pc" | tr -s ' \n' '\n\n' >"$T/words80"
	for cols in 40 60 72 100 119; do
		COLUMNS=$cols "$BIN/finrst" "$pc" >"$T/n"
		expect "finrst ${pc##*/} COLUMNS=$cols fits" \
		    "$(( $(longest "$T/n") <= cols ))" 1
		expect "finrst ${pc##*/} COLUMNS=$cols same words" \
		    "$(tr -s ' \n' '\n\n' <"$T/n" | cmp -s - "$T/words80" &&
		    echo same)" same
	done
done

# 120 columns and more, or no width known (a pipe): the wide table
for cols in 120 200 ""; do
	COLUMNS=$cols "$BIN/finrst" "$pcap" >"$T/w"
	expect "finrst COLUMNS='$cols' is the wide table" \
	    "$(cmp -s "$T/w" "$wide" && echo same)" same
done
# junk in COLUMNS is ignored, as ls(1) does
COLUMNS=eighty "$BIN/finrst" "$pcap" >"$T/w"
expect "finrst COLUMNS=eighty is the wide table" \
    "$(cmp -s "$T/w" "$wide" && echo same)" same

# the terminal's own width when stdout is one (script(1) gives a pty)
script -qec "stty cols 80 rows 50; '$BIN/finrst' '$pcap'" /dev/null |
    tr -d '\r' >"$T/tty80"
expect "finrst on an 80-column terminal" \
    "$(cmp -s "$T/tty80" "$SRC/tests/pcap/gen-v4.narrow80.out" && echo same)" same
script -qec "stty cols 160 rows 50; '$BIN/finrst' '$pcap'" /dev/null |
    tr -d '\r' >"$T/tty160"
expect "finrst on a 160-column terminal" \
    "$(cmp -s "$T/tty160" "$wide" && echo same)" same

# tcpfault run: each side on its own lines under the row, broken at blanks
COLUMNS=60 "$BIN/tcpfault" run S2 C1 >"$T/run60" 2>"$T/err"
expect "tcpfault run COLUMNS=60 exit" "$?" 0
expect "tcpfault run COLUMNS=60 table" "$(head -n 8 "$T/run60")" \
"CASE/VARIANT               VERDICT    WIRE
    WHAT EACH SIDE SAW
S2                         expected   fin by client
    server: accept, recv 524288, recv eof, close
    client: connect, send 524288, close
C1                         expected   fin-rst by server
    client: connect, send 100, send broken-pipe, recv eof,
      close"
expect "tcpfault run COLUMNS=60 fits" "$(( $(longest "$T/run60") <= 60 ))" 1
# a wire class too long for the row goes below it, whole
COLUMNS=45 "$BIN/tcpfault" run S2 >"$T/run45"
expect "tcpfault run COLUMNS=45 row" "$(sed -n 3,4p "$T/run45")" \
"S2                         expected
    fin by client"
COLUMNS=200 "$BIN/tcpfault" run S2 >"$T/run200"
expect "tcpfault run COLUMNS=200 row" "$(sed -n 2p "$T/run200")" \
"S2                         expected   fin by client        server: accept, recv 524288, recv eof, close"

finish
