/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for evloop: timer order, safe watch changes, when run ends. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "evloop.h"

struct fire_log {
	int order[8];
	int n;
};

struct tag {
	struct fire_log *log;
	int value;
};

static void
record_fire(struct evloop *loop, void *arg)
{
	struct tag *t = arg;

	t->log->order[t->log->n++] = t->value;
}

static void
test_empty_run_returns(void **state)
{
	struct evloop *loop = evloop_new(NULL);

	assert_non_null(loop);
	assert_int_equal(evloop_run(loop), 0);
	evloop_free(loop);
}

/* Deadline order; equal deadlines keep the order they were added in. */
static void
test_timers_fire_in_order(void **state)
{
	struct evloop *loop = evloop_new(NULL);
	struct fire_log log = { .n = 0 };
	struct tag t30 = { &log, 30 }, t10a = { &log, 10 };
	struct tag t20 = { &log, 20 }, t10b = { &log, 11 };
	struct tag t0 = { &log, 0 };
	uint64_t start = clock_mono_us();

	assert_non_null(loop);
	assert_true(evloop_timer_add(loop, 30, record_fire, &t30) > 0);
	assert_true(evloop_timer_add(loop, 10, record_fire, &t10a) > 0);
	assert_true(evloop_timer_add(loop, 20, record_fire, &t20) > 0);
	assert_true(evloop_timer_add(loop, 10, record_fire, &t10b) > 0);
	assert_true(evloop_timer_add(loop, 0, record_fire, &t0) > 0);
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(log.n, 5);
	assert_int_equal(log.order[0], 0);
	assert_int_equal(log.order[1], 10);
	assert_int_equal(log.order[2], 11);
	assert_int_equal(log.order[3], 20);
	assert_int_equal(log.order[4], 30);
	/* A timer never fires early: the loop waited for the last one. */
	assert_true(clock_mono_us() - start >= 30000);
	evloop_free(loop);
}

static void
test_timer_cancel(void **state)
{
	struct evloop *loop = evloop_new(NULL);
	struct fire_log log = { .n = 0 };
	struct tag a = { &log, 1 }, b = { &log, 2 }, c = { &log, 3 };
	struct tag d = { &log, 4 };
	uint64_t ida, idb, idd, none = 0;

	assert_non_null(loop);
	ida = evloop_timer_add(loop, 5, record_fire, &a);
	idb = evloop_timer_add(loop, 1, record_fire, &b);
	assert_true(evloop_timer_add(loop, 2, record_fire, &c) > 0);
	assert_true(ida > 0 && idb > 0 && ida != idb);
	evloop_timer_cancel(loop, idb);
	evloop_timer_cancel(loop, idb);
	/* _clear cancels and zeroes the id; with no timer it does nothing. */
	idd = evloop_timer_add(loop, 1, record_fire, &d);
	assert_true(idd > 0);
	evloop_timer_clear(loop, &idd);
	assert_int_equal(idd, 0);
	evloop_timer_clear(loop, &idd);
	evloop_timer_clear(loop, &none);
	assert_int_equal(none, 0);
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.order[0], 3);
	assert_int_equal(log.order[1], 1);
	evloop_free(loop);
}

/* A new loop and a socketpair for it to watch. */
static struct evloop *
loop_with_pair(int sv[2])
{
	struct evloop *loop = evloop_new(NULL);

	assert_non_null(loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	return loop;
}

/*
 * Two fds readable in the same batch; whichever callback runs first removes
 * and closes the other and reuses its fd number for a fresh, idle watch.
 * The other's already collected event must not be delivered to anyone.
 */
struct race {
	int a[2], b[2];
	int fresh[2];
	int calls;
	int fresh_calls;
};

static void
fresh_cb(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct race *r = arg;

	r->fresh_calls++;
}

static void
drop_fresh(struct evloop *loop, void *arg)
{
	struct race *r = arg;

	assert_int_equal(evloop_del(loop, r->fresh[0]), 0);
}

static void
race_cb(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct race *r = arg;
	int other = fd == r->a[0] ? r->b[0] : r->a[0];

	r->calls++;
	assert_int_equal(events, EV_READ);
	assert_int_equal(evloop_del(loop, other), 0);
	assert_int_equal(evloop_del(loop, fd), 0);
	close(other);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, r->fresh), 0);
	/* The lowest free number is the one just closed. */
	assert_int_equal(r->fresh[0], other);
	assert_int_equal(evloop_add(loop, r->fresh[0], EV_READ | EV_WRITE,
	    fresh_cb, r), 0);
	assert_int_equal(evloop_mod(loop, r->fresh[0], EV_READ), 0);
	assert_true(evloop_timer_add(loop, 20, drop_fresh, r) > 0);
}

