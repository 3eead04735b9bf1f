/* SPDX-License-Identifier: BSD-2-Clause */
/* A small epoll event loop with fd watches and one-shot timers. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "evloop.h"
#include "heap.h"

#define EVLOOP_BATCH 64

/*
 * One watched fd. epoll hands back this pointer, so a watch removed during
 * a batch is only marked dead and freed after the batch: its already
 * collected events are then recognised and skipped, even if the same fd
 * number was watched again meanwhile (that gets a fresh struct).
 */
struct watch {
	int fd;
	unsigned events;
	evloop_fd_fn *fn;
	void *arg;
	bool dead;
	struct watch *next_dead;
};

/* A timer: key = when (clock_mono_us), seq = its id, so equal deadlines
   fire FIFO. Allocated by evloop_timer_add, freed when it fires or goes. */
struct timer {
	struct heap_node node;
	evloop_timer_fn *fn;
	void *arg;
};

struct evloop {
	int epfd;
	struct watch **by_fd;	/* indexed by fd */
	size_t nslots;
	size_t nwatches;
	struct watch *dead;	/* removed during the current batch */
	bool dispatching;
	struct heap timers;	/* of struct timer */
	uint64_t next_id;
	bool stopped;
};

struct evloop *
evloop_new(char *errbuf)
{
	struct evloop *loop;

	if ((loop = calloc(1, sizeof(*loop))) == NULL) {
		errbuf_set(errbuf, "event loop: out of memory");
		return NULL;
	}
	if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		errbuf_set(errbuf, "epoll_create1: %s", strerror(errno));
		free(loop);
		return NULL;
	}
	loop->next_id = 1;
	return loop;
}

static void
free_dead(struct evloop *loop)
{
	struct watch *w;

	while ((w = loop->dead) != NULL) {
		loop->dead = w->next_dead;
		free(w);
	}
}

void
evloop_free(struct evloop *loop)
{
	size_t i;

	if (loop == NULL)
		return;
	for (i = 0; i < loop->nslots; i++)
		free(loop->by_fd[i]);
	free_dead(loop);
	free(loop->by_fd);
	for (i = 0; i < loop->timers.len; i++)
		free(loop->timers.v[i]);
	heap_free(&loop->timers);
	close(loop->epfd);
	free(loop);
}

static struct watch *
watch_get(const struct evloop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nslots)
		return NULL;
	return loop->by_fd[fd];
}

static uint32_t
to_epoll(unsigned events)
{
	return (events & EV_READ ? EPOLLIN : 0) |
	    (events & EV_WRITE ? EPOLLOUT : 0);
}

int
evloop_add(struct evloop *loop, int fd, unsigned events,
    evloop_fd_fn *fn, void *arg)
{
	struct epoll_event ev;
	struct watch *w, **slots;
	size_t n;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (watch_get(loop, fd) != NULL) {
		errno = EEXIST;
		return -1;
	}
	if ((size_t)fd >= loop->nslots) {
		n = loop->nslots * 2;
		if (n <= (size_t)fd)
			n = (size_t)fd + 16;
		if ((slots = realloc(loop->by_fd, n * sizeof(*slots))) == NULL)
			return -1;
		memset(slots + loop->nslots, 0,
		    (n - loop->nslots) * sizeof(*slots));
		loop->by_fd = slots;
		loop->nslots = n;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->fd = fd;
	w->events = events & (EV_READ | EV_WRITE);
	w->fn = fn;
	w->arg = arg;
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(w->events);
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return -1;
	}
	loop->by_fd[fd] = w;
	loop->nwatches++;
	return 0;
}

