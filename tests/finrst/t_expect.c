/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for finrst --expect: parsing, evaluation and every error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "expect.h"

/* A clean IPv4 close: 10.1.0.1:40000+id -> 10.1.0.2:80, FIN both ways. */
static struct flow_result
conn(uint64_t id, enum flow_class c)
{
	struct flow_result r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.family = AF_INET;
	inet_pton(AF_INET, "10.1.0.1", r.orig_addr);
	inet_pton(AF_INET, "10.1.0.2", r.resp_addr);
	r.orig_port = (uint16_t)(40000 + id);
	r.resp_port = 80;
	r.ts_us = 1000000;
	r.last_ts_us = 3500000;		/* 2.5 s */
	r.teardown = c;
	r.closed_by = FLOW_SIDE_ORIG;
	r.conn_state = FLOW_SF;
	snprintf(r.history, sizeof(r.history), "ShADadFf");
	r.orig.bytes = 100;
	r.resp.bytes = 2000;
	return r;
}

static struct expect *
parse_ok(const char *text)
{
	char err[256] = "";
	struct expect *e = expect_parse(text, err, sizeof(err));

	if (e == NULL)
		fail_msg("'%s' did not parse: %s", text, err);
	assert_string_equal(err, "");
	return e;
}

/* Whether "all COND" holds for the one connection r. */
static bool
holds(const char *cond, const struct flow_result *r)
{
	char text[512], *report = NULL;
	struct expect *e;
	bool ok;

	snprintf(text, sizeof(text), "all %s", cond);
	e = parse_ok(text);
	expect_feed(e, r);
	ok = expect_finish(e, &report);
	assert_true(ok == (report == NULL));
	free(report);
	expect_free(e);
	return ok;
}

/* Run text over conns; return the report (NULL: all held). */
static char *
run(const char *text, const struct flow_result *rs, size_t n, bool *ok)
{
	struct expect *e = parse_ok(text);
	char *report = (char *)1;

	for (size_t i = 0; i < n; i++)
		expect_feed(e, &rs[i]);
	*ok = expect_finish(e, &report);
	expect_free(e);
	return report;
}

/* One condition and whether it holds for a connection. */
struct holds_case {
	const char *cond;
	bool want;
};

/* Each case's condition holds for r, or not, as it says. */
static void
holds_each(const struct flow_result *r, const struct holds_case *c,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (holds(c[i].cond, r) != c[i].want)
			fail_msg("'%s' should %s", c[i].cond,
			    c[i].want ? "hold" : "not hold");
}

#define expect_holds(r, ...) \
	holds_each((r), (const struct holds_case[]){ __VA_ARGS__ }, \
	    sizeof((const struct holds_case[]){ __VA_ARGS__ }) / \
	    sizeof(struct holds_case))

/* One object of expect_json: its expect text, ok and matched. */
static void
assert_json_expect(json_t *o, const char *text, bool ok, json_int_t matched)
{
	assert_string_equal(json_string_value(json_object_get(o, "expect")),
	    text);
	assert_true(json_is_boolean(json_object_get(o, "ok")));
	assert_true(json_is_true(json_object_get(o, "ok")) == ok);
	assert_int_equal(json_integer_value(json_object_get(o, "matched")),
	    matched);
}

static void
assert_run(const char *text, const struct flow_result *rs, size_t n,
    const char *want)
{
	bool ok;
	char *report = run(text, rs, n, &ok);

	if (want == NULL) {
		assert_true(ok);
		assert_null(report);
		return;
	}
	assert_false(ok);
	assert_non_null(report);
	assert_string_equal(report, want);
	free(report);
}

/* ------------------------------------------------------------------ */
/* quantifiers and their failure reasons */

/* r ended as class c in Zeek state s with that history. */
static void
ended_as(struct flow_result *r, enum flow_class c, enum flow_state s,
    const char *history)
{
	r->teardown = c;
	r->conn_state = s;
	snprintf(r->history, sizeof(r->history), "%s", history);
}

/* A quantifier and its synonym both hold over rs[0..n). */
static void
assert_both_pass(const char *text, const char *synonym,
    const struct flow_result *rs, size_t n)
{
	assert_run(text, rs, n, NULL);
	assert_run(synonym, rs, n, NULL);
}

