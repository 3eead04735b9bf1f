/* SPDX-License-Identifier: BSD-2-Clause */
/* The extras: the same misunderstandings, in the shapes people meet them. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "cases.h"
#include "check.h"
#include "clock.h"
#include "errbuf.h"
#include "evloop.h"
#include "run.h"
#include "side.h"
#include "sock.h"
#include "sockopt.h"

/* ---- newbie-close ---------------------------------------------------- */

static void
newbie_client(struct case_side *s)
{
	side_connect(s);
	/* A request and a second, pipelined one the server never reads. */
	player_send_once(side_player(s), REQUEST_BYTES, 0);
	player_send_once(side_player(s), REQUEST_BYTES, 0);
	if (side_is(s, "close"))
		side_wait(s, "closed");
	side_read_to_end_close(s, true);
}

static void
newbie_server(struct case_side *s)
{
	side_accept(s);
	side_bufsizes(s, BIG_SNDBUF, 0);
	player_recv_exact(side_player(s), REQUEST_BYTES);
	side_wait_inq(s, REQUEST_BYTES);	/* the second one, unread */
	player_send_until_full(side_player(s), STREAM_BYTES);	/* "the file" */
	if (side_is(s, "close")) {
		side_wait_outq_stable(s);
		side_close_plain(s);
		side_signal(s, "closed");
	} else {
		side_close_graceful(s);
	}
}

static void
newbie_check(struct check *ck)
{
	int64_t sent = ck_sum(ck, ROLE_SERVER, "send", "ok");
	int64_t got = ck_sum(ck, ROLE_CLIENT, "recv", "ok");

	ck_expect(ck, sent == STREAM_BYTES, "server: its sends took %lld of "
	    "%u bytes", (long long)sent, STREAM_BYTES);
	ck_pattern_intact(ck, ROLE_CLIENT);
	if (ck_variant(ck, "close")) {
		ck_unread_at_close(ck, ROLE_SERVER, REQUEST_BYTES);
		ck_expect(ck, got < sent, "client: got all %lld bytes; "
		    "expected the tail to be lost", (long long)got);
		ck_reads_end(ck, ROLE_CLIENT, "reset", NULL);
		ck_wire(ck, "rst", "server");
		return;
	}
	ck_reads_all_eof(ck, ROLE_CLIENT, NULL);
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "close_drained", 0) ==
	    REQUEST_BYTES, "server: the graceful close drained %lld bytes, "
	    "expected the unread %u", (long long)ck_fact_int(ck, ROLE_SERVER,
	    "close_drained", 0), REQUEST_BYTES);
	ck_wire(ck, "fin", "server");
}

const struct case_play play_newbie = {
	.client = newbie_client, .server = newbie_server, .check = newbie_check,
};

/* ---- self-connect ---------------------------------------------------- */

static void
selfconn_client(struct case_side *s)
{
	char port[16], errbuf[ERRBUF_LEN];
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(SELFCONN_PORT) };
	enum outcome o;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(port, sizeof(port), "%d", SELFCONN_PORT);
	for (int attempt = 0; attempt < 64; attempt++) {
		int fd;

		if (side_is(s, "detected")) {
			fd = sock_connect("127.0.0.1", port, NULL, &o, errbuf);
			side_event(s, "connect", -1, fd == -1 ? o : OUTCOME_OK,
			    fd == -1 && o != OUTCOME_SELF_CONNECT ? errno : 0);
			if (fd == -1 && o == OUTCOME_REFUSED)
				continue;
			if (fd == -1 && o == OUTCOME_SELF_CONNECT)
				return;
			if (fd == -1)
				side_fail(s, "%s", errbuf);
			side_adopt_fd(s, fd);
			side_fail(s, "sock_connect returned a connection");
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			side_errx(s, "socket");
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			side_event(s, "connect", -1, outcome_from_errno(errno),
			    errno);
			close(fd);
			if (errno == ECONNREFUSED)
				continue;
			side_errx(s, "connect");
		}
		side_event(s, "connect", -1, OUTCOME_OK, 0);
		side_adopt_fd(s, fd);
		side_fact_int(s, "self_connect", sock_is_self_connect(fd));
		/* What it sends, it reads back: it talks to itself. */
		player_send_once(side_player(s), 4, 0);
		player_recv_once(side_player(s), 64, 2000, &o);
		side_close_plain(s);
		return;
	}
	side_fail(s, "no self-connection after 64 attempts");
}

