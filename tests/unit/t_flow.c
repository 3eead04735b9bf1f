/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for flow: each teardown class, Zeek fields, wrap, reuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flow.h"
#include "flow_out.h"
#include "flow_json_check.h"

#define ORIG 0
#define RESP 1
#define MAX_RESULTS 16

/* What the report callback saw. */
static struct flow_result got[MAX_RESULTS];
static char ladders[MAX_RESULTS][4096];
static int ngot;

static void
collect(const struct flow_result *r, void *arg)
{
	char *l;

	(void)arg;
	check_json_text(r);
	assert_true(ngot < MAX_RESULTS);
	got[ngot] = *r;
	got[ngot].steps = NULL;
	l = flow_result_ladder(r);
	assert_non_null(l);
	snprintf(ladders[ngot], sizeof(ladders[ngot]), "%s", l);
	free(l);
	ngot++;
}

/* A scripted connection: each side's next sequence number and a clock. */
struct sim {
	struct flow_table *t;
	uint32_t nxt[2];
	uint16_t port[2];
	int64_t now;
	uint16_t win;
};

static void
sim_init(struct sim *s, uint32_t isn_orig, uint32_t isn_resp)
{
	struct flow_config cfg = { .grace_us = 2000000, .idle_us = 0,
	    .ladder = 4 };

	memset(s, 0, sizeof(*s));
	ngot = 0;
	memset(got, 0, sizeof(got));
	s->t = flow_table_new(&cfg, collect, NULL);
	assert_non_null(s->t);
	s->nxt[ORIG] = isn_orig;
	s->nxt[RESP] = isn_resp;
	s->port[ORIG] = 40000;
	s->port[RESP] = 80;
	s->now = 1000000000000000;	/* 2001-09-09T01:46:40Z */
	s->win = 1000;
}

/* Send a segment with an explicit seq, 10 ms after the previous one. */
static void
raw(struct sim *s, int from, uint8_t flags, uint32_t seq, uint32_t len)
{
	struct pkt_tcp p;

	memset(&p, 0, sizeof(p));
	s->now += 10000;
	p.ts_us = s->now;
	p.family = AF_INET;
	p.saddr[0] = 10;
	p.saddr[3] = (uint8_t)(1 + from);
	p.daddr[0] = 10;
	p.daddr[3] = (uint8_t)(2 - from);
	p.sport = s->port[from];
	p.dport = s->port[1 - from];
	p.seq = seq;
	p.ack = (flags & PKT_ACK) ? s->nxt[1 - from] : 0;
	p.flags = flags;
	p.window = (flags & PKT_RST) ? 0 : s->win;
	p.wscale = -1;
	p.payload_len = len;
	p.captured_len = len;
	assert_int_equal(flow_table_add(s->t, &p), 0);
}

/* Send the next segment of side from: data and SYN/FIN advance seq. */
static void
seg(struct sim *s, int from, uint8_t flags, uint32_t len)
{
	raw(s, from, flags, s->nxt[from], len);
	if (!(flags & PKT_RST))
		s->nxt[from] += len + !!(flags & PKT_SYN) +
		    !!(flags & PKT_FIN);
}

/* Digits at *p as a number; *p moves past them. */
static uint32_t
script_num(const char **p)
{
	uint32_t n = 0;

	while (**p >= '0' && **p <= '9')
		n = n * 10 + (uint32_t)(*(*p)++ - '0');
	return n;
}

/*
 * Send a script of segments, tcpdump's way: ">P.100 <." is orig's
 * PSH|ACK with 100 bytes, then resp's bare ACK. '>' orig, '<' resp, then
 * the flags (S SYN, F FIN, R RST, P PSH, '.' ACK), then the length; each
 * is that side's next segment, unless it ends in 'r', a retransmission of
 * the side's last one that size, or 'k', a keepalive probe (seq =
 * snd_nxt - 1). "+2s" or "+200ms": that much time passes first.
 */
static void
play(struct sim *s, const char *script)
{
	static const char letters[] = "SFRP.";
	static const uint8_t bits[] = {
		PKT_SYN, PKT_FIN, PKT_RST, PKT_PSH, PKT_ACK,
	};
	const char *p = script;

	while (*p != '\0') {
		uint8_t flags = 0;
		uint32_t n, again;
		int from;

		if (*p == '+') {
			p++;
			n = script_num(&p);
			if (strncmp(p, "ms", 2) == 0) {
				s->now += (int64_t)n * 1000;
				p += 2;
			} else {
				assert_int_equal(*p++, 's');
				s->now += (int64_t)n * 1000000;
			}
		} else {
			assert_true(*p == '>' || *p == '<');
			from = *p++ == '>' ? ORIG : RESP;
			for (; *p != '\0' && strchr(letters, *p) != NULL; p++)
				flags |= bits[strchr(letters, *p) - letters];
			n = script_num(&p);
			again = n + !!(flags & PKT_SYN) + !!(flags & PKT_FIN);
			if (*p == 'r')
				raw(s, from, flags, s->nxt[from] - again, n);
			else if (*p == 'k')
				raw(s, from, flags, s->nxt[from] - 1, n);
			else
				seg(s, from, flags, n);
			p += *p == 'r' || *p == 'k';
		}
		if (*p != '\0' && *p != ' ')
			fail_msg("play: '%c' in \"%s\"", *p, script);
		while (*p == ' ')
			p++;
	}
}