static void
test_all(void **state)
{
	struct flow_result rs[3] = { conn(1, FLOW_FIN), conn(2, FLOW_FIN),
	    conn(3, FLOW_FIN) };

	assert_both_pass("all fin", "every fin", rs, 3);
	/* No connections: all holds, vacuously. */
	assert_run("all fin", rs, 0, NULL);
	ended_as(&rs[1], FLOW_RST, FLOW_RSTO, "ShADar");
	rs[2].teardown = FLOW_RST;
	/* Every connection that breaks it is named, first to last. */
	assert_run("all fin", rs, 3, "expect 'all fin' failed: connection 2 "
	    "(10.1.0.1:40002 -> 10.1.0.2:80) ended rst, closed by orig "
	    "(RSTO ShADar)\n"
	    "expect 'all fin' failed: connection 3 "
	    "(10.1.0.1:40003 -> 10.1.0.2:80) ended rst, closed by orig "
	    "(SF ShADadFf)\n");
}

/* Ten failing connections are named; the rest are counted. */
static void
test_named_limit(void **state)
{
	struct flow_result rs[13];
	char want[4096];
	size_t i, len = 0;

	for (i = 0; i < 13; i++)
		rs[i] = conn(i + 1, FLOW_RST);
	for (i = 0; i < 10; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len,
		    "expect 'no rst' failed: connection %zu (10.1.0.1:%zu -> "
		    "10.1.0.2:80) ended rst, closed by orig (SF ShADadFf)\n",
		    i + 1, 40001 + i);
	snprintf(want + len, sizeof(want) - len, "expect 'no rst' failed: 3"
	    " more connections (the first 10 are named)\n");
	assert_run("no rst", rs, 13, want);
	/* exactly ten: no count line */
	want[len] = '\0';
	assert_run("no rst", rs, 10, want);
}

static void
test_none(void **state)
{
	struct flow_result rs[2] = { conn(1, FLOW_FIN), conn(7, FLOW_FIN) };

	assert_both_pass("no vanished", "none vanished", rs, 2);
	ended_as(&rs[1], FLOW_VANISHED, FLOW_S1, "");
	rs[1].closed_by = FLOW_SIDE_RESP;
	assert_run("no vanished", rs, 2, "expect 'no vanished' failed: "
	    "connection 7 (10.1.0.1:40007 -> 10.1.0.2:80) ended vanished, "
	    "closed by resp (S1 -)\n");
	/* No closer: the ", closed by" part goes. */
	rs[1].closed_by = FLOW_SIDE_NONE;
	assert_run("none vanished", rs, 2, "expect 'none vanished' failed: "
	    "connection 7 (10.1.0.1:40007 -> 10.1.0.2:80) ended vanished "
	    "(S1 -)\n");
}

static void
test_any(void **state)
{
	struct flow_result rs[3] = { conn(1, FLOW_FIN), conn(2, FLOW_FIN),
	    conn(3, FLOW_RST) };

	assert_both_pass("any rst", "some rst", rs, 3);
	assert_run("any refused", rs, 3, "expect 'any refused' failed: none "
	    "of 3 connections matched\n");
	assert_run("some refused", rs, 0, "expect 'some refused' failed: "
	    "none of 0 connections matched\n");
}

