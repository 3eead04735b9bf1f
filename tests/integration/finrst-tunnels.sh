#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Captures re-encapsulated in every tunnel finrst decodes, and fragmented
# (outer, inner, out of order, repeated), must give the plain capture's
# connection table; the tunnel each connection came through is named in
# --json; --no-tunnels, --tunnel-port, the nesting limit and fragments
# that disagree behave as finrst.1 says.
set -u
enc=$BUILD/tests/finrst-pcapencap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
z4=$SRC/tests/data/zeek/pcaps/wikipedia.pcap
z6=$SRC/tests/data/zeek/pcaps/ftp_ipv6.pcap

table() {	# PCAP [FLAGS...]: the table and counts, not the frame count
	"$BIN/finrst" "$@" | grep -v ' frames: '
}

same() {	# INPUT ENCAP-ARGS...
	local in=$1
	shift
	if ! "$enc" "$@" "$in" "$tmp/x.pcap"; then
		echo "FAIL pcapencap $* $in"
		fail=1
		return
	fi
	table "$tmp/x.pcap" >"$tmp/got" 2>"$tmp/err"
	if cmp -s "$tmp/want" "$tmp/got" && [ ! -s "$tmp/err" ]; then
		echo "ok   $(basename "$in") $*"
	else
		echo "FAIL $(basename "$in") $*:"
		diff "$tmp/want" "$tmp/got" | head -5
		head -3 "$tmp/err"
		fail=1
	fi
}

# Every kind on a generated capture; IPv6 and fragments (outer, inner,
# reversed, repeated, nested) on it, on a generated IPv6 one and on two
# real ones (Zeek corpus).
g4=$SRC/tests/pcap/gen-en10mb.pcap g6=$SRC/tests/pcap/gen-ipv6.pcap
while read -r in args; do
	if [ "$in" != "${cur:-}" ]; then
		cur=$in
		table "${!in}" >"$tmp/want"
	fi
	# shellcheck disable=SC2086
	same "${!in}" $args
done <<EOF
g4 -t none
g4 -t vxlan
g4 -t geneve
g4 -t gre
g4 -t gre-key
g4 -t gre-teb
g4 -t erspan1
g4 -t erspan2
g4 -t erspan3
g4 -t gre-udp
g4 -t ayiya
g4 -t gtpu
g4 -t ipip
g4 -t pbb
g4 -t vntag
g4 -t fabricpath
g4 -t ipip -n 4
g4 -t none -f 256
g4 -t gre -F 256 -d
g4 -t ipip -6 -F 512 -f 256 -r
g6 -t teredo
g6 -t ipip
g6 -t ipip -6
g6 -t geneve -F 64
z4 -t vxlan -f 512 -r
z4 -t gtpu -F 256 -d
z6 -t ipip -6 -F 512 -f 256 -r
z6 -t gre-udp
EOF

# The tunnel, named and stable: one uid per direction of the VXLAN pair.
in=$SRC/tests/pcap/gen-en10mb.pcap
"$enc" -t vxlan "$in" "$tmp/v.pcap"
"$enc" -t vxlan -f 64 -r "$in" "$tmp/vf.pcap"
want='"tunnel_parents":[{"uid":"CTqXjTRxempI","tunnel":"vxlan","orig_h":"192.0.2.1","orig_p":49152,"resp_h":"192.0.2.2","resp_p":4789,"key":4660},{"uid":"CHmnfkG7SrtD","tunnel":"vxlan","orig_h":"192.0.2.2","orig_p":49152,"resp_h":"192.0.2.1","resp_p":4789,"key":4660}]}'
for p in v vf; do
	got=$("$BIN/finrst" --json "$tmp/$p.pcap" | head -1 |
	    grep -o '"tunnel_parents.*')
	if [ "$got" = "$want" ]; then
		echo "ok   tunnel_parents of $p.pcap"
	else
		echo "FAIL tunnel_parents of $p.pcap: $got"
		fail=1
	fi
done
if "$BIN/finrst" --json "$in" | head -1 | grep -q '"tunnel_parents":\[\]}$'
then
	echo "ok   no tunnel: tunnel_parents empty"
