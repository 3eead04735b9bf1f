/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpfault proxy: a real client to a real server on common/relay, one fault. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "close.h"
#include "errbuf.h"
#include "numparse.h"
#include "relay.h"
#include "sock.h"
#include "sockopt.h"
#include "stop.h"
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

struct proxy {
	const struct fault *f;
	struct timeline *tl;
	json_t *facts;
	int cfd, sfd;
	int hold_ms;
	bool faulted;
	pthread_mutex_t mu;	/* the two directions' counts */
	uint64_t taken;		/* read from both sides, to be relayed */
	uint64_t bytes[2];	/* relayed: 0 client to server, 1 back */
};

static const char *const dir_name[2] = { "client>server", "server>client" };

static uint64_t
relayed(struct proxy *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->mu);
	n = r->bytes[0] + r->bytes[1];
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void
do_fault(struct proxy *r)
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

/*
 * The relay's read limit: before the fault, never read past its byte
 * count, so that it fires at exactly that byte (what is left stays in
 * the kernel, where close() and RST see it).
 */
static size_t
proxy_read_limit(struct relay_pair *p, int from, void *arg)
{
	struct proxy *r = arg;
	size_t n = SIZE_MAX;

	(void)p;
	(void)from;
	pthread_mutex_lock(&r->mu);
	if (r->f->kind != FAULT_DELAY && !r->faulted)
		n = r->taken < r->f->after ? r->f->after - r->taken : 0;
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* The relay's chunk hook: count, delay, and stop where the fault fires. */
static void
proxy_chunk(const struct relay_chunk *c, struct relay_verdict *v, void *arg)
{
	struct proxy *r = arg;

	pthread_mutex_lock(&r->mu);
	if (r->faulted && c->from == 1) {
		/* After a half-close the server's data is dropped. */
		v->pass = 0;
	} else if (r->f->kind == FAULT_DELAY) {
		v->delay_ms = r->f->delay_ms;
	} else if (!r->faulted) {
		if (r->taken + v->pass > r->f->after)
			v->pass = r->f->after - r->taken;
		r->taken += v->pass;
		if (r->taken >= r->f->after)
			v->action = RELAY_CUT_HOLD;
	}
	r->bytes[c->from] += v->pass;
	pthread_mutex_unlock(&r->mu);
}

/* The relay's events: each direction's end goes on the timeline. */
static void
proxy_event(const struct relay_event *ev, void *arg)
{
	struct proxy *r = arg;
	int d;

	switch (ev->kind) {
	case RELAY_EV_EOF:
		pthread_mutex_lock(&r->mu);
		timeline_add(r->tl, dir_name[ev->end],
		    (int64_t)r->bytes[ev->end], OUTCOME_EOF, 0);
		pthread_mutex_unlock(&r->mu);
		break;
	case RELAY_EV_ERROR:
		/* A FIN that could not be passed on ends nothing here. */
		if (strcmp(ev->during, "shutdown") == 0)
			break;
		/* A failed send ends the direction towards that side. */
		d = strcmp(ev->during, "send") == 0 ? 1 - ev->end : ev->end;
		pthread_mutex_lock(&r->mu);
		timeline_add(r->tl, dir_name[d], (int64_t)r->bytes[d],
		    ev->outcome, ev->err);
		pthread_mutex_unlock(&r->mu);
		break;
	default:
		break;
	}
}

static bool
proxy_stopped(void *arg)
{
	(void)arg;
	return mode_stop != 0;
}

/* Copy both ways until both EOFs, an error or the fault. */
static void
relay_loop(struct proxy *r)
{
	struct relay_opts o = {
		.io = RELAY_IO_THREADS,
		.buffer = 65536,
		.quit_ms = -1,
		.leave_open = true,
		.stopped = proxy_stopped,
		.on_event = proxy_event,
		.on_chunk = proxy_chunk,
		.read_limit = proxy_read_limit,
		.arg = r,
	};
	char errbuf[ERRBUF_LEN];
	struct relay *rl;

	if ((rl = relay_new(NULL, &o, errbuf)) == NULL) {
		warnx("%s", errbuf);
		return;
	}
	relay_pair_run(rl, r->cfd, r->sfd, NULL);
	if (r->f->kind != FAULT_DELAY && !r->faulted && !mode_stop &&
	    relayed(r) >= r->f->after) {
		do_fault(r);
		/* After a half-close, the client's data still flows until
		   its EOF; what the server says is dropped. */
		if (r->f->kind == FAULT_HALF_CLOSE)
			relay_pair_run(rl, r->cfd, r->sfd, NULL);
	}
	relay_free(rl);
}

static int
proxy_one(int cfd, const char *thost, const char *tport,
    const struct fault *f, int hold_ms, bool json)
{
	char errbuf[ERRBUF_LEN], name[ADDR_STRLEN];
	struct close_report rep;
	struct proxy r;
	enum outcome o;
	int status = 0;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
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
		relay_loop(&r);
		fact_int(r.facts, "client_to_server", (int64_t)r.bytes[0]);
		fact_int(r.facts, "server_to_client", (int64_t)r.bytes[1]);
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
	}
	/* r.facts always holds "client", so text mode prints its line. */
	mode_report(json_pack("{s:s}", "mode", "proxy"), r.tl, r.facts,
	    status != 0 ? errbuf : NULL, json);
	if (status != 0)
		warnx("connect to target %s port %s: %s", thost, tport,
		    errbuf);
	timeline_free(r.tl);
	json_decref(r.facts);
	pthread_mutex_destroy(&r.mu);
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
	/* Stopped by a signal: the suite's 128 + signo (SIGINT 130). */
	return stop_requested() != 0 ? STOP_EXIT(stop_requested()) : rc;
}
