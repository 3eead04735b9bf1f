/* SPDX-License-Identifier: BSD-2-Clause */
/* check-server: every client misbehaviour against the user's server. */
#include <err.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "checkserver.h"
#include "clock.h"
#include "close.h"
#include "errbuf.h"
#include "httphead.h"
#include "report.h"
#include "sock.h"
#include "sockdiag.h"
#include "sockopt.h"
#include "stop.h"
#include "vanish.h"

#define PROBE_MS	5000	/* the liveness request's deadline */

enum cs_case {
	CS_VANISH, CS_RESET, CS_EXIT_UNREAD, CS_HALF_CLOSE, CS_SEND_AFTER_CLOSE,
	CS_IDLE, CS_MANY, CS_COUNT
};

static const struct report_case cs_defs[CS_COUNT] = {
	{ "vanish", "send half the request, then vanish: no FIN, no RST, "
	    "no ACK" },
	{ "reset", "send half the request, then abort: RST" },
	{ "exit-unread", "send the request, leave the reply unread, exit: "
	    "RST" },
	{ "half-close", "send the request, shutdown(SHUT_WR), wait for the "
	    "reply (nc -N)" },
	{ "send-after-close", "send the request, read to the server's EOF, "
	    "then send again" },
	{ "idle", "connect and send nothing" },
	{ "many", "--conns connections at once, a request on each" },
};

/* One connection to the server, and the 4-tuple of its other end. */
struct csconn {
	int fd;
	struct sockaddr_storage me, peer;
	bool tuple;
};

/* What the server sent on a connection. */
struct reply {
	uint64_t bytes;
	char head[HTTP_HEAD_MAX];
	size_t headlen;
	char tail[8];		/* the last bytes: a chunked body's end */
	enum outcome end;	/* OK while open; EOF, RESET, ... */
	bool complete;		/* a whole HTTP message */
};

/* How the server's end of the connection went. */
struct watch {
	bool local;		/* sock_diag found it when we started */
	int held;		/* its state at the deadline, 0 if let go */
	int64_t released_ms;	/* since the fault; -1: not within --wait */
};

int
checkserver_parse_cases(const char *list, uint64_t *mask, char *errbuf)
{
	return report_cases_parse(cs_defs, CS_COUNT, list, mask, errbuf);
}

void
checkserver_list(FILE *fp)
{
	report_cases_list(fp, "cases (client misbehaviours)", cs_defs,
	    CS_COUNT);
}

static int
cs_connect(const struct checkserver_opts *o, struct csconn *c, char *eb)
{
	socklen_t ml = sizeof(c->me), pl = sizeof(c->peer);
	struct sock_opts so = { .timeout_ms = PROBE_MS };
	enum outcome oc;

	memset(c, 0, sizeof(*c));
	c->fd = sock_connect(o->host, o->port, &so, &oc, eb);
	if (c->fd == -1)
		return -1;
	c->tuple = getsockname(c->fd, (struct sockaddr *)&c->me, &ml) == 0 &&
	    getpeername(c->fd, (struct sockaddr *)&c->peer, &pl) == 0;
	return 0;
}

/* The server's end: local = its address, remote = ours. */
static int
server_state(struct sockdiag *d, const struct csconn *c)
{
	char eb[ERRBUF_LEN];

	if (d == NULL || !c->tuple)
		return -1;
	return sockdiag_tcp_state(d, (const struct sockaddr *)&c->peer,
	    (const struct sockaddr *)&c->me, eb);
}

/* Still the server's: open both ways, or half-closed by us only. */
static bool
holding(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT ||
	    state == TCP_SYN_RECV;
}

/* Read what is there without blocking; track the end and HTTP framing. */
static void
read_reply(const struct checkserver_opts *o, int fd, struct reply *r)
{
	char buf[16384];

	while (r->end == OUTCOME_OK) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct http_head h;
		char eb[ERRBUF_LEN];
		size_t keep;

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			r->end = n == 0 ? OUTCOME_EOF :
			    outcome_from_errno(errno);
			return;
		}
		keep = (size_t)n < sizeof(r->head) - r->headlen ? (size_t)n :
		    sizeof(r->head) - r->headlen;
		memcpy(r->head + r->headlen, buf, keep);
		r->headlen += keep;
		r->bytes += (uint64_t)n;
		if ((size_t)n >= sizeof(r->tail)) {
			memcpy(r->tail, buf + n - sizeof(r->tail),
			    sizeof(r->tail));
		} else {
			memmove(r->tail, r->tail + n, sizeof(r->tail) -
			    (size_t)n);
			memcpy(r->tail + sizeof(r->tail) - n, buf, (size_t)n);
		}
		/* Without framing, the first bytes are the answer. */
		if (!o->http)
			r->complete = true;
		else if (http_head_scan(r->head, r->headlen, &h, eb) == 1)
			r->complete = h.chunked ? memcmp(r->tail + 3,
			    "0\r\n\r\n", 5) == 0 : h.content_length >= 0 &&
			    r->bytes >= h.len + (uint64_t)h.content_length;
	}
}

