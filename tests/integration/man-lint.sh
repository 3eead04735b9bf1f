#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every man page parses cleanly: mandoc -Tlint reports no warning or error.
set -u
command -v mandoc >/dev/null || { echo "mandoc not installed"; exit 77; }
status=0
count=0
for page in "$SRC"/man/*.[17]; do
	[ -e "$page" ] || continue
	count=$((count + 1))
	if ! out=$(mandoc -Tlint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		echo "FAIL: $page"
		printf '%s\n' "$out"
		status=1
	fi
done
[ "$count" -ge 1 ] || { echo "FAIL: no man pages found"; exit 1; }
echo "checked $count man pages"
exit $status
