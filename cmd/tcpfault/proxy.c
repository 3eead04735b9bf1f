/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpfault proxy: relay a real client to a real server, inject one fault. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "buf.h"
#include "close.h"
#include "errbuf.h"
#include "numparse.h"
#include "sock.h"
#include "sockopt.h"
#include "modes.h"
#include "proxy.h"
#include "vanish.h"
#include "timeline.h"

enum fault_kind {
	FAULT_RESET,		/* abort both sides: RST */
	FAULT_VANISH,		/* both sides stop answering */
	FAULT_CLOSE,		/* close() both sides as a naive proxy would */
	FAULT_HALF_CLOSE,	/* FIN to the client, keep taking its data */
	FAULT_DELAY		/* every chunk forwarded MS later */
};

static const struct {
	const char *name;
	enum fault_kind kind;
	const char *what;
} faults[] = {
	{ "reset-after", FAULT_RESET, "RST both ways after BYTES relayed" },
	{ "vanish-after", FAULT_VANISH, "both sides stop answering after "
	    "BYTES (drop-all socket filters), for --hold seconds" },
	{ "close-after", FAULT_CLOSE, "close() both sides after BYTES" },
	{ "half-close-after", FAULT_HALF_CLOSE, "after BYTES: FIN to the "
	    "client, drop the server's data, keep forwarding the client's "
	    "until its EOF" },
	{ "delay", FAULT_DELAY, "forward every chunk MS milliseconds late" },
};

#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

struct fault {
	enum fault_kind kind;
	uint64_t after;		/* bytes relayed (both ways) before it */
	int delay_ms;
};

/* A chunk waiting for its delay. */
struct held {
	int64_t due_ms;
	size_t len;
};

struct dir {
	int from, to;
	struct buf *q;		/* read, not yet written */
	struct held *held;	/* delay: chunk boundaries in q */
	size_t nheld, capheld;
	uint64_t bytes;
	bool eof, shut;
	const char *name;	/* "c>s" / "s>c" */
};

static void
list_faults(FILE *fp)
{
	char name[64];

	fprintf(fp, "valid faults:\n");
	for (size_t i = 0; i < NFAULTS; i++) {
		snprintf(name, sizeof(name), "%s=%s", faults[i].name,
		    faults[i].kind == FAULT_DELAY ? "MS" : "BYTES");
		fprintf(fp, "  %-22s %s\n", name, faults[i].what);
	}
}

static int
parse_fault(const char *s, struct fault *f)
{
	const char *eq = strchr(s, '=');
	char errbuf[ERRBUF_LEN];
	int64_t ms;
	uint64_t v;

	if (eq == NULL)
		return -1;
	for (size_t i = 0; i < NFAULTS; i++) {
		if (strlen(faults[i].name) != (size_t)(eq - s) ||
		    strncmp(s, faults[i].name, (size_t)(eq - s)) != 0)
			continue;
		f->kind = faults[i].kind;
		if (f->kind == FAULT_DELAY) {
			if (num_parse_i64(eq + 1, 0, 600000, "--fault delay",
			    &ms, errbuf) == -1)
				errx(2, "%s", errbuf);
			f->delay_ms = (int)ms;
		} else {
			if (num_parse_size(eq + 1, 1ull << 50, "--fault",
			    &v, errbuf) == -1)
				errx(2, "%s", errbuf);
			f->after = v;
		}
		return 0;
	}
	return -1;
}

static void
fact_int(json_t *facts, const char *k, int64_t v)
{
	json_object_set_new(facts, k, json_integer(v));
}

static int
hold_push(struct dir *d, size_t len, int64_t due)
{
	if (d->nheld == d->capheld) {
		size_t n = d->capheld ? d->capheld * 2 : 64;
		struct held *h = realloc(d->held, n * sizeof(*h));

		if (h == NULL)
			return -1;
		d->held = h;
		d->capheld = n;
	}
	d->held[d->nheld++] = (struct held){ due, len };
	return 0;
}

