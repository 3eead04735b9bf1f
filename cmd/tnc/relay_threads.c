/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc --relay --io threads: two blocking threads per relayed connection. */
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "sock.h"
#include "sockopt.h"
#include "splice.h"
#include "relay.h"
#include "tnc.h"

#define THREAD_STACK (128u << 10)
#define QUIT_POLL_MS 50

struct tpair {
	struct relay_report rep;
	int fd[2];
	pthread_mutex_t mu;
	bool aborting;		/* a side failed or a deadline passed */
	int failed_side;	/* -1, or the side whose failure we pass on */
	enum outcome outcome;
	int64_t last_active;	/* for -w, ms */
	int64_t quit_deadline;	/* -q, ms, -1 none */
	bool done[2];		/* direction from side i finished */
};

struct dir_arg {
	struct tpair *p;
	int from;
};

static const struct addrinfo *upstream;
static pthread_attr_t thread_attr;	/* joinable: the second direction */
static pthread_attr_t detached_attr;	/* a connection's own thread */

static int64_t
now_ms(void)
{
	return clock_mono_ms();
}

/*
 * Record the first failure and wake the other direction's thread: it may
 * sit in a blocking read of the side that did not fail.
 */
static void
pair_abort(struct tpair *p, int side, const char *during, int err,
    bool deadline)
{
	bool first;

	pthread_mutex_lock(&p->mu);
	first = !p->aborting;
	p->aborting = true;
	if (first)
		p->failed_side = deadline ? -1 : side;
	pthread_mutex_unlock(&p->mu);
	if (!first)
		return;
	if (deadline) {
		p->outcome = OUTCOME_TIMEOUT;
		__atomic_add_fetch(&relay_totals.deadlines, 1,
		    __ATOMIC_RELAXED);
		tnc_event("#%llu %s deadline -> RST to client and upstream",
		    (unsigned long long)p->rep.id, during);
		if (!cfg.keep)
			warnx("#%llu: %s: %s deadline: RST sent to client %s "
			    "and upstream %s", (unsigned long long)p->rep.id,
			    outcome_name(OUTCOME_TIMEOUT), during,
			    p->rep.peer[0], p->rep.peer[1]);
	} else {
		p->outcome = relay_report_error(&p->rep, side, during, err);
	}
	/*
	 * Wake the thread that reads the other side. The failed side's
	 * reader is not cut short: what that side sent before its RST is
	 * still queued, comes first, and is passed on.
	 */
	if (deadline || side < 0) {
		shutdown(p->fd[0], SHUT_RD);
		shutdown(p->fd[1], SHUT_RD);
	} else {
		shutdown(p->fd[1 - side], SHUT_RD);
	}
}

static bool
aborting(struct tpair *p)
{
	bool a;

	pthread_mutex_lock(&p->mu);
	a = p->aborting;
	pthread_mutex_unlock(&p->mu);
	return a;
}

/*
 * Wait until fd is readable or a deadline passes. Returns 1 to read (also
 * when the pair is aborting), 0 on a deadline (already reported).
 */
static int
wait_readable(struct tpair *p, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t first, quit, now, wake;
	int rc;

	if (cfg.wait_ms <= 0 && cfg.quit_ms < 0)
		return 1;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		quit = p->quit_deadline;
		first = cfg.wait_ms > 0 ? p->last_active + cfg.wait_ms : -1;
		pthread_mutex_unlock(&p->mu);
		if (quit >= 0 && (first < 0 || quit < first))
			first = quit;
		if (aborting(p))
			return 1;	/* the read decides */
		now = now_ms();
		if (first >= 0 && now >= first) {
			pair_abort(p, -1, quit >= 0 && now >= quit ? "-q" :
			    "-w idle", 0, true);
			return 0;
		}
		/* -q starts when the other direction half-closes, maybe
		   while we wait here: look again soon. */
		wake = first;
		if (cfg.quit_ms >= 0 && quit < 0 &&
		    (wake < 0 || wake > now + QUIT_POLL_MS))
			wake = now + QUIT_POLL_MS;
		if (wake < 0)
			return 1;
		rc = poll(&pfd, 1, (int)(wake - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return 1;	/* let read() report it */
	}
}

/* Copy side `from` to the other side until EOF or failure. */
static void *
direction(void *arg)
{
	struct dir_arg *d = arg;
	struct tpair *p = d->p;
	int src = p->fd[d->from], dst = p->fd[1 - d->from];
	struct splice_pipe *pipe = NULL;
	char errbuf[ERRBUF_LEN];
	enum outcome o;
	char *buf = NULL;
	size_t sent;
	ssize_t n;

	if (cfg.splice) {
		if ((pipe = splice_pipe_new(cfg.buffer, errbuf)) == NULL) {
			warnx("#%llu: %s", (unsigned long long)p->rep.id,
			    errbuf);
			pair_abort(p, d->from, "splice pipe", errno, false);
			return NULL;
		}
	} else if ((buf = malloc(cfg.buffer)) == NULL) {
		pair_abort(p, d->from, "buffer", ENOMEM, false);
		return NULL;
	}
	for (;;) {
		if (wait_readable(p, src) == 0)
			break;
		if (pipe != NULL)
			n = splice_pipe_fill(pipe, src);
		else
			n = read(src, buf, cfg.buffer);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && pipe != NULL)
			continue;
		/* After a failure only the failed side's last bytes move. */
		if (aborting(p) && (p->failed_side != d->from || n <= 0))
			break;
		if (n < 0) {
			pair_abort(p, d->from, "receive", errno, false);
			break;
		}
		if (n == 0) {
			/* The half-close travels: FIN after every byte. */
			if (shutdown(dst, SHUT_WR) == -1) {
				pair_abort(p, 1 - d->from, "shutdown", errno,
				    false);
				break;
			}
			tnc_event("#%llu %s EOF -> FIN to %s after %llu bytes",
			    (unsigned long long)p->rep.id,
			    relay_side_name(d->from),
			    relay_side_name(1 - d->from),
			    (unsigned long long)p->rep.bytes[d->from]);
			pthread_mutex_lock(&p->mu);
			p->done[d->from] = true;
			if (cfg.quit_ms >= 0 && !p->done[1 - d->from])
				p->quit_deadline = now_ms() + cfg.quit_ms;
			pthread_mutex_unlock(&p->mu);
			break;
		}
		if (pipe != NULL) {
			if (splice_pipe_drain_all(pipe, dst) == -1) {
				if (!aborting(p))
					pair_abort(p, 1 - d->from, "send",
					    errno, false);
				break;
			}
		} else {
			sent = sock_send_all(dst, buf, n, &o);
			if (sent < (size_t)n) {
				if (!aborting(p))
					pair_abort(p, 1 - d->from, "send",
					    errno, false);
				break;
			}
		}
		pthread_mutex_lock(&p->mu);
		p->rep.bytes[d->from] += (uint64_t)n;
		p->last_active = now_ms();
		pthread_mutex_unlock(&p->mu);
	}
	free(buf);
	splice_pipe_free(pipe);
	return NULL;
}