static void
handshake(struct sim *s)
{
	play(s, ">S <S. >.");
}

static void
done(struct sim *s)
{
	flow_table_flush(s->t);
	flow_table_free(s->t);
}

/* One connection from these ISNs, played whole and flushed: its report. */
static const struct flow_result *
run_script(uint32_t isn_orig, uint32_t isn_resp, const char *script)
{
	struct sim s;

	sim_init(&s, isn_orig, isn_resp);
	play(&s, script);
	done(&s);
	assert_int_equal(ngot, 1);
	return &got[0];
}

/* Not reported before time at: at at, the n-th report. */
static void
assert_reported_at(struct sim *s, int64_t at, int n)
{
	flow_table_advance(s->t, at - 1);
	assert_int_equal(ngot, n - 1);
	flow_table_advance(s->t, at);
	assert_int_equal(ngot, n);
}

/* The four fields that name how a connection ended. */
static void
assert_class(const struct flow_result *r, enum flow_class teardown,
    enum flow_side closed_by, enum flow_state conn_state, const char *history)
{
	assert_int_equal(r->teardown, teardown);
	assert_int_equal(r->closed_by, closed_by);
	assert_int_equal(r->conn_state, conn_state);
	assert_string_equal(r->history, history);
}

static void
test_graceful_fin(void **state)
{
	struct sim s;
	const struct flow_result *r = &got[0];

	(void)state;
	sim_init(&s, 1000, 5000);
	handshake(&s);
	play(&s, ">P.100 <. <P.50 >. >F. <. <F. >.");
	assert_int_equal(ngot, 0);	/* still in its grace period */
	done(&s);

	assert_int_equal(ngot, 1);
	assert_int_equal(r->id, 1);
	assert_class(r, FLOW_FIN, FLOW_SIDE_ORIG, FLOW_SF, "ShADadFf");
	assert_int_equal(r->half_close, FLOW_SIDE_NONE);
	assert_false(r->partial);
	assert_int_equal(r->orig_port, 40000);
	assert_int_equal(r->resp_port, 80);
	assert_int_equal(r->orig_addr[3], 1);
	assert_int_equal(r->orig.bytes, 100);
	assert_int_equal(r->resp.bytes, 50);
	assert_int_equal(r->orig.unacked, 0);
	assert_int_equal(r->resp.unacked, 0);
	assert_int_equal(r->orig.packets, 6);
	assert_int_equal(r->resp.packets, 5);
	assert_int_equal(r->notes, 0);
	assert_int_equal(r->waiter, FLOW_SIDE_NONE);
	assert_int_equal(r->last_ts_us - r->ts_us, 10 * 10000);
	assert_int_equal(r->orig.fins, 1);
	assert_int_equal(r->resp.fins, 1);
}

static void
test_close_by_responder_and_half_close(void **state)
{
	/* orig shuts down its sending half (SHUT_WR); resp still answers */
	const struct flow_result *r = run_script(7, 9,
	    ">S <S. >. >P.10 >F. <. <P.300 >. <P.200 >. <F. >.");

	assert_class(r, FLOW_FIN, FLOW_SIDE_ORIG, FLOW_SF, "ShADFadf");
	assert_int_equal(r->half_close, FLOW_SIDE_RESP);
	assert_int_equal(r->resp.after_fin_bytes, 500);
	assert_int_equal(r->orig.after_fin_bytes, 0);
	assert_int_equal(r->notes, FLOW_NOTE_DATA_AFTER_FIN);
	assert_int_equal(r->resp.bytes, 500);
}

static void
test_abort_rst(void **state)
{
	/* resp's 40 bytes never acknowledged; orig aborts (SO_LINGER {1,0}) */
	const struct flow_result *r = run_script(100, 200,
	    ">S <S. >. >P.1000 <. <P.40 >R.");

	assert_class(r, FLOW_RST, FLOW_SIDE_ORIG, FLOW_RSTO, "ShADadR");
	/* the RST's ack covers resp's 40 bytes: acknowledged, then reset */
	assert_int_equal(r->resp.unacked, 0);
	assert_int_equal(r->orig.unacked, 0);
	assert_int_equal(r->notes, FLOW_NOTE_RST_ANSWERS_DATA);
	assert_int_equal(r->orig.rsts, 1);
}

static void
test_unacked_then_rst_from_responder(void **state)
{
	/* orig's 700 bytes still in flight; resp's RST has no ACK bit */
	const struct flow_result *r = run_script(100, 200,
	    ">S <S. >. >P.500 <. >P.700 <R");

	assert_class(r, FLOW_RST, FLOW_SIDE_RESP, FLOW_RSTR, "ShADar");
	assert_int_equal(r->orig.unacked, 700);
	assert_int_equal(r->orig.bytes, 1200);
	assert_int_equal(r->notes, FLOW_NOTE_ORIG_UNACKED |
	    FLOW_NOTE_RST_ANSWERS_DATA);
}