/* Bytes of q that may be written now (all, or the due delayed chunks). */
static size_t
ready_bytes(const struct dir *d, int64_t now, const struct fault *f)
{
	size_t n = 0;

	if (f->kind != FAULT_DELAY)
		return buf_len(d->q);
	for (size_t i = 0; i < d->nheld && d->held[i].due_ms <= now; i++)
		n += d->held[i].len;
	return n;
}

static void
hold_consume(struct dir *d, size_t n)
{
	while (n > 0 && d->nheld > 0) {
		size_t take = n < d->held[0].len ? n : d->held[0].len;

		d->held[0].len -= take;
		n -= take;
		if (d->held[0].len == 0) {
			memmove(d->held, d->held + 1,
			    (d->nheld - 1) * sizeof(*d->held));
			d->nheld--;
		}
	}
}

struct relay {
	struct dir d[2];	/* 0: client to server, 1: server to client */
	const struct fault *f;
	struct timeline *tl;
	json_t *facts;
	int cfd, sfd;
	int hold_ms;
	bool faulted;
};

static uint64_t
relayed(const struct relay *r)
{
	return r->d[0].bytes + r->d[1].bytes;
}

static void
do_fault(struct relay *r)
{
	struct close_report rep;
	char errbuf[ERRBUF_LEN];

	r->faulted = true;
	fact_int(r->facts, "fault_at_bytes", (int64_t)relayed(r));
	switch (r->f->kind) {
	case FAULT_RESET:
		close_abort(r->cfd, &rep);
		close_abort(r->sfd, &rep);
		timeline_add(r->tl, "reset-both", (int64_t)relayed(r),
		    OUTCOME_OK, 0);
		r->cfd = r->sfd = -1;
		break;
	case FAULT_CLOSE:
		close_plain(r->cfd, &rep);
		timeline_add(r->tl, "close-client", (int64_t)rep.unread,
		    rep.outcome, rep.err);
		close_plain(r->sfd, &rep);
		timeline_add(r->tl, "close-server", (int64_t)rep.unread,
		    rep.outcome, rep.err);
		r->cfd = r->sfd = -1;
		break;
	case FAULT_HALF_CLOSE:
		shutdown(r->cfd, SHUT_WR);
		timeline_add(r->tl, "fin-to-client", (int64_t)relayed(r),
		    OUTCOME_OK, 0);
		break;
	case FAULT_VANISH:
		if (vanish_apply(VANISH_FILTER, r->cfd, errbuf) == -1 ||
		    vanish_apply(VANISH_FILTER, r->sfd, errbuf) == -1) {
			timeline_add(r->tl, "vanish", -1,
			    outcome_from_errno(errno), errno);
			warnx("%s", errbuf);
		} else {
			timeline_add(r->tl, "vanish", (int64_t)relayed(r),
			    OUTCOME_OK, 0);
		}
		mode_sleep_until(clock_mono_ms() + r->hold_ms);
		timeline_add(r->tl, "hold-ended", -1, mode_stop ?
		    OUTCOME_INTERRUPTED : OUTCOME_OK, 0);
		close_abort(r->cfd, &rep);
		close_abort(r->sfd, &rep);
		r->cfd = r->sfd = -1;
		break;
	case FAULT_DELAY:
		break;
	}
}

/* Bytes queued in both directions, not yet written. */
static uint64_t
queued(const struct relay *r)
{
	return buf_len(r->d[0].q) + buf_len(r->d[1].q);
}

/*
 * Read once from d->from into its queue, cut so that the fault fires at
 * exactly its byte count. Returns -1 when the relay must end.
 */
