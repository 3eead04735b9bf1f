#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tcpfault explain SYMPTOM: errno and signal names, messages and curl's
# exit codes lead to the cases that produce them and the command to see it.
. "$SRC/tests/peers/tcpfault-lib.bash"

# ex SYMPTOM: explain's output in $T/ex, its status in RC.
ex() {
	"$TCPFAULT" explain "$1" >"$T/ex" 2>"$T/ex.err"
	RC=$?
}

# The name each symptom resolves to (the first line); every case its
# reproduce line names is in the catalogue.
"$TCPFAULT" list >"$T/list"
while IFS='|' read -r input want; do
	ex "$input"
	expect "'$input': exit" "$RC" 0
	expect "'$input': resolves to" "$(head -1 "$T/ex")" "$want"
	for c in $(sed -n '/^Reproduce:/{n;p}' "$T/ex" | sed 's/.*tcpfault run //'); do
		grep -q "^${c%%/*} " "$T/list" ||
		    fail "$input: names an unknown case $c"
		CHECKS=$((CHECKS + 1))
	done
done <<'LIST'
ECONNRESET|ECONNRESET
Connection reset by peer|ECONNRESET
ConnectionResetError: [Errno 104] Connection reset by peer|ECONNRESET
EPIPE|EPIPE
Broken pipe|EPIPE
SIGPIPE|SIGPIPE
ETIMEDOUT|ETIMEDOUT
econnrefused|ECONNREFUSED
EOF|EOF
52|curl 52
curl 56|curl 56
curl: (56) Recv failure: Connection reset by peer|curl 56
(18)|curl 18
curl: (28) Operation timed out after 1000 milliseconds with 0 bytes received|curl 28
LIST

# The whole answer for one: cause, cases with their titles, the command.
ex ECONNRESET
expect "ECONNRESET: cases" "$(sed -n '/^Cases/,/^Reproduce/p' "$T/ex" |
    sed '1d;$d' | awk '{print $1}' | paste -sd' ')" \
    "C3 S3/unread S4/unread C2/unsent newbie-close/close keepalive-race/in-flight"
expect "ECONNRESET: reproduce" "$(sed -n '/^Reproduce:/{n;p}' "$T/ex")" \
    "    tcpfault run C3 S3/unread S4/unread C2/unsent newbie-close/close keepalive-race/in-flight"
expect_match "ECONNRESET: C3's title" "$(grep '^    C3 ' "$T/ex")" \
    '^    C3 +the server closes with unread data in its receive buffer$'
ex 52
expect "curl 52: cases" "$(sed -n '/^Cases/,/^Reproduce/p' "$T/ex" |
    sed '1d;$d' | awk '{print $1}' | paste -sd' ')" \
    "keepalive-race/fin-unread C1"
expect "curl 52: check-client" "$(sed -n '/^Against/{n;p}' "$T/ex")" \
    "    check-client --http: close"

# Unknown: exit 2 with both lists.
ex "no such thing"
expect "unknown: exit" "$RC" 2
expect "unknown: message" "$(head -1 "$T/ex.err")" \
    "tcpfault: unknown case or symptom 'no such thing'"
expect_match "unknown: symptoms listed" "$(sed -n 3p "$T/ex.err")" \
    '^valid symptoms: ECONNRESET, EPIPE, SIGPIPE, .*'
finish
