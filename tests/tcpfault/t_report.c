/* SPDX-License-Identifier: BSD-2-Clause */
/* report: the check modes' case lists, table rows and JUnit XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"

#include "errbuf.h"
#include "report.h"

static const struct report_case cases[] = {
	{ "close", "close at once" },
	{ "reset", "abort" },
	{ "vanish", "say nothing" },
};

static const struct report_col cols[] = {
	{ "case", "CASE", 6 },
	{ "n", "N", 3 },
	{ "verdict", "VERDICT", 0 },
	{ NULL, NULL, 0 }
};

static void
test_cases(void **state)
{
	char eb[ERRBUF_LEN] = "";
	uint64_t mask;

	(void)state;
	assert_int_equal(report_cases_parse(cases, 3, NULL, &mask, eb), 0);
	assert_int_equal(mask, 7);
	assert_int_equal(report_cases_parse(cases, 3, "vanish,close", &mask,
	    eb), 0);
	assert_int_equal(mask, 5);
	assert_int_equal(report_cases_parse(cases, 3, "close,nope", &mask,
	    eb), -1);
	assert_string_equal(eb, "--cases: unknown case 'nope'");
	assert_int_equal(report_cases_parse(cases, 3, ",", &mask, eb), -1);
	assert_string_equal(eb, "--cases: name at least one case");
}

/* The whole of a file, NUL-terminated (the test fails when unreadable). */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 8192);

	assert_non_null(fp);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 8191, fp) > 0);
	fclose(fp);
	return buf;
}

static void
test_table_and_junit(void **state)
{
	char out[] = "/tmp/t_report_outXXXXXX";
	char xml[] = "/tmp/t_report_xmlXXXXXX";
	int ofd = mkstemp(out), xfd = mkstemp(xml);
	FILE *fp = fdopen(ofd, "w+");
	struct report *rp;
	char *text;

	(void)state;
	assert_non_null(fp);
	assert_true(xfd >= 0);
	close(xfd);
	rp = report_new(fp, "check-x", cols, false);
	assert_non_null(rp);
	assert_int_equal(report_row(rp, json_pack("{s:s,s:i,s:s,s:b,s:s,"
	    "s:i}", "case", "close-unread", "n", 42, "verdict", "silent",
	    "pass", 0, "summary", "lost <all> & \"more\" 'x'",
	    "duration_ms", 1500)), 0);
	assert_int_equal(report_row(rp, json_pack("{s:s,s:s,s:s,s:b,s:s,"
	    "s:i}", "case", "idle", "n", "", "verdict", "skipped", "pass", 1,
	    "summary", "needs --http", "duration_ms", 0)), 0);
	assert_int_equal(report_junit(rp, xml), 0);
	/* A failure: one line, exit status 1. */
	assert_int_equal(report_finish(rp, NULL, "failed here"), 1);
	fflush(fp);
	text = slurp(out);
	assert_string_equal(text,
	    "CASE   N   VERDICT\n"
	    "close- 42  silent\n"
	    "idle   -   skipped\n"
	    "\n1 case(s) failed here\n");
	free(text);
	text = slurp(xml);
	assert_non_null(strstr(text, "<testsuite name=\"tcpfault check-x\" "
	    "tests=\"2\" failures=\"1\" skipped=\"1\" time=\"1.500\">\n"));
	assert_non_null(strstr(text, "<testcase classname=\"tcpfault.check-x\" "
	    "name=\"close-unread\" time=\"1.500\">\n    <failure "
	    "type=\"silent\" message=\"lost &lt;all&gt; &amp; &quot;more&quot; "
	    "&apos;x&apos;\"/>\n"));
	assert_non_null(strstr(text, "<skipped message=\"needs --http\"/>"));
	assert_null(strstr(text, "<all>"));
	free(text);
	fclose(fp);
	unlink(out);
	unlink(xml);
}

static void
test_json_rows(void **state)
{
	char out[] = "/tmp/t_report_jsonXXXXXX";
	FILE *fp = fdopen(mkstemp(out), "w+");
	struct report *rp;
	char *text;

	(void)state;
	assert_non_null(fp);
	rp = report_new(fp, "check-x", cols, true);
	assert_int_equal(report_row(rp, json_pack("{s:s,s:b}", "case", "a",
	    "pass", 1)), 0);
	/* Nothing failed: 0 and no line. */
	assert_int_equal(report_finish(rp, NULL, "unused"), 0);
	fflush(fp);
	text = slurp(out);
	assert_string_equal(text, "{\"case\":\"a\",\"pass\":true}\n");
	free(text);
	fclose(fp);
	unlink(out);
}

TEST_MAIN(
	cmocka_unit_test(test_cases),
	cmocka_unit_test(test_table_and_junit),
	cmocka_unit_test(test_json_rows),
)
