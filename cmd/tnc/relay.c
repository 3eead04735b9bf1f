/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc --relay: listen, connect upstream, relay each pair on common/relay. */
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "evloop.h"
#include "pairs.h"
#include "relay.h"
#include "sock.h"
#include "stop.h"

/* Retry period after accept ran out of file descriptors. */
#define ACCEPT_RETRY_MS 100

struct listener;

/* One accepted client: connecting upstream, then relayed. */
struct tnc_pair {
	struct listener *l;
	struct pair_report rep;
	int cfd, ufd;			/* until handed to the relay */
	const struct addrinfo *ai;	/* upstream address being tried */
	uint64_t connect_timer;		/* -w while connecting */
	bool relayed;			/* handed to the relay */
	size_t slot;			/* its index in l->pairs */
};

/* The epoll model: the listener, its loop and the relay on it. */
struct listener {
	const struct tnc_config *cfg;
	struct evloop *loop;
	struct relay *relay;
	int lfd;
	const struct addrinfo *up;
	int sigfd;
	uint64_t next_id;
	int exit_status;
	struct tnc_pair **pairs;	/* every pair not yet freed */
	size_t npairs, cap;
};

static void pair_try_connect(struct tnc_pair *tp);

/* Raise the open-file limit to its hard maximum (thousands of pairs). */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A new pair for l, in its table; NULL when out of memory. */
static struct tnc_pair *
tnc_pair_new(struct listener *l)
{
	struct tnc_pair *tp, **grown;

	if (l->npairs == l->cap) {
		grown = reallocarray(l->pairs, l->cap ? l->cap * 2 : 64,
		    sizeof(*grown));
		if (grown == NULL)
			return NULL;
		l->pairs = grown;
		l->cap = l->cap ? l->cap * 2 : 64;
	}
	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return NULL;
	tp->l = l;
	tp->slot = l->npairs;
	l->pairs[l->npairs++] = tp;
	return tp;
}

/* Out of the table (the last pair takes its slot), then freed. */
static void
tnc_pair_free(struct tnc_pair *tp)
{
	struct listener *l = tp->l;

	l->pairs[tp->slot] = l->pairs[--l->npairs];
	l->pairs[tp->slot]->slot = tp->slot;
	free(tp);
}

/* A pair ended: a relay of one connection stops with its exit status. */
static void
tnc_pair_ended(struct tnc_pair *tp, enum outcome o)
{
	struct listener *l = tp->l;

	if (!l->cfg->keep) {
		l->exit_status = exit_for_outcome(o);
		evloop_stop(l->loop);
	}
	tnc_pair_free(tp);
}

static void
on_relay_event(const struct relay_event *ev, void *arg)
{
	struct listener *l = arg;
	struct tnc_pair *tp = ev->pair_arg;

	pair_event(l->cfg, &tp->rep, ev);
	if (ev->kind == RELAY_EV_END)
		tnc_pair_ended(tp, ev->outcome);
}

/* Before the relay has it: abort the client, report the end. */
static void
connect_gave_up(struct tnc_pair *tp, enum outcome o)
{
	struct close_report rep;

	if (tp->connect_timer != 0)
		evloop_timer_cancel(tp->l->loop, tp->connect_timer);
	if (tp->ufd >= 0) {
		evloop_del(tp->l->loop, tp->ufd);
		close_abort(tp->ufd, &rep);
	}
	close_abort(tp->cfd, &rep);
	pair_report_end(tp->l->cfg, &tp->rep, o);
	tnc_pair_ended(tp, o);
}

static void
connect_deadline(struct evloop *loop, void *arg)
{
	struct tnc_pair *tp = arg;

	(void)loop;
	tp->connect_timer = 0;
	pair_deadline(tp->l->cfg, &tp->rep, "-w connect");
	connect_gave_up(tp, OUTCOME_TIMEOUT);
}

