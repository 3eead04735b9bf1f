/* SPDX-License-Identifier: BSD-2-Clause */
/* The TCP state of any local socket by its 4-tuple, through sock_diag. */
#ifndef TEARDOWN_SOCKDIAG_H
#define TEARDOWN_SOCKDIAG_H

#include <sys/socket.h>

/*
 * A NETLINK_INET_DIAG socket (NETLINK_SOCK_DIAG) for looking up TCP
 * sockets of this network namespace, whoever owns them: what `ss` reads.
 * Used to watch the other end of a connection we hold (a server under
 * test) release its socket or leave it in CLOSE_WAIT.
 */
struct sockdiag;

/* Open the netlink socket. Returns NULL with errbuf set. */
struct sockdiag *sockdiag_open(char *errbuf);
void sockdiag_close(struct sockdiag *d);

/*
 * The state (TCP_ESTABLISHED ... TCP_CLOSING, as tcpi_state) of the TCP
 * socket whose local address is local and whose peer is remote: the
 * socket at the other end of a connection is found by swapping ours.
 * Returns the state, 0 when no such socket exists (closed and gone, or
 * not in this namespace), or -1 with errbuf set.
 */
int sockdiag_tcp_state(struct sockdiag *d, const struct sockaddr *local,
    const struct sockaddr *remote, char *errbuf);

/* What the kernel tells of one TCP socket (struct inet_diag_msg). */
struct sockdiag_tcp {
	int state;		/* TCP_ESTABLISHED ... as tcpi_state */
	unsigned timer;		/* 0 none, 1 retransmit, 2 keepalive, ... */
	unsigned retrans;	/* retransmissions (or zero-window probes) */
};

/*
 * Like sockdiag_tcp_state, with the pending timer and its count of tries:
 * how often the socket has resent to a peer that does not answer.
 * Returns 1 with *t filled, 0 when no such socket exists, -1 on error.
 */
int sockdiag_tcp_lookup(struct sockdiag *d, const struct sockaddr *local,
    const struct sockaddr *remote, struct sockdiag_tcp *t, char *errbuf);

#endif