static void
test_refused(void **state)
{
	struct sim s;
	const struct flow_result *r = &got[0];

	(void)state;
	sim_init(&s, 1, 0);
	play(&s, ">S <R.");
	/* Reports come after the grace; the next SYN on the same tuple
	 * starts a new connection at once (Zeek's reuse rule). */
	s.nxt[ORIG] = 77777;
	play(&s, ">S");
	assert_int_equal(ngot, 1);
	done(&s);

	assert_int_equal(ngot, 2);
	assert_class(r, FLOW_REFUSED, FLOW_SIDE_RESP, FLOW_REJ, "Sr");
	assert_int_equal(r->orig.bytes, 0);
	assert_int_equal(got[1].id, 2);
	assert_int_equal(got[1].teardown, FLOW_NO_ANSWER);
	assert_int_equal(got[1].conn_state, FLOW_S0);
}

static void
test_no_answer(void **state)
{
	/* the third SYN past Zeek's attempt delay, with the same ISN */
	const struct flow_result *r = run_script(424242, 0,
	    ">S +1s >Sr +6s >Sr");

	assert_class(r, FLOW_NO_ANSWER, FLOW_SIDE_NONE, FLOW_S0, "S");
	assert_int_equal(r->notes, FLOW_NOTE_SYN_RETRANSMITTED |
	    FLOW_NOTE_WAITED);
	assert_int_equal(r->waiter, FLOW_SIDE_ORIG);
	assert_int_equal(r->wait_tries, 2);
	assert_int_equal(r->orig.packets, 3);
	assert_int_equal(r->wait_us, 1010000 + 6010000);
}

static void
test_vanished_data_then_rst(void **state)
{
	/* the client is gone: resp retransmits with backoff, then gives up */
	const struct flow_result *r = run_script(5, 6,
	    ">S <S. >. <P.100 +200ms <P.100r +400ms <P.100r +800ms <P.100r "
	    "+2s <R.");

	assert_class(r, FLOW_VANISHED, FLOW_SIDE_RESP, FLOW_RSTR, "ShAdtr");
	assert_int_equal(r->waiter, FLOW_SIDE_RESP);
	assert_int_equal(r->wait_tries, 3);
	assert_int_equal(r->wait_us, 200000 + 400000 + 800000 + 2000000 +
	    4 * 10000);
	assert_int_equal(r->resp.unacked, 100);
	assert_int_equal(r->resp.retransmits, 3);
	assert_int_equal(r->notes, FLOW_NOTE_RESP_UNACKED |
	    FLOW_NOTE_RETRANSMITTED | FLOW_NOTE_WAITED);
}

static void
test_vanished_keepalive(void **state)
{
	const struct flow_result *r = run_script(3000, 4000,
	    ">S <S. >. >P.5 <. +1s >.k +1s >.k +1s >.k >R.");

	assert_class(r, FLOW_VANISHED, FLOW_SIDE_ORIG, FLOW_RSTO, "ShADaR");
	assert_int_equal(r->waiter, FLOW_SIDE_ORIG);
	assert_int_equal(r->wait_tries, 3);
	assert_int_equal(r->orig.keepalives, 3);
	assert_int_equal(r->orig.retransmits, 0);
	assert_int_equal(r->orig.unacked, 0);
	assert_int_equal(r->notes, FLOW_NOTE_KEEPALIVE | FLOW_NOTE_WAITED);

	/* A live peer answers each probe: not vanished, still open. */
	r = run_script(3000, 4000, ">S <S. >. >.k <. >.k <. >.k <.");
	assert_int_equal(r->teardown, FLOW_OPEN);
	assert_int_equal(r->closed_by, FLOW_SIDE_NONE);
	assert_int_equal(r->orig.keepalives, 3);
	assert_int_equal(r->waiter, FLOW_SIDE_NONE);
	assert_int_equal(r->conn_state, FLOW_S1);
}

/*
 * curl after an empty reply, seen on loopback: both FINs acknowledged,
 * then the client's late duplicate ACK, TIME_WAIT's answer to it, and the
 * closed client's RST to that. Nothing was at risk: still "fin".
 */
static void
test_rst_after_close_is_fin(void **state)
{
	const struct flow_result *r = run_script(10, 20,
	    ">S <S. >. >P.79 <. <F. >F. <. >.k <. >R");

	assert_int_equal(r->teardown, FLOW_FIN);
	assert_int_equal(r->closed_by, FLOW_SIDE_RESP);
	assert_int_equal(r->notes, FLOW_NOTE_RST_AFTER_CLOSE);
	assert_int_equal(r->orig.keepalives, 0);
	assert_int_equal(r->orig.rsts, 1);
	assert_int_equal(r->conn_state, FLOW_SF);
	{
		char buf[512];

		flow_result_notes_text(r, buf, sizeof(buf));
		assert_string_equal(buf, "orig sent RST after both FINs were "
		    "acknowledged (a closed socket answering a stray segment;"
		    " nothing was lost)");
	}

	/* The peer's FIN not yet acknowledged: the RST still counts. */
	r = run_script(10, 20, ">S <S. >. <F. >F. >R");
	assert_int_equal(r->teardown, FLOW_FIN_RST);
	assert_int_equal(r->notes & (FLOW_NOTE_RST_AFTER_CLOSE |
	    FLOW_NOTE_RST_AFTER_FIN), FLOW_NOTE_RST_AFTER_FIN);
}