static void
pair_start_relay(struct tnc_pair *tp)
{
	struct listener *l = tp->l;
	char errbuf[ERRBUF_LEN];

	if (tp->connect_timer != 0)
		evloop_timer_cancel(l->loop, tp->connect_timer);
	tp->connect_timer = 0;
	pair_connected(l->cfg, &tp->rep, tp->ufd);
	tp->relayed = true;
	if (relay_pair_add(l->relay, tp->cfd, tp->ufd, tp, errbuf) == NULL)
		warnx("#%llu: %s", (unsigned long long)tp->rep.id, errbuf);
}

static void
connect_on_event(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct tnc_pair *tp = arg;
	char errbuf[ERRBUF_LEN];
	enum outcome oc;

	(void)events;
	evloop_del(loop, fd);
	if (sock_connect_finish(fd, &oc, errbuf) == 0) {
		pair_start_relay(tp);
		return;
	}
	close(fd);
	tp->ufd = -1;
	tnc_event("#%llu upstream %s: %s", (unsigned long long)tp->rep.id,
	    tp->rep.peer[END_UPSTREAM], outcome_name(oc));
	tp->ai = tp->ai->ai_next;
	if (tp->ai != NULL) {
		pair_try_connect(tp);
		return;
	}
	/* Nobody upstream: the client learns it as an RST. */
	pair_connect_failed(tp->l->cfg, &tp->rep, oc);
	connect_gave_up(tp, oc);
}

static void
pair_try_connect(struct tnc_pair *tp)
{
	struct sock_opts o = { .family = tp->l->cfg->family,
	    .type = SOCK_STREAM };
	char errbuf[ERRBUF_LEN];
	enum outcome oc = OUTCOME_ERROR;
	int fd;

	addr_format(tp->ai->ai_addr, tp->rep.peer[END_UPSTREAM],
	    sizeof(tp->rep.peer[END_UPSTREAM]));
	fd = sock_connect_start(tp->ai, &o, &oc, errbuf);
	if (fd == -1 || evloop_add(tp->l->loop, fd, EV_WRITE,
	    connect_on_event, tp) == -1) {
		if (fd != -1)
			close(fd);
		__atomic_add_fetch(&pair_totals.failed, 1, __ATOMIC_RELAXED);
		warnx("#%llu: upstream %s: %s", (unsigned long long)tp->rep.id,
		    tp->rep.peer[END_UPSTREAM], errbuf);
		connect_gave_up(tp, oc);
		return;
	}
	tp->ufd = fd;
}

static void
accept_resume(struct evloop *loop, void *arg)
{
	struct listener *l = arg;

	evloop_mod(loop, l->lfd, EV_READ);
}

static void
on_accept(struct evloop *loop, int lfd, unsigned events, void *arg)
{
	struct listener *l = arg;
	const struct tnc_config *cfg = l->cfg;
	char errbuf[ERRBUF_LEN], peer[ADDR_STRLEN];
	struct tnc_pair *tp;
	enum outcome oc;
	int fd;

	(void)events;
	/* 1 ms: a client that vanished between epoll and accept must not
	   hold up the loop. */
	fd = sock_accept_peer(lfd, 1, peer, sizeof(peer), &oc, errbuf);
	if (fd == -1) {
		if (oc == OUTCOME_TIMEOUT)
			return;
		warnx("%s", errbuf);
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* Level-triggered: wait instead of spinning. */
			evloop_mod(loop, lfd, 0);
			evloop_timer_add(loop, ACCEPT_RETRY_MS, accept_resume,
			    l);
		}
		return;
	}
	if (!cfg->keep) {
		/* One connection only, as nc -l without -k. */
		evloop_del(loop, lfd);
		close(lfd);
		l->lfd = -1;
	}
	if ((tp = tnc_pair_new(l)) == NULL) {
		struct close_report rep;

		warnx("out of memory for a connection");
		close_abort(fd, &rep);
		return;
	}
	tp->rep.id = ++l->next_id;
	tp->ai = l->up;
	tp->cfd = fd;
	tp->ufd = -1;
	sock_set_nonblock(fd, true);
	snprintf(tp->rep.peer[END_CLIENT], sizeof(tp->rep.peer[END_CLIENT]),
	    "%s", peer);
	pair_accepted(cfg, &tp->rep, fd);
	if (cfg->wait_ms > 0)
		tp->connect_timer = evloop_timer_add(loop, (int)cfg->wait_ms,
		    connect_deadline, tp);
	pair_try_connect(tp);
}