static int
relay_read(struct relay *r, struct dir *d, uint8_t *chunk, size_t len,
    int64_t now)
{
	ssize_t got = recv(d->from, chunk, len, MSG_DONTWAIT);

	if (got == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (got <= 0) {
		timeline_add(r->tl, d->name, (int64_t)d->bytes, got == 0 ?
		    OUTCOME_EOF : outcome_from_errno(errno),
		    got == 0 ? 0 : errno);
		d->eof = true;
		return got == 0 ? 0 : -1;
	}
	/* After a half-close the server's data is dropped, not queued. */
	if (r->faulted && d == &r->d[1])
		return 0;
	if (r->f->kind != FAULT_DELAY && !r->faulted &&
	    relayed(r) + queued(r) + (uint64_t)got > r->f->after)
		got = (ssize_t)(r->f->after - (relayed(r) + queued(r)));
	if (buf_append(d->q, chunk, (size_t)got) == -1)
		return -1;
	if (r->f->kind == FAULT_DELAY &&
	    hold_push(d, (size_t)got, now + r->f->delay_ms) == -1)
		return -1;
	return 0;
}

/* Write what is due from d's queue. Returns -1 when the relay must end. */
static int
relay_write(struct relay *r, struct dir *d, int64_t now)
{
	size_t want = ready_bytes(d, now, r->f);
	ssize_t w = send(d->to, buf_data(d->q), want,
	    MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (w == -1) {
		timeline_add(r->tl, d->name, (int64_t)d->bytes,
		    outcome_from_errno(errno), errno);
		return -1;
	}
	buf_consume(d->q, (size_t)w);
	hold_consume(d, (size_t)w);
	d->bytes += (uint64_t)w;
	return 0;
}

/* Copy both ways until both EOFs, an error or the fault. */
static void
relay_loop(struct relay *r)
{
	uint8_t chunk[65536];

	while (r->cfd != -1 && !mode_stop) {
		struct pollfd pfd[4];
		int what[4], n = 0, timeout = -1;
		int64_t now = clock_mono_ms();

		for (int i = 0; i < 2; i++) {
			struct dir *d = &r->d[i];

			/* Bounded queues: stop reading a fast side. */
			if (!d->eof && buf_len(d->q) < (1u << 20)) {
				pfd[n] = (struct pollfd){ d->from, POLLIN, 0 };
				what[n++] = i;
			}
			if (!d->shut && ready_bytes(d, now, r->f) > 0) {
				pfd[n] = (struct pollfd){ d->to, POLLOUT, 0 };
				what[n++] = 2 + i;
			}
			if (r->f->kind == FAULT_DELAY && d->nheld > 0 &&
			    d->held[0].due_ms > now) {
				int ms = (int)(d->held[0].due_ms - now);

				if (timeout == -1 || ms < timeout)
					timeout = ms;
			}
		}
		if (n == 0 && timeout == -1)
			return;
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		now = clock_mono_ms();
		for (int k = 0; k < n; k++) {
			struct dir *d = &r->d[what[k] % 2];
			int rc;

			if (pfd[k].revents == 0)
				continue;
			rc = what[k] < 2 ?
			    relay_read(r, d, chunk, sizeof(chunk), now) :
			    relay_write(r, d, now);
			if (rc == -1)
				return;
		}
		/* Propagate a half-close once its queue is empty. */
		for (int i = 0; i < 2; i++) {
			struct dir *d = &r->d[i];

			if (d->eof && !d->shut && buf_len(d->q) == 0) {
				shutdown(d->to, SHUT_WR);
				d->shut = true;
			}
		}
		if (r->f->kind != FAULT_DELAY && !r->faulted &&
		    relayed(r) >= r->f->after) {
			do_fault(r);
			if (r->f->kind != FAULT_HALF_CLOSE)
				return;
			/* Drop what the server says from now on. */
			r->d[1].shut = true;
			buf_consume(r->d[1].q, buf_len(r->d[1].q));
		}
		if (r->d[0].shut && r->d[1].shut && r->d[0].eof &&
		    (r->d[1].eof || r->faulted))
			return;
	}
}

static int
proxy_one(int cfd, const char *thost, const char *tport,
    const struct fault *f, int hold_ms, bool json)
{
	char errbuf[ERRBUF_LEN], name[ADDR_STRLEN];
	struct close_report rep;
	struct relay r;
	enum outcome o;
	int status = 0;

	memset(&r, 0, sizeof(r));
	r.f = f;
	r.hold_ms = hold_ms;
	r.cfd = cfd;
	r.tl = timeline_new("proxy", 0);
	r.facts = json_object();
	timeline_add(r.tl, "accept", -1, OUTCOME_OK, 0);
	json_object_set_new(r.facts, "client", json_string(sock_peer_str(cfd,
	    name, sizeof(name))));
	r.sfd = sock_connect(thost, tport, NULL, &o, errbuf);
	timeline_add(r.tl, "connect-target", -1, r.sfd == -1 ? o : OUTCOME_OK,
	    r.sfd == -1 ? errno : 0);
	if (r.sfd == -1) {
		close_abort(cfd, &rep);
		status = 1;
	} else {
		r.d[0] = (struct dir){ .from = cfd, .to = r.sfd,
		    .q = buf_new(65536), .name = "client>server" };
		r.d[1] = (struct dir){ .from = r.sfd, .to = cfd,
		    .q = buf_new(65536), .name = "server>client" };
		relay_loop(&r);
		fact_int(r.facts, "client_to_server", (int64_t)r.d[0].bytes);
		fact_int(r.facts, "server_to_client", (int64_t)r.d[1].bytes);
		if (r.cfd != -1) {
			close_graceful(r.cfd, NULL, 0, 5000, NULL, NULL, &rep);
			timeline_add(r.tl, "close-client", -1, rep.outcome,
			    rep.err);
		}
		if (r.sfd != -1) {
			close_graceful(r.sfd, NULL, 0, 5000, NULL, NULL, &rep);
			timeline_add(r.tl, "close-server", -1, rep.outcome,
			    rep.err);
		}
		for (int i = 0; i < 2; i++) {
			buf_free(r.d[i].q);
			free(r.d[i].held);
		}
	}
	/* r.facts always holds "client", so text mode prints its line. */
	mode_report(json_pack("{s:s}", "mode", "proxy"), r.tl, r.facts,
	    status != 0 ? errbuf : NULL, json);
	if (status != 0)
		warnx("connect to target %s port %s: %s", thost, tport,
		    errbuf);
	timeline_free(r.tl);
	json_decref(r.facts);
	return status;
}

int
proxy_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "target", required_argument, NULL, 't' },
		{ "fault", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "hold", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	char lhost[256], lport[32], thost[256], tport[32];
	char errbuf[ERRBUF_LEN];
	const char *listen_at = NULL, *target = NULL, *fault = NULL;
	struct fault f = { 0 };
	int count = 0, hold_ms = 60000, ch, lfd, rc = 0;
	bool json = false;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			listen_at = optarg;
			break;
		case 't':
			target = optarg;
			break;
		case 'f':
			fault = optarg;
			break;
		case 'n':
			count = mode_opt_count(optarg);
			break;
		case 'H':
			hold_ms = mode_opt_ms(optarg, "--hold");
			break;
		case 'j':
			json = true;
			break;
		default:
			fprintf(stderr, "usage: tcpfault proxy --listen "
			    "[HOST:]PORT --target HOST:PORT --fault FAULT "
			    "[--count N] [--hold SECS] [--json]\n");
			exit(2);
		}
	}
	if (optind != argc)
		errx(2, "proxy: unexpected argument '%s'", argv[optind]);
	if (listen_at == NULL || target == NULL || fault == NULL)
		errx(2, "proxy: --listen, --target and --fault are required");
	if (parse_fault(fault, &f) == -1) {
		warnx("unknown fault '%s'", fault);
		list_faults(stderr);
		exit(2);
	}
	mode_listen_split(listen_at, lhost, sizeof(lhost), lport,
	    sizeof(lport));
	if (addr_split(target, thost, sizeof(thost), tport, sizeof(tport),
	    errbuf) == -1)
		errx(2, "--target: %s", errbuf);
	mode_catch_stop();
	lfd = sock_listen(lhost, lport, NULL, errbuf);
	if (lfd == -1)
		errx(1, "%s", errbuf);
	fprintf(stderr, "tcpfault: proxy listening on %s:%u, target %s, "
	    "fault %s\n", lhost, sock_local_port(lfd), target, fault);
	for (int i = 0; (count == 0 || i < count) && !mode_stop; i++) {
		enum outcome o;
		int cfd = sock_accept(lfd, 0, &o, errbuf);

		if (cfd == -1) {
			if (!mode_stop)
				warnx("%s", errbuf);
			rc = mode_stop ? 0 : 1;
			break;
		}
		rc = proxy_one(cfd, thost, tport, &f, hold_ms, json);
		if (rc != 0)
			break;
	}
	close(lfd);
	return rc;
}