else
	echo "FAIL untunnelled connection has tunnel_parents"
	fail=1
fi

# Zeek's conn.log carries the same tunnels' uids: a set in TSV and JSON,
# unset (left out, "-") for a connection that came through none.
for f in v:"$tmp/v.pcap" n:"$in"; do
	"$BIN/finrst" --zeek "$tmp/${f%%:*}.log" "${f#*:}" >/dev/null
	"$BIN/finrst" --zeek-json "$tmp/${f%%:*}.json" "${f#*:}" >/dev/null
done
zcol() {	# FILE: the tunnel_parents column of the first row
	awk -F'\t' '/^#fields/ { for (i = 2; i <= NF; i++)
	    if ($i == "tunnel_parents") c = i - 1 }
	    !/^#/ { print $c; exit }' "$1"
}
zj=$(head -1 "$tmp/v.json" | grep -o '"tunnel_parents":[^]]*]')
nj=$(head -1 "$tmp/n.json" | grep -c '"tunnel_parents"')
if [ "$(zcol "$tmp/v.log")" = "CTqXjTRxempI,CHmnfkG7SrtD" ] &&
    [ "$zj" = '"tunnel_parents":["CTqXjTRxempI","CHmnfkG7SrtD"]' ] &&
    [ "$(zcol "$tmp/n.log")" = "-" ] && [ "$nj" = 0 ]; then
	echo "ok   conn.log tunnel_parents"
else
	echo "FAIL conn.log tunnel_parents: [$(zcol "$tmp/v.log")] [$zj]" \
	    "[$(zcol "$tmp/n.log")] [$nj]"
	fail=1
fi

expect_out() {	# WHAT REGEX FINRST-ARGS...: stdout+stderr must match
	local what=$1 re=$2
	shift 2
	if "$BIN/finrst" "$@" >"$tmp/o" 2>&1; [ $? -le 2 ] &&
	    grep -Eq -- "$re" "$tmp/o"; then
		echo "ok   $what"
	else
		echo "FAIL $what: $(head -3 "$tmp/o")"
		fail=1
	fi
}
expect_out "--no-tunnels" '^0 connections' --no-tunnels "$tmp/v.pcap"
expect_out "--tunnel-port vxlan= turns VXLAN off" '^0 connections' \
    --tunnel-port vxlan= "$tmp/v.pcap"
expect_out "--tunnel-port on another port" '^0 connections' \
    --tunnel-port vxlan=8472 "$tmp/v.pcap"
expect_out "--tunnel-port keeps 4789 in a list" '^5 connections' \
    --tunnel-port vxlan=8472,4789 "$tmp/v.pcap"
"$enc" -t teredo "$SRC/tests/pcap/gen-ipv6.pcap" "$tmp/t.pcap"
expect_out "--tunnel-port teredo= turns Teredo off, by shape too" \
    '^0 connections' --tunnel-port teredo= "$tmp/t.pcap"
expect_out "--tunnel-port unknown kind" \
    '^finrst: --tunnel-port: unknown UDP tunnel: foo' --tunnel-port foo=1 "$in"
expect_out "--tunnel-port bad port" '^finrst: --tunnel-port: bad port' \
    --tunnel-port vxlan=70000 "$in"
expect_out "--tunnel-port port with a sign" \
    '^finrst: --tunnel-port: bad port' --tunnel-port 'vxlan= 4789' "$in"
"$BIN/finrst" --tunnel-port foo=1 "$in" >/dev/null 2>&1
[ $? = 2 ] && echo "ok   bad --tunnel-port exits 2" ||
    { echo "FAIL bad --tunnel-port does not exit 2"; fail=1; }

"$enc" -t ipip -n 5 "$in" "$tmp/deep.pcap"
expect_out "nested too deep" \
    '^finrst: 30 frames nested more than 4 tunnels deep: not decoded' \
    "$tmp/deep.pcap"
"$enc" -t none -f 256 -c "$z4" "$tmp/c.pcap"
expect_out "disagreeing fragments" \
    '^finrst: IP fragments: [0-9]+ datagrams reassembled; dropped [1-9][0-9]* whose overlapping fragments disagreed' \
    "$tmp/c.pcap"
exit $fail
