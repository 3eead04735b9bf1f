/* SPDX-License-Identifier: BSD-2-Clause */
/* S1-S5: what a server sees when its client misbehaves. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "run.h"
#include "side.h"
#include "sockopt.h"

/* Keepalive and user timeout used by S1 (run --all stays short). */
#define S1_IDLE_WAIT_MS	2000
#define S1_KA_IDLE	1
#define S1_KA_INTVL	1
#define S1_KA_CNT	2
#define S1_USER_TIMEOUT	4000

/*
 * Every case has two scripts (one per side, each in its own process), a
 * check over what they observed and what the capture showed, and text.
 * Scripts synchronise through tokens (side_signal/side_wait), never sleeps;
 * where the kernel needs time they poll TCP_INFO or the queues.
 */

/* ---- S1: the client vanishes ------------------------------------------ */

static void
s1_client(struct case_side *s)
{
	side_connect(s);
	player_send_once(side_player(s), REQUEST_BYTES, 0);
	side_wait_outq_zero(s);		/* everything acknowledged */
	side_wait(s, "read");
	side_vanish(s);
	side_signal(s, "vanished");
	/* Held open and silent until the capture has ended. */
}

static void
s1_server(struct case_side *s)
{
	enum outcome o;

	side_accept(s);
	player_recv_exact(side_player(s), REQUEST_BYTES);
	if (side_is(s, "keepalive") || side_is(s, "user-timeout"))
		side_keepalive(s, S1_KA_IDLE, S1_KA_INTVL, S1_KA_CNT);
	if (side_is(s, "user-timeout"))
		side_user_timeout(s, S1_USER_TIMEOUT);
	side_signal(s, "read");
	side_wait(s, "vanished");
	if (side_is(s, "idle")) {
		struct tcpinfo_snap snap;

		player_recv_once(side_player(s), 4096, S1_IDLE_WAIT_MS, &o);
		if (sockopt_tcp_info(side_fd(s), &snap, NULL) == 0)
			side_fact_str(s, "state_after", snap.state);
		side_fact_int(s, "so_error", 0);
		return;
	}
	if (side_is(s, "user-timeout"))
		player_send_once(side_player(s), 65536, 0);
	player_recv_once(side_player(s), 4096, 4 * SIDE_WAIT_MS, &o);
}

