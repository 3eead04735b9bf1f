/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for flow_svg: where a tiny connection's packets are drawn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "flow.h"
#include "flow_svg.h"
#include "pktdecode.h"

#define T0	1000000

static struct flow_step
step(int64_t t, enum flow_side from, uint8_t flags, uint32_t seq,
    uint32_t ack, uint32_t len, uint16_t win)
{
	struct flow_step s;

	memset(&s, 0, sizeof(s));
	s.ts_us = T0 + t;
	s.from = (uint8_t)from;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.len = len;
	s.window = win;
	s.wscale = -1;
	return s;
}

/* SYN at 0, SYN-ACK at 1 ms, ACK at 2 ms: the first three steps. */
static void
handshake(struct flow_step *st)
{
	st[0] = step(0, FLOW_SIDE_ORIG, PKT_SYN, 0, 0, 0, 1000);
	st[1] = step(1000, FLOW_SIDE_RESP, PKT_SYN | PKT_ACK, 0, 1, 0, 2000);
	st[2] = step(2000, FLOW_SIDE_ORIG, PKT_ACK, 1, 1, 0, 1000);
}

static void
result(struct flow_result *r, const struct flow_step *steps, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->id = 7;
	r->family = AF_INET;
	r->orig_addr[0] = 10;
	r->orig_addr[3] = 1;
	r->resp_addr[0] = 10;
	r->resp_addr[3] = 2;
	r->orig_port = 40000;
	r->resp_port = 80;
	r->ts_us = steps[0].ts_us;
	r->last_ts_us = steps[n - 1].ts_us;
	r->steps = steps;
	r->nsteps = n;
}

/* The diagram as a NUL-terminated string, freed by the caller. */
static char *
draw(const struct flow_result *r, int flags)
{
	struct buf *b = buf_new(1024);
	char *s;

	assert_non_null(b);
	assert_int_equal(flow_svg_write(b, r, flags), 0);
	s = malloc(buf_len(b) + 1);
	assert_non_null(s);
	memcpy(s, buf_data(b), buf_len(b));
	s[buf_len(b)] = '\0';
	buf_free(b);
	return s;
}

static void
has(const char *svg, const char *piece)
{
	if (strstr(svg, piece) == NULL)
		fail_msg("missing: %s\nin: %s", piece, svg);
}

static void
lacks(const char *svg, const char *piece)
{
	if (strstr(svg, piece) != NULL)
		fail_msg("unexpected: %s", piece);
}

/*
 * Handshake, 100 bytes from orig, RST from resp: 5 ms on an 880-unit
 * axis from x 64, so x = 64 + t_us * 880 / 5000. Orig's panel (top 30,
 * bottom 180) spans 0..101 plus an eighth of headroom (top edge 116): y =
 * 180 - v * 150 / 116. Resp's (200..350) spans 0..1, top edge 2.
 */
static void
test_points(void **state)
{
	struct flow_step st[5];
	struct flow_result r;
	char *svg;

	(void)state;
	handshake(st);
	st[3] = step(3000, FLOW_SIDE_ORIG, PKT_ACK | PKT_PSH, 1, 1, 100,
	    1000);
	st[4] = step(5000, FLOW_SIDE_RESP, PKT_RST, 1, 0, 0, 0);
	result(&r, st, 5);
	r.teardown = FLOW_RST;
	r.closed_by = FLOW_SIDE_RESP;
	r.orig.unacked = 100;
	svg = draw(&r, 0);

	has(svg, "<svg class=\"seq\" viewBox=\"0 0 960 386\"");
	has(svg, "#7 10.0.0.1:40000 \xe2\x86\x92 10.0.0.2:80: rst, "
	    "closed by resp");
	/* the data bar: t 3000 at x 592, from seq 1 (178.7) to 101 (49.4) */
	has(svg, "<path class=\"d\" d=\"M592 178.7V49.4\"/>");
	/* resp's ACK of orig's SYN at t 1000 (x 240), held to the end */
	has(svg, "<path class=\"ack\" d=\"M240 178.7H944\"/>");
	/* orig's ACKs of resp's SYN in the lower panel: seq 1 is y 275 */
	has(svg, "<path class=\"ack\" d=\"M416 275H944\"/>");
	/* SYNs at 0 of each panel */
	has(svg, "<path class=\"syn\" d=\"M61 177h6v6h-6z\"/>");
	has(svg, "<path class=\"syn\" d=\"M237 347h6v6h-6z\"/>");
	/* resp's RST at the end, seq 1, and its line down resp's panel */
	has(svg, "<path class=\"rst\" d=\"M939 270l10 10m0-10-10 10\"/>");
	has(svg, "<path class=\"rstl\" d=\"M944 200v150\"/>");
	/* orig's 100 bytes at risk, from when they were sent to the end */
	has(svg, "<rect class=\"risk\" x=\"592\" y=\"49.4\" width=\"352\" "
	    "height=\"129.3\"/>");
	has(svg, ">100 bytes unacknowledged at the end</text>");
	/* both windows are far above the panels: not drawn */
	lacks(svg, "class=\"win\"");
	lacks(svg, "class=\"rx\"");
	lacks(svg, "class=\"gap\"");
	/* the time axis: 1 ms ticks, 1-2-5 apart, in ms */
	has(svg, "<path class=\"tk\" d=\"M64 350v4M240 350v4M416 350v4"
	    "M592 350v4M768 350v4M944 350v4\"/>");
	has(svg, "<text text-anchor=\"middle\" x=\"240\" y=\"366\">1"
	    "</text>");
	has(svg, "time since the first packet (ms)");
	has(svg, ">5 of 5 packets drawn<");
	lacks(svg, "http");
	lacks(svg, "<style>");
	assert_int_equal(strncmp(svg, "<svg ", 5), 0);
	assert_string_equal(svg + strlen(svg) - 6, "</svg>");
	free(svg);
}

