#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Compressed captures: a gzip, zstd, xz and bzip2 copy of every corpus
# capture, read as a file and from stdin, gives exactly the plain file's
# output (--json, summary included, but for the file name it names); a
# truncated or corrupt copy is a one-line error and exit 3.
. "$SRC/tests/lib/testlib.bash"
pcaps=$SRC/tests/data/zeek/pcaps
tools="gzip zstd xz bzip2"
for t in $tools; do
	command -v "$t" >/dev/null || { echo "skip: no $t"; exit 77; }
done

# finrst --json FILE..., with the paths it reads written as FILE
json() {
	timeout 60 "$BIN/finrst" --json "$@" 2>&1 |
	    sed 's|"path":"[^"]*"|"path":"FILE"|g'
	echo "exit ${PIPESTATUS[0]}"
}

# Every capture in one run, plain, then each format: the same bytes.
plain=()
for p in "$pcaps"/*.pcap "$pcaps"/*.pcapng; do
	plain+=("$p")
done
json "${plain[@]}" >"$T/plain"
json "$pcaps/ssh_ssh.pcap" >"$T/want"
expect_match "plain run" "$(tail -1 "$T/plain")" "exit 0"
for t in $tools; do
	copies=()
	for p in "${plain[@]}"; do
		"$t" -$([ "$t" = xz ] && echo 0 || echo 1) -c "$p" \
		    >"$T/$(basename "$p").$t"
		copies+=("$T/$(basename "$p").$t")
	done
	json "${copies[@]}" >"$T/got"
	CHECKS=$((CHECKS + 1))
	if ! cmp -s "$T/plain" "$T/got"; then
		fail "$t copies differ: $(diff "$T/plain" "$T/got" | head -3)"
	fi
	expect "$t: files read" "$(grep -o '"path":"FILE"' "$T/got" | wc -l)" \
	    "${#plain[@]}"
	# the largest from stdin, through a pipe (no seeking back)
	cat "$T/ssh_ssh.pcap.$t" | json - >"$T/got"
	CHECKS=$((CHECKS + 1))
	cmp -s "$T/want" "$T/got" || fail "$t on stdin differs from the file"
	rm -f "${copies[@]}"
done

# Bad streams: one line naming the file and what is wrong, exit 3.
p=$pcaps/http_get.pcap
for t in $tools; do
	"$t" -c "$p" >"$T/full.$t"
	size=$(stat -c %s "$T/full.$t")
	head -c $((size / 2)) "$T/full.$t" >"$T/cut.$t"
	timeout 10 "$BIN/finrst" "$T/cut.$t" >/dev/null 2>"$T/err"
	expect "cut $t: exit" "$?" 3
	expect_match "cut $t: message" "$(cat "$T/err")" \
	    "finrst: $T/cut\\.$t: (broken at packet [0-9]+ \\(byte offset [0-9]+\\): )?truncated $t stream"
	expect "cut $t: one line" "$(wc -l <"$T/err")" 1
	# from stdin too
	timeout 10 "$BIN/finrst" - <"$T/cut.$t" >/dev/null 2>"$T/err"
	expect "cut $t on stdin: exit" "$?" 3
	expect_match "cut $t on stdin: message" "$(cat "$T/err")" \
	    "finrst: -: .*truncated $t stream"
	python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(b) // 3, len(b) // 3 + 16):
    b[i] ^= 0xa5
open(sys.argv[2], "wb").write(b)' "$T/full.$t" "$T/bad.$t"
	timeout 10 "$BIN/finrst" "$T/bad.$t" >/dev/null 2>"$T/err"
	expect "corrupt $t: exit" "$?" 3
	expect_match "corrupt $t: message" "$(cat "$T/err")" \
	    "finrst: $T/bad\\.$t: .*corrupt $t data \\(.*\\)"
	expect "corrupt $t: one line" "$(wc -l <"$T/err")" 1
done
finish