static void
s1_check(struct check *ck)
{
	const struct wire_view *w = ck->wire;
	json_t *van = ck_event(ck, ROLE_CLIENT, "vanish", 0);
	json_t *rd = ck_event(ck, ROLE_SERVER, "recv", -1);
	json_t *req = ck_event(ck, ROLE_SERVER, "recv", 0);
	int64_t waited;

	ck_expect(ck, van != NULL && strcmp(ck_outcome(van), "ok") == 0,
	    "client: did not vanish");
	ck_expect(ck, rd != NULL && rd != req, "server: no read after the "
	    "vanish");
	if (rd == NULL || rd == req || van == NULL)
		return;
	waited = ck_t(rd) - ck_t(req);
	if (ck_have_wire(ck)) {
		/* A peer that still answers is not vanished. */
		ck_expect(ck, w->client_after_mark == 0, "wire: the vanished "
		    "client still sent %u segments (%s)", w->client_after_mark,
		    ck_fact_str(ck, ROLE_CLIENT, "vanish_method"));
	}
	if (ck_variant(ck, "idle")) {
		ck_expect(ck, strcmp(ck_outcome(rd), "timeout") == 0 &&
		    ck_errno(rd) == 0, "server: recv ended %s (errno %d) "
		    "before our %d ms deadline, expected nothing at all",
		    ck_outcome(rd), ck_errno(rd), S1_IDLE_WAIT_MS);
		ck_expect(ck, strcmp(ck_fact_str(ck, ROLE_SERVER,
		    "state_after"), "ESTABLISHED") == 0, "server: state %s "
		    "after the wait, expected ESTABLISHED",
		    ck_fact_str(ck, ROLE_SERVER, "state_after"));
		ck_wire(ck, "open", NULL);
		if (ck_have_wire(ck))
			ck_expect(ck, w->server_after_mark == 0, "wire: the "
			    "server sent %u segments to an idle dead peer",
			    w->server_after_mark);
		return;
	}
	ck_expect(ck, strcmp(ck_outcome(rd), "timeout") == 0 &&
	    ck_errno(rd) == ETIMEDOUT, "server: recv ended %s (errno %d), "
	    "expected timeout (ETIMEDOUT)", ck_outcome(rd), ck_errno(rd));
	if (ck_variant(ck, "keepalive")) {
		int64_t need = (int64_t)(S1_KA_IDLE + S1_KA_CNT *
		    S1_KA_INTVL) * 1000000;

		ck_expect(ck, waited >= need - 100000, "server: keepalive "
		    "gave up after %lld ms, before idle + cnt x intvl = "
		    "%lld ms", (long long)waited / 1000,
		    (long long)need / 1000);
		ck_wire(ck, "vanished", "server");
		if (ck_have_wire(ck)) {
			ck_expect(ck, w->server.keepalives == S1_KA_CNT,
			    "wire: %u keepalive probes, expected %d",
			    w->server.keepalives, S1_KA_CNT);
			ck_expect(ck, w->server_rsts_after_mark >= 1,
			    "wire: the server's stack sent no RST after the "
			    "last probe");
		}
	} else {
		json_t *snd = ck_event(ck, ROLE_SERVER, "send", 0);

		ck_expect(ck, snd != NULL && ck_bytes(snd) == 65536,
		    "server: the send of 65536 bytes was not accepted");
		ck_expect(ck, waited >= (int64_t)S1_USER_TIMEOUT * 1000 -
		    100000, "server: gave up after %lld ms, before the user "
		    "timeout of %d ms", (long long)waited / 1000,
		    S1_USER_TIMEOUT);
		ck_wire(ck, "vanished", "server");
		if (ck_have_wire(ck)) {
			ck_expect(ck, w->server.rsts == 0, "wire: the server "
			    "sent %u RST, expected none", w->server.rsts);
			ck_expect(ck, w->server.keepalives == 0, "wire: %u "
			    "keepalive probes while data was unacknowledged",
			    w->server.keepalives);
			ck_expect(ck, w->server.unacked == 65536, "wire: %llu "
			    "bytes unacknowledged, expected 65536",
			    (unsigned long long)w->server.unacked);
			ck_expect(ck, w->server.retransmits >= 1, "wire: the "
			    "server never retransmitted");
		}
	}
}

const struct case_play play_s1 = {
	.client = s1_client, .server = s1_server, .check = s1_check,
};

/* ---- S2: the client sends, then close() ------------------------------ */

static void
s2_client(struct case_side *s)
{
	side_connect(s);
	side_bufsizes(s, BIG_SNDBUF, 0);
	player_send_stream(side_player(s), STREAM_BYTES);
	side_close_plain(s);
	side_signal(s, "closed");
}

static void
s2_server(struct case_side *s)
{
	side_accept(s);
	side_wait(s, "closed");
	side_read_to_end_close(s, true);
}

static void
s2_check(struct check *ck)
{
	int64_t sent = ck_sum(ck, ROLE_CLIENT, "send", "ok");

	ck_expect(ck, sent == STREAM_BYTES, "client: sent %lld of %u bytes",
	    (long long)sent, STREAM_BYTES);
	ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT, "close_unsent", 0) > 0,
	    "client: nothing was still queued when close() returned");
	ck_reads_all_eof(ck, ROLE_SERVER, NULL);
	ck_pattern_intact(ck, ROLE_SERVER);
	ck_wire_fin_acked(ck, ROLE_CLIENT);
}

const struct case_play play_s2 = {
	.client = s2_client, .server = s2_server, .check = s2_check,
};

/* ---- S3 and S4: the client exits without close() / is killed --------- */

static void
greet_if_unread(struct case_side *s, bool server)
{
	if (!side_is(s, "unread"))
		return;
	if (server) {
		player_send_once(side_player(s), GREETING_BYTES, 0);
		side_signal(s, "greeted");
	} else {
		side_wait(s, "greeted");
		side_wait_inq(s, GREETING_BYTES);
	}
}