/*
 * A minute of silence before the RST is cut out of the axis: the 2 ms
 * of handshake take 856 units, the idle minute 24.
 */
static void
test_idle_cut_out(void **state)
{
	struct flow_step st[4];
	struct flow_result r;
	char *svg;

	(void)state;
	handshake(st);
	st[3] = step(60002000, FLOW_SIDE_ORIG, PKT_RST, 1, 0, 0, 0);
	result(&r, st, 4);
	r.teardown = FLOW_RST;
	r.closed_by = FLOW_SIDE_ORIG;
	svg = draw(&r, 0);
	has(svg, "<rect class=\"gap\" x=\"920\" y=\"30\" width=\"24\" "
	    "height=\"320\"/>");
	has(svg, ">idle 60.0 s</text>");
	/* resp's SYN-ACK at 1 ms: half of the linear part */
	has(svg, "<path class=\"syn\" d=\"M489 347h6v6h-6z\"/>");
	has(svg, "<path class=\"rst\" d=\"M939");
	free(svg);
}

/* Packets the record left out are marked, and counted in the title. */
static void
test_cut(void **state)
{
	struct flow_step st[6];
	struct flow_result r;
	char *svg;

	(void)state;
	handshake(st);
	st[3] = step(3000, FLOW_SIDE_ORIG, PKT_ACK, 1, 1, 10, 1000);
	st[4] = step(9000, FLOW_SIDE_ORIG, PKT_ACK, 5001, 1, 10, 1000);
	st[5] = step(9500, FLOW_SIDE_ORIG, PKT_ACK | PKT_FIN, 5011, 1, 0,
	    1000);
	st[4].mark = FLOW_STEP_RETRANSMIT;
	result(&r, st, 6);
	r.steps_skipped = 500;
	r.teardown = FLOW_OPEN;
	svg = draw(&r, FLOW_SVG_STANDALONE);
	has(svg, "<rect class=\"cut\" x=\"");
	has(svg, ">500 packets not kept</text>");
	has(svg, ">6 of 506 packets drawn<");
	has(svg, "<path class=\"rx\" d=\"M");
	has(svg, "<path class=\"fin\" d=\"M");
	/* a file of its own: prolog, namespace, style, legend */
	assert_int_equal(strncmp(svg, "<?xml version=\"1.0\"", 19), 0);
	has(svg, "xmlns=\"http://www.w3.org/2000/svg\"");
	has(svg, "<style>");
	has(svg, ">unacked at the end</text>");
	free(svg);
}

static void
test_escape(void **state)
{
	struct buf *b = buf_new(16);

	(void)state;
	assert_int_equal(flow_svg_escape(b, "a<b>&'\"z"), 0);
	assert_int_equal(buf_len(b), strlen("a&lt;b&gt;&amp;&#39;&quot;z"));
	assert_memory_equal(buf_data(b), "a&lt;b&gt;&amp;&#39;&quot;z",
	    buf_len(b));
	buf_free(b);
}

/* No packets at all (a result without a record): panels say so. */
static void
test_no_steps(void **state)
{
	struct flow_result r;
	struct buf *b = buf_new(16);

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	assert_int_equal(flow_svg_write(b, &r, 0), 0);
	assert_non_null(memmem(buf_data(b), buf_len(b), "(none seen)", 11));
	buf_free(b);
}

TEST_MAIN(
	cmocka_unit_test(test_points),
	cmocka_unit_test(test_idle_cut_out),
	cmocka_unit_test(test_cut),
	cmocka_unit_test(test_escape),
	cmocka_unit_test(test_no_steps),
)
