/* SPDX-License-Identifier: BSD-2-Clause */
/* The suite's -h and usage-error convention (STYLE.md, main()). */
#include <stdio.h>

#include "exitcode.h"
#include "usage.h"

int
usage_print(FILE *fp, const char *synopsis, const char *help)
{
	fputs(synopsis, fp);
	if (fp != stdout)
		return EXIT_USAGE;
	fputs(help, fp);
	return EXIT_OK;
}
