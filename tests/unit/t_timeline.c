/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for timeline: recording, JSON round trip, text, JSON Lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "evloop.h"
#include "timeline.h"

#define TWO_EVENTS \
	"[{\"t_us\":5,\"op\":\"send\",\"bytes\":4096,\"outcome\":\"ok\"}," \
	"{\"t_us\":1234,\"op\":\"recv\",\"outcome\":\"reset\"," \
	"\"errno\":104}]"

static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	assert_non_null(j);
	return j;
}

static char *
dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	assert_non_null(s);
	return s;
}

static void
test_add_records_fields(void **state)
{
	struct timeline *tl = timeline_new("client", 0);
	const struct tl_event *e;

	assert_non_null(tl);
	assert_string_equal(timeline_side(tl), "client");
	assert_int_equal(timeline_add(tl, "connect", -1, OUTCOME_OK, 0), 0);
	assert_int_equal(timeline_add(tl, "send", 4096, OUTCOME_OK, 0), 0);
	assert_int_equal(timeline_add(tl, "recv", -1, OUTCOME_RESET,
	    ECONNRESET), 0);
	assert_int_equal(timeline_count(tl), 3);
	e = timeline_get(tl, 1);
	assert_string_equal(e->op, "send");
	assert_int_equal(e->bytes, 4096);
	assert_int_equal(e->outcome, OUTCOME_OK);
	assert_int_equal(e->err, 0);
	e = timeline_get(tl, 2);
	assert_string_equal(e->op, "recv");
	assert_int_equal(e->bytes, -1);
	assert_int_equal(e->outcome, OUTCOME_RESET);
	assert_int_equal(e->err, ECONNRESET);
	/* Times come from one monotonic clock: never negative or backwards. */
	assert_true(timeline_get(tl, 0)->t_us >= 0);
	assert_true(timeline_get(tl, 1)->t_us >= timeline_get(tl, 0)->t_us);
	assert_true(timeline_get(tl, 2)->t_us >= timeline_get(tl, 1)->t_us);
	assert_null(timeline_get(tl, 3));
	timeline_free(tl);
}

/* A shared epoch puts both sides of a scenario on one time axis. */
static void
test_epoch_and_long_op(void **state)
{
	struct timeline *tl = timeline_new("server",
	    clock_mono_us() - 5000000);

	assert_non_null(tl);
	assert_int_equal(timeline_add(tl, "an-operation-name-too-long-to-fit",
	    0, OUTCOME_EOF, 0), 0);
	assert_true(timeline_get(tl, 0)->t_us >= 5000000);
	assert_string_equal(timeline_get(tl, 0)->op, "an-operation-name-too-l");
	timeline_free(tl);
}

static void
test_json_round_trip(void **state)
{
	json_t *in = parse(TWO_EVENTS), *out;
	struct timeline *tl = timeline_from_json("server", in);
	char *s;

	assert_non_null(tl);
	assert_int_equal(timeline_count(tl), 2);
	assert_int_equal(timeline_get(tl, 0)->t_us, 5);
	assert_int_equal(timeline_get(tl, 1)->t_us, 1234);
	assert_int_equal(timeline_get(tl, 1)->err, 104);
	assert_int_equal(timeline_get(tl, 1)->outcome, OUTCOME_RESET);
	assert_int_equal(timeline_get(tl, 1)->bytes, -1);
	out = timeline_to_json(tl);
	assert_non_null(out);
	s = dump(out);
	assert_string_equal(s, TWO_EVENTS);
	free(s);
	json_decref(out);
	json_decref(in);
	timeline_free(tl);
}

static void
test_from_json_rejects(void **state)
{
	static const char *bad[] = {
		"{}",
		"[1]",
		"[{\"op\":\"send\",\"outcome\":\"ok\"}]",
		"[{\"t_us\":1,\"outcome\":\"ok\"}]",
		"[{\"t_us\":1,\"op\":\"send\",\"outcome\":\"bogus\"}]",
		"[{\"t_us\":1,\"op\":\"send\",\"outcome\":\"ok\","
		    "\"bytes\":\"9\"}]",
		"[{\"t_us\":1.5,\"op\":\"send\",\"outcome\":\"ok\"}]",
		"[{\"t_us\":1,\"op\":\"send\",\"outcome\":\"ok\","
		    "\"errno\":-4}]",
	};
	struct timeline *tl;
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		tl = timeline_from_json("x", j);
		if (tl != NULL)
			fail_msg("accepted %s", bad[i]);
		json_decref(j);
	}
	j = parse("[]");
	tl = timeline_from_json("x", j);
	assert_non_null(tl);
	assert_int_equal(timeline_count(tl), 0);
	timeline_free(tl);
	json_decref(j);
}

static void
test_print_lines(void **state)
{
	json_t *in = parse(TWO_EVENTS);
	struct timeline *tl = timeline_from_json("client", in);
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(tl);
	assert_non_null(fp);
	timeline_print(tl, fp);
	fclose(fp);
	assert_string_equal(text,
	    "      +5us  client  send         4096  ok\n"
	    "   +1234us  client  recv            -  reset (ECONNRESET)\n");
	free(text);
	json_decref(in);
	timeline_free(tl);
}

static void
test_jsonl_write_one_line(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	json_t *obj = json_pack("{s:s, s:i, s:[i,i]}", "tool", "ttcp",
	    "bytes", 10, "list", 1, 2);

	assert_non_null(fp);
	assert_non_null(obj);
	assert_int_equal(jsonl_write(fp, obj), 0);
	assert_int_equal(jsonl_write(fp, json_pack("{s:b}", "ok", 1)), 0);
	fclose(fp);
	assert_string_equal(text,
	    "{\"tool\":\"ttcp\",\"bytes\":10,\"list\":[1,2]}\n{\"ok\":true}\n");
	free(text);
}

/* stdout closed early (a pipe with no reader): -1 and EPIPE, no signal. */
static void
test_jsonl_write_broken_pipe(void **state)
{
	int p[2];
	FILE *fp;

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	fp = fdopen(p[1], "w");
	assert_non_null(fp);
	errno = 0;
	assert_int_equal(jsonl_write(fp, json_pack("{s:i}", "n", 1)), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(jsonl_write(fp, NULL), -1);
	fclose(fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_records_fields),
		cmocka_unit_test(test_epoch_and_long_op),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_from_json_rejects),
		cmocka_unit_test(test_print_lines),
		cmocka_unit_test(test_jsonl_write_one_line),
		cmocka_unit_test(test_jsonl_write_broken_pipe),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
