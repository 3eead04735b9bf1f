/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc --relay --io threads: a thread per connection on common/relay. */
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "pairs.h"
#include "relay.h"
#include "sock.h"
#include "stop.h"

#define THREAD_STACK (128u << 10)

/* What every connection's thread shares. */
struct threads_run {
	const struct tnc_config *cfg;
	const struct addrinfo *up;
	struct relay *relay;
};

/* One relayed connection. */
struct tpair {
	struct threads_run *run;
	struct pair_report rep;
	int cfd;
};

static void
on_relay_event(const struct relay_event *ev, void *arg)
{
	struct threads_run *run = arg;
	struct tpair *p = ev->pair_arg;

	pair_event(run->cfg, &p->rep, ev);
}

/*
 * Connect upstream, each resolved address in turn as sock_connect does.
 * Returns the blocking fd, or -1 with *oc set.
 */
static int
connect_upstream(struct tpair *p, enum outcome *oc)
{
	const struct tnc_config *cfg = p->run->cfg;
	struct sock_opts o = { .family = cfg->family, .type = SOCK_STREAM };
	char errbuf[ERRBUF_LEN];
	const struct addrinfo *ai;
	int fd, rc;

	*oc = OUTCOME_ERROR;
	for (ai = p->run->up; ai != NULL; ai = ai->ai_next) {
		addr_format(ai->ai_addr, p->rep.peer[END_UPSTREAM],
		    sizeof(p->rep.peer[END_UPSTREAM]));
		fd = sock_connect_start(ai, &o, oc, errbuf);
		if (fd == -1)
			continue;
		rc = sock_wait(fd, POLLOUT, sock_deadline((int)cfg->wait_ms));
		if (rc == 0)
			*oc = OUTCOME_TIMEOUT;
		if (rc != 1 || sock_connect_finish(fd, oc, errbuf) == -1 ||
		    sock_set_nonblock(fd, false) == -1) {
			close(fd);
			continue;
		}
		return fd;
	}
	return -1;
}

/* One relayed connection: connect upstream, copy both ways, close. */
static enum outcome
serve(struct tpair *p)
{
	struct close_report rep;
	enum outcome oc;
	int ufd;

	if ((ufd = connect_upstream(p, &oc)) == -1) {
		pair_connect_failed(p->run->cfg, &p->rep, oc);
		close_abort(p->cfd, &rep);
		pair_report_end(p->run->cfg, &p->rep, oc);
		return oc;
	}
	pair_connected(p->run->cfg, &p->rep, ufd);
	return relay_pair_run(p->run->relay, p->cfd, ufd, p);
}

static struct tpair *
tpair_new(struct threads_run *run, int fd, const char *peer, uint64_t id)
{
	struct tpair *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->run = run;
	p->rep.id = id;
	p->cfd = fd;
	snprintf(p->rep.peer[END_CLIENT], sizeof(p->rep.peer[END_CLIENT]),
	    "%s", peer);
	pair_accepted(run->cfg, &p->rep, fd);
	return p;
}

static void *
serve_thread(void *arg)
{
	struct tpair *p = arg;

	serve(p);
	free(p);
	return NULL;
}

/* SIGINT/SIGTERM end the relay with its summary, exit 128 + sig. */
static void *
signal_thread(void *arg)
{
	const struct tnc_config *cfg = arg;
	int sig;

	sig = stop_wait();
	tnc_event("signal %d: stopping with %llu connections open",
	    sig, (unsigned long long)pair_totals.active);
	pair_print_summary(cfg);
	_exit(STOP_EXIT(sig));
	return NULL;
}

int
tnc_relay_threads(const struct tnc_config *cfg, int lfd,
    const struct addrinfo *up)
{
	struct threads_run run = { .cfg = cfg, .up = up };
	struct relay_opts ro = { .on_event = on_relay_event, .arg = &run };
	char errbuf[ERRBUF_LEN], peer[ADDR_STRLEN];
	pthread_attr_t detached_attr;
	struct tpair *p;
	enum outcome oc;
	uint64_t id = 0;
	pthread_t t;
	int fd;

	pair_relay_opts(cfg, &ro);
	if ((run.relay = relay_new(NULL, &ro, errbuf)) == NULL)
		errx(EXIT_FAIL, "%s", errbuf);
	if (stop_block(errbuf) == -1)
		warnx("%s", errbuf);
	pthread_attr_init(&detached_attr);
	pthread_attr_setstacksize(&detached_attr, THREAD_STACK);
	pthread_attr_setdetachstate(&detached_attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &detached_attr, signal_thread,
	    (void *)cfg) != 0)
		warnx("no signal thread: SIGINT and SIGTERM will be ignored");
	if (!cfg->keep) {
		fd = sock_accept_peer(lfd, 0, peer, sizeof(peer), &oc, errbuf);
		if (fd == -1)
			errx(exit_for_outcome(oc), "%s", errbuf);
		close(lfd);
		if ((p = tpair_new(&run, fd, peer, ++id)) == NULL)
			errx(EXIT_FAIL, "out of memory");
		oc = serve(p);
		free(p);
		relay_free(run.relay);
		pair_print_summary(cfg);
		return exit_for_outcome(oc);
	}
	for (;;) {
		fd = sock_accept_peer(lfd, 0, peer, sizeof(peer), &oc, errbuf);
		if (fd == -1) {
			warnx("%s", errbuf);
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			continue;
		}
		if ((p = tpair_new(&run, fd, peer, ++id)) == NULL) {
			struct close_report rep;

			close_abort(fd, &rep);
			continue;
		}
		if (pthread_create(&t, &detached_attr, serve_thread, p) != 0) {
			struct close_report rep;

			warnx("#%llu: no thread for the connection",
			    (unsigned long long)id);
			close_abort(fd, &rep);
			__atomic_sub_fetch(&pair_totals.active, 1,
			    __ATOMIC_RELAXED);
			free(p);
		}
	}
}
