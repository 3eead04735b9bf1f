#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# One command line across the four tools: -h and --help print the usage to
# stdout and exit 0; --version prints "TOOL teardown VERSION"; an unknown
# option or a missing argument prints the synopsis to stderr and exits 2.
. "$SRC/tests/lib/testlib.bash"

version=$(sed -n 's/^project(teardown VERSION \([0-9.]*\).*/\1/p' \
    "$SRC/CMakeLists.txt")
expect "project version found" "$([ -n "$version" ] && echo yes)" yes

# run TOOL ARGS...: RC, OUT (stdout) and ERR (stderr) of one run.
run() {
	"$BIN/$1" "${@:2}" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# missing_arg TOOL: arguments that end with an option lacking its value.
declare -A missing_arg=(
	[tnc]="-w"
	[ttcp]="-t"
	[tcpfault]="run --repeat"
	[finrst]="-e"
)

for tool in tnc ttcp tcpfault finrst; do
	for help in -h --help; do
		run "$tool" "$help"
		expect "$tool $help: exit" "$RC" 0
		expect "$tool $help: stdout starts with the synopsis" \
		    "$(head -n 1 "$T/out" | cut -c1-$((8 + ${#tool})))" \
		    "usage: $tool "
		expect "$tool $help: stderr" "$ERR" ""
	done

	run "$tool" --version
	expect "$tool --version: exit" "$RC" 0
	expect_match "$tool --version: stdout" "$OUT" \
	    "$tool teardown ${version//./\\.}( \(git [0-9a-z.-]+\))?"
	expect "$tool --version: one line" "$(wc -l <"$T/out")" 1
	expect "$tool --version: stderr" "$ERR" ""

	run "$tool" --no-such-option
	expect "$tool unknown option: exit" "$RC" 2
	expect "$tool unknown option: stdout" "$OUT" ""
	expect_match "$tool unknown option: names it" "$ERR" \
	    ".*no-such-option.*"
	expect_match "$tool unknown option: synopsis on stderr" "$ERR" \
	    "usage: $tool .*"

	# shellcheck disable=SC2086 # the arguments are words on purpose
	run "$tool" ${missing_arg[$tool]}
	expect "$tool missing argument: exit" "$RC" 2
	expect "$tool missing argument: stdout" "$OUT" ""
	expect_match "$tool missing argument: synopsis on stderr" "$ERR" \
	    "usage: $tool .*"
done
finish