/* Does the wire's connection carry this note? */
static bool
wire_note(json_t *w, const char *note)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(w, "notes"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), note)
		    == 0)
			return true;
	return false;
}

static void
selfconn_check(struct check *ck)
{
	int refused = ck_count(ck, ROLE_CLIENT, "connect", "refused");
	json_t *last = ck_event(ck, ROLE_CLIENT, "connect", -1);

	if (ck_variant(ck, "naive")) {
		json_t *rd = ck_event(ck, ROLE_CLIENT, "recv", 0);

		ck_expect(ck, last != NULL && strcmp(ck_outcome(last), "ok")
		    == 0, "client: connect never succeeded");
		ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT, "self_connect", 0)
		    == 1, "client: the connection is not to itself");
		ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT, "local_port", 0) ==
		    SELFCONN_PORT, "client: local port %lld, expected %d",
		    (long long)ck_fact_int(ck, ROLE_CLIENT, "local_port", 0),
		    SELFCONN_PORT);
		ck_expect(ck, rd != NULL && ck_bytes(rd) == 4, "client: did "
		    "not read back its own 4 bytes");
	} else {
		ck_expect(ck, last != NULL && strcmp(ck_outcome(last),
		    "self-connect") == 0, "client: sock_connect ended %s, "
		    "expected self-connect",
		    last != NULL ? ck_outcome(last) : "never");
	}
	if (ck_have_wire(ck)) {
		json_t *w = ck->wire->json;

		ck_expect(ck, ck->wire->refused == refused, "wire: %d refused "
		    "connections, the client saw %d", ck->wire->refused,
		    refused);
		ck_expect(ck, w != NULL && json_integer_value(json_object_get(w,
		    "orig_p")) == SELFCONN_PORT && json_integer_value(
		    json_object_get(w, "resp_p")) == SELFCONN_PORT,
		    "wire: no connection from port %d to itself",
		    SELFCONN_PORT);
		if (w == NULL)
			return;
		/*
		 * The socket closes (close(), or sock_connect on finding
		 * itself): its one FIN is sent and received by itself.
		 */
		ck_wire_fin_acked(ck, ROLE_CLIENT);
		ck_expect(ck, wire_note(w, "self-connect"), "wire: no "
		    "self-connect note");
		ck_expect(ck, ck->wire->client.fins == 1 &&
		    ck->wire->client.rsts == 0, "wire: the socket sent %u "
		    "FINs and %u RSTs, expected 1 FIN", ck->wire->client.fins,
		    ck->wire->client.rsts);
		ck_expect(ck, json_integer_value(json_object_get(w,
		    "orig_bytes")) == (ck_variant(ck, "naive") ? 4 : 0),
		    "wire: orig_bytes %lld, expected %d",
		    (long long)json_integer_value(json_object_get(w,
		    "orig_bytes")), ck_variant(ck, "naive") ? 4 : 0);
	}
}

const struct case_play play_selfconn = {
	.client = selfconn_client, .server = NULL, .check = selfconn_check,
};

/* ---- nagle ----------------------------------------------------------- */

#define NAGLE_ROUNDS	20
#define NAGLE_PART	100u
/* Nagle meets the delayed ACK: at least half its 40 ms minimum a round. */
#define NAGLE_MIN_US	20000
/* TCP_NODELAY's median is at most this fraction of Nagle's. */
#define NAGLE_RATIO	5

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * NAGLE_ROUNDS write-write-read rounds, one send and one recv event for
 * all; the count and the latencies become facts named with prefix.
 */