static void
test_fin_then_rst_answering_data(void **state)
{
	/* S5: the client sends, closes; the server writes; RST answers */
	const struct flow_result *r = run_script(10, 20,
	    ">S <S. >. >P.64 >F. <. <P.11 >R");

	assert_class(r, FLOW_FIN_RST, FLOW_SIDE_ORIG, FLOW_RSTO, "ShADFadR");
	assert_int_equal(r->half_close, FLOW_SIDE_RESP);
	assert_int_equal(r->resp.unacked, 11);
	assert_int_equal(r->orig.unacked, 0);
	assert_int_equal(r->notes, FLOW_NOTE_RESP_UNACKED |
	    FLOW_NOTE_RST_AFTER_FIN | FLOW_NOTE_DATA_AFTER_FIN |
	    FLOW_NOTE_RST_ANSWERS_DATA);
	{
		char buf[512];

		flow_result_notes_text(r, buf, sizeof(buf));
		assert_non_null(strstr(buf, "11 bytes from resp never "
		    "acknowledged by orig (unacknowledged, not necessarily "
		    "lost)"));
		assert_non_null(strstr(buf, "orig sent RST after its own FIN"
		    " (resp read EOF first)"));
	}
}

static void
test_retransmitted_fin_and_zero_window(void **state)
{
	struct sim s;
	const struct flow_result *r = &got[0];

	(void)state;
	sim_init(&s, 10, 20);
	handshake(&s);
	s.win = 0;
	play(&s, "<.");	/* zero window */
	s.win = 1000;
	play(&s, "<. >F. >F.r <F. >.");
	done(&s);

	assert_int_equal(r->teardown, FLOW_FIN);
	assert_int_equal(r->orig.fins, 2);
	assert_int_equal(r->resp.zero_windows, 1);
	assert_int_equal(r->notes, FLOW_NOTE_FIN_RETRANSMITTED |
	    FLOW_NOTE_ZERO_WINDOW);
	assert_int_equal(r->conn_state, FLOW_SF);
	assert_string_equal(r->history, "ShAawFf");
}

static void
test_sequence_wrap(void **state)
{
	struct sim s;
	const struct flow_result *r = &got[0];
	int i;

	(void)state;
	/* Both ISNs close to 2^32: every byte crosses the wrap. */
	sim_init(&s, 0xffffff00u, 0xfffffff0u);
	handshake(&s);
	for (i = 0; i < 10; i++) {
		seg(&s, ORIG, PKT_ACK | PKT_PSH, 100);
		seg(&s, RESP, PKT_ACK | PKT_PSH, 30);
	}
	play(&s, ">F. <F. >.");
	done(&s);

	assert_true(s.nxt[ORIG] < 0x1000);	/* it did wrap */
	assert_int_equal(r->teardown, FLOW_FIN);
	assert_int_equal(r->orig.bytes, 1000);
	assert_int_equal(r->resp.bytes, 300);
	assert_int_equal(r->orig.unacked, 0);
	assert_int_equal(r->resp.unacked, 0);
	assert_int_equal(r->orig.retransmits, 0);
	assert_int_equal(r->notes, 0);
	assert_int_equal(r->conn_state, FLOW_SF);
	assert_string_equal(r->history, "ShADdFf");
}

static void
test_reuse_splits(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, 1000, 2000);
	handshake(&s);
	play(&s, ">F. <F. >.");
	/* the same ports again, right away, with a new ISN */
	s.nxt[ORIG] = 900000;
	s.nxt[RESP] = 800000;
	handshake(&s);
	assert_int_equal(ngot, 1);
	play(&s, "<R.");
	done(&s);

	assert_int_equal(ngot, 2);
	assert_int_equal(got[0].id, 1);
	assert_int_equal(got[0].teardown, FLOW_FIN);
	assert_string_equal(got[0].history, "ShAFf");
	assert_int_equal(got[1].id, 2);
	assert_class(&got[1], FLOW_RST, FLOW_SIDE_RESP, FLOW_RSTR, "ShAr");
	assert_int_equal(flow_table_summary(s.t) != NULL, 1);
}

static void
test_settle_and_idle(void **state)
{
	struct flow_config cfg = { .grace_us = 1000000, .idle_us = 30000000 };
	struct sim s;

	(void)state;
	sim_init(&s, 1, 2);
	flow_table_free(s.t);
	s.t = flow_table_new(&cfg, collect, NULL);
	handshake(&s);
	play(&s, ">F. <F. >.");
	assert_int_equal(flow_table_open(s.t), 1);
	/* the grace runs from the FIN that completed the close */
	assert_reported_at(&s, s.now - 10000 + 1000000, 1);
	assert_int_equal(flow_table_open(s.t), 0);

	/* an idle connection is reported at the idle limit, once */
	s.port[ORIG] = 40001;
	s.nxt[ORIG] = 50;
	s.nxt[RESP] = 60;
	handshake(&s);
	flow_table_advance(s.t, s.now + 29000000);
	assert_int_equal(ngot, 1);
	flow_table_advance(s.t, s.now + 30000000);
	assert_int_equal(ngot, 2);
	assert_int_equal(got[1].teardown, FLOW_OPEN);
	assert_int_equal(got[1].notes, FLOW_NOTE_IDLE_EVICTED);
	assert_int_equal(got[1].conn_state, FLOW_S1);
	flow_table_flush(s.t);
	assert_int_equal(ngot, 2);

	assert_int_equal(flow_table_summary(s.t)->connections, 2);
	assert_int_equal(flow_table_summary(s.t)->by_class[FLOW_FIN], 1);
	assert_int_equal(flow_table_summary(s.t)->by_class[FLOW_OPEN], 1);
	assert_int_equal(flow_table_summary(s.t)->max_open, 1);
	flow_table_free(s.t);
}

