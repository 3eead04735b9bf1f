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

#endif