static bool
reply_done(const struct reply *r)
{
	return r->end != OUTCOME_OK || r->complete;
}

/*
 * From the fault at t0 until deadline: read what the server sends on fd
 * (-1: nothing to read) and watch its end of c through sock_diag until it
 * lets go of the connection and the reply is done.
 */
static void
watch(const struct checkserver_opts *o, struct sockdiag *d,
    const struct csconn *c, int fd, struct reply *r, int64_t t0,
    int64_t deadline, struct watch *w)
{
	int st = server_state(d, c);

	w->local = st > 0;
	w->held = st;
	w->released_ms = -1;
	for (;;) {
		int64_t now = clock_mono_ms();

		if (fd != -1)
			read_reply(o, fd, r);
		st = server_state(d, c);
		if (w->local && w->released_ms < 0 && !holding(st))
			w->released_ms = now - t0;
		w->held = holding(st) ? st : 0;
		/*
		 * A server that let go has sent its FIN or RST: read on to
		 * it, so that a complete reply and its end are both seen.
		 */
		if ((!w->local || w->released_ms >= 0) && (fd == -1 ||
		    (w->local ? r->end != OUTCOME_OK : reply_done(r))))
			return;
		if (now >= deadline || stop_requested() != 0)
			return;
		if (fd != -1 && r->end == OUTCOME_OK)
			sock_wait(fd, POLLIN, sock_deadline(10));
		else
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
}

static int
send_request(const struct checkserver_opts *o, int fd, size_t len)
{
	enum outcome oc;

	return sock_send_all(fd, o->request, len, &oc) == len ? 0 : -1;
}

/* Well-behaved: connect, send the request, read the reply. */
static bool
probe(const struct checkserver_opts *o, int64_t *ms, char *why, size_t wl)
{
	int64_t t0 = clock_mono_ms();
	struct reply *r = calloc(1, sizeof(*r));
	struct watch w;
	struct csconn c;
	char eb[ERRBUF_LEN];
	bool ok;

	if (r == NULL)
		errx(1, "out of memory");
	if (cs_connect(o, &c, eb) == -1) {
		snprintf(why, wl, "%s", eb);
		free(r);
		return false;
	}
	if (send_request(o, c.fd, o->request_len) == -1) {
		snprintf(why, wl, "send: %s", strerror(errno));
		close(c.fd);
		free(r);
		return false;
	}
	watch(o, NULL, &c, c.fd, r, t0, t0 + PROBE_MS, &w);
	*ms = clock_mono_ms() - t0;
	ok = r->bytes > 0 && (!o->http || r->complete);
	if (!ok)
		snprintf(why, wl, "%llu bytes, %s",
		    (unsigned long long)r->bytes,
		    r->end == OUTCOME_OK ? "no complete reply within 5 s" :
		    outcome_name(r->end));
	close(c.fd);
	free(r);
	return ok;
}

/* "200, 1234 bytes, eof" */
static void
describe_reply(const struct checkserver_opts *o, const struct reply *r,
    char *buf, size_t len)
{
	struct http_head h;
	char eb[ERRBUF_LEN], status[16] = "";

	if (o->http && http_head_scan(r->head, r->headlen, &h, eb) == 1 &&
	    h.response)
		snprintf(status, sizeof(status), "%d, ", h.status);
	if (r->bytes == 0)
		snprintf(buf, len, "nothing%s%s", r->end == OUTCOME_OK ? "" :
		    ", ", r->end == OUTCOME_OK ? "" : outcome_name(r->end));
	else
		snprintf(buf, len, "%s%llu bytes, %s", status,
		    (unsigned long long)r->bytes, r->end == OUTCOME_OK ?
		    (o->http && r->complete ? "complete" : "open") :
		    outcome_name(r->end));
}

static void
describe_release(const struct watch *w, int wait_ms, char *buf, size_t len)
{
	if (!w->local)
		snprintf(buf, len, "unknown (not a local socket)");
	else if (w->released_ms >= 0)
		snprintf(buf, len, "after %lld ms", (long long)w->released_ms);
	else
		snprintf(buf, len, "%s for %.1f s, still",
		    sockopt_state_name(w->held), wait_ms / 1000.0);
}

/* Open --conns connections, a request on each, and count the replies. */
static void
many(const struct checkserver_opts *o, char *buf, size_t len, bool *ok)
{
	int64_t t0 = clock_mono_ms(), deadline = t0 + o->wait_ms + PROBE_MS;
	struct csconn *c = calloc((size_t)o->conns, sizeof(*c));
	struct reply *r = calloc((size_t)o->conns, sizeof(*r));
	int answered = 0, failed = 0, refused = 0, pending;
	char eb[ERRBUF_LEN];

	if (c == NULL || r == NULL)
		errx(1, "out of memory");
	for (int i = 0; i < o->conns; i++) {
		if (cs_connect(o, &c[i], eb) == -1 ||
		    send_request(o, c[i].fd, o->request_len) == -1) {
			if (c[i].fd > 0)
				close(c[i].fd);
			c[i].fd = -1;
			refused++;
		}
	}
	do {
		pending = 0;
		for (int i = 0; i < o->conns; i++) {
			if (c[i].fd == -1 || reply_done(&r[i]))
				continue;
			read_reply(o, c[i].fd, &r[i]);
			pending += !reply_done(&r[i]);
		}
		if (pending > 0)
			nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	} while (pending > 0 && clock_mono_ms() < deadline &&
	    stop_requested() == 0);
	for (int i = 0; i < o->conns; i++) {
		if (c[i].fd == -1)
			continue;
		if (r[i].bytes > 0 && (!o->http || r[i].complete))
			answered++;
		else
			failed++;
		close(c[i].fd);
	}
	snprintf(buf, len, "%d of %d answered", answered, o->conns);
	if (refused > 0 || failed > 0)
		snprintf(buf + strlen(buf), len - strlen(buf),
		    " (%d not connected, %d unanswered)", refused, failed);
	*ok = answered == o->conns;
	free(c);
	free(r);
}

/* Wait until the RST that answers our data is here (or 1 s). */
static void
wait_reset(int fd)
{
	struct tcpinfo_snap ti;

	for (int i = 0; i < 200; i++) {
		if (sockopt_tcp_info(fd, &ti, NULL) == -1 ||
		    strcmp(ti.state, "CLOSE") == 0)
			return;
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
}

static json_t *
run_case(const struct checkserver_opts *o, struct sockdiag *d,
    enum cs_case k)
{
	int64_t started = clock_mono_ms(), t0, alive_ms = -1;
	struct reply *r = calloc(1, sizeof(*r));
	struct watch w = { .released_ms = -1 };
	struct close_report cr;
	struct csconn c;
	char eb[ERRBUF_LEN], sent[96] = "-", released[96] = "-", why[256] = "";
	char alive_s[32], extra[128] = "", summary[512];
	const char *verdict;
	bool alive, fault_ok = true, watched = true;
	json_t *row;

	if (r == NULL)
		errx(1, "out of memory");
	if (k == CS_MANY) {
		many(o, sent, sizeof(sent), &fault_ok);
		watched = false;
		goto live;
	}
	if (cs_connect(o, &c, eb) == -1) {
		/* It stopped taking connections: the row says so. */
		snprintf(sent, sizeof(sent), "not connected");
		watched = false;
		goto live;
	}
	switch (k) {
	case CS_VANISH:
		send_request(o, c.fd, o->request_len / 2);
		for (int i = 0; i < PROBE_MS && sockopt_outq(c.fd) > 0; i++)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		if (vanish_apply(VANISH_FILTER, c.fd, eb) == -1)
			errx(1, "vanish: %s", eb);
		t0 = clock_mono_ms();
		watch(o, d, &c, -1, r, t0, t0 + o->wait_ms, &w);
		/* Done watching: an RST frees the server's socket now. */
		close_abort(c.fd, &cr);
		break;
	case CS_RESET:
		send_request(o, c.fd, o->request_len / 2);
		t0 = clock_mono_ms();
		close_abort(c.fd, &cr);
		watch(o, d, &c, -1, r, t0, t0 + o->wait_ms, &w);
		break;
	case CS_EXIT_UNREAD:
		send_request(o, c.fd, o->request_len);
		sock_wait(c.fd, POLLIN, sock_deadline(o->wait_ms));
		r->bytes = (uint64_t)(sockopt_inq(c.fd) > 0 ?
		    sockopt_inq(c.fd) : 0);
		t0 = clock_mono_ms();
		/* What the kernel does at exit: close with input unread. */
		close_plain(c.fd, &cr);
		watch(o, d, &c, -1, r, t0, t0 + o->wait_ms, &w);
		snprintf(sent, sizeof(sent), "%llu bytes unread, we RST",
		    (unsigned long long)r->bytes);
		break;
	case CS_HALF_CLOSE:
		send_request(o, c.fd, o->request_len);
		shutdown(c.fd, SHUT_WR);
		t0 = clock_mono_ms();
		watch(o, d, &c, c.fd, r, t0, t0 + o->wait_ms, &w);
		close(c.fd);
		break;
	case CS_SEND_AFTER_CLOSE:
		send_request(o, c.fd, o->request_len);
		t0 = clock_mono_ms();
		watch(o, d, &c, c.fd, r, t0, t0 + o->wait_ms, &w);
		/* A complete reply is not enough here: read to its EOF. */
		while (r->end == OUTCOME_OK && clock_mono_ms() < t0 +
		    o->wait_ms && stop_requested() == 0) {
			sock_wait(c.fd, POLLIN, sock_deadline(10));
			read_reply(o, c.fd, r);
		}
		if (r->end == OUTCOME_EOF) {
			enum outcome o1 = OUTCOME_OK, o2 = OUTCOME_OK;

			sock_send_all(c.fd, o->request, o->request_len, &o1);
			wait_reset(c.fd);
			sock_send_all(c.fd, o->request, o->request_len, &o2);
			snprintf(extra, sizeof(extra), "; sends after its EOF: "
			    "%s, %s", outcome_name(o1), outcome_name(o2));
		} else {
			snprintf(extra, sizeof(extra), "; it never closed");
		}
		close(c.fd);
		break;
	case CS_IDLE:
	case CS_MANY:
	case CS_COUNT:
		t0 = clock_mono_ms();
		watch(o, d, &c, c.fd, r, t0, t0 + o->wait_ms, &w);
		close(c.fd);
		break;
	}
	if (k != CS_EXIT_UNREAD)
		describe_reply(o, r, sent, sizeof(sent));
	describe_release(&w, o->wait_ms, released, sizeof(released));
live:
	alive = probe(o, &alive_ms, why, sizeof(why));
	if (alive)
		snprintf(alive_s, sizeof(alive_s), "yes, %lld ms",
		    (long long)alive_ms);
	else
		snprintf(alive_s, sizeof(alive_s), "NO");
	if (!alive)
		verdict = "dead";
	else if (k == CS_MANY)
		verdict = fault_ok ? "ok" : "dropped";
	else if (!w.local)
		verdict = "ok";
	else if (w.released_ms >= 0)
		verdict = "released";
	else if (w.held == TCP_CLOSE_WAIT || k == CS_VANISH)
		verdict = "leak";
	else
		verdict = "held";
	snprintf(summary, sizeof(summary), "%s: sent %s; released %s%s; "
	    "alive %s%s%s", verdict, sent, released, extra, alive_s,
	    alive ? "" : ": ", why);
	row = json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:b,s:I,s:s}",
	    "case", cs_defs[k].name, "what", cs_defs[k].what,
	    "verdict", verdict, "pass", strcmp(verdict, "leak") != 0 &&
	    strcmp(verdict, "dead") != 0 && strcmp(verdict, "dropped") != 0,
	    "sent", sent, "released", released, "alive_text", alive_s,
	    "alive", alive, "duration_ms",
	    (json_int_t)(clock_mono_ms() - started), "summary", summary);
	if (row == NULL)
		errx(1, "out of memory");
	if (watched) {
		json_object_set_new(row, "reply_bytes",
		    json_integer((json_int_t)r->bytes));
		json_object_set_new(row, "released_ms", w.released_ms >= 0 ?
		    json_integer(w.released_ms) : json_null());
		json_object_set_new(row, "held_state", w.released_ms < 0 &&
		    w.local ? json_string(sockopt_state_name(w.held)) :
		    json_null());
	}
	if (*extra != '\0')
		json_object_set_new(row, "note", json_string(extra + 2));
	json_object_set_new(row, "alive_ms", alive ? json_integer(alive_ms) :
	    json_null());
	if (!alive)
		json_object_set_new(row, "alive_error", json_string(why));
	free(r);
	return row;
}

