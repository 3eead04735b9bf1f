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

static const struct case_variant s1_variants[] = {
	{ "idle", "the connection is idle; the server only waits "
	    "(2 s here, forever in real life)",
	    "recv returns nothing for the whole wait (no error, state "
	    "ESTABLISHED); nothing on the wire: teardown open" },
	{ "keepalive", "the server enabled keepalive: idle 1 s, interval "
	    "1 s, 2 probes",
	    "recv fails timeout (ETIMEDOUT) after idle + cnt x intvl = 3 s; "
	    "the server's stack sends 2 probes, then an RST into the void: "
	    "teardown vanished, closed by the server" },
	{ "user-timeout", "the server sends 64 KiB that are never "
	    "acknowledged; TCP_USER_TIMEOUT 4 s (keepalive also on)",
	    "recv fails timeout (ETIMEDOUT) after the 4 s user timeout; "
	    "retransmissions only, no keepalive probe, no RST on the wire; "
	    "65536 bytes unacknowledged; teardown vanished, closed by the "
	    "server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s1 = {
	.id = "S1",
	.title = "the client vanishes (crash, cable pulled)",
	.client_does = "connects, sends a request, then vanishes: no FIN, "
	    "no RST, no ACK ever again",
	.server_does = "reads the request, then waits for more",
	.explain = "A peer that is gone sends nothing, so nothing tells the "
	    "server. An idle connection stays ESTABLISHED forever. Keepalive "
	    "probes after the idle time and gives up after cnt unanswered "
	    "probes, sending an RST that nobody receives; recv fails "
	    "ETIMEDOUT. While data is unacknowledged keepalive never fires: "
	    "retransmission does, until tcp_retries2 (about 15 minutes) or "
	    "TCP_USER_TIMEOUT ends it, with no RST.",
	.avoid = "enable keepalive (SO_KEEPALIVE with TCP_KEEPIDLE, "
	    "TCP_KEEPINTVL, TCP_KEEPCNT) and set TCP_USER_TIMEOUT on every "
	    "long-lived connection, or run an application-level heartbeat "
	    "with a deadline",
	.variants = s1_variants,
	.client = s1_client,
	.server = s1_server,
	.check = s1_check,
	.flags = CASE_VANISH,
	.max_ms = 20000,
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
	side_recv_to_end(s, 0, true, NULL);
	side_close_plain(s);
}

static void
s2_check(struct check *ck)
{
	int64_t sent = ck_sum(ck, ROLE_CLIENT, "send", "ok");

	ck_expect(ck, sent == STREAM_BYTES, "client: sent %lld of %u bytes",
	    (long long)sent, STREAM_BYTES);
	ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT, "close_unsent", 0) > 0,
	    "client: nothing was still queued when close() returned");
	ck_read_all(ck, ROLE_SERVER);
	ck_reads_end(ck, ROLE_SERVER, "eof", NULL);
	ck_pattern_intact(ck, ROLE_SERVER);
	ck_wire_fin_acked(ck, ROLE_CLIENT);
}

