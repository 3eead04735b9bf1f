/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for usage.c: -h on stdout with exit 0, errors on stderr, 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include "test_main.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "usage.h"

static const char synopsis[] = "usage: tool [-h] file\n";
static const char help[] = "\n  -h  this text\n";

/* What was written to fp, from its start. */
static void
assert_written(FILE *fp, const char *want)
{
	char got[256];
	size_t n;

	rewind(fp);
	n = fread(got, 1, sizeof(got) - 1, fp);
	got[n] = '\0';
	assert_string_equal(got, want);
}

/* A usage error: the synopsis alone, and the status 2. */
static void
test_usage_error(void **state)
{
	FILE *fp = tmpfile();

	assert_non_null(fp);
	assert_int_equal(usage_print(fp, synopsis, help), EXIT_USAGE);
	assert_written(fp, "usage: tool [-h] file\n");
	fclose(fp);
}

/* Asked for: on stdout the synopsis, then the help, and the status 0. */
static void
test_help_on_stdout(void **state)
{
	FILE *fp = tmpfile();
	int saved = dup(STDOUT_FILENO);

	assert_non_null(fp);
	assert_true(saved >= 0);
	fflush(stdout);
	assert_int_equal(dup2(fileno(fp), STDOUT_FILENO), STDOUT_FILENO);
	assert_int_equal(usage_print(stdout, synopsis, help), EXIT_OK);
	fflush(stdout);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	assert_written(fp, "usage: tool [-h] file\n\n  -h  this text\n");
	fclose(fp);
}

TEST_MAIN(
	cmocka_unit_test(test_usage_error),
	cmocka_unit_test(test_help_on_stdout),
)
