# SPDX-License-Identifier: BSD-2-Clause
# Shared by tests/integration/finrst-live-*.sh: run a scripted loopback
# exchange under capture, then check finrst's JSON for one connection.
# Needs BIN, BUILD and SRC (set by ctest). Skips (77) without root.
. "$SRC/tests/lib/testlib.bash"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: capturing on lo needs root"
	exit 77
fi
tcpscript=$BUILD/tests/finrst-tcpscript
work=$T
fail=0

# capture NAME [tcpscript options and steps]: writes $work/NAME.pcap
capture() {
	local name=$1 rc
	shift
	timeout 30 "$tcpscript" -w "$work/$name.pcap" "$@" \
	    >"$work/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "skip: $(tail -1 "$work/$name.log")"
		exit 77
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: tcpscript exited $rc: $(tail -1 "$work/$name.log")"
		fail=1
	fi
	sed "s/^/   $name: /" "$work/$name.log"
}

# field JSONLINE NAME: a top-level member's value (strings unquoted)
field() {
	printf '%s\n' "$1" |
	    sed -n "s/^.*\"$2\":\(\"[^\"]*\"\|\[[^]]*\]\|[^,}]*\).*$/\1/p" |
	    tr -d '"'
}

# expect_fields LABEL JSONLINE KEY=VALUE...: the line's members have them
expect_fields() {
	local label=$1 line=$2 kv k v got
	shift 2
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		got=$(field "$line" "$k")
		if [ "$got" = "$v" ]; then
			echo "ok   $label$k=$v"
		else
			echo "FAIL $label$k is '$got', expected '$v'"
			fail=1
		fi
	done
}

# expect_conn NAME ID KEY=VALUE...: connection ID of NAME.pcap has them
expect_conn() {
	local name=$1 id=$2 line
	shift 2
	line=$("$BIN/finrst" --json "$work/$name.pcap" |
	    grep "\"type\":\"connection\",\"id\":$id,")
	if [ -z "$line" ]; then
		echo "FAIL $name: no connection $id"
		"$BIN/finrst" "$work/$name.pcap"
		fail=1
		return
	fi
	expect_fields "$name #$id: " "$line" "$@"
}

# expect_count NAME N: NAME.pcap holds N connections
expect_count() {
	local n
	n=$("$BIN/finrst" --json "$work/$1.pcap" | grep -c '"type":"connection"')
	if [ "$n" = "$2" ]; then
		echo "ok   $1: $2 connection(s)"
	else
		echo "FAIL $1: $n connections, expected $2"
		"$BIN/finrst" "$work/$1.pcap"
		fail=1
	fi
}

# expect_log NAME TEXT: what the sockets saw (tcpscript's output)
expect_log() {
	if grep -qF -- "$2" "$work/$1.log"; then
		echo "ok   $1: sockets saw '$2'"
	else
		echo "FAIL $1: sockets did not see '$2'"
		fail=1
	fi
}
