/* SPDX-License-Identifier: BSD-2-Clause */
/* The report card of check-client and check-server: table, JSONL, JUnit. */
#ifndef TCPFAULT_REPORT_H
#define TCPFAULT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
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

/* A check mode's case: its name on the command line and one line. */
struct report_case {
	const char *name;
	const char *what;
};

/*
 * The bit mask (bit i: cases[i]) for a comma-separated list of the n
 * cases' names (NULL: all of them). Returns -1 with errbuf naming the
 * unknown case.
 */
int report_cases_parse(const struct report_case *cases, int n,
    const char *list, uint64_t *mask, char *errbuf);
/* "title:" then "  NAME  what" per case, for -h and usage errors. */
void report_cases_list(FILE *fp, const char *title,
    const struct report_case *cases, int n);

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
/*
 * End the report and free it: after a stop signal say so and return
 * 128+signo; else write the JUnit file when junit is not NULL (exit 1
 * when it cannot be written), and when some rows failed print "N
 * case(s) " and fail_text under the table and return 1; else 0.
 */
int report_finish(struct report *rp, const char *junit,
    const char *fail_text);
void report_free(struct report *rp);

#endif
