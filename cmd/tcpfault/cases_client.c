/* SPDX-License-Identifier: BSD-2-Clause */
/* C1-C3: what a client sees when its server misbehaves. */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "side.h"

#define RESPONSE_BYTES	65536u
#define POKE_BYTES	100u	/* the client's one packet */
#define TINY_RCVBUF	4096

/* ---- C1: the server has closed; the client sends --------------------- */

static void
c1_server(struct case_side *s)
{
	side_accept(s);
	side_close_plain(s);
	side_signal(s, "closed");
}

static void
c1_client(struct case_side *s)
{
	side_connect(s);
	side_send_after_peer_close(s, POKE_BYTES, false);
}

static void
c1_check(struct check *ck)
{
	ck_send_after_close(ck, ROLE_CLIENT, POKE_BYTES);
	ck_reads_end(ck, ROLE_CLIENT, "eof", NULL);
	ck_wire_rst_after_fin(ck, ROLE_SERVER);
}

static const struct case_variant one_variant_c1[] = {
	{ "-", "the client writes to a server that already closed",
	    "the first send succeeds (its data is answered by RST), the "
	    "second fails broken-pipe, reads give eof; teardown fin-rst, "
	    "closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_c1 = {
	.id = "C1",
	.title = "the server has closed; the client sends",
	.client_does = "sees the FIN but sends anyway, twice",
	.server_does = "accepts and close()s at once",
	.explain = "A FIN is only a half-close as far as the client's kernel "
	    "knows, so the first send is accepted and transmitted; the "
	    "server's kernel has no socket to give it to and answers RST. "
	    "The RST came after the FIN, so the next send fails EPIPE and "
	    "reads return 0.",
	.avoid = "read: recv returning 0 means the server is done; stop "
	    "sending and close. Use MSG_NOSIGNAL so EPIPE is an error, not "
	    "a SIGPIPE death",
	.variants = one_variant_c1,
	.client = c1_client,
	.server = c1_server,
	.check = c1_check,
	.max_ms = 10000,
};

/* ---- C2: the server sends then closes; the client sends, then reads -- */

static void
c2_server(struct case_side *s)
{
	side_accept(s);
	if (side_is(s, "all-sent")) {
		player_send_stream(side_player(s), RESPONSE_BYTES);
		side_wait_outq_zero(s);		/* all on the wire, acked */
	} else {
		side_wait(s, "ready");
		side_bufsizes(s, BIG_SNDBUF, 0);
		player_send_until_full(side_player(s), STREAM_BYTES);
		side_wait_outq_stable(s);	/* the client's window shut */
	}
	side_close_plain(s);
	side_signal(s, "closed");
}

static void
c2_client(struct case_side *s)
{
	if (side_is(s, "all-sent")) {
		side_connect(s);
		side_wait(s, "closed");
		side_wait_state(s, "CLOSE_WAIT");
		side_wait_inq(s, RESPONSE_BYTES);
	} else {
		side_connect_rcvbuf(s, TINY_RCVBUF);
		side_signal(s, "ready");
		side_wait(s, "closed");
	}
	player_send_once(side_player(s), POKE_BYTES, 0);
	side_wait_state(s, "CLOSE");		/* the RST arrived */
	side_recv_to_end(s, 0, true, NULL);
	side_close_plain(s);
}

static void
c2_check(struct check *ck)
{
	json_t *poke = ck_event(ck, ROLE_CLIENT, "send", 0);

	ck_expect(ck, poke != NULL && strcmp(ck_outcome(poke), "ok") == 0,
	    "client: its one send failed");
	ck_pattern_intact(ck, ROLE_CLIENT);
	if (ck_variant(ck, "all-sent")) {
		ck_read_all(ck, ROLE_CLIENT);
		ck_reads_end(ck, ROLE_CLIENT, "eof", "the RST does not "
		    "destroy queued data");
		ck_wire(ck, "fin-rst", "server");
		return;
	}
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "close_unsent", 0) > 0,
	    "server: nothing was unsent at close, so its FIN was on the "
	    "wire (this is the all-sent variant)");
	ck_read_part(ck, ROLE_CLIENT);
	ck_reads_end(ck, ROLE_CLIENT, "reset", NULL);
	ck_wire_rst_only(ck, ROLE_SERVER);
}

