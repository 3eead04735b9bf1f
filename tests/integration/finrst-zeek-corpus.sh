#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# finrst's conn_state and history against Zeek's own baselines for the
# TCP connections in tests/data/zeek (a copy of the public corpus, see its
# README.md). Prints the agreement; fails when conn_state agrees on fewer
# than 95% of the rows.
set -u
corpus=${FINRST_CORPUS:-$SRC/tests/data/zeek}
if [ ! -f "$corpus/expected.tsv" ]; then
	echo "skip: no Zeek corpus at $corpus"
	exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Which pcaps Zeek read with -C (checksums ignored), from the README table.
awk -F'|' '/^\| [^ ]+\.pcap/ { gsub(/ /, "", $2); if ($5 ~ /-C/) print $2 }' \
    "$corpus/README.md" >"$out/dash-c"

# finrst's rows: pcap, orig_h, orig_p, resp_h, resp_p, conn_state, history
status=0
for p in $(tail -n +2 "$corpus/expected.tsv" | cut -f1 | sort -u); do
	if ! timeout 60 "$BIN/finrst" "$corpus/pcaps/$p" >"$out/run" 2>"$out/err"; then
		echo "FAIL: finrst $p exited $?: $(head -1 "$out/err")"
		status=1
		continue
	fi
	awk -v pcap="$p" '
	function host(e) { sub(/:[0-9]+$/, "", e); gsub(/[][]/, "", e); return e }
	function port(e) { sub(/.*:/, "", e); return e }
	NR > 1 && NF >= 11 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9][0-9]:[0-9][0-9]:/ {
		print pcap "\t" host($3) "\t" port($3) "\t" host($4) "\t" \
		    port($4) "\t" $10 "\t" $11
	}' "$out/run"
done >"$out/got"

# Match each expected row with finrst's next row for the same endpoints
# (in either direction), in order; orientation must agree too.
awk -F'\t' -v dashc="$out/dash-c" '
BEGIN { while ((getline l < dashc) > 0) C[l] = 1 }
FNR == NR {
	k = $1 "|" ($2 < $4 ? $2 "|" $3 "|" $4 "|" $5 : $4 "|" $5 "|" $2 "|" $3)
	if ($2 == $4) k = $1 "|" $2 "|" ($3 < $5 ? $3 "|" $5 : $5 "|" $3)
	n[k]++; row[k, n[k]] = $0
	next
}
FNR == 1 { next }
{
	k = $1 "|" ($2 < $4 ? $2 "|" $3 "|" $4 "|" $5 : $4 "|" $5 "|" $2 "|" $3)
	if ($2 == $4) k = $1 "|" $2 "|" ($3 < $5 ? $3 "|" $5 : $5 "|" $3)
	used[k]++
	total++; c = ($1 in C); ctotal += c
	if (!((k, used[k]) in row)) {
		printf "MISSING  %s %s:%s -> %s:%s want %s %s\n", $1, $2, $3, $4, $5, $6, $7
		next
	}
	split(row[k, used[k]], g, "\t")
	same_dir = (g[2] == $2 && g[3] == $3)
	st = same_dir && g[6] == $6; hi = same_dir && g[7] == $7
	okst += st; okhi += hi
	if (c) { cst += st; chi += hi }
	if (!st || !hi)
		printf "DIFFER   %s %s:%s -> %s:%s want %s %s got %s:%s %s %s\n", \
		    $1, $2, $3, $4, $5, $6, $7, g[2], g[3], g[6], g[7]
}
END {
	for (k in n) if (used[k] < n[k])
		for (i = used[k] + 1; i <= n[k]; i++) {
			split(row[k, i], g, "\t")
			printf "EXTRA    %s %s:%s -> %s:%s %s %s\n", g[1], g[2], g[3], g[4], g[5], g[6], g[7]
		}
	printf "conn_state agreement: %d/%d (%.1f%%); history: %d/%d (%.1f%%)\n", \
	    okst, total, 100 * okst / total, okhi, total, 100 * okhi / total
	printf "rows Zeek read with -C: conn_state %d/%d (%.1f%%); history %d/%d (%.1f%%)\n", \
	    cst, ctotal, 100 * cst / ctotal, chi, ctotal, 100 * chi / ctotal
	if (okst * 100 < 95 * total) {
		print "FAIL: conn_state agreement below 95%"
		exit 1
	}
}' "$out/got" "$corpus/expected.tsv" || status=1
exit $status
