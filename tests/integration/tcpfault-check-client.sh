#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault check-client against real clients (curl, nc.openbsd, socat,
# python3 urllib): their real exit codes, last stderr lines and verdicts.
. "$SRC/tests/peers/tcpfault-lib.bash"
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
for p in curl nc.openbsd socat; do
	command -v $p >/dev/null || { echo "skip: $p is not installed"; exit 77; }
done
ROOT=0
[ "$(id -u)" -eq 0 ] && ROOT=1

# cc NAME ARGS...: check-client --json into $T/NAME.jsonl; RC its status.
cc() {
	check_json "$1" check-client "${@:2}"
}

# ---- curl over HTTP: 52 empty reply, 18 partial body, 56 reset, 28 -m ----
cc curl --http --timeout 5 --cases close,send-close,reset,vanish \
    -- curl -sS -m 1 -o /dev/null "http://{addr}/"
expect "curl: exit status (nothing silent)" "$RC" 0
expect "curl: rows" "$(jq -s length "$T/curl.jsonl")" 4
expect "curl close: 52" "$(row curl close .exit_status)" 52
expect "curl close: stderr" "$(row curl close .stderr)" \
    "curl: (52) Empty reply from server"
expect "curl send-close: 18" "$(row curl send-close .exit_status)" 18
expect "curl send-close: stderr" "$(row curl send-close .stderr)" \
    "curl: (18) transfer closed with 32768 bytes remaining to read"
expect "curl reset: 56" "$(row curl reset .exit_status)" 56
expect "curl reset: stderr" "$(row curl reset .stderr)" \
    "curl: (56) Recv failure: Connection reset by peer"
expect "curl vanish: 28" "$(row curl vanish .exit_status)" 28
expect_match "curl vanish: stderr" "$(row curl vanish .stderr)" \
    '^curl: \(28\) Operation timed out after [0-9]+ milliseconds with 32768 out of 65536 bytes received$'
expect "curl: all noticed" "$(jq -r .verdict "$T/curl.jsonl" | sort -u)" \
    noticed
if [ $ROOT = 1 ]; then
	expect "curl: wire classes" "$(jq -r '.wire | join(",")' \
	    "$T/curl.jsonl" | paste -sd' ')" "fin fin rst vanished"
	expect "curl reset: closed by" "$(row curl reset .wire_closed_by)" \
	    server
fi

# ---- the keep-alive reuse race: curl retries on a fresh connection -------
cc race --http --timeout 5 --cases keepalive-race -- curl -sS -m 2 \
    -o /dev/null "http://{addr}/a" -o /dev/null "http://{addr}/b"
expect "race: curl recovers" "$(row race keepalive-race \
    '[.exit_status, .verdict, .lost] | join(" ")')" "0 ok false"
[ $ROOT = 1 ] && expect "race: RST, then a fresh connection" \
    "$(row race keepalive-race '.wire | join(",")')" "rst,fin"
# Without --http there is no keep-alive to race on.
cc racera --cases keepalive-race -- true
expect "race raw: skipped" "$(row racera keepalive-race .verdict)" skipped

# ---- nc -N: exits 0 whatever happens, so lost replies are silent ---------
printf 'hello\n' >"$T/req"
cc nc --stdin "$T/req" --timeout 5 --cases close,reset,half-close \
    -- nc.openbsd -N "{host}" "{port}"
expect "nc: exit status (silent rows)" "$RC" 1
expect "nc: verdicts" "$(jq -r '[.case, .exit, .verdict] | join(" ")' \
    "$T/nc.jsonl" | paste -sd,)" \
    "close 0 silent,reset 0 silent,half-close 0 ok"
expect "nc: got the half-close reply" "$(row nc half-close .stdout_bytes)" \
    65536

# ---- socat: half-closes, waits 0.5 s, then closes: a reply 2 s late is lost
cc socat --stdin "$T/req" --timeout 5 --delay 2 --junit "$T/socat.xml" \
    --cases write-after-close,half-close -- socat - "TCP:{addr}"
expect "socat: exit status" "$RC" 1
expect "socat write-after-close: silent" "$(row socat write-after-close \
    '[.exit_status, .verdict, .lost, .stdout_bytes] | join(" ")')" \
    "0 silent true 0"
expect "socat half-close: ok" "$(row socat half-close .verdict)" ok
[ $ROOT = 1 ] && expect "socat: its kernel refused the reply" \
    "$(row socat write-after-close '.wire | join(",")')" fin-rst
expect "junit: one failure of two" "$(python3 -c '
import sys, xml.etree.ElementTree as E
s = E.parse(sys.argv[1]).getroot()
print(s.get("tests"), s.get("failures"),
      [c.get("name") for c in s.iter("testcase") if c.find("failure") is not None],
      s.find("testcase/failure").get("type"))' "$T/socat.xml")" \
    "2 1 ['write-after-close'] silent"

# ---- python3 urllib: exceptions are noticed, with the last stderr line ---
cc py --http --timeout 5 --cases send-close,reset -- python3 -c '
import sys, urllib.request
urllib.request.urlopen("http://%s/" % sys.argv[1], timeout=3).read()' "{addr}"
expect "python send-close" "$(row py send-close \
    '[.exit_status, .verdict, .stderr] | join(" ")')" \
    "1 noticed http.client.IncompleteRead: IncompleteRead(32768 bytes read, 32768 more expected)"
expect "python reset" "$(row py reset '[.exit_status, .verdict, .stderr] |
    join(" ")')" \
    "1 noticed ConnectionResetError: [Errno 104] Connection reset by peer"

# ---- the same check twice gives the same verdicts ------------------------
cc nc2 --stdin "$T/req" --timeout 5 --cases close,reset,half-close \
    -- nc.openbsd -N "{host}" "{port}"
expect "nc: verdicts stable" "$(jq -r .verdict "$T/nc2.jsonl" | paste -sd,)" \
    "$(jq -r .verdict "$T/nc.jsonl" | paste -sd,)"

# ---- {host}/{port} in the environment too; a table by default ------------
timeout 20 "$TCPFAULT" check-client --cases close -- sh -c \
    'echo "at $TCPFAULT_HOST:$TCPFAULT_PORT $TCPFAULT_CASE" >&2; exit 3' \
    >"$T/env.out" 2>&1
expect "env: exit status (noticed)" "$?" 0
expect "env: header" "$(head -1 "$T/env.out")" \
    "CASE               EXIT    NOTICED                 WIRE               VERDICT  LAST STDERR LINE"
expect_match "env: row" "$(sed -n 2p "$T/env.out")" \
    '^close +3 +- +[a-z-]+ +noticed +at 127\.0\.0\.1:[0-9]+ close$'

# ---- usage errors --------------------------------------------------------
"$TCPFAULT" check-client --http >/dev/null 2>"$T/u1"
expect "no command: exit" "$?" 2
expect "no command: message" "$(head -1 "$T/u1")" \
    "tcpfault: check-client: name the client's command after --"
"$TCPFAULT" check-client --cases close,bogus -- true >/dev/null 2>"$T/u2"
expect "bad case: exit" "$?" 2
expect "bad case: message" "$(head -1 "$T/u2")" \
    "tcpfault: --cases: unknown case 'bogus'"
"$TCPFAULT" check-client --cases close -- /nonexistent/client \
    >/dev/null 2>"$T/u3"
expect "no such program: exit" "$?" 1
expect "no such program: message" "$(tail -1 "$T/u3")" \
    "tcpfault: cannot run /nonexistent/client: No such file or directory"
finish
