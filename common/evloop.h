/* SPDX-License-Identifier: BSD-2-Clause */
/* A small epoll event loop with fd watches and one-shot timers. */
#ifndef TEARDOWN_EVLOOP_H
#define TEARDOWN_EVLOOP_H

#include <stdint.h>

struct evloop;

#define EV_READ  0x1u
#define EV_WRITE 0x2u
#define EV_ERROR 0x4u	/* reported only: EPOLLERR or EPOLLHUP */

typedef void evloop_fd_fn(struct evloop *loop, int fd, unsigned events,
    void *arg);
typedef void evloop_timer_fn(struct evloop *loop, void *arg);

/* Returns NULL with errbuf set when epoll_create1 fails. */
struct evloop *evloop_new(char *errbuf);
void evloop_free(struct evloop *loop);

/*
 * Watch fd for events (EV_READ | EV_WRITE, level-triggered). A callback may
 * add, modify or remove any watch, including its own, safely: events for a
 * removed fd that were already collected are not delivered.
 * Each returns 0, or -1 with errno.
 */
int evloop_add(struct evloop *loop, int fd, unsigned events,
    evloop_fd_fn *fn, void *arg);
int evloop_mod(struct evloop *loop, int fd, unsigned events);
int evloop_del(struct evloop *loop, int fd);

/*
 * Call fn once after ms milliseconds. Returns a timer id (> 0) for
 * evloop_timer_cancel, or 0 on allocation failure.
 */
uint64_t evloop_timer_add(struct evloop *loop, int ms, evloop_timer_fn *fn,
    void *arg);
void evloop_timer_cancel(struct evloop *loop, uint64_t id);
/* Cancel the timer *id if there is one (non-zero) and set *id to 0. */
void evloop_timer_clear(struct evloop *loop, uint64_t *id);

/*
 * Dispatch until evloop_stop() or until nothing is watched and no timer is
 * pending. Returns 0, or -1 with errno if epoll_wait failed.
 */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

#endif
