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

const struct case_play play_c1 = {
	.client = c1_client, .server = c1_server, .check = c1_check,
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
	side_read_to_end_close(s, true);
}

static void
c2_check(struct check *ck)
{
	json_t *poke = ck_event(ck, ROLE_CLIENT, "send", 0);

	ck_expect(ck, poke != NULL && strcmp(ck_outcome(poke), "ok") == 0,
	    "client: its one send failed");
	ck_pattern_intact(ck, ROLE_CLIENT);
	if (ck_variant(ck, "all-sent")) {
		ck_reads_all_eof(ck, ROLE_CLIENT, "the RST does not "
		    "destroy queued data");
		ck_wire(ck, "fin-rst", "server");
		return;
	}
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "close_unsent", 0) > 0,
	    "server: nothing was unsent at close, so its FIN was on the "
	    "wire (this is the all-sent variant)");
	ck_reads_part_reset(ck, ROLE_CLIENT);
	ck_wire_rst_only(ck, ROLE_SERVER);
}

const struct case_play play_c2 = {
	.client = c2_client, .server = c2_server, .check = c2_check,
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
	side_read_to_end_close(s, true);
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
	ck_unread_at_close(ck, ROLE_SERVER, REQUEST_BYTES);
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "close_unsent", 0) > 0,
	    "server: nothing was unsent at close");
	ck_reads_part_reset(ck, ROLE_CLIENT);
	ck_pattern_intact(ck, ROLE_CLIENT);
	ck_wire_rst_only(ck, ROLE_SERVER);
}

const struct case_play play_c3 = {
	.client = c3_client, .server = c3_server, .check = c3_check,
};