static void
nagle_rounds(struct case_side *s, const char *prefix)
{
	int64_t lat[NAGLE_ROUNDS];
	char buf[NAGLE_PART], key[64];
	enum outcome o = OUTCOME_OK;
	int fd = side_fd(s);

	memset(buf, 'q', sizeof(buf));
	/* Timed without recording each call: recording costs microseconds. */
	for (int i = 0; i < NAGLE_ROUNDS; i++) {
		int64_t t0 = (int64_t)clock_mono_us();

		if (sock_send_all(fd, buf, NAGLE_PART, &o) != NAGLE_PART ||
		    sock_send_all(fd, buf, NAGLE_PART, &o) != NAGLE_PART ||
		    sock_recv_all(fd, buf, NAGLE_PART, &o) != NAGLE_PART)
			side_fail(s, "request %d: %s", i, outcome_name(o));
		lat[i] = (int64_t)clock_mono_us() - t0;
	}
	side_event(s, "send", 2 * NAGLE_PART * NAGLE_ROUNDS, OUTCOME_OK, 0);
	side_event(s, "recv", NAGLE_PART * NAGLE_ROUNDS, OUTCOME_OK, 0);
	qsort(lat, NAGLE_ROUNDS, sizeof(lat[0]), cmp_i64);
	snprintf(key, sizeof(key), "%srounds", prefix);
	side_fact_int(s, key, NAGLE_ROUNDS);
	snprintf(key, sizeof(key), "%slatency_us_min", prefix);
	side_fact_int(s, key, lat[0]);
	snprintf(key, sizeof(key), "%slatency_us_median", prefix);
	side_fact_int(s, key, lat[NAGLE_ROUNDS / 2]);
	snprintf(key, sizeof(key), "%slatency_us_max", prefix);
	side_fact_int(s, key, lat[NAGLE_ROUNDS - 1]);
}

static void
nagle_client(struct case_side *s)
{
	side_connect(s);
	if (side_is(s, "nodelay")) {
		/*
		 * What TCP_NODELAY saves is judged against Nagle on the same
		 * connection and machine, not against a fixed time that a
		 * loaded machine (or a sanitizer) can miss.
		 */
		nagle_rounds(s, "reference_");
		side_setsockopt_int(s, IPPROTO_TCP, TCP_NODELAY, 1,
		    "TCP_NODELAY");
	}
	nagle_rounds(s, "");
	side_close_graceful(s);
}

static void
nagle_server(struct case_side *s)
{
	char req[2 * NAGLE_PART], rsp[NAGLE_PART];
	uint64_t in = 0, out = 0;
	enum outcome o;
	int fd;

	side_accept(s);
	fd = side_fd(s);
	memset(rsp, 'r', sizeof(rsp));
	for (;;) {
		size_t n = sock_recv_all(fd, req, sizeof(req), &o);

		in += n;
		if (n != sizeof(req))
			break;
		if (sock_send_all(fd, rsp, sizeof(rsp), &o) != sizeof(rsp))
			break;
		out += sizeof(rsp);
	}
	side_event(s, "recv", (int64_t)in, OUTCOME_OK, 0);
	side_event(s, "recv", 0, o, 0);
	side_event(s, "send", (int64_t)out, OUTCOME_OK, 0);
	side_close_plain(s);
}

static void
nagle_check(struct check *ck)
{
	int64_t med = ck_fact_int(ck, ROLE_CLIENT, "latency_us_median", -1);
	int64_t ref = ck_fact_int(ck, ROLE_CLIENT,
	    "reference_latency_us_median", -1);

	ck_expect(ck, med >= 0, "client: no latency measured");
	if (ck_variant(ck, "nagle")) {
		ck_expect(ck, med >= NAGLE_MIN_US, "client: median "
		    "write-write-read %lld us, expected at least %d ms (Nagle "
		    "waits for the delayed ACK)", (long long)med,
		    NAGLE_MIN_US / 1000);
	} else {
		ck_expect(ck, ref >= NAGLE_MIN_US, "client: median of the "
		    "Nagle reference %lld us, expected at least %d ms: nothing "
		    "to compare TCP_NODELAY with", (long long)ref,
		    NAGLE_MIN_US / 1000);
		ck_expect(ck, med >= 0 && med * NAGLE_RATIO <= ref, "client: "
		    "median write-write-read %lld us with TCP_NODELAY, "
		    "expected at most 1/%d of Nagle's %lld us",
		    (long long)med, NAGLE_RATIO, (long long)ref);
	}
	ck_wire(ck, "fin", "client");
}

const struct case_play play_nagle = {
	.client = nagle_client, .server = nagle_server, .check = nagle_check,
};

/* ---- echo-deadlock --------------------------------------------------- */

#define ECHO_REQUEST	(20u << 20)

/*
 * Fixed buffers: with autotuning (tcp_rmem's maximum can be 32 MiB) the
 * queues alone could swallow most of the 20 MiB and hide the deadlock.
 */
#define ECHO_BUF	(128 * 1024)

static void
echo_client(struct case_side *s)
{
	side_connect(s);
	side_bufsizes(s, ECHO_BUF, ECHO_BUF);
	side_wait(s, "ready");
	side_signal(s, "sending");
	/* Blocking: writes all 20 MiB before reading any echo. */
	player_send_stream(side_player(s), ECHO_REQUEST);
	side_fail(s, "the 20 MiB send finished: no deadlock");
}