static void
say_stopped(int sig, void *arg)
{
	(void)arg;
	tnc_event("signal %d: stopping with %llu connections open",
	    sig, (unsigned long long)pair_totals.active);
}

/*
 * After the loop stopped: pairs still open (a -k relay told to stop)
 * are reset, since they were not relayed to their end; then everything
 * is freed.
 */
static void
listener_free(struct listener *l)
{
	struct tnc_pair *tp;
	struct close_report rep;

	relay_free(l->relay);
	for (size_t i = 0; i < l->npairs; i++) {
		tp = l->pairs[i];
		if (!tp->relayed) {
			close_abort(tp->cfd, &rep);
			if (tp->ufd >= 0)
				close_abort(tp->ufd, &rep);
		}
		free(tp);
	}
	free(l->pairs);
	if (l->lfd >= 0)
		close(l->lfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	evloop_free(l->loop);
}

static int
relay_epoll_run(const struct tnc_config *cfg, int lfd,
    const struct addrinfo *up)
{
	struct listener l = { .cfg = cfg, .lfd = lfd, .up = up, .sigfd = -1 };
	struct relay_opts ro = { .on_event = on_relay_event, .arg = &l };
	struct tnc_stop st = { say_stopped, NULL, &l.exit_status };
	char errbuf[ERRBUF_LEN];

	pair_relay_opts(cfg, &ro);
	if ((l.loop = evloop_new(errbuf)) == NULL)
		errx(EXIT_FAIL, "%s", errbuf);
	if ((l.relay = relay_new(l.loop, &ro, errbuf)) == NULL)
		errx(EXIT_FAIL, "%s", errbuf);
	if (sock_set_nonblock(lfd, true) == -1)
		err(EXIT_FAIL, "O_NONBLOCK");
	if (evloop_add(l.loop, lfd, EV_READ, on_accept, &l) == -1)
		err(EXIT_FAIL, "watch the listener");
	/* SIGINT and SIGTERM end the relay with its summary, 128 + sig. */
	if ((l.sigfd = stop_fd_open(false, errbuf)) == -1)
		errx(EXIT_FAIL, "%s", errbuf);
	tnc_watch_stop(l.loop, l.sigfd, &st);
	if (evloop_run(l.loop) == -1)
		err(EXIT_FAIL, "event loop");
	pair_print_summary(cfg);
	listener_free(&l);
	return l.exit_status;
}

int
tnc_relay(const struct tnc_config *cfg)
{
	struct sock_opts o = { .family = cfg->family, .type = SOCK_STREAM };
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN];
	struct addrinfo *up;
	int lfd, r;

	raise_nofile();
	up = addr_resolve(cfg->relay_host, cfg->relay_port, cfg->family, false,
	    errbuf);
	if (up == NULL)
		errx(EXIT_FAIL, "--relay %s port %s: %s", cfg->relay_host,
		    cfg->relay_port, errbuf);
	lfd = sock_listen(cfg->host, cfg->port, &o, errbuf);
	if (lfd == -1)
		errx(EXIT_FAIL, "%s", errbuf);
	/* Buffer sizes set on the listener are inherited by accepted
	   sockets before the handshake picks the window scale. */
	if (cfg->sndbuf != 0 || cfg->rcvbuf != 0)
		tnc_apply_sockopts(cfg, lfd, "listener");
	tnc_event("listening on %s, relaying to %s port %s (%s, %s)",
	    sock_local_str(lfd, local, sizeof(local)), cfg->relay_host,
	    cfg->relay_port, tnc_io_name(cfg->io),
	    cfg->splice ? "splice" : "copy");
	if (cfg->io == TNC_IO_THREADS)
		r = tnc_relay_threads(cfg, lfd, up);
	else
		r = relay_epoll_run(cfg, lfd, up);
	freeaddrinfo(up);
	return r;
}
