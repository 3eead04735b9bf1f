#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tnc against the netcats it replaces (Debian's nc.openbsd, ncat, socat):
# as client and as server, 1 MB each way, byte-exact, both sides exit 0.
# And through the relay: socat -> tnc --relay -> nc.openbsd.
. "$SRC/tests/peers/tnc-lib.bash"

head -c 1000000 /dev/urandom >"$T/req"
head -c 1000000 /dev/urandom >"$T/rep"

# peer_port TOOL FILE: the port the peer says it listens on.
peer_port() {
	case $1 in
	nc.openbsd)
		wait_line "$2" '^Listening on ' &&
		    PORT=$(sed -n 's/^Listening on .* \([0-9]*\)$/\1/p' "$2") ;;
	socat)
		wait_line "$2" 'listening on AF=2 ' &&
		    PORT=$(grep -o 'listening on AF=2 127.0.0.1:[0-9]*' "$2" |
		    sed 's/.*://') ;;
	esac
}

# check_files LABEL SERVER-GOT: both directions arrived intact.
check_files() {
	expect "$1: request bytes" "$(sha <"$2")" "$(sha <"$T/req")"
	expect "$1: reply bytes" "$(sha <"$T/cli.got")" "$(sha <"$T/rep")"
}

# As client: the peer serves $T/rep and collects our $T/req.
for tool in nc.openbsd ncat socat; do
	command -v $tool >/dev/null || { echo "$tool missing: skipped"; continue; }
	label="tnc client vs $tool server"
	: >"$T/srv.err"
	case $tool in
	nc.openbsd)
		# -N: FIN after its stdin's EOF, as tnc does by default.
		nc.openbsd -N -lv 127.0.0.1 0 <"$T/rep" >"$T/srv.got" \
		    2>"$T/srv.err" &
		;;
	ncat)
		PORT=$(free_port)
		ncat -l 127.0.0.1 "$PORT" <"$T/rep" >"$T/srv.got" \
		    2>"$T/srv.err" &
		;;
	socat)
		socat -d -d -t 10 TCP-LISTEN:0,bind=127.0.0.1 STDIO \
		    <"$T/rep" >"$T/srv.got" 2>"$T/srv.err" &
		;;
	esac
	srv=$!
	PIDS+=("$srv")
	if [ $tool = ncat ]; then
		wait_for 5 is_listening tcp "$PORT"
	else
		peer_port $tool "$T/srv.err"
	fi
	timeout 20 "$TNC" 127.0.0.1 "$PORT" <"$T/req" >"$T/cli.got" \
	    2>"$T/cli.err"
	expect "$label: tnc exit" $? 0
	expect "$label: tnc stderr" "$(cat "$T/cli.err")" ""
	wait_rc "$srv"
	expect "$label: $tool exit" "$RC" 0
	check_files "$label" "$T/srv.got"
done

# As server: tnc -l serves $T/rep; the peer sends $T/req and half-closes.
for tool in nc.openbsd ncat socat; do
	command -v $tool >/dev/null || continue
	label="$tool client vs tnc server"
	start_listening srv "$T/rep" "$TNC" -l -v 127.0.0.1 0
	srv=$LAST_PID
	case $tool in
	nc.openbsd) timeout 20 nc.openbsd -N 127.0.0.1 "$PORT" ;;
	ncat) timeout 20 ncat 127.0.0.1 "$PORT" ;;
	socat) timeout 20 socat -t 10 STDIO "TCP:127.0.0.1:$PORT" ;;
	esac <"$T/req" >"$T/cli.got" 2>"$T/cli.err"
	expect "$label: $tool exit" $? 0
	wait_rc "$srv"
	expect "$label: tnc exit" "$RC" 0
	expect_log "$label: tnc saw the FIN after the request" "$T/srv.err" \
	    'peer EOF after 1000000 bytes received'
	check_files "$label" "$T/srv.out"
done

# Through the relay: socat -> tnc --relay -> nc.openbsd.
if command -v socat >/dev/null && command -v nc.openbsd >/dev/null; then
	label="socat -> tnc relay -> nc.openbsd"
	: >"$T/srv.err"
	nc.openbsd -N -lv 127.0.0.1 0 <"$T/rep" >"$T/srv.got" \
	    2>"$T/srv.err" &
	srv=$!
	PIDS+=("$srv")
	peer_port nc.openbsd "$T/srv.err"
	start_relay
	timeout 20 socat -t 10 STDIO "TCP:127.0.0.1:$PORT" <"$T/req" \
	    >"$T/cli.got" 2>"$T/cli.err"
	expect "$label: socat exit" $? 0
	wait_rc "$relay"
	expect "$label: relay exit" "$RC" 0
	wait_rc "$srv"
	expect "$label: nc exit" "$RC" 0
	check_files "$label" "$T/srv.got"
fi

finish
