/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helpers: connected TCP pairs over 127.0.0.1 built with sock.c. */
#ifndef TEARDOWN_TEST_LOOPBACK_H
#define TEARDOWN_TEST_LOOPBACK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "errbuf.h"
#include "sock.h"

/* Every wait in a test is bounded so a bug fails instead of hanging. */
#define TEST_WAIT_MS 10000

/* Port of a listening or bound socket as a string for sock_connect. */
static inline void
port_str(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "%u", sock_local_port(fd));
}

/*
 * A connected TCP pair: *client from sock_connect, *server from
 * sock_accept. Returns 0, or -1 (the caller's assert fails).
 */
static inline int
tcp_pair(int *client, int *server)
{
	char eb[ERRBUF_LEN], port[8];
	enum outcome o;
	int lfd;

	*client = *server = -1;
	lfd = sock_listen("127.0.0.1", "0", NULL, eb);
	if (lfd == -1)
		return -1;
	port_str(lfd, port, sizeof(port));
	*client = sock_connect("127.0.0.1", port, NULL, &o, eb);
	*server = *client == -1 ? -1 : sock_accept(lfd, TEST_WAIT_MS, &o, eb);
	close(lfd);
	if (*server == -1) {
		if (*client != -1)
			close(*client);
		return -1;
	}
	return 0;
}

/*
 * A socket listening (or, for SOCK_DGRAM in o, bound) on 127.0.0.1 at a
 * kernel-chosen port, written to port unless port is NULL. The test
 * fails here if there is none.
 */
static inline int
lo_listen(const struct sock_opts *o, char *port, size_t len)
{
	char eb[ERRBUF_LEN];
	int lfd = sock_listen("127.0.0.1", "0", o, eb);

	assert_true(lfd >= 0);
	if (port != NULL)
		port_str(lfd, port, len);
	return lfd;
}

/* sock_connect to host and port, which must succeed. */
static inline int
lo_connect(const char *host, const char *port, const struct sock_opts *o,
    enum outcome *oc)
{
	char eb[ERRBUF_LEN];
	int fd = sock_connect(host, port, o, oc, eb);

	assert_true(fd >= 0);
	return fd;
}

/* sock_accept within TEST_WAIT_MS, which must succeed. */
static inline int
lo_accept(int lfd, enum outcome *oc)
{
	char eb[ERRBUF_LEN];
	int fd = sock_accept(lfd, TEST_WAIT_MS, oc, eb);

	assert_true(fd >= 0);
	return fd;
}

/* Closes the fds given, up to the first -1. */
static inline void
close_fds(int fd, ...)
{
	va_list ap;

	va_start(ap, fd);
	for (; fd != -1; fd = va_arg(ap, int))
		close(fd);
	va_end(ap);
}

#endif