static void
echo_server(struct case_side *s)
{
	side_accept(s);
	side_bufsizes(s, ECHO_BUF, ECHO_BUF);
	side_signal(s, "ready");
	/* Recorded first: the runner kills this side inside the loop. */
	side_event(s, "echo", -1, OUTCOME_OK, 0);
	side_echo(s);
	side_fail(s, "the echo loop ended: no deadlock");
}

static void
echo_hook(struct run *r, enum case_role from, const char *token)
{
	if (from == ROLE_CLIENT && strcmp(token, "sending") == 0)
		run_watch_deadlock(r);
}

static void
echo_check(struct check *ck)
{
	static const char *const q[] = { "stuck_send_queue",
	    "stuck_recv_queue" };

	for (int i = 0; i < ROLE_COUNT; i++)
		ck_expect(ck, ck_fact_int(ck, (enum case_role)i,
		    "inspect_errno", 0) == 0, "could not borrow the %s's "
		    "socket to read its queues (pidfd_getfd: %s)",
		    role_name((enum case_role)i),
		    strerror((int)ck_fact_int(ck, (enum case_role)i,
		    "inspect_errno", 0)));
	ck_expect(ck, ck_fact_int(ck, ROLE_CLIENT, "stuck", 0) == 1,
	    "the queues kept moving: no deadlock");
	for (int i = 0; i < ROLE_COUNT; i++)
		for (int k = 0; k < 2; k++)
			ck_expect(ck, ck_fact_int(ck, (enum case_role)i, q[k],
			    0) > 0, "%s: %s is empty, expected full",
			    role_name((enum case_role)i), q[k]);
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "bytes_received", 0) <
	    ECHO_REQUEST, "server: received the whole request");
	ck_expect(ck, ck_event(ck, ROLE_CLIENT, "killed", 0) != NULL &&
	    ck_event(ck, ROLE_SERVER, "killed", 0) != NULL,
	    "both sides should have been stuck until killed");
	ck_wire(ck, "rst", "client");
}

const struct case_play play_echo = {
	.client = echo_client, .server = echo_server, .check = echo_check,
	.hook = echo_hook,
};

/* ---- sockbuf --------------------------------------------------------- */

static const int sockbuf_requests[] = { 1024, 65536, 1 << 20, 1 << 30 };

static int64_t
read_sysctl(const char *path)
{
	FILE *fp = fopen(path, "r");
	long long v = -1;

	if (fp != NULL) {
		if (fscanf(fp, "%lld", &v) != 1)
			v = -1;
		fclose(fp);
	}
	return v;
}

static void
sockbuf_client(struct case_side *s)
{
	static const struct { int opt; const char *set, *get; } o[] = {
		{ SO_SNDBUF, "set-sndbuf", "get-sndbuf" },
		{ SO_RCVBUF, "set-rcvbuf", "get-rcvbuf" },
	};

	side_connect(s);
	side_fact_int(s, "wmem_max", read_sysctl("/proc/sys/net/core/"
	    "wmem_max"));
	side_fact_int(s, "rmem_max", read_sysctl("/proc/sys/net/core/"
	    "rmem_max"));
	for (size_t k = 0; k < 2; k++) {
		int v = 0;
		socklen_t len = sizeof(v);

		getsockopt(side_fd(s), SOL_SOCKET, o[k].opt, &v, &len);
		side_event(s, o[k].get, v, OUTCOME_OK, 0);
		for (size_t i = 0; i < sizeof(sockbuf_requests) /
		    sizeof(sockbuf_requests[0]); i++) {
			int req = sockbuf_requests[i], rc;

			rc = setsockopt(side_fd(s), SOL_SOCKET, o[k].opt, &req,
			    sizeof(req));
			side_event_rc(s, o[k].set, req, rc);
			len = sizeof(v);
			getsockopt(side_fd(s), SOL_SOCKET, o[k].opt, &v, &len);
			side_event(s, o[k].get, v, OUTCOME_OK, 0);
		}
	}
	side_close_plain(s);
}

static void
sockbuf_server(struct case_side *s)
{
	side_accept(s);
	side_read_to_end_close(s, false);
}