static void
test_counts(void **state)
{
	struct flow_result rs[4] = { conn(1, FLOW_FIN), conn(2, FLOW_RST),
	    conn(3, FLOW_FIN), conn(4, FLOW_FIN) };

	assert_both_pass("exactly 3 fin", "exactly 1 rst", rs, 4);
	assert_run("exactly 0 refused", rs, 4, NULL);
	assert_run("exactly 4 fin", rs, 4, "expect 'exactly 4 fin' failed: "
	    "3 of 4 connections matched, expected exactly 4\n");
	/* Too many: each connection over the count is named. */
	assert_run("exactly 2 fin", rs, 4, "expect 'exactly 2 fin' failed: "
	    "connection 4 (10.1.0.1:40004 -> 10.1.0.2:80) ended fin, closed "
	    "by orig (SF ShADadFf), match 3 where at most 2 may match\n");
	assert_run("exactly 0 rst", rs, 4, "expect 'exactly 0 rst' failed: "
	    "connection 2 (10.1.0.1:40002 -> 10.1.0.2:80) ended rst, closed "
	    "by orig (SF ShADadFf), match 1 where at most 0 may match\n");
	assert_both_pass("at-least 3 fin", "at-least 0 refused", rs, 4);
	assert_run("at-least 4 fin", rs, 4, "expect 'at-least 4 fin' "
	    "failed: 3 of 4 connections matched, expected at least 4\n");
	assert_both_pass("at-most 3 fin", "at-most 0 refused", rs, 4);
	assert_run("at-most 1 fin", rs, 4, "expect 'at-most 1 fin' failed: "
	    "connection 3 (10.1.0.1:40003 -> 10.1.0.2:80) ended fin, closed "
	    "by orig (SF ShADadFf), match 2 where at most 1 may match\n"
	    "expect 'at-most 1 fin' failed: connection 4 (10.1.0.1:40004 -> "
	    "10.1.0.2:80) ended fin, closed by orig (SF ShADadFf)\n");
	/* The largest count there is. */
	assert_run("at-most 1000000000000000 fin", rs, 4, NULL);
}

/* Several assertions in one argument: each judged, each reported. */
static void
test_list(void **state)
{
	struct flow_result rs[2] = { conn(1, FLOW_FIN), conn(2, FLOW_RST) };

	assert_run("any fin; any rst", rs, 2, NULL);
	/* Spaces around ';' and a trailing ';' are fine. */
	assert_run("  any fin  ;  any rst  ;  ", rs, 2, NULL);
	assert_run("all fin;any refused;exactly 1 rst", rs, 2,
	    "expect 'all fin' failed: connection 2 (10.1.0.1:40002 -> "
	    "10.1.0.2:80) ended rst, closed by orig (SF ShADadFf)\n"
	    "expect 'any refused' failed: none of 2 connections matched\n");
}