static const struct case_variant c2_variants[] = {
	{ "all-sent", "the server's 64 KiB and FIN are all on the wire "
	    "before the client's packet",
	    "the client reads every byte, then eof: the RST that answers "
	    "its packet does not destroy queued data (unlike Windows); "
	    "teardown fin-rst, closed by the server" },
	{ "unsent", "the client's receive window is tiny, so the server "
	    "closes with data still queued (FIN_WAIT1)",
	    "the client's packet makes the server's kernel purge its send "
	    "queue and answer RST: the client reads part of the data, then "
	    "reset; the FIN never left; teardown rst, closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_c2 = {
	.id = "C2",
	.title = "the server sends data then closes; the client sends one "
	    "packet, then reads",
	.client_does = "sends one 100-byte packet after the server closed, "
	    "then reads",
	.server_does = "sends a response, close()",
	.explain = "A closed socket receiving data answers RST (RFC 1122 "
	    "4.2.2.13; Linux's TCPAbortOnData). When the response and the "
	    "FIN were all delivered, Linux still lets the client read them "
	    "and then 0. When the server still had unsent data (FIN_WAIT1 "
	    "behind a shut window) that data is purged with the RST and the "
	    "client gets part of the response, then ECONNRESET. If the "
	    "client's packet arrives before the server's close() it is C3.",
	.avoid = "a server closes only after reading the request to its "
	    "end (shutdown(SHUT_WR), read until 0, close); a client does not "
	    "send on a connection whose peer has closed",
	.variants = c2_variants,
	.client = c2_client,
	.server = c2_server,
	.check = c2_check,
	.max_ms = 10000,
};

/* ---- C3: the server closes with unread data -------------------------- */

static void
c3_client(struct case_side *s)
{
	side_connect(s);
	player_send_once(side_player(s), REQUEST_BYTES, 0);
	side_signal(s, "requested");
	side_wait(s, "closed");
	side_wait_state(s, "CLOSE");
	side_recv_to_end(s, 0, true, NULL);
	side_close_plain(s);
}

static void
c3_server(struct case_side *s)
{
	side_accept(s);
	side_bufsizes(s, BIG_SNDBUF, 0);
	side_wait(s, "requested");
	side_wait_inq(s, REQUEST_BYTES);	/* unread, in the queue */
	player_send_until_full(side_player(s), STREAM_BYTES);
	side_wait_outq_stable(s);
	side_close_plain(s);
	side_signal(s, "closed");
}

static void
c3_check(struct check *ck)
{
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "close_unread", 0) ==
	    REQUEST_BYTES, "server: %lld bytes unread at close, expected %u",
	    (long long)ck_fact_int(ck, ROLE_SERVER, "close_unread", 0),
	    REQUEST_BYTES);
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "close_unsent", 0) > 0,
	    "server: nothing was unsent at close");
	ck_read_part(ck, ROLE_CLIENT);
	ck_reads_end(ck, ROLE_CLIENT, "reset", NULL);
	ck_pattern_intact(ck, ROLE_CLIENT);
	ck_wire_rst_only(ck, ROLE_SERVER);
}

static const struct case_variant one_variant_c3[] = {
	{ "-", "the server never reads the 1 KiB request",
	    "RST instead of FIN; the client reads what was already in its "
	    "receive queue, then reset; what the server had not yet "
	    "transmitted is lost; teardown rst, closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_c3 = {
	.id = "C3",
	.title = "the server closes with unread data in its receive buffer",
	.client_does = "sends a request, reads the response after the close",
	.server_does = "writes 512 KiB without reading the request, close()",
	.explain = "close() with unread input is an abort on Linux (RFC 2525 "
	    "section 2.17): RST instead of FIN, and the server's unsent "
	    "output is discarded. The client still reads what reached its "
	    "receive queue, then gets ECONNRESET.",
	.avoid = "read the whole request before closing, or shutdown(SHUT_WR) "
	    "and read until 0, then close",
	.variants = one_variant_c3,
	.client = c3_client,
	.server = c3_server,
	.check = c3_check,
	.max_ms = 10000,
};
