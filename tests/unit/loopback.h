/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helpers: connected TCP pairs over 127.0.0.1 built with sock.c. */
#ifndef TEARDOWN_TEST_LOOPBACK_H
#define TEARDOWN_TEST_LOOPBACK_H

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

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

#endif