static void
test_settled_by_silence(void **state)
{
	struct sim s;

	(void)state;
	/* An unanswered SYN: reported 64 s after the last one. */
	sim_init(&s, 77, 0);
	play(&s, ">S >Sr");
	assert_reported_at(&s, s.now + 64000000, 1);
	assert_int_equal(got[0].teardown, FLOW_NO_ANSWER);
	assert_int_equal(got[0].notes & FLOW_NOTE_IDLE_EVICTED, 0);
	done(&s);

	/* Retransmissions into silence: 120 s after the last try. */
	sim_init(&s, 5, 6);
	play(&s, ">S <S. >. <P.100 <P.100r <P.100r");
	assert_reported_at(&s, s.now + 120000000, 1);
	assert_int_equal(got[0].teardown, FLOW_VANISHED);
	assert_int_equal(got[0].closed_by, FLOW_SIDE_RESP);
	assert_int_equal(got[0].wait_tries, 2);
	assert_int_equal(got[0].notes, FLOW_NOTE_RESP_UNACKED |
	    FLOW_NOTE_RETRANSMITTED | FLOW_NOTE_WAITED);
	done(&s);

	/* An established, quiet connection stays until the end. */
	sim_init(&s, 5, 6);
	handshake(&s);
	flow_table_advance(s.t, s.now + 86400000000LL);
	assert_int_equal(ngot, 0);
	done(&s);
	assert_int_equal(got[0].teardown, FLOW_OPEN);
}

static void
test_partial_and_flip(void **state)
{
	struct sim s;

	(void)state;
	/* The capture starts mid-stream, server to client first: the
	 * server port orients it (Zeek's rule), history shows the flip. */
	sim_init(&s, 10, 20);
	raw(&s, RESP, PKT_ACK | PKT_PSH, s.nxt[RESP], 20);
	s.nxt[RESP] += 20;
	play(&s, ">P.5 <.");
	done(&s);

	assert_int_equal(ngot, 1);
	assert_true(got[0].partial);
	assert_int_equal(got[0].orig_port, 40000);
	assert_int_equal(got[0].resp_port, 80);
	assert_int_equal(got[0].teardown, FLOW_OPEN);
	assert_int_equal(got[0].conn_state, FLOW_OTH);
	assert_string_equal(got[0].history, "^dDa");
	assert_int_equal(got[0].resp.bytes, 20);

	/* SYN-ACK first, then productive traffic: flipped to "^h" */
	sim_init(&s, 10, 20);
	s.port[ORIG] = 50000;
	s.port[RESP] = 50001;
	play(&s, "<S. >. >F. <F.");
	done(&s);
	assert_int_equal(got[0].orig_port, 50000);
	assert_string_equal(got[0].history, "^hAFf");
	assert_true(got[0].partial);
	assert_int_equal(got[0].teardown, FLOW_FIN);
}

static void
test_ladder_and_json(void **state)
{
	const struct flow_result *r;
	json_t *j;
	char *txt;
	char line[1024];

	(void)state;
	r = run_script(0, 0, ">S <S. >. >P.3 <. >P.3 <. >F. <F. >.");

	/* 10 packets: 4 of the head, the last 4, 2 skipped */
	assert_int_equal(r->steps_skipped, 2);
	assert_string_equal(ladders[0],
	    "connection 1: 10.0.0.1:40000 -> 10.0.0.2:80  fin, closed by orig\n"
	    "        time  orig                  "
	    "                              resp\n"
	    "    0.000000  |-- S seq 0 win 1000 -"
	    "--------------------------------->|\n"
	    "    0.010000  |<--------------------"
	    "------- S. seq 0 ack 1 win 1000 --|\n"
	    "    0.020000  |-- . seq 1 ack 1 win "
	    "1000 ---------------------------->|\n"
	    "    0.030000  |-- P. seq 1 ack 1 len"
	    " 3 win 1000 --------------------->|\n"
	    "                 ... 2 packets not shown ...\n"
	    "    0.060000  |<--------------------"
	    "-------- . seq 1 ack 7 win 1000 --|\n"
	    "    0.070000  |-- F. seq 7 ack 1 win"
	    " 1000 --------------------------->|\n"
	    "    0.080000  |<--------------------"
	    "------- F. seq 1 ack 8 win 1000 --|\n"
	    "    0.090000  |-- . seq 8 ack 2 win "
	    "1000 ---------------------------->|\n");

	j = flow_result_json(r);
	assert_non_null(j);
	txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(txt);
	assert_non_null(strstr(txt, "\"orig_h\":\"10.0.0.1\",\"orig_p\":40000,"
	    "\"resp_h\":\"10.0.0.2\",\"resp_p\":80,"
	    "\"ts\":\"2001-09-09T01:46:40.010000Z\","
	    "\"ts_us\":1000000000010000"));
	assert_non_null(strstr(txt, "\"orig_bytes\":6,\"resp_bytes\":0,"
	    "\"orig_pkts\":6,\"resp_pkts\":4,\"teardown\":\"fin\","
	    "\"closed_by\":\"orig\",\"half_close\":null,"
	    "\"conn_state\":\"SF\",\"history\":\"ShADaFf\","
	    "\"partial\":false,\"orig_unacked\":0,\"resp_unacked\":0,"
	    "\"notes\":[]"));
	free(txt);
	json_decref(j);

	flow_result_line(r, line, sizeof(line));
	assert_string_equal(line, "   1 01:46:40.010000  10.0.0.1:40000"
	    "        10.0.0.2:80              0.090000       6       0"
	    " fin       orig SF     ShADaFf");
	assert_int_equal(strlen(flow_line_header()) > 0, 1);
}