static const struct case_variant one_variant_s2[] = {
	{ "-", "512 KiB, most of it still queued when close() returns",
	    "the server reads every byte, then eof; wire: FIN after the "
	    "data (teardown fin, closed by the client)" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s2 = {
	.id = "S2",
	.title = "the client sends many messages, then close()",
	.client_does = "sends 512 KiB and calls close() at once, nothing "
	    "unread",
	.server_does = "starts reading only after the close",
	.explain = "close() with nothing unread is graceful: the kernel "
	    "keeps the socket (orphaned) until everything queued has been "
	    "sent and acknowledged, then sends the FIN. close() returning "
	    "says nothing about delivery, but nothing is lost.",
	.avoid = "nothing to avoid here; to know the peer got it all, "
	    "shutdown(SHUT_WR) and read until 0 (the peer's close) before "
	    "close()",
	.variants = one_variant_s2,
	.client = s2_client,
	.server = s2_server,
	.check = s2_check,
	.max_ms = 10000,
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
	side_recv_to_end(s, 0, true, NULL);
	side_close_plain(s);
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
		ck_read_all(ck, ROLE_SERVER);
		ck_reads_end(ck, ROLE_SERVER, "eof", NULL);
		ck_wire_fin_acked(ck, ROLE_CLIENT);
	} else {
		if (!killed)
			ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT,
			    "exit_unread", 0) == GREETING_BYTES, "client: "
			    "%lld bytes unread at exit, expected %u",
			    (long long)ck_fact_int(ck, ROLE_CLIENT,
			    "exit_unread", 0), GREETING_BYTES);
		ck_read_part(ck, ROLE_SERVER);
		ck_reads_end(ck, ROLE_SERVER, "reset", NULL);
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

static const struct case_variant s3_variants[] = {
	{ "no-unread", "the client read everything it was sent",
	    "the kernel closes with FIN after every byte: the server reads "
	    "all 512 KiB, then eof; teardown fin, closed by the client" },
	{ "unread", "a 64-byte greeting from the server sits unread in the "
	    "client",
	    "RST at exit, the client's unsent data is discarded: the server "
	    "reads what had reached its queue, then reset; teardown rst, "
	    "closed by the client" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s3 = {
	.id = "S3",
	.title = "the client sends many messages, then exits without close()",
	.client_does = "sends 512 KiB, then exits (the kernel closes the "
	    "socket)",
	.server_does = "reads after the client's exit",
	.explain = "Exit closes every descriptor as close() would. With "
	    "nothing unread that is a FIN after the queued data. With "
	    "unread input Linux sends RST (RFC 2525 section 2.17) and "
	    "throws away what the exiting process had queued but not yet "
	    "transmitted; the server first reads what reached it, then "
	    "ECONNRESET.",
	.avoid = "read what the peer sent (or shutdown(SHUT_WR) and read "
	    "until 0) before exiting; never leave a request unread",
	.variants = s3_variants,
	.client = s3_client,
	.server = s34_server,
	.check = s3_check,
	.max_ms = 10000,
};

static const struct case_variant s4_variants[] = {
	{ "no-unread", "the client read everything it was sent",
	    "killed with a full send queue and nothing unread: FIN after "
	    "every byte its kernel had accepted; the server reads them all, "
	    "then eof; teardown fin, closed by the client" },
	{ "unread", "a 64-byte greeting from the server sits unread in the "
	    "client",
	    "RST at the kill, the queued data is discarded: the server reads "
	    "what had reached it, then reset; teardown rst, closed by the "
	    "client" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s4 = {
	.id = "S4",
	.title = "the client is killed (SIGKILL) in the middle of sending",
	.client_does = "sends until the server's window and its own send "
	    "queue are full, blocks in send(), and is SIGKILLed there",
	.server_does = "reads after the kill",
	.explain = "Same rule as S3: the kernel closes a killed process's "
	    "sockets. What its send() calls had accepted is still sent when "
	    "nothing was unread (FIN last); with unread input it is "
	    "discarded and an RST goes out.",
	.avoid = "a peer can always die mid-stream: frame messages "
	    "(length prefix) so a truncated one is detected, and treat "
	    "reset as 'the tail may be missing'",
	.variants = s4_variants,
	.client = s4_client,
	.server = s34_server,
	.check = s4_check,
	.hook = s4_hook,
	.max_ms = 15000,
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

static const struct case_variant one_variant_s5[] = {
	{ "-", "the server answers a request the client no longer waits for",
	    "the first send succeeds and is answered by RST; the second "
	    "fails broken-pipe; reads return the 1024 queued bytes, then "
	    "eof, never reset; teardown fin-rst, closed by the client" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_s5 = {
	.id = "S5",
	.title = "the client sends and closes; the server writes before "
	    "noticing",
	.client_does = "sends a 1 KiB request, close()",
	.server_does = "writes twice without reading, then reads",
	.explain = "The FIN only says the client will send no more. The "
	    "server's first write is accepted by its own kernel; the "
	    "client's kernel, whose socket is gone, answers with RST. An "
	    "RST that arrives after the peer's FIN makes the next send fail "
	    "EPIPE (SIGPIPE unless ignored or MSG_NOSIGNAL), while reads "
	    "still return the queued request and then 0, not ECONNRESET.",
	.avoid = "send with MSG_NOSIGNAL (or ignore SIGPIPE) and treat "
	    "EPIPE as 'the peer is gone'; read until 0 before answering "
	    "when a request can be abandoned",
	.variants = one_variant_s5,
	.client = s5_client,
	.server = s5_server,
	.check = s5_check,
	.max_ms = 10000,
};
