/* SPDX-License-Identifier: BSD-2-Clause */
/* Graceful, abortive and plain closes, each reporting what it observed. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "close.h"
#include "names.h"
#include "sock.h"
#include "sockopt.h"

static const char *const close_names[] = {
	[CLOSE_GRACEFUL] = "graceful",
	[CLOSE_ABORT] = "abort",
	[CLOSE_PLAIN] = "plain",
};

#define NCLOSE_NAMES (sizeof(close_names) / sizeof(close_names[0]))

int
close_how_parse(const char *name, enum close_how *how)
{
	int i = names_find(close_names, NCLOSE_NAMES, name);

	if (i >= 0 && how != NULL)
		*how = (enum close_how)i;
	return i >= 0 ? 0 : -1;
}

const char *
close_how_name(enum close_how how)
{
	return names_get(close_names, NCLOSE_NAMES, how, "?");
}

/*
 * Record the queues as they are at the last moment, close fd and hand the
 * report over. errno ends as err, or close()'s error, or as it was on
 * entry. Returns -1 when err was set or close() failed.
 */
static int
finish(int fd, struct close_report *rep, int err, int entry_errno,
    struct close_report *r)
{
	int inq = sockopt_inq(fd), outq = sockopt_outq(fd);

	rep->unread = inq > 0 ? (uint64_t)inq : 0;
	rep->unsent = outq > 0 ? (uint64_t)outq : 0;
	if (rep->how == CLOSE_PLAIN)
		rep->sent_rst = rep->unread > 0;
	if (close(fd) == -1 && err == 0)
		err = errno;
	rep->err = err;
	if (err != 0 && rep->outcome == OUTCOME_OK)
		rep->outcome = outcome_from_errno(err);
	if (r != NULL)
		*r = *rep;
	errno = err != 0 ? err : entry_errno;
	return err != 0 ? -1 : 0;
}

/* SO_LINGER {1, 0}: the next close() sends RST and drops both queues. */
static int
set_abortive(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/*
 * Wait for fd to become ready within the deadline: 1 ready, 0 deadline
 * passed, -1 error (errno). A signal only restarts the wait: the deadline
 * is what bounds a graceful close.
 */
static int
wait_ready(int fd, short events, int64_t deadline)
{
	int rc;

	do
		rc = sock_wait(fd, events, deadline);
	while (rc == -1 && errno == EINTR);
	return rc;
}

/* Send all of pending without blocking past the deadline. */
static int
flush_pending(int fd, const char *p, size_t len, int64_t deadline,
    struct close_report *rep)
{
	ssize_t n;
	int rc;

	while (rep->flushed < len) {
		n = send(fd, p + rep->flushed, len - rep->flushed,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			rep->flushed += (uint64_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = wait_ready(fd, POLLOUT, deadline);
			if (rc == 1)
				continue;
			return rc;
		}
		return -1;
	}
	return 1;
}

/* Read until the peer's EOF (1), the deadline (0) or an error (-1). */
static int
drain_to_eof(int fd, int64_t deadline, close_sink_fn *sink, void *sink_arg,
    struct close_report *rep)
{
	char buf[16384];
	ssize_t n;
	int rc;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			rep->drained += (uint64_t)n;
			if (sink != NULL)
				sink(sink_arg, buf, (size_t)n);
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		rc = wait_ready(fd, POLLIN, deadline);
		if (rc != 1)
			return rc;
	}
}

int
close_graceful(int fd, const void *pending, size_t len, int timeout_ms,
    close_sink_fn *sink, void *sink_arg, struct close_report *r)
{
	struct close_report rep = { .how = CLOSE_GRACEFUL };
	int64_t deadline = sock_deadline(timeout_ms);
	int entry_errno = errno, rc;

	rc = flush_pending(fd, pending, len, deadline, &rep);
	if (rc == 1 && shutdown(fd, SHUT_WR) == -1)
		rc = -1;
	if (rc == 1)
		rc = drain_to_eof(fd, deadline, sink, sink_arg, &rep);
	if (rc == 1)
		return finish(fd, &rep, 0, entry_errno, r);
	if (rc == -1)
		return finish(fd, &rep, errno, entry_errno, r);
	/*
	 * Deadline: the peer would not take our data or would not close.
	 * Abort so neither side waits on the other any longer.
	 */
	rep.outcome = OUTCOME_TIMEOUT;
	rep.aborted = true;
	rep.sent_rst = set_abortive(fd) == 0;
	finish(fd, &rep, ETIMEDOUT, entry_errno, r);
	return -1;
}

int
close_abort(int fd, struct close_report *r)
{
	struct close_report rep = { .how = CLOSE_ABORT };
	int entry_errno = errno;

	if (set_abortive(fd) == -1)
		return finish(fd, &rep, errno, entry_errno, r);
	rep.sent_rst = true;
	return finish(fd, &rep, 0, entry_errno, r);
}

/*
 * Closing with unread input makes Linux send RST instead of FIN (RFC 2525
 * section 2.17); finish() records that as sent_rst.
 */
int
close_plain(int fd, struct close_report *r)
{
	struct close_report rep = { .how = CLOSE_PLAIN };

	return finish(fd, &rep, 0, errno, r);
}