/* A segment of a socket connected to itself: 10.0.0.1:50004 at both ends. */
static void
self_raw(struct sim *s, uint8_t flags, uint32_t seq, uint32_t ack,
    uint32_t len)
{
	struct pkt_tcp p;

	memset(&p, 0, sizeof(p));
	s->now += 10000;
	p.ts_us = s->now;
	p.family = AF_INET;
	p.saddr[0] = p.daddr[0] = 10;
	p.saddr[3] = p.daddr[3] = 1;
	p.sport = p.dport = 50004;
	p.seq = seq;
	p.ack = (flags & PKT_ACK) ? ack : 0;
	p.flags = flags;
	p.window = (flags & PKT_RST) ? 0 : s->win;
	p.wscale = -1;
	p.payload_len = len;
	p.captured_len = len;
	assert_int_equal(flow_table_add(s->t, &p), 0);
}

/*
 * Linux's simultaneous open of a socket with itself: its SYN arrives at
 * itself, it answers with a SYN-ACK of the same number, which arrives at
 * itself too, and it acknowledges that.
 */
static void
self_handshake(struct sim *s, uint32_t isn)
{
	self_raw(s, PKT_SYN, isn, 0, 0);
	self_raw(s, PKT_SYN | PKT_ACK, isn, isn + 1, 0);
	self_raw(s, PKT_ACK, isn + 1, isn + 1, 0);
}

static void
assert_self_tuple(const struct flow_result *r)
{
	assert_int_equal(r->orig_port, 50004);
	assert_int_equal(r->resp_port, 50004);
	assert_memory_equal(r->orig_addr, r->resp_addr, 16);
	assert_int_equal(r->orig_addr[3], 1);
	/* one socket: the responder side is empty */
	assert_int_equal(r->resp.packets, 0);
	assert_int_equal(r->resp.bytes, 0);
	assert_int_equal(r->resp.unacked, 0);
	assert_int_equal(r->half_close, FLOW_SIDE_NONE);
	assert_false(r->partial);
}

static void
test_self_connect_fin(void **state)
{
	struct sim s;
	const struct flow_result *r = &got[0];
	uint32_t isn = 4096082021u;
	char buf[512];

	(void)state;
	/* tcpfault run self-connect/naive: send 4, read them back, close */
	sim_init(&s, 0, 0);
	self_handshake(&s, isn);
	self_raw(&s, PKT_ACK | PKT_PSH, isn + 1, isn + 1, 4);
	self_raw(&s, PKT_ACK, isn + 5, isn + 5, 0);
	self_raw(&s, PKT_FIN | PKT_ACK, isn + 5, isn + 5, 0);
	self_raw(&s, PKT_ACK, isn + 6, isn + 6, 0);
	/* its FIN, received by itself, is the end: settled by the grace */
	assert_reported_at(&s, s.now - 10000 + 2000000, 1);
	done(&s);

	assert_int_equal(ngot, 1);
	assert_self_tuple(r);
	/* Zeek: every packet is the originator's, the responder inactive */
	assert_class(r, FLOW_FIN, FLOW_SIDE_ORIG, FLOW_SH, "SADF");
	assert_int_equal(r->notes, FLOW_NOTE_SELF_CONNECT);
	assert_int_equal(r->waiter, FLOW_SIDE_NONE);
	assert_int_equal(r->orig.packets, 7);
	assert_int_equal(r->orig.bytes, 4);
	assert_int_equal(r->orig.wire_bytes, 4);
	assert_int_equal(r->orig.unacked, 0);
	assert_int_equal(r->orig.retransmits, 0);
	assert_int_equal(r->orig.keepalives, 0);
	assert_int_equal(r->orig.fins, 1);
	assert_int_equal(r->orig.rsts, 0);
	assert_int_equal(r->orig.after_fin_bytes, 0);
	assert_string_equal(ladders[0],
	    "connection 1: 10.0.0.1:50004 -> 10.0.0.1:50004  fin, "
	    "closed by orig\n"
	    "        time  orig                  "
	    "                              resp\n"
	    "    0.000000  |-- S seq 0 win 1000 -"
	    "--------------------------------->|\n"
	    "    0.010000  |-- S. seq 0 ack 1 win"
	    " 1000 --------------------------->|\n"
	    "    0.020000  |-- . seq 1 ack 1 win "
	    "1000 ---------------------------->|\n"
	    "    0.030000  |-- P. seq 1 ack 1 len"
	    " 4 win 1000 --------------------->|\n"
	    "    0.040000  |-- . seq 5 ack 5 win "
	    "1000 ---------------------------->|\n"
	    "    0.050000  |-- F. seq 5 ack 5 win"
	    " 1000 --------------------------->|\n"
	    "    0.060000  |-- . seq 6 ack 6 win "
	    "1000 ---------------------------->|\n");
	flow_result_notes_text(r, buf, sizeof(buf));
	assert_string_equal(buf, "a socket connected to itself (orig is "
	    "resp): it sent and received every segment");
}