int
checkserver_run(const struct checkserver_opts *o)
{
	static const struct report_col cols[] = {
		{ "case", "CASE", 17 },
		{ "sent", "SERVER SENT", 26 },
		{ "released", "RELEASED", 29 },
		{ "alive_text", "ALIVE", 13 },
		{ "verdict", "VERDICT", 0 },
		{ NULL, NULL, 0 }
	};
	struct report *rp;
	struct sockdiag *d;
	char eb[ERRBUF_LEN], why[256];
	int64_t ms;

	/* Reach it first: a typo in the address is not a report. */
	if (!probe(o, &ms, why, sizeof(why)))
		errx(1, "%s:%s does not answer a well-behaved request: %s",
		    o->host, o->port, why);
	d = sockdiag_open(eb);
	if (d == NULL)
		warnx("%s: release times are not watched", eb);
	rp = report_new(stdout, "check-server", cols, o->json);
	if (rp == NULL)
		errx(1, "out of memory");
	for (int k = 0; k < CS_COUNT && stop_requested() == 0; k++) {
		if (!(o->cases & (1ull << k)))
			continue;
		if (report_row(rp, run_case(o, d, (enum cs_case)k)) == -1)
			err(1, "stdout");
	}
	sockdiag_close(d);
	return report_finish(rp, o->junit, "leaked a connection, dropped "
	    "requests or left the server dead");
}
