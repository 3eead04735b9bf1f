/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the toxic catalogue: defaults, checks, JSON, shorthand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "toxics.h"

/* body as JSON text into t; the result, errbuf in eb. */
static int
from(const char *body, struct toxic *t, char *eb)
{
	json_t *j = json_loads(body, 0, NULL);
	int rc;

	assert_non_null(j);
	memset(eb, 0, ERRBUF_LEN);
	rc = toxic_from_json(j, t, eb);
	json_decref(j);
	return rc;
}

/* t as compact JSON, compared with want. */
static void
json_is(const struct toxic *t, const char *want)
{
	json_t *j = toxic_to_json(t);
	char *s = json_dumps(j, JSON_COMPACT);

	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

/* Toxiproxy's defaults: downstream, toxicity 1, TYPE_STREAM, zeros. */
static void
test_defaults(void **state)
{
	char eb[ERRBUF_LEN];
	struct toxic t;

	(void)state;
	assert_int_equal(from("{\"type\":\"latency\"}", &t, eb), 0);
	json_is(&t, "{\"attributes\":{\"latency\":0,\"jitter\":0},"
	    "\"name\":\"latency_downstream\",\"type\":\"latency\","
	    "\"stream\":\"downstream\",\"toxicity\":1}");
	assert_int_equal(from("{\"type\":\"vanish\",\"stream\":\"upstream\"}",
	    &t, eb), 0);
	json_is(&t, "{\"attributes\":{\"bytes\":0,\"hold\":60000},"
	    "\"name\":\"vanish_upstream\",\"type\":\"vanish\","
	    "\"stream\":\"upstream\",\"toxicity\":1}");
	assert_int_equal(from("{\"type\":\"refuse\",\"name\":\"down\","
	    "\"toxicity\":0.5}", &t, eb), 0);
	json_is(&t, "{\"attributes\":{},\"name\":\"down\",\"type\":\"refuse\","
	    "\"stream\":\"downstream\",\"toxicity\":0.5}");
}

/* Every bad field is named, one line. */
static void
test_errors(void **state)
{
	/* A body, and the message it must get. */
	static const char *const bad[][2] = {
		{ "[]", "bad request body: not a JSON object" },
		{ "{}", "invalid toxic type: (none)" },
		{ "{\"type\":\"explode\"}", "invalid toxic type: explode" },
		{ "{\"type\":7}", "bad request body: type: not a string" },
		{ "{\"type\":\"latency\",\"stream\":\"up\"}", "stream was "
		    "invalid, can be either upstream or downstream" },
		{ "{\"type\":\"latency\",\"toxicity\":-0.1}", "bad request "
		    "body: toxicity: must be a number from 0 to 1" },
		{ "{\"type\":\"latency\",\"attributes\":{\"latency\":1.5}}",
		    "bad request body: attributes.latency: must be an integer "
		    "from 0 to 86400000" },
		{ "{\"type\":\"slicer\",\"attributes\":{\"average_size\":0}}",
		    "bad request body: attributes.average_size: must be an "
		    "integer from 1 to 1048576" },
		{ "{\"type\":\"rst_at\",\"attributes\":{\"hold\":1}}",
		    "bad request body: attributes.hold: not an attribute of "
		    "rst_at" },
		{ "{\"type\":\"rst_at\",\"attributes\":[]}",
		    "bad request body: attributes: not an object" },
	};
	char eb[ERRBUF_LEN];
	struct toxic t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(from(bad[i][0], &t, eb), -1);
		assert_string_equal(eb, bad[i][1]);
	}
}

/* An update merges attributes and keeps the rest; a bad one changes
   nothing. */
static void
test_update(void **state)
{
	char eb[ERRBUF_LEN];
	struct toxic t;
	json_t *u;

	(void)state;
	assert_int_equal(from("{\"type\":\"latency\",\"attributes\":"
	    "{\"latency\":100}}", &t, eb), 0);
	u = json_loads("{\"attributes\":{\"jitter\":5},\"toxicity\":0.25}", 0,
	    NULL);
	assert_int_equal(toxic_update_json(u, &t, eb), 0);
	json_decref(u);
	assert_int_equal(toxic_attr(&t, "latency"), 100);
	assert_int_equal(toxic_attr(&t, "jitter"), 5);
	u = json_loads("{\"attributes\":{\"latency\":7,\"jitter\":-1}}", 0,
	    NULL);
	assert_int_equal(toxic_update_json(u, &t, eb), -1);
	json_decref(u);
	assert_int_equal(toxic_attr(&t, "latency"), 100);
	json_is(&t, "{\"attributes\":{\"latency\":100,\"jitter\":5},"
	    "\"name\":\"latency_downstream\",\"type\":\"latency\","
	    "\"stream\":\"downstream\",\"toxicity\":0.25}");
}

/* The command line's faults: old names, type names, both directions. */
static void
test_shorthand(void **state)
{
	char eb[ERRBUF_LEN];
	struct toxic t;

	(void)state;
	assert_int_equal(toxic_from_fault("reset-after=4k", 1000, &t, eb), 0);
	assert_int_equal(t.type, TOXIC_RST_AT);
	assert_int_equal(t.stream, TOXIC_BOTH);
	assert_int_equal(toxic_attr(&t, "bytes"), 4096);
	assert_string_equal(t.name, "rst_at_both");
	assert_int_equal(toxic_from_fault("vanish-after=10", 300, &t, eb), 0);
	assert_int_equal(toxic_attr(&t, "bytes"), 10);
	assert_int_equal(toxic_attr(&t, "hold"), 300);
	assert_int_equal(toxic_from_fault("delay=20", 0, &t, eb), 0);
	assert_int_equal(t.type, TOXIC_LATENCY);
	assert_int_equal(toxic_attr(&t, "latency"), 20);
	assert_int_equal(toxic_from_fault("refuse", 0, &t, eb), 0);
	assert_int_equal(t.type, TOXIC_REFUSE);
	assert_int_equal(toxic_from_fault("explode=1", 0, &t, eb), -1);
	assert_string_equal(eb, "unknown fault 'explode=1'");
	assert_int_equal(toxic_from_fault("limit_data", 0, &t, eb), -1);
	assert_string_equal(eb, "--fault limit_data: needs =VALUE");
	assert_int_equal(toxic_from_fault("slicer=0", 0, &t, eb), -1);
	assert_string_equal(eb, "--fault slicer: too small: 0 (at least 1)");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_update),
	cmocka_unit_test(test_shorthand),
};

int
main(void)
{
	return cmocka_run_group_tests(tests, NULL, NULL);
}
