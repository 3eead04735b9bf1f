/* SPDX-License-Identifier: BSD-2-Clause */
/* keepalive-race: the server closes a kept-alive connection as it is reused. */
#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "side.h"

#define KA_REQUEST	200u	/* each request on the connection */
#define KA_RESPONSE	4096u	/* the first request's whole response */

/*
 * Both variants begin the same: one request, its whole response, and the
 * connection kept for the next request (an HTTP/1.1 client's pool).
 */
static void
ka_server(struct case_side *s)
{
	side_accept(s);
	player_recv_exact(side_player(s), KA_REQUEST);
	player_send_stream(side_player(s), KA_RESPONSE);
	if (side_is(s, "fin-unread")) {
		/* Its idle timer fires: close, the FIN leaves at once. */
		side_wait_outq_zero(s);
		side_close_plain(s);
		side_signal(s, "closed");
		return;
	}
	/* The timer fires as the next request lands: it is never read. */
	side_wait(s, "reused");
	side_wait_inq(s, KA_REQUEST);
	side_close_plain(s);
}

static void
ka_client(struct case_side *s)
{
	side_connect(s);
	player_send_once(side_player(s), KA_REQUEST, 0);
	player_recv_exact(side_player(s), KA_RESPONSE);
	if (side_is(s, "fin-unread")) {
		/* The FIN is in the socket, unread: the pool does not look. */
		side_wait(s, "closed");
		side_wait_state(s, "CLOSE_WAIT");
		player_send_once(side_player(s), KA_REQUEST, 0);
	} else {
		player_send_once(side_player(s), KA_REQUEST, 0);
		side_signal(s, "reused");
	}
	side_wait_state(s, "CLOSE");		/* the RST arrived */
	side_recv_to_end(s, 0, false, NULL);
	side_close_plain(s);
}

static void
ka_check(struct check *ck)
{
	json_t *reuse = ck_event(ck, ROLE_CLIENT, "send", 1);

	ck_expect(ck, reuse != NULL && strcmp(ck_outcome(reuse), "ok") == 0 &&
	    ck_bytes(reuse) == KA_REQUEST, "client: the request on the "
	    "reused connection was not accepted whole");
	ck_expect(ck, ck_sum(ck, ROLE_CLIENT, "recv", "ok") == KA_RESPONSE,
	    "client: read %lld bytes, expected the first response only (%u)",
	    (long long)ck_sum(ck, ROLE_CLIENT, "recv", "ok"), KA_RESPONSE);
	if (ck_variant(ck, "fin-unread")) {
		ck_reads_end(ck, ROLE_CLIENT, "eof", "the FIN came before the "
		    "RST: an empty reply");
		ck_wire_rst_after_fin(ck, ROLE_SERVER);
		return;
	}
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "close_unread", 0) ==
	    KA_REQUEST, "server: %lld bytes unread at close, expected %u",
	    (long long)ck_fact_int(ck, ROLE_SERVER, "close_unread", 0),
	    KA_REQUEST);
	ck_reads_end(ck, ROLE_CLIENT, "reset", NULL);
	ck_wire_rst_only(ck, ROLE_SERVER);
}

const struct case_play play_keepalive = {
	.client = ka_client, .server = ka_server, .check = ka_check,
};
