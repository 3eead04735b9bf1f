#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# --zeek and --zeek-json: every corpus capture's conn.log follows Zeek's
# header rules (tests/finrst/zeeklog_check.py: #fields and #types agree,
# each row has every field, each value its type), its JSON twin holds the
# same values, each row is the connection finrst's own --json reports
# (same order, endpoints, conn_state, history), uids are the same on a
# second run, and DuckDB reading the logs unchanged (tests/node) counts
# the same connections per conn_state as finrst's summary.
. "$SRC/tests/lib/testlib.bash"
pcaps=$SRC/tests/data/zeek/pcaps
check=$SRC/tests/finrst/zeeklog_check.py

# Each capture alone: the log, its JSON twin and finrst's own JSON. A
# capture that breaks (gen-trunc, exit 3) still gives a whole log.
pairs=()
for p in "$pcaps"/*.pcap "$pcaps"/*.pcapng "$SRC"/tests/pcap/gen-*.pcap; do
	b=$(basename "$p")
	want=0
	[ "$b" = gen-trunc.pcap ] && want=3
	timeout 20 "$BIN/finrst" --json --zeek "$T/$b.log" "$p" >"$T/$b.own" \
	    2>/dev/null
	expect "$b: --zeek exit" "$?" "$want"
	timeout 20 "$BIN/finrst" -q --zeek-json "$T/$b.json" "$p" >/dev/null \
	    2>/dev/null
	expect "$b: --zeek-json exit" "$?" "$want"
	pairs+=("$T/$b.log" "$T/$b.json")
done
out=$(python3 "$check" "${pairs[@]}" 2>&1)
expect "header rules and JSON twins" "$?" 0
expect_no_match "checker" "$out" "FAIL"

# Row by row, the connections of finrst's own --json, and the same uids
# on a second run.
out=$(python3 - "$T" <<'EOF' 2>&1
import glob, json, os, sys
bad = 0
logs = sorted(glob.glob(os.path.join(sys.argv[1], "*.log")))
for log in logs:
    own = [json.loads(l) for l in open(log[:-4] + ".own")]
    own = [o for o in own if o.get("type") == "connection"]
    zj = [json.loads(l) for l in open(log[:-4] + ".json")]
    if len(own) != len(zj):
        print(f"{log}: {len(zj)} rows, finrst --json has {len(own)}")
        bad += 1
        continue
    for o, z in zip(own, zj):
        want = (o["orig_h"], o["orig_p"], o["resp_h"], o["resp_p"],
                o["conn_state"], "" if o["history"] == "-" else o["history"],
                o["teardown"], o["closed_by"], o["orig_pkts"], o["resp_pkts"],
                o["orig_unacked"], o["resp_unacked"], o["ts_us"])
        got = (z["id.orig_h"], z["id.orig_p"], z["id.resp_h"], z["id.resp_p"],
               z["conn_state"], z["history"], z["teardown"],
               z.get("closed_by"), z["orig_pkts"], z["resp_pkts"],
               z["orig_unacked"], z["resp_unacked"], round(z["ts"] * 1e6))
        if want != got:
            print(f"{log}: {got} != {want}")
            bad += 1
        d = o["duration_us"]
        if (d > 0) != ("duration" in z) or \
                (d > 0 and round(z["duration"] * 1e6) != d):
            print(f"{log}: duration {z.get('duration')} for {d} us")
            bad += 1
print(f"{len(logs)} logs, {bad} bad")
EOF
)
expect_match "rows are finrst's connections" "$out" "[0-9]+ logs, 0 bad"
p=$pcaps/ftp_ipv6.pcap
uids() { "$BIN/finrst" --zeek - "$p" | grep -v '^#' | cut -f2; }
first=$(uids)
expect "uids on a second run" "$(uids)" "$first"
expect_match "uid shape" "$(echo "$first" | head -1)" "C[0-9A-Za-z]{17}"
expect "uids distinct" "$(echo "$first" | sort -u | wc -l)" \
    "$(echo "$first" | wc -l)"

# One row pinned: Zeek's own formatting (6 decimals, '-' unset, no
# brackets around IPv6 addresses, (empty) for an empty history).
row=$("$BIN/finrst" --zeek - "$pcaps/http_get.pcap" | grep -v '^#')
expect "http_get row" "$row" "$(printf '%s\t' 1362692526.869344 \
    C8dd8oEk0NVFmE0uid 141.142.228.5 59856 192.150.187.43 80 tcp - \
    0.211628 136 5007 SF - - 0 ShADadFf 7 512 7 5379 - fin orig 0)0"
row=$("$BIN/finrst" --zeek-json - "$pcaps/http_get.pcap")
expect "http_get JSON" "$row" \
    '{"ts":1362692526.869344,"uid":"C8dd8oEk0NVFmE0uid","id.orig_h":"141.142.228.5","id.orig_p":59856,"id.resp_h":"192.150.187.43","id.resp_p":80,"proto":"tcp","duration":0.211628,"orig_bytes":136,"resp_bytes":5007,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":7,"orig_ip_bytes":512,"resp_pkts":7,"resp_ip_bytes":5379,"teardown":"fin","closed_by":"orig","orig_unacked":0,"resp_unacked":0}'
v6=$("$BIN/finrst" --zeek - "$SRC/tests/pcap/gen-ipv6.pcap" | grep -v '^#' |
    head -1 | cut -f3)
expect_match "IPv6 orig_h" "$v6" "[0-9a-f:]+"

# --zeek - owns stdout: nothing else is printed there.
"$BIN/finrst" --zeek - "$p" >"$T/stdout.log"
"$BIN/finrst" --zeek "$T/file.log" "$p" >/dev/null
expect "--zeek - is the file" "$(grep -v '^#open\|^#close' "$T/stdout.log")" \
    "$(grep -v '^#open\|^#close' "$T/file.log")"

# Usage and output errors.
"$BIN/finrst" --zeek - -j "$p" >/dev/null 2>"$T/err"
expect "--zeek - with -j: exit" "$?" 2
expect_match "--zeek - with -j: message" "$(head -1 "$T/err")" \
    "finrst: --zeek - takes stdout: no -j or --ladder with it"
"$BIN/finrst" --zeek a --zeek-json b "$p" >/dev/null 2>"$T/err"
expect "both logs: exit" "$?" 2
"$BIN/finrst" --zeek "$T/no/such/dir/conn.log" "$p" >/dev/null 2>"$T/err"
expect "unwritable log: exit" "$?" 1
expect "unwritable log: message" "$(cat "$T/err")" \
    "finrst: --zeek $T/no/such/dir/conn.log: No such file or directory"

# DuckDB reads both logs unchanged: the same counts as finrst's summary.
if [ -d "$SRC/tests/node/node_modules/@duckdb/node-api" ]; then
	all=("$pcaps"/*.pcap "$pcaps"/*.pcapng)
	"$BIN/finrst" --zeek-json "$T/all.json" --json "${all[@]}" |
	    tail -1 >"$T/summary"
	"$BIN/finrst" -q --zeek "$T/all.log" "${all[@]}" >/dev/null
	got=$(cd "$SRC/tests/node" && timeout 60 node zeek-duckdb.mjs \
	    "$T/all.json" "$T/all.log")
	out=$(python3 - "$T/summary" "$got" <<'EOF'
import json, sys
want = json.load(open(sys.argv[1]))
got = json.loads(sys.argv[2])
n = want["connections"]
ok = (got["json"] == want["conn_state"] and got["tsv"] == want["conn_state"]
      and got["rows"]["json"]["n"] == n and got["rows"]["tsv"]["n"] == n
      and got["rows"]["json"] == got["rows"]["tsv"])
print(f"{'same' if ok else 'differ'}: {n} connections, finrst "
      f"{want['conn_state']}, duckdb {got}")
EOF
)
	expect_match "DuckDB counts per conn_state" "$out" "same: [0-9]+ .*"
else
	echo "note: tests/node has no node_modules (scripts/setup runs npm ci):" \
	    "DuckDB part skipped"
fi
finish