static void
test_json(void **state)
{
	struct flow_result rs[2] = { conn(1, FLOW_FIN), conn(2, FLOW_RST) };
	struct expect *e = parse_ok(" all fin ;at-least 1 rst");
	json_t *arr, *o;
	char *report;

	/* Before finish nothing has held yet. */
	arr = expect_json(e);
	assert_int_equal(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	assert_true(json_is_false(json_object_get(o, "ok")));
	json_decref(arr);

	expect_feed(e, &rs[0]);
	expect_feed(e, &rs[1]);
	assert_false(expect_finish(e, &report));
	free(report);
	arr = expect_json(e);
	assert_int_equal(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	assert_json_expect(o, "all fin", false, 1);
	assert_string_equal(json_string_value(json_object_get(o, "reason")),
	    "connection 2 (10.1.0.1:40002 -> 10.1.0.2:80) ended rst, closed "
	    "by orig (SF ShADadFf)");
	o = json_array_get(arr, 1);
	assert_json_expect(o, "at-least 1 rst", true, 1);
	assert_null(json_object_get(o, "reason"));
	json_decref(arr);
	/* finish without a report pointer still judges. */
	assert_false(expect_finish(e, NULL));
	expect_free(e);
}

static void
test_describe_ipv6(void **state)
{
	struct flow_result r = conn(9, FLOW_REFUSED);

	r.family = AF_INET6;
	memset(r.orig_addr, 0, 16);
	memset(r.resp_addr, 0, 16);
	inet_pton(AF_INET6, "2001:db8::1", r.orig_addr);
	inet_pton(AF_INET6, "::1", r.resp_addr);
	r.closed_by = FLOW_SIDE_RESP;
	r.conn_state = FLOW_REJ;
	snprintf(r.history, sizeof(r.history), "Sr");
	assert_run("no refused", &r, 1, "expect 'no refused' failed: "
	    "connection 9 ([2001:db8::1]:40009 -> [::1]:80) ended refused, "
	    "closed by resp (REJ Sr)\n");
	assert_true(holds("orig_h == 2001:db8::1 and resp_h == '::1'", &r));
	assert_false(holds("orig_h == 2001:db8:0::2", &r));
}

/* ------------------------------------------------------------------ */
/* conditions */

static void
test_bare_words(void **state)
{
	struct flow_result r = conn(1, FLOW_FIN_RST);

	expect_holds(&r,
	    { "fin-rst", true },
	    { "fin", false },
	    { "SF", true },
	    { "RSTO", false },
	    { "rst-after-fin", false });
	r.notes = FLOW_NOTE_RST_AFTER_FIN | FLOW_NOTE_GAP;
	expect_holds(&r,
	    { "rst-after-fin", true },
	    { "gap", true },
	    { "keepalive", false },
	    { "partial", false });
	r.partial = true;
	assert_true(holds("partial", &r));
	assert_false(holds("half-close", &r));
	r.half_close = FLOW_SIDE_RESP;
	assert_true(holds("half-close", &r));
	for (int c = 0; c < FLOW_CLASS_COUNT; c++) {
		r.teardown = (enum flow_class)c;
		assert_true(holds(flow_class_name((enum flow_class)c), &r));
	}
	for (int s = 0; s < FLOW_STATE_COUNT; s++) {
		r.conn_state = (enum flow_state)s;
		assert_true(holds(flow_state_name((enum flow_state)s), &r));
	}
}

static void
test_enum_fields(void **state)
{
	struct flow_result r = conn(1, FLOW_RST);

	r.conn_state = FLOW_RSTR;
	r.closed_by = FLOW_SIDE_RESP;
	r.waiter = FLOW_SIDE_ORIG;
	r.notes = FLOW_NOTE_ZERO_WINDOW;
	expect_holds(&r,
	    { "teardown == rst", true },
	    { "teardown = rst", true },
	    { "teardown != fin", true },
	    { "teardown != rst", false },
	    { "teardown == 'rst'", true },
	    { "closed_by == resp", true },
	    { "closed_by == orig", false },
	    { "closed_by != none", true },
	    { "half_close == none", true },
	    { "waiter == orig", true },
	    { "conn_state == RSTR", true },
	    { "conn_state != SF", true },
	    { "note == zero-window", true },
	    { "note != gap", true },
	    { "note != zero-window", false });
}

static void
test_string_fields(void **state)
{
	struct flow_result r = conn(1, FLOW_FIN);

	expect_holds(&r,
	    { "history == ShADadFf", true },
	    { "history == \"ShADadFf\"", true },
	    { "history == shadadff", false },
	    { "history != ShADadF", true });
	r.history[0] = '\0';
	expect_holds(&r,
	    { "history == '-'", true },
	    { "orig_h == 10.1.0.1 and resp_h == 10.1.0.2", true },
	    { "orig_h != 10.1.0.2", true },
	    { "resp_h == 10.1.0.20", false });
}

static void
test_numeric_fields(void **state)
{
	struct flow_result r = conn(5, FLOW_FIN);

	r.orig.unacked = 3;
	r.wait_tries = 4;
	expect_holds(&r,
	    { "orig_p == 40005", true },
	    { "resp_p == 80 and resp_p != 81", true },
	    { "orig_bytes < 101 and orig_bytes <= 100", true },
	    { "orig_bytes < 100", false },
	    { "resp_bytes > 1999 and resp_bytes >= 2000", true },
	    { "resp_bytes > 2000", false },
	    { "orig_unacked == 3 and resp_unacked == 0", true },
	    { "duration == 2.5", true },
	    { "duration > 2.49 and duration < 2.51", true },
	    { "wait_tries >= 4", true },
	    { "id == 5 and id != 6", true });
}

/* and binds tighter than or; not binds tightest; parentheses regroup. */
static void
test_precedence(void **state)
{
	struct flow_result fin = conn(1, FLOW_FIN);
	struct flow_result rst = conn(2, FLOW_RST);

	/* fin or (rst and refused); (rst and refused) or fin */
	expect_holds(&fin,
	    { "fin or rst and refused", true },
	    /* (fin or rst) and refused */
	    { "(fin or rst) and refused", false },
	    { "rst and refused or fin", true },
	    { "not not fin", true },
	    { "not closed_by == resp", true },
	    /* Chains, left to right. */
	    { "refused or open or vanished or fin", true },
	    { "fin and SF and closed_by == orig and rst", false },
	    { "((fin))", true },
	    { "fin and (SF or REJ) and not partial", true });
	expect_holds(&rst,
	    { "fin or rst and refused", false },
	    /* (not fin) or rst */
	    { "not fin or rst", true },
	    { "not (fin or rst)", false });
}

/* 32 terms joined by 'or' are 63 nodes: the most that fit. */
static void
test_longest_expression(void **state)
{
	struct flow_result r = conn(1, FLOW_OPEN);
	char text[400] = "rst";

	for (int i = 1; i < 32; i++)
		strcat(text, i == 31 ? " or open" : " or rst");
	assert_true(holds(text, &r));
}

/* ------------------------------------------------------------------ */
/* every error */

static void
assert_error(const char *text, const char *want)
{
	char err[256];

	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	assert_null(expect_parse(text, err, sizeof(err)));
	assert_string_equal(err, want);
}

static void
test_error_tokens(void **state)
{
	assert_error("all history == \"Sh", "column 16: unterminated string");
	assert_error("all history == 'Sh\"", "column 16: unterminated string");
	assert_error("all fin & rst", "column 9: unexpected '&'");
	assert_error("all fin ! rst", "column 9: unexpected '!'");
	assert_error("all fin,rst", "column 8: unexpected ','");
	/* A bad byte inside a word ends the word there. */
	assert_error("all fin$", "column 8: unexpected '$'");
}

static void
test_error_quantifier(void **state)
{
	static const char *const want =
	    "expected all, none, any, exactly N, at-least N or at-most N";
	char buf[128];

	snprintf(buf, sizeof(buf), "column 1: %s", want);
	assert_error("", buf);
	assert_error("   ", "column 4: expected all, none, any, exactly N, "
	    "at-least N or at-most N");
	assert_error("(fin)", buf);
	assert_error("5 fin", buf);
	assert_error("all fin;;", "column 9: expected all, none, any, "
	    "exactly N, at-least N or at-most N");
	assert_error("most fin", "column 1: expected all, none, any, "
	    "exactly N, at-least N or at-most N, not 'most'");
	/* Words are case-sensitive. */
	assert_error("All fin", "column 1: expected all, none, any, "
	    "exactly N, at-least N or at-most N, not 'All'");
	assert_error("any fin; atleast 1 rst", "column 10: expected all, "
	    "none, any, exactly N, at-least N or at-most N, not 'atleast'");
}

static void
test_error_count(void **state)
{
	assert_error("exactly x fin", "column 9: expected a count (0, 1, 2, "
	    "...)");
	assert_error("exactly fin", "column 9: expected a count (0, 1, 2, "
	    "...)");
	assert_error("at-least 1.5 fin", "column 10: expected a count (0, 1, "
	    "2, ...)");
	assert_error("at-least -1 fin", "column 10: expected a count (0, 1, "
	    "2, ...)");
	assert_error("at-most 1e16 fin", "column 9: expected a count (0, 1, "
	    "2, ...)");
	assert_error("exactly", "column 8: expected a count (0, 1, 2, ...)");
}

static void
test_error_condition(void **state)
{
	assert_error("all", "column 4: condition missing at the end");
	assert_error("all fin and", "column 12: condition missing at the end");
	assert_error("all not", "column 8: condition missing at the end");
	assert_error("all ;", "column 5: expected a condition");
	assert_error("all 5", "column 5: expected a condition");
	assert_error("all )", "column 5: expected a condition");
	assert_error("all 'fin'", "column 5: expected a condition");
	assert_error("all and fin", "column 5: expected a condition before "
	    "'and'");
	assert_error("all fin or or rst", "column 12: expected a condition "
	    "before 'or'");
	assert_error("all fin and not and rst", "column 17: expected a "
	    "condition before 'and'");
	assert_error("all (fin or rst", "column 16: expected ')'");
	assert_error("all (fin or rst;", "column 16: expected ')'");
	assert_error("all fin rst", "column 9: expected 'and', 'or', ';' or "
	    "the end");
	assert_error("all fin)", "column 8: expected 'and', 'or', ';' or the "
	    "end");
	assert_error("all fin; any rst refused", "column 18: expected 'and', "
	    "'or', ';' or the end");
}

static void
test_error_words(void **state)
{
	assert_error("all bogus", "column 5: unknown word 'bogus' (a "
	    "teardown class, conn_state, note, field name, 'partial' or "
	    "'half-close')");
	/* The column is the word's, not the token after it. */
	assert_error("all fin or Fin and rst", "column 12: unknown word "
	    "'Fin' (a teardown class, conn_state, note, field name, 'partial' "
	    "or 'half-close')");
	assert_error("all fin; any bogus", "column 14: unknown word 'bogus' "
	    "(a teardown class, conn_state, note, field name, 'partial' or "
	    "'half-close')");
}

static void
test_error_comparisons(void **state)
{
	assert_error("all closed_by orig", "column 15: expected an operator "
	    "(== != < <= > >=) after 'closed_by'");
	assert_error("all duration", "column 13: expected an operator (== != "
	    "< <= > >=) after 'duration'");
	assert_error("all closed_by < orig", "column 15: 'closed_by' "
	    "compares only with == or !=");
	assert_error("all history >= Sh", "column 13: 'history' compares "
	    "only with == or !=");
	assert_error("all orig_p == x", "column 15: expected a number after "
	    "'orig_p'");
	assert_error("all duration > '1'", "column 16: expected a number "
	    "after 'duration'");
	assert_error("all id ==", "column 10: expected a number after 'id'");
	assert_error("all closed_by == (", "column 18: expected a value after "
	    "'closed_by'");
	assert_error("all history ==", "column 15: expected a value after "
	    "'history'");
	assert_error("all teardown == foo", "column 17: unknown teardown "
	    "class 'foo'");
	assert_error("all teardown == SF", "column 17: unknown teardown "
	    "class 'SF'");
	assert_error("all conn_state == sf", "column 19: unknown conn_state "
	    "'sf'");
	assert_error("all note == rst", "column 13: unknown note 'rst'");
	assert_error("all closed_by == both", "column 18: expected orig, "
	    "resp or none, not 'both'");
	assert_error("all half_close != 1", "column 19: expected orig, resp "
	    "or none, not '1'");
	assert_error("all waiter == ''", "column 15: expected orig, resp or "
	    "none, not ''");
}

/* 33 terms joined by 'or' need 65 nodes, one more than there is room. */
static void
test_error_too_long(void **state)
{
	char text[400] = "any fin";
	char want[64];

	for (int i = 1; i < 33; i++)
		strcat(text, " or fin");
	snprintf(want, sizeof(want), "column %zu: expression too long",
	    strlen(text) + 1);
	assert_error(text, want);
}

/* The message is cut to the caller's buffer. */
static void
test_error_truncated(void **state)
{
	char err[10];

	assert_null(expect_parse("all bogus", err, sizeof(err)));
	assert_string_equal(err, "column 5:");
}

/*
 * Not pinned: "out of memory" (needs a failing malloc) and "syntax
 * error", which expect_parse only writes when a parse fails without a
 * message of its own, and every failing path above writes one.
 */

TEST_MAIN(
	cmocka_unit_test(test_all),
	cmocka_unit_test(test_named_limit),
	cmocka_unit_test(test_none),
	cmocka_unit_test(test_any),
	cmocka_unit_test(test_counts),
	cmocka_unit_test(test_list),
	cmocka_unit_test(test_json),
	cmocka_unit_test(test_describe_ipv6),
	cmocka_unit_test(test_bare_words),
	cmocka_unit_test(test_enum_fields),
	cmocka_unit_test(test_string_fields),
	cmocka_unit_test(test_numeric_fields),
	cmocka_unit_test(test_precedence),
	cmocka_unit_test(test_longest_expression),
	cmocka_unit_test(test_error_tokens),
	cmocka_unit_test(test_error_quantifier),
	cmocka_unit_test(test_error_count),
	cmocka_unit_test(test_error_condition),
	cmocka_unit_test(test_error_words),
	cmocka_unit_test(test_error_comparisons),
	cmocka_unit_test(test_error_too_long),
	cmocka_unit_test(test_error_truncated),
)