int
evloop_mod(struct evloop *loop, int fd, unsigned events)
{
	struct epoll_event ev;
	struct watch *w;

	if ((w = watch_get(loop, fd)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = to_epoll(events);
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -1;
	/* Events of the current batch are filtered by the new interest. */
	w->events = events & (EV_READ | EV_WRITE);
	return 0;
}

int
evloop_del(struct evloop *loop, int fd)
{
	struct watch *w;

	if ((w = watch_get(loop, fd)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	/* A closed fd has already left the epoll set: nothing to undo. */
	(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->by_fd[fd] = NULL;
	loop->nwatches--;
	if (loop->dispatching) {
		w->dead = true;
		w->next_dead = loop->dead;
		loop->dead = w;
	} else
		free(w);
	return 0;
}

uint64_t
evloop_timer_add(struct evloop *loop, int ms, evloop_timer_fn *fn,
    void *arg)
{
	struct timer *t;
	uint64_t when;

	if ((t = malloc(sizeof(*t))) == NULL)
		return 0;
	when = clock_mono_us() + (uint64_t)(ms > 0 ? ms : 0) * 1000u;
	t->node.seq = loop->next_id;
	t->fn = fn;
	t->arg = arg;
	if (heap_push(&loop->timers, &t->node, (int64_t)when) == -1) {
		free(t);
		return 0;
	}
	return loop->next_id++;
}

void
evloop_timer_cancel(struct evloop *loop, uint64_t id)
{
	size_t i;

	for (i = 0; i < loop->timers.len; i++)
		if (loop->timers.v[i]->seq == id) {
			struct heap_node *n = loop->timers.v[i];

			heap_remove(&loop->timers, n);
			free(HEAP_ENTRY(n, struct timer, node));
			return;
		}
}

void
evloop_timer_clear(struct evloop *loop, uint64_t *id)
{
	if (*id != 0)
		evloop_timer_cancel(loop, *id);
	*id = 0;
}

/* Milliseconds until the nearest timer, rounded up; -1 without timers. */
static int
next_timeout(const struct evloop *loop)
{
	struct heap_node *n = heap_top(&loop->timers);
	uint64_t now, when, wait;

	if (n == NULL)
		return -1;
	now = clock_mono_us();
	when = (uint64_t)n->key;
	if (when <= now)
		return 0;
	wait = (when - now + 999) / 1000;
	return wait > INT_MAX ? INT_MAX : (int)wait;
}

/*
 * Fire what is due. Timers added by these callbacks wait for the next
 * round, even with 0 ms, so a timer that re-arms itself cannot starve fds.
 */
static void
run_timers(struct evloop *loop)
{
	uint64_t now = clock_mono_us(), first_new = loop->next_id;
	struct heap_node *n;

	while (!loop->stopped && (n = heap_top(&loop->timers)) != NULL &&
	    (uint64_t)n->key <= now && n->seq < first_new) {
		struct timer *tp = HEAP_ENTRY(n, struct timer, node);
		evloop_timer_fn *fn = tp->fn;
		void *arg = tp->arg;

		heap_remove(&loop->timers, n);
		free(tp);
		fn(loop, arg);
	}
}

static unsigned
from_epoll(uint32_t events)
{
	return (events & EPOLLIN ? EV_READ : 0) |
	    (events & EPOLLOUT ? EV_WRITE : 0) |
	    (events & (EPOLLERR | EPOLLHUP) ? EV_ERROR : 0);
}

static void
dispatch(struct evloop *loop, const struct epoll_event *evs, int n)
{
	struct watch *w;
	unsigned got;
	int i;

	loop->dispatching = true;
	for (i = 0; i < n && !loop->stopped; i++) {
		w = evs[i].data.ptr;
		if (w->dead)
			continue;
		/* Interest may have shrunk since epoll collected these. */
		got = from_epoll(evs[i].events) & (w->events | EV_ERROR);
		if (got != 0)
			w->fn(loop, w->fd, got, w->arg);
	}
	loop->dispatching = false;
	free_dead(loop);
}

int
evloop_run(struct evloop *loop)
{
	struct epoll_event evs[EVLOOP_BATCH];
	int n;

	loop->stopped = false;
	while (!loop->stopped && (loop->nwatches > 0 || loop->timers.len > 0)) {
		n = epoll_wait(loop->epfd, evs, EVLOOP_BATCH,
		    next_timeout(loop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		dispatch(loop, evs, n);
		run_timers(loop);
	}
	return 0;
}

void
evloop_stop(struct evloop *loop)
{
	loop->stopped = true;
}
