#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Several files in one run: each connection is classified exactly as when
# its file is read alone, whatever the order of the files (unrelated
# captures are merged by timestamp into one timeline, years apart).
set -u
pcaps=$SRC/tests/data/zeek/pcaps
files=("$pcaps/http_get.pcap" "$pcaps/tcp_syn-then-stuff-then-rst.pcap"
    "$pcaps/ssh_ssh.pcap" "$pcaps/tcp_single-rst.pcap")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Connection objects without the per-run id, sorted: one line each.
conns() {
	python3 -c '
import json, sys
rows = []
for line in sys.stdin:
    o = json.loads(line)
    if o.get("type") == "summary":
        continue
    o.pop("id", None)
    rows.append(json.dumps(o, sort_keys=True))
print("\n".join(sorted(rows)))'
}

for f in "${files[@]}"; do
	timeout 20 "$BIN/finrst" --json "$f" || exit 1
done | conns >"$out/alone"
timeout 20 "$BIN/finrst" --json "${files[@]}" | conns >"$out/forward"
rev=()
for ((i = ${#files[@]} - 1; i >= 0; i--)); do rev+=("${files[$i]}"); done
timeout 20 "$BIN/finrst" --json "${rev[@]}" | conns >"$out/reverse"

n=$(wc -l <"$out/alone")
status=0
[ "$n" -ge 4 ] || { echo "FAIL: only $n connections read alone"; status=1; }
for order in forward reverse; do
	if ! diff -u "$out/alone" "$out/$order"; then
		echo "FAIL: files read $order differ from each file alone"
		status=1
	fi
done
[ $status -eq 0 ] && echo "ok: $n connections identical alone, forward and reverse"
exit $status
