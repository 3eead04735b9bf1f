/* SPDX-License-Identifier: BSD-2-Clause */
/* The suite's -h and usage-error convention: which stream, what, exit. */
#ifndef TEARDOWN_USAGE_H
#define TEARDOWN_USAGE_H

#include <stdio.h>

/*
 * The synopsis on fp, and on stdout (asked for: -h, --help) the help
 * after it. Returns the exit status that goes with it: EXIT_OK on stdout,
 * EXIT_USAGE on any other stream (a usage error, on stderr).
 */
int usage_print(FILE *fp, const char *synopsis, const char *help);

/*
 * Define a tool's usage(): after a usage error, the synopsis on stderr and
 * exit 2. The tool exits, not the library; include <stdlib.h>.
 */
#define USAGE_DEFINE(synopsis, help)					\
static void __attribute__((noreturn))					\
usage(void)								\
{									\
	exit(usage_print(stderr, synopsis, help));			\
}

#endif
