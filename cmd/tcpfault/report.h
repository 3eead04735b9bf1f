/* SPDX-License-Identifier: BSD-2-Clause */
/* The report card of check-client and check-server: table, JSONL, JUnit. */
#ifndef TCPFAULT_REPORT_H
#define TCPFAULT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/*
 * A report collects one JSON object per case. Every row has "case",
 * "verdict", "pass" (false fails the JUnit test case) and "summary" (one
 * line); the rest is the mode's own. The table's columns are the named
 * members, each at most width characters wide (longer values are cut).
 */
struct report_col {
	const char *key;	/* member of the row; a string or an integer */
	const char *title;
	int width;		/* 0: the last column, not padded or cut */
};

struct report;

/*
 * A report for suite ("check-client") printing to fp: the table's header
 * at once unless json (then each row is a JSON line). cols ends with a
 * NULL key. Returns NULL when out of memory.
 */
struct report *report_new(FILE *fp, const char *suite,
    const struct report_col *cols, bool json);
/* Print row (taken) and keep it for the JUnit file. -1: stdout failed. */
int report_row(struct report *rp, json_t *row);
/*
 * Write every row as JUnit XML to path: one <testcase> per row, a
 * <failure> when "pass" is false, <skipped/> for verdict "skipped".
 * Returns 0, or -1 with errno set.
 */
int report_junit(const struct report *rp, const char *path);
/* Rows whose "pass" is false, so far. */
int report_failed(const struct report *rp);
void report_free(struct report *rp);

#endif