static void
test_del_in_callback_skips_pending(void **state)
{
	struct race r = { .calls = 0 };
	struct evloop *loop = loop_with_pair(r.a);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, r.b), 0);
	assert_int_equal(write(r.a[1], "a", 1), 1);
	assert_int_equal(write(r.b[1], "b", 1), 1);
	assert_int_equal(evloop_add(loop, r.a[0], EV_READ, race_cb, &r), 0);
	assert_int_equal(evloop_add(loop, r.b[0], EV_READ, race_cb, &r), 0);
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fresh_calls, 0);
	close(r.a[0] == r.fresh[0] ? r.b[0] : r.a[0]);
	close(r.a[1]);
	close(r.b[1]);
	close(r.fresh[0]);
	close(r.fresh[1]);
	evloop_free(loop);
}

/* Narrowing interest inside a callback; then the new interest fires. */
struct modder {
	int sv[2];
	unsigned seen[4];
	int n;
};

static void
poke_peer(struct evloop *loop, void *arg)
{
	struct modder *m = arg;

	assert_int_equal(write(m->sv[1], "p", 1), 1);
}

static void
modder_cb(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct modder *m = arg;
	char c;

	m->seen[m->n++] = events;
	if (m->n == 1) {
		assert_int_equal(evloop_mod(loop, fd, EV_READ), 0);
		assert_true(evloop_timer_add(loop, 1, poke_peer, m) > 0);
		return;
	}
	assert_int_equal(read(fd, &c, 1), 1);
	assert_int_equal(c, 'p');
	assert_int_equal(evloop_del(loop, fd), 0);
}

static void
test_mod_in_callback(void **state)
{
	struct modder m = { .n = 0 };
	struct evloop *loop = loop_with_pair(m.sv);

	assert_int_equal(evloop_add(loop, m.sv[0], EV_WRITE, modder_cb, &m),
	    0);
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.seen[0], EV_WRITE);
	assert_int_equal(m.seen[1], EV_READ);
	close(m.sv[0]);
	close(m.sv[1]);
	evloop_free(loop);
}

/* A hang-up is reported as EV_ERROR even with no interest at all. */
static void
hup_cb(struct evloop *loop, int fd, unsigned events, void *arg)
{
	unsigned *got = arg;

	*got = events;
	evloop_del(loop, fd);
}

/* A loop watching one end of a socketpair with hup_cb, which records the
   events it saw in got. */
struct watched {
	struct evloop *loop;
	unsigned got;
	int sv[2];
};

static void
watch_pair(struct watched *w, unsigned events)
{
	w->loop = loop_with_pair(w->sv);
	w->got = 0;
	assert_int_equal(evloop_add(w->loop, w->sv[0], events, hup_cb,
	    &w->got), 0);
}

/* Closes what is still open (-1 is closed) and frees the loop. */
static void
unwatch_pair(struct watched *w)
{
	if (w->sv[0] >= 0)
		close(w->sv[0]);
	if (w->sv[1] >= 0)
		close(w->sv[1]);
	evloop_free(w->loop);
}

static void
test_error_reported_without_interest(void **state)
{
	struct watched w;

	watch_pair(&w, 0);
	close(w.sv[1]);
	w.sv[1] = -1;
	assert_int_equal(evloop_run(w.loop), 0);
	assert_int_equal(w.got, EV_ERROR);
	unwatch_pair(&w);
}

static void
stop_cb(struct evloop *loop, void *arg)
{
	evloop_stop(loop);
}

/* evloop_stop ends run with watches left; they stay usable. */
static void
test_stop_with_watches(void **state)
{
	struct watched w;

	watch_pair(&w, EV_READ);
	assert_true(evloop_timer_add(w.loop, 1, stop_cb, NULL) > 0);
	assert_int_equal(evloop_run(w.loop), 0);
	assert_int_equal(w.got, 0);
	assert_int_equal(write(w.sv[1], "x", 1), 1);
	assert_int_equal(evloop_run(w.loop), 0);
	assert_int_equal(w.got, EV_READ);
	unwatch_pair(&w);
}

static void
test_bad_watch_calls(void **state)
{
	struct watched w;

	watch_pair(&w, EV_READ);
	errno = 0;
	assert_int_equal(evloop_add(w.loop, w.sv[0], EV_READ, hup_cb, &w.got),
	    -1);
	assert_int_equal(errno, EEXIST);
	errno = 0;
	assert_int_equal(evloop_mod(w.loop, w.sv[1], EV_READ), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(evloop_del(w.loop, w.sv[1]), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(evloop_add(w.loop, -1, EV_READ, hup_cb, &w.got), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(evloop_del(w.loop, w.sv[0]), 0);
	unwatch_pair(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_run_returns),
		cmocka_unit_test(test_timers_fire_in_order),
		cmocka_unit_test(test_timer_cancel),
		cmocka_unit_test(test_del_in_callback_skips_pending),
		cmocka_unit_test(test_mod_in_callback),
		cmocka_unit_test(test_error_reported_without_interest),
		cmocka_unit_test(test_stop_with_watches),
		cmocka_unit_test(test_bad_watch_calls),
	};

	/* A loop that never ends fails the run instead of hanging it. */
	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