/* Wait (bounded) until fd's send queue is empty, so the RST follows it. */
static void
wait_flushed(int fd)
{
	int64_t until = now_ms() + RELAY_RST_FLUSH_MS;

	while (sockopt_outq(fd) > 0 && now_ms() < until)
		usleep(2000);
}

/* Both directions are over: close the way the pair ended. */
static void
pair_finish(struct tpair *p)
{
	struct close_report rep;
	int x = p->failed_side;

	if (!p->aborting) {
		close_graceful(p->fd[0], NULL, 0, 1, NULL, NULL, &rep);
		close_graceful(p->fd[1], NULL, 0, 1, NULL, NULL, &rep);
	} else if (x >= 0) {
		/* What the failed side sent before is delivered, then RST. */
		close_abort(p->fd[x], &rep);
		wait_flushed(p->fd[1 - x]);
		close_abort(p->fd[1 - x], &rep);
	} else {
		close_abort(p->fd[0], &rep);
		close_abort(p->fd[1], &rep);
	}
	relay_report_end(&p->rep, p->outcome);
}

/* One relayed connection: connect upstream, copy both ways, close. */
static enum outcome
serve(struct tpair *p)
{
	struct sock_opts o = {
		.family = cfg.family,
		.type = SOCK_STREAM,
	};
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN];
	const struct addrinfo *ai;
	struct dir_arg down = { p, SIDE_UPSTREAM }, upd = { p, SIDE_CLIENT };
	struct close_report rep;
	enum outcome oc = OUTCOME_ERROR;
	pthread_t t;
	int fd, rc;

	/* Each resolved address in turn, as sock_connect does. */
	p->fd[SIDE_UPSTREAM] = -1;
	for (ai = upstream; ai != NULL && p->fd[SIDE_UPSTREAM] == -1;
	    ai = ai->ai_next) {
		addr_format(ai->ai_addr, p->rep.peer[SIDE_UPSTREAM],
		    sizeof(p->rep.peer[SIDE_UPSTREAM]));
		fd = sock_connect_start(ai, &o, &oc, errbuf);
		if (fd == -1)
			continue;
		rc = sock_wait(fd, POLLOUT, sock_deadline((int)cfg.wait_ms));
		if (rc == 0) {
			oc = OUTCOME_TIMEOUT;
			errbuf_set(errbuf, "connect to %s: no answer within "
			    "-w", p->rep.peer[SIDE_UPSTREAM]);
		}
		if (rc != 1 || sock_connect_finish(fd, &oc, errbuf) == -1 ||
		    sock_set_nonblock(fd, false) == -1) {
			close(fd);
			continue;
		}
		p->fd[SIDE_UPSTREAM] = fd;
	}
	if (p->fd[SIDE_UPSTREAM] == -1) {
		if (oc == OUTCOME_REFUSED)
			__atomic_add_fetch(&relay_totals.refused, 1,
			    __ATOMIC_RELAXED);
		else if (oc == OUTCOME_TIMEOUT)
			__atomic_add_fetch(&relay_totals.deadlines, 1,
			    __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&relay_totals.failed, 1,
			    __ATOMIC_RELAXED);
		tnc_event("#%llu upstream connect %s -> RST to client",
		    (unsigned long long)p->rep.id, outcome_name(oc));
		if (!cfg.keep)
			warnx("#%llu: upstream %s: %s; RST sent to client %s",
			    (unsigned long long)p->rep.id,
			    p->rep.peer[SIDE_UPSTREAM], outcome_name(oc),
			    p->rep.peer[SIDE_CLIENT]);
		close_abort(p->fd[SIDE_CLIENT], &rep);
		relay_report_end(&p->rep, oc);
		return oc;
	}
	tnc_apply_sockopts(p->fd[SIDE_UPSTREAM], p->rep.peer[SIDE_UPSTREAM]);
	tnc_event("#%llu connected to upstream %s from %s",
	    (unsigned long long)p->rep.id, p->rep.peer[SIDE_UPSTREAM],
	    sock_local_str(p->fd[SIDE_UPSTREAM], local, sizeof(local)));
	if (cfg.wait_ms > 0) {
		/* -w also bounds a send the peer does not take. */
		struct timeval tv = { cfg.wait_ms / 1000,
		    (cfg.wait_ms % 1000) * 1000 };

		setsockopt(p->fd[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(p->fd[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	p->last_active = now_ms();
	if (pthread_create(&t, &thread_attr, direction, &down) != 0) {
		warnx("#%llu: no thread for the connection",
		    (unsigned long long)p->rep.id);
		p->aborting = true;
		p->failed_side = -1;
		p->outcome = OUTCOME_ERROR;
		__atomic_add_fetch(&relay_totals.failed, 1, __ATOMIC_RELAXED);
		pair_finish(p);
		return p->outcome;
	}
	direction(&upd);
	pthread_join(t, NULL);
	pair_finish(p);
	return p->outcome;
}

static struct tpair *
tpair_new(int fd, const char *peer, uint64_t id)
{
	struct tpair *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->rep.id = id;
	p->fd[SIDE_CLIENT] = fd;
	p->failed_side = -1;
	p->quit_deadline = -1;
	p->outcome = OUTCOME_OK;
	snprintf(p->rep.peer[SIDE_CLIENT], sizeof(p->rep.peer[SIDE_CLIENT]),
	    "%s", peer);
	__atomic_add_fetch(&relay_totals.conns, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&relay_totals.active, 1, __ATOMIC_RELAXED);
	tnc_apply_sockopts(fd, p->rep.peer[SIDE_CLIENT]);
	tnc_event("#%llu connection from %s", (unsigned long long)id,
	    p->rep.peer[SIDE_CLIENT]);
	return p;
}

static void
tpair_free(struct tpair *p)
{
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static void *
serve_thread(void *arg)
{
	struct tpair *p = arg;

	serve(p);
	tpair_free(p);
	return NULL;
}

/* SIGINT/SIGTERM end a -k relay with its summary. */
static void *
signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	if (sigwait(set, &sig) == 0) {
		tnc_event("signal %d: stopping with %llu connections open",
		    sig, (unsigned long long)relay_totals.active);
		relay_print_summary();
		_exit(TNC_EXIT_OK);
	}
	return NULL;
}

int
relay_threads_run(int lfd, const struct addrinfo *up)
{
	char errbuf[ERRBUF_LEN], peer[ADDR_STRLEN];
	static sigset_t set;
	struct tpair *p;
	enum outcome oc;
	uint64_t id = 0;
	pthread_t t;
	int fd;

	upstream = up;
	pthread_attr_init(&thread_attr);
	pthread_attr_setstacksize(&thread_attr, THREAD_STACK);
	if (!cfg.keep) {
		fd = sock_accept_peer(lfd, 0, peer, sizeof(peer), &oc, errbuf);
		if (fd == -1)
			errx(tnc_exit_for(oc), "%s", errbuf);
		close(lfd);
		if ((p = tpair_new(fd, peer, ++id)) == NULL)
			errx(TNC_EXIT_FAIL, "out of memory");
		oc = serve(p);
		tpair_free(p);
		relay_print_summary();
		return tnc_exit_for(oc);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_attr_init(&detached_attr);
	pthread_attr_setstacksize(&detached_attr, THREAD_STACK);
	pthread_attr_setdetachstate(&detached_attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &detached_attr, signal_thread, &set) != 0)
		warnx("no signal thread: SIGINT and SIGTERM will be ignored");
	for (;;) {
		fd = sock_accept_peer(lfd, 0, peer, sizeof(peer), &oc, errbuf);
		if (fd == -1) {
			warnx("%s", errbuf);
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			continue;
		}
		if ((p = tpair_new(fd, peer, ++id)) == NULL) {
			struct close_report rep;

			close_abort(fd, &rep);
			continue;
		}
		if (pthread_create(&t, &detached_attr, serve_thread, p) != 0) {
			struct close_report rep;

			warnx("#%llu: no thread for the connection",
			    (unsigned long long)id);
			close_abort(fd, &rep);
			__atomic_sub_fetch(&relay_totals.active, 1,
			    __ATOMIC_RELAXED);
			tpair_free(p);
		}
	}
}
