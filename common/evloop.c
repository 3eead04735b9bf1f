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

struct timer {
	uint64_t when_us;
	uint64_t id;		/* breaks ties: equal deadlines fire FIFO */
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
	struct timer *heap;	/* min-heap on (when_us, id) */
	size_t ntimers;
	size_t heap_cap;
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
	free(loop->heap);
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

static bool
timer_before(const struct timer *a, const struct timer *b)
{
	if (a->when_us != b->when_us)
		return a->when_us < b->when_us;
	return a->id < b->id;
}

static void
timer_swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;

	*a = *b;
	*b = t;
}

static void
heap_up(struct timer *h, size_t i)
{
	while (i > 0 && timer_before(&h[i], &h[(i - 1) / 2])) {
		timer_swap(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct timer *h, size_t n, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < n && timer_before(&h[l], &h[m]))
			m = l;
		if (r < n && timer_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		timer_swap(&h[i], &h[m]);
		i = m;
	}
}

static void
heap_remove(struct evloop *loop, size_t i)
{
	loop->ntimers--;
	if (i == loop->ntimers)
		return;
	loop->heap[i] = loop->heap[loop->ntimers];
	heap_down(loop->heap, loop->ntimers, i);
	heap_up(loop->heap, i);
}

uint64_t
evloop_timer_add(struct evloop *loop, int ms, evloop_timer_fn *fn,
    void *arg)
{
	struct timer *h, *t;
	uint64_t id;
	size_t n;

	if (loop->ntimers == loop->heap_cap) {
		n = loop->heap_cap ? loop->heap_cap * 2 : 8;
		if ((h = realloc(loop->heap, n * sizeof(*h))) == NULL)
			return 0;
		loop->heap = h;
		loop->heap_cap = n;
	}
	t = &loop->heap[loop->ntimers];
	t->when_us = clock_mono_us() + (uint64_t)(ms > 0 ? ms : 0) * 1000u;
	t->id = id = loop->next_id++;
	t->fn = fn;
	t->arg = arg;
	heap_up(loop->heap, loop->ntimers++);
	return id;
}

void
evloop_timer_cancel(struct evloop *loop, uint64_t id)
{
	size_t i;

	for (i = 0; i < loop->ntimers; i++)
		if (loop->heap[i].id == id) {
			heap_remove(loop, i);
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
	uint64_t now, wait;

	if (loop->ntimers == 0)
		return -1;
	now = clock_mono_us();
	if (loop->heap[0].when_us <= now)
		return 0;
	wait = (loop->heap[0].when_us - now + 999) / 1000;
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
	struct timer t;

	while (loop->ntimers > 0 && !loop->stopped &&
	    loop->heap[0].when_us <= now && loop->heap[0].id < first_new) {
		t = loop->heap[0];
		heap_remove(loop, 0);
		t.fn(loop, t.arg);
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
	while (!loop->stopped && (loop->nwatches > 0 || loop->ntimers > 0)) {
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
