/* SPDX-License-Identifier: BSD-2-Clause */
/* Zero-copy byte pumps: socket -> pipe -> socket with splice(2). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "splice.h"

struct splice_pipe {
	int rd, wr;	/* the pipe's two ends, both O_NONBLOCK */
	size_t len;	/* bytes in the pipe */
	size_t cap;	/* F_GETPIPE_SZ */
};

struct splice_pipe *
splice_pipe_new(size_t size, char *errbuf)
{
	struct splice_pipe *p;
	int fds[2], got;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		errbuf_set(errbuf, "splice pipe: out of memory");
		return NULL;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1) {
		errbuf_set(errbuf, "splice pipe: pipe2: %s", strerror(errno));
		free(p);
		return NULL;
	}
	p->rd = fds[0];
	p->wr = fds[1];
	/*
	 * A bigger pipe means fewer splice calls per byte. Failing to grow
	 * it (EPERM past pipe-max-size, or the user's pipe pages used up)
	 * is not an error: the default size still works, only slower.
	 */
	if (size > 0)
		(void)fcntl(p->wr, F_SETPIPE_SZ, (int)size);
	got = fcntl(p->wr, F_GETPIPE_SZ);
	p->cap = got > 0 ? (size_t)got : 65536;
	return p;
}

void
splice_pipe_free(struct splice_pipe *p)
{
	int saved = errno;

	if (p == NULL)
		return;
	close(p->rd);
	close(p->wr);
	free(p);
	errno = saved;
}

size_t
splice_pipe_len(const struct splice_pipe *p)
{
	return p->len;
}

size_t
splice_pipe_cap(const struct splice_pipe *p)
{
	return p->cap;
}

size_t
splice_pipe_room(const struct splice_pipe *p)
{
	return p->len < p->cap ? p->cap - p->len : 0;
}

ssize_t
splice_pipe_fill(struct splice_pipe *p, int fd)
{
	size_t room = splice_pipe_room(p);
	ssize_t n;

	if (room == 0) {
		errno = EAGAIN;
		return -1;
	}
	do
		n = splice(fd, NULL, p->wr, NULL, room,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		p->len += (size_t)n;
	return n;
}

ssize_t
splice_pipe_drain(struct splice_pipe *p, int fd)
{
	ssize_t n;

	if (p->len == 0)
		return 0;
	/* SIGPIPE is ignored process-wide (sock_ignore_sigpipe), and
	   splice(2) into a socket has no MSG_NOSIGNAL of its own. */
	do
		n = splice(p->rd, NULL, fd, NULL, p->len,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		p->len -= (size_t)n;
	return n;
}

int
splice_pipe_drain_all(struct splice_pipe *p, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (p->len > 0) {
		n = splice_pipe_drain(p, fd);
		if (n >= 0)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}
