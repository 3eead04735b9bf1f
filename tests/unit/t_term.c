/* SPDX-License-Identifier: BSD-2-Clause */
/* term: the width from $COLUMNS or the terminal, and breaking at blanks. */
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"

#include "term.h"

static void
test_columns_from_env(void **state)
{
	static const struct {
		const char *env;
		int want;	/* for an fd that is not a terminal */
	} rows[] = {
		{ "80", 80 }, { "1", 1 }, { "10000", 10000 },
		{ "0", 0 }, { "10001", 0 }, { "-5", 0 }, { "80x", 0 },
		{ "", 0 }, { " 80", 0 }, { "99999999999999999999", 0 },
	};
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		setenv("COLUMNS", rows[i].env, 1);
		assert_int_equal(term_columns(p[1]), rows[i].want);
	}
	unsetenv("COLUMNS");
	assert_int_equal(term_columns(p[1]), 0);
	close(p[0]);
	close(p[1]);
}

static void
test_columns_from_terminal(void **state)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 93 };
	int master, slave;

	(void)state;
	assert_int_equal(openpty(&master, &slave, NULL, NULL, &ws), 0);
	unsetenv("COLUMNS");
	assert_int_equal(term_columns(slave), 93);
	setenv("COLUMNS", "132", 1);		/* COLUMNS wins, as for ls */
	assert_int_equal(term_columns(slave), 132);
	setenv("COLUMNS", "junk", 1);		/* ignored: the terminal */
	assert_int_equal(term_columns(slave), 93);
	unsetenv("COLUMNS");
	close(master);
	close(slave);
}

static void
test_narrow(void **state)
{
	(void)state;
	assert_false(term_narrow(0));
	assert_true(term_narrow(1));
	assert_true(term_narrow(80));
	assert_true(term_narrow(119));
	assert_false(term_narrow(120));
	assert_false(term_narrow(200));
}

static void
test_wrap(void **state)
{
	static const struct {
		const char *text;
		int col, indent, width;
		const char *want;
	} rows[] = {
		/* fits: blanks kept as they are, trailing ones dropped */
		{ "a  b   c  ", 0, 2, 20, "a  b   c" },
		{ "  lead", 0, 2, 20, "  lead" },
		/* breaks at the blank before the word that does not fit */
		{ "one two three", 0, 2, 8, "one two\n  three" },
		{ "one two three", 4, 4, 12, "one two\n    three" },
		/* the gap at a break is dropped, alignment kept otherwise */
		{ "aaa    bbb    ccc", 0, 0, 10, "aaa    bbb\nccc" },
		/* a word longer than the room stands whole on its own line */
		{ "x 0123456789abcdef y", 0, 1, 8, "x\n 0123456789abcdef\n y" },
		/* nothing on the line yet: the long word is not pushed down */
		{ "0123456789", 3, 3, 5, "0123456789" },
		/* width 0: one line */
		{ "one two three", 0, 2, 0, "one two three" },
		{ "", 0, 2, 10, "" },
		{ "   ", 0, 2, 10, "" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = term_wrap(buf, sizeof(buf), rows[i].text, rows[i].col,
		    rows[i].indent, rows[i].width);

		assert_string_equal(buf, rows[i].want);
		assert_int_equal(n, (int)strlen(rows[i].want));
	}
}

static void
test_wrap_truncates_like_snprintf(void **state)
{
	char buf[8];

	(void)state;
	/* "one two\n  three" needs 15 bytes: 7 fit, the count is whole */
	assert_int_equal(term_wrap(buf, sizeof(buf), "one two three", 0, 2,
	    8), 15);
	assert_string_equal(buf, "one two");
	assert_int_equal(term_wrap(NULL, 0, "one two three", 0, 2, 8), 15);
}

TEST_MAIN(
	cmocka_unit_test(test_columns_from_env),
	cmocka_unit_test(test_columns_from_terminal),
	cmocka_unit_test(test_narrow),
	cmocka_unit_test(test_wrap),
	cmocka_unit_test(test_wrap_truncates_like_snprintf),
)