static void
s3_client(struct case_side *s)
{
	side_connect(s);
	side_bufsizes(s, BIG_SNDBUF, 0);
	greet_if_unread(s, false);
	player_send_stream(side_player(s), STREAM_BYTES);
	side_exit_without_close(s);
}

static void
s34_server(struct case_side *s)
{
	side_accept(s);
	greet_if_unread(s, true);
	side_wait(s, "peer-exited");
	side_read_to_end_close(s, true);
}

static void
s4_client(struct case_side *s)
{
	side_connect(s);
	greet_if_unread(s, false);
	/* Fill every queue until the peer's window is shut and stays shut. */
	player_send_until_full(side_player(s), 64u << 20);
	for (;;) {
		side_wait_outq_stable(s);
		if (player_send_until_full(side_player(s), 64u << 20) == 0)
			break;
	}
	side_signal(s, "send-blocked");
	/* Blocks here until killed. */
	player_send_once(side_player(s), 65536, 0);
	side_fail(s, "the blocked send returned");
}

static void
s4_hook(struct run *r, enum case_role from, const char *token)
{
	if (from == ROLE_CLIENT && strcmp(token, "send-blocked") == 0)
		run_kill_when_blocked(r, ROLE_CLIENT);
}

/* The rule of S3 and S4: FIN and every byte, or RST and a lost tail. */
static void
s34_check(struct check *ck, bool killed)
{
	if (killed) {
		json_t *k = ck_event(ck, ROLE_CLIENT, "killed", 0);

		ck_expect(ck, k != NULL && ck_bytes(k) == 9, "client: was "
		    "not killed by SIGKILL");
	} else {
		ck_expect(ck, ck_event(ck, ROLE_CLIENT, "exit", 0) != NULL,
		    "client: did not exit");
		ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT, "exit_unsent", 0) >
		    0, "client: nothing was unsent at exit");
	}
	ck_pattern_intact(ck, ROLE_SERVER);
	if (ck_variant(ck, "no-unread")) {
		ck_reads_all_eof(ck, ROLE_SERVER, NULL);
		ck_wire_fin_acked(ck, ROLE_CLIENT);
	} else {
		if (!killed)
			ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT,
			    "exit_unread", 0) == GREETING_BYTES, "client: "
			    "%lld bytes unread at exit, expected %u",
			    (long long)ck_fact_int(ck, ROLE_CLIENT,
			    "exit_unread", 0), GREETING_BYTES);
		ck_reads_part_reset(ck, ROLE_SERVER);
		ck_wire_rst_only(ck, ROLE_CLIENT);
	}
}

static void
s3_check(struct check *ck)
{
	s34_check(ck, false);
}

static void
s4_check(struct check *ck)
{
	s34_check(ck, true);
}

const struct case_play play_s3 = {
	.client = s3_client, .server = s34_server, .check = s3_check,
};

const struct case_play play_s4 = {
	.client = s4_client, .server = s34_server, .check = s4_check,
	.hook = s4_hook,
};

/* ---- S5: the client closed; the server writes before noticing -------- */

static void
s5_client(struct case_side *s)
{
	side_connect(s);
	player_send_once(side_player(s), REQUEST_BYTES, 0);
	side_wait_outq_zero(s);
	side_close_plain(s);
	side_signal(s, "closed");
}

static void
s5_server(struct case_side *s)
{
	side_accept(s);
	side_send_after_peer_close(s, REQUEST_BYTES, true);
}

static void
s5_check(struct check *ck)
{
	int64_t got = ck_sum(ck, ROLE_SERVER, "recv", "ok");

	ck_send_after_close(ck, ROLE_SERVER, REQUEST_BYTES);
	ck_expect(ck, got == REQUEST_BYTES, "server: read %lld queued "
	    "bytes, expected %u", (long long)got, REQUEST_BYTES);
	ck_reads_end(ck, ROLE_SERVER, "eof", "never reset: the RST came "
	    "after the FIN");
	ck_expect(ck, ck_count(ck, ROLE_SERVER, "recv", "reset") == 0,
	    "server: a read failed reset");
	ck_wire_rst_after_fin(ck, ROLE_CLIENT);
}

const struct case_play play_s5 = {
	.client = s5_client, .server = s5_server, .check = s5_check,
};