static void
test_self_connect_rst_and_open(void **state)
{
	struct sim s;
	const struct flow_result *r = &got[0];
	uint32_t isn = 0xfffffffeu;	/* and across the wrap */

	(void)state;
	/* Aborted (SO_LINGER 0) with 10 bytes it had not yet acknowledged */
	sim_init(&s, 0, 0);
	self_handshake(&s, isn);
	self_raw(&s, PKT_ACK | PKT_PSH, isn + 1, isn + 1, 10);
	self_raw(&s, PKT_RST | PKT_ACK, isn + 11, isn + 1, 0);
	done(&s);

	assert_int_equal(ngot, 1);
	assert_self_tuple(r);
	/* Zeek: originator reset, responder inactive, not /^S[^HAFGIQ]*R/ */
	assert_class(r, FLOW_RST, FLOW_SIDE_ORIG, FLOW_OTH, "SADR");
	assert_int_equal(r->orig.bytes, 10);
	assert_int_equal(r->orig.unacked, 10);
	assert_int_equal(r->orig.rsts, 1);
	assert_int_equal(r->notes, FLOW_NOTE_SELF_CONNECT |
	    FLOW_NOTE_ORIG_UNACKED);

	/*
	 * Still open at the end: kept whole past Zeek's 5 s attempt delay
	 * and the 64 s an unanswered SYN gets, since it answered itself.
	 */
	sim_init(&s, 0, 0);
	self_handshake(&s, 77);
	self_raw(&s, PKT_ACK | PKT_PSH, 78, 78, 3);
	s.now += 6000000;
	self_raw(&s, PKT_ACK, 81, 81, 0);
	flow_table_advance(s.t, s.now + 100000000);
	assert_int_equal(ngot, 0);
	done(&s);

	assert_int_equal(ngot, 1);
	assert_self_tuple(r);
	assert_class(r, FLOW_OPEN, FLOW_SIDE_NONE, FLOW_S0, "SAD");
	assert_int_equal(r->orig.bytes, 3);
	assert_int_equal(r->orig.unacked, 0);
	assert_int_equal(r->orig.packets, 5);
	assert_int_equal(r->notes, FLOW_NOTE_SELF_CONNECT);
	assert_int_equal(r->last_ts_us - r->ts_us, 6040000);
}

static void
test_self_connect_probes(void **state)
{
	struct sim s;
	const struct flow_result *r = &got[0];
	char buf[512];
	int i;

	(void)state;
	/* Keepalive probes to itself, each answered by its own ACK */
	sim_init(&s, 0, 0);
	self_handshake(&s, 500);
	for (i = 0; i < 3; i++) {
		s.now += 1000000;
		self_raw(&s, PKT_ACK, 500, 501, 0);	/* seq = snd_nxt - 1 */
		self_raw(&s, PKT_ACK, 501, 501, 0);
	}
	self_raw(&s, PKT_FIN | PKT_ACK, 501, 501, 0);
	self_raw(&s, PKT_ACK, 502, 502, 0);
	done(&s);

	assert_int_equal(ngot, 1);
	assert_self_tuple(r);
	assert_class(r, FLOW_FIN, FLOW_SIDE_ORIG, FLOW_SH, "SAF");
	assert_int_equal(r->waiter, FLOW_SIDE_NONE);
	assert_int_equal(r->orig.keepalives, 3);
	assert_int_equal(r->notes, FLOW_NOTE_SELF_CONNECT |
	    FLOW_NOTE_KEEPALIVE);

	/* Its own segments stop arriving (a drop filter): it gives up */
	sim_init(&s, 0, 0);
	self_handshake(&s, 500);
	for (i = 0; i < 3; i++) {
		s.now += 1000000;
		self_raw(&s, PKT_ACK, 500, 501, 0);
	}
	self_raw(&s, PKT_RST | PKT_ACK, 501, 501, 0);
	done(&s);

	assert_int_equal(ngot, 1);
	assert_self_tuple(r);
	assert_class(r, FLOW_VANISHED, FLOW_SIDE_ORIG, FLOW_OTH, "SAR");
	assert_int_equal(r->waiter, FLOW_SIDE_ORIG);
	assert_int_equal(r->wait_tries, 3);
	/* from its first probe to its RST */
	assert_int_equal(r->wait_us, 2 * 1010000 + 10000);
	assert_int_equal(r->notes, FLOW_NOTE_SELF_CONNECT |
	    FLOW_NOTE_KEEPALIVE | FLOW_NOTE_WAITED);
	flow_result_notes_text(r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "orig waited 2.030000s for itself: 3 "
	    "tries unanswered, then gave up with a RST"));
}

