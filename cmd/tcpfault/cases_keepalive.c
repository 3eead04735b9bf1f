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

static const struct case_variant ka_variants[] = {
	{ "fin-unread", "the server's FIN arrived while the connection sat "
	    "idle in the client's pool, unread; the client reuses it",
	    "the request is accepted (send ok), the server's kernel answers "
	    "RST, and the client reads eof: an empty reply (curl 52); "
	    "teardown fin-rst, closed by the server" },
	{ "in-flight", "the server closes as the reused request "
	    "arrives: it is in its receive queue, unread",
	    "close() with unread input sends RST instead of FIN: the "
	    "client's send is ok, its read fails reset, connection reset by "
	    "peer (curl 56); teardown rst, closed by the server" },
	{ NULL, NULL, NULL }
};

const struct fault_case case_keepalive = {
	.id = "keepalive-race",
	.title = "the server closes an idle kept-alive connection as the "
	    "client reuses it",
	.client_does = "sends a request, reads the whole response, keeps the "
	    "connection and sends the next request on it",
	.server_does = "answers, then closes the idle connection (its "
	    "keep-alive timeout)",
	.explain = "An HTTP/1.1 client keeps connections in a pool and sends "
	    "the next request without reading first; the server's idle "
	    "timeout closes the same connection at any moment. When the FIN "
	    "is already in the client's socket, the request is still "
	    "accepted (a FIN is only a half-close) and the server's kernel "
	    "answers RST: the client reads 0, an empty reply. When the "
	    "request reaches the server before its close(), the server "
	    "closes with unread input, which is an abort (RFC 2525 2.17): "
	    "RST, and the client's read fails ECONNRESET. The request may "
	    "or may not have been processed: only an idempotent one can be "
	    "retried blindly.",
	.avoid = "client: check a pooled connection for EOF (poll for "
	    "POLLIN/POLLRDHUP, or recv MSG_PEEK) before reusing it, and "
	    "retry an idempotent request once on a fresh connection after "
	    "an empty reply or a reset; keep the client's idle timeout "
	    "shorter than the server's. Server: send Connection: close or a "
	    "Keep-Alive timeout, and close idle connections with shutdown + "
	    "read rather than close() under a request",
	.variants = ka_variants,
	.client = ka_client,
	.server = ka_server,
	.check = ka_check,
	.max_ms = 10000,
};