static void
sockbuf_check(struct check *ck)
{
	static const char *const names[] = { "sndbuf", "rcvbuf" };
	static const char *const maxes[] = { "wmem_max", "rmem_max" };

	for (int k = 0; k < 2; k++) {
		int64_t max = ck_fact_int(ck, ROLE_CLIENT, maxes[k], -1);
		char set[16], get[16];

		snprintf(set, sizeof(set), "set-%s", names[k]);
		snprintf(get, sizeof(get), "get-%s", names[k]);
		for (int i = 0; i < 4; i++) {
			json_t *rq = ck_event(ck, ROLE_CLIENT, set, i);
			json_t *ef = ck_event(ck, ROLE_CLIENT, get, i + 1);
			int64_t req, eff, want;

			if (rq == NULL || ef == NULL) {
				ck_expect(ck, false, "client: %s %d missing",
				    names[k], i);
				continue;
			}
			req = ck_bytes(rq);
			eff = ck_bytes(ef);
			if (req < 4096) {
				/* Clamped up to the kernel's minimum. */
				ck_expect(ck, eff >= 2 * req, "%s: asked %lld, "
				    "got %lld, expected at least double",
				    names[k], (long long)req, (long long)eff);
				continue;
			}
			want = 2 * (max >= 0 && req > max ? max : req);
			ck_expect(ck, eff == want, "%s: asked %lld, got %lld, "
			    "expected %lld (doubled%s)", names[k],
			    (long long)req, (long long)eff, (long long)want,
			    req > max ? ", clamped to the max" : "");
		}
	}
	ck_wire(ck, "fin", "client");
}

const struct case_play play_sockbuf = {
	.client = sockbuf_client, .server = sockbuf_server,
	.check = sockbuf_check,
};

/* ---- shut-rd --------------------------------------------------------- */

static void
shutrd_server(struct case_side *s)
{
	enum outcome o;

	side_accept(s);
	side_mark_time(s, "mark_real_us");
	side_event_rc(s, "shutdown-rd", -1, shutdown(side_fd(s), SHUT_RD));
	/* The queue is empty: returns 0. */
	player_recv_once(side_player(s), 4096, 1000, &o);
	side_signal(s, "shut");
	side_wait(s, "sent");
	side_fact_int(s, "inq_after_shut_rd", sockopt_inq(side_fd(s)));
	side_recv_to_end(s, 0, true, NULL);
	player_send_once(side_player(s), 100, 0);
	side_close_plain(s);
}

static void
shutrd_client(struct case_side *s)
{
	side_connect(s);
	side_wait(s, "shut");
	player_send_once(side_player(s), 4096, 0);
	side_wait_outq_zero(s);		/* accepted and acknowledged */
	side_signal(s, "sent");
	side_read_to_end_close(s, false);
}

static void
shutrd_check(struct check *ck)
{
	json_t *first = ck_event(ck, ROLE_SERVER, "recv", 0);
	json_t *reply = ck_event(ck, ROLE_SERVER, "send", 0);

	ck_expect(ck, first != NULL && strcmp(ck_outcome(first), "eof") == 0,
	    "server: recv after SHUT_RD ended %s, expected eof at once",
	    first != NULL ? ck_outcome(first) : "never");
	ck_expect(ck, ck_fact_int(ck, ROLE_SERVER, "inq_after_shut_rd", 0) ==
	    4096, "server: %lld bytes queued after SHUT_RD, expected 4096",
	    (long long)ck_fact_int(ck, ROLE_SERVER, "inq_after_shut_rd", 0));
	ck_expect(ck, ck_sum(ck, ROLE_SERVER, "recv", "ok") == 4096,
	    "server: read %lld of the client's 4096 later bytes",
	    (long long)ck_sum(ck, ROLE_SERVER, "recv", "ok"));
	ck_expect(ck, reply != NULL && strcmp(ck_outcome(reply), "ok") == 0,
	    "server: could not send after SHUT_RD");
	ck_expect(ck, ck_sum(ck, ROLE_CLIENT, "recv", "ok") == 100,
	    "client: read %lld bytes of the 100-byte reply",
	    (long long)ck_sum(ck, ROLE_CLIENT, "recv", "ok"));
	if (ck_have_wire(ck))
		ck_expect(ck, ck->wire->server_before_client_data == 0,
		    "wire: the server sent %u segments on SHUT_RD",
		    ck->wire->server_before_client_data);
	ck_wire(ck, "fin", "server");
}

const struct case_play play_shutrd = {
	.client = shutrd_client, .server = shutrd_server, .check = shutrd_check,
};