static void
test_self_connect_syn_and_reuse(void **state)
{
	struct sim s;
	int i;

	(void)state;
	/* Only its SYN, twice: it never answered itself */
	sim_init(&s, 0, 0);
	self_raw(&s, PKT_SYN, 9, 0, 0);
	self_raw(&s, PKT_SYN, 9, 0, 0);
	done(&s);
	assert_int_equal(ngot, 1);
	assert_class(&got[0], FLOW_NO_ANSWER, FLOW_SIDE_NONE, FLOW_S0, "S");
	assert_int_equal(got[0].notes, FLOW_NOTE_SELF_CONNECT |
	    FLOW_NOTE_SYN_RETRANSMITTED | FLOW_NOTE_WAITED);

	/* Reset before its handshake's ACK: Zeek's RSTOS0 */
	sim_init(&s, 0, 0);
	self_raw(&s, PKT_SYN, 9, 0, 0);
	self_raw(&s, PKT_SYN | PKT_ACK, 9, 10, 0);
	self_raw(&s, PKT_RST | PKT_ACK, 10, 10, 0);
	done(&s);
	assert_int_equal(ngot, 1);
	assert_self_tuple(&got[0]);
	assert_class(&got[0], FLOW_RST, FLOW_SIDE_ORIG, FLOW_RSTOS0, "SR");
	assert_int_equal(got[0].notes, FLOW_NOTE_SELF_CONNECT);

	/* Closed, then the same port connects to itself again */
	sim_init(&s, 0, 0);
	for (i = 0; i < 2; i++) {
		uint32_t isn = i == 0 ? 1000 : 900000;

		self_handshake(&s, isn);
		self_raw(&s, PKT_FIN | PKT_ACK, isn + 1, isn + 1, 0);
		self_raw(&s, PKT_ACK, isn + 2, isn + 2, 0);
	}
	assert_int_equal(ngot, 1);
	done(&s);
	assert_int_equal(ngot, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(got[i].id, (uint64_t)i + 1);
		assert_self_tuple(&got[i]);
		assert_int_equal(got[i].teardown, FLOW_FIN);
		assert_int_equal(got[i].closed_by, FLOW_SIDE_ORIG);
		assert_int_equal(got[i].notes, FLOW_NOTE_SELF_CONNECT);
		assert_int_equal(got[i].orig.packets, 5);
		assert_string_equal(got[i].history, "SAF");
	}

	/* One port at both ends but two addresses is no self-connection */
	sim_init(&s, 10, 20);
	s.port[ORIG] = s.port[RESP] = 7000;
	handshake(&s);
	play(&s, ">F. <F. >.");
	done(&s);
	assert_int_equal(got[0].teardown, FLOW_FIN);
	assert_int_equal(got[0].notes, 0);
	assert_int_equal(got[0].resp.packets, 2);
	assert_string_equal(got[0].history, "ShAFf");
	assert_int_equal(got[0].conn_state, FLOW_SF);
}

static void
test_names(void **state)
{
	enum flow_class c;
	enum flow_state st;
	enum flow_note n;

	(void)state;
	assert_string_equal(flow_class_name(FLOW_FIN_RST), "fin-rst");
	assert_string_equal(flow_class_name(FLOW_NO_ANSWER), "no-answer");
	assert_int_equal(flow_class_parse("vanished", &c), 0);
	assert_int_equal(c, FLOW_VANISHED);
	assert_int_equal(flow_class_parse("gone", &c), -1);
	assert_int_equal(flow_state_parse("RSTOS0", &st), 0);
	assert_int_equal(st, FLOW_RSTOS0);
	assert_string_equal(flow_state_name(FLOW_SHR), "SHR");
	assert_int_equal(flow_note_parse("rst-after-fin", &n), 0);
	assert_int_equal(n, FLOW_NOTE_RST_AFTER_FIN);
	assert_string_equal(flow_note_name(FLOW_NOTE_IDLE_EVICTED),
	    "idle-evicted");
	assert_string_equal(flow_note_name(FLOW_NOTE_SELF_CONNECT),
	    "self-connect");
	assert_int_equal(flow_note_parse("self-connect", &n), 0);
	assert_int_equal(n, FLOW_NOTE_SELF_CONNECT);
	assert_int_equal(flow_note_parse("rst-after-close", &n), 0);
	assert_int_equal(n, FLOW_NOTE_RST_AFTER_CLOSE);
	assert_int_equal(FLOW_NOTE_RST_AFTER_CLOSE,
	    1u << (FLOW_NOTE_COUNT - 1));
	assert_string_equal(flow_side_name(FLOW_SIDE_RESP), "resp");
}

TEST_MAIN(
	cmocka_unit_test(test_graceful_fin),
	cmocka_unit_test(test_close_by_responder_and_half_close),
	cmocka_unit_test(test_abort_rst),
	cmocka_unit_test(test_unacked_then_rst_from_responder),
	cmocka_unit_test(test_refused),
	cmocka_unit_test(test_no_answer),
	cmocka_unit_test(test_vanished_data_then_rst),
	cmocka_unit_test(test_vanished_keepalive),
	cmocka_unit_test(test_fin_then_rst_answering_data),
	cmocka_unit_test(test_rst_after_close_is_fin),
	cmocka_unit_test(test_retransmitted_fin_and_zero_window),
	cmocka_unit_test(test_sequence_wrap),
	cmocka_unit_test(test_reuse_splits),
	cmocka_unit_test(test_settle_and_idle),
	cmocka_unit_test(test_settled_by_silence),
	cmocka_unit_test(test_partial_and_flip),
	cmocka_unit_test(test_ladder_and_json),
	cmocka_unit_test(test_self_connect_fin),
	cmocka_unit_test(test_self_connect_rst_and_open),
	cmocka_unit_test(test_self_connect_probes),
	cmocka_unit_test(test_self_connect_syn_and_reuse),
	cmocka_unit_test(test_names),
)
