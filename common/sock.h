/* SPDX-License-Identifier: BSD-2-Clause */
/* Connect, listen, accept and send with sane defaults; never prints. */
#ifndef TEARDOWN_SOCK_H
#define TEARDOWN_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "outcome.h"

/* Options for sock_connect and sock_listen; zero means default. */
struct sock_opts {
	enum addr_family family;	/* ADDR_ANY, ADDR_V4, ADDR_V6 */
	int type;			/* SOCK_STREAM (default) or SOCK_DGRAM */
	const char *src_host;		/* bind before connect (nc -s) */
	const char *src_port;		/* bind before connect (nc -p) */
	int timeout_ms;			/* connect/accept deadline; 0 = none */
	bool nonblock;			/* leave the fd O_NONBLOCK */
	int backlog;			/* listen backlog; 0 = SOMAXCONN */
};

/*
 * Ignore SIGPIPE process-wide. Every binary calls it first; sends also use
 * MSG_NOSIGNAL so a library user that forgets still gets EPIPE.
 */
void sock_ignore_sigpipe(void);

/*
 * Connect to host:port, trying each resolved address in turn. The socket
 * is close-on-exec. A connection whose local address equals its peer's
 * (TCP simultaneous-open with itself) is closed and reported as
 * OUTCOME_SELF_CONNECT. Returns the fd, or -1 with *outcome (may be NULL)
 * and errbuf saying why ("connect to 127.0.0.1 port 9: Connection
 * refused"); errno holds the last attempt's error (ECONNREFUSED for a
 * self-connect). host NULL or "" means loopback. The connection is
 * complete on return even with o->nonblock (the fd is then left
 * O_NONBLOCK). A signal during a timed wait ends it: OUTCOME_INTERRUPTED.
 * SOCK_DGRAM sockets are connected (default peer) without a handshake.
 */
int sock_connect(const char *host, const char *port,
    const struct sock_opts *o, enum outcome *outcome, char *errbuf);

/*
 * sock_connect that also formats the address it connected to (as
 * addr_format does, into peer of peerlen bytes): getpeername fails once
 * a peer has already reset, the address we connected to does not.
 */
int sock_connect_peer(const char *host, const char *port,
    const struct sock_opts *o, char *peer, size_t peerlen,
    enum outcome *outcome, char *errbuf);

/*
 * Listen on host:port (host NULL or "" = all addresses; port "0" picks a
 * free one) with SO_REUSEADDR and close-on-exec. Returns the fd or -1.
 * With no host and o->family ADDR_ANY one IPv6 socket on "::" with
 * IPV6_V6ONLY off takes IPv4 clients too (0.0.0.0 where the kernel has no
 * IPv6); an explicit IPv6 host or ADDR_V6 gets IPV6_V6ONLY on. SOCK_DGRAM
 * sockets are only bound, and get no SO_REUSEADDR (it would let a second
 * listener share the port and split the datagrams).
 */
int sock_listen(const char *host, const char *port,
    const struct sock_opts *o, char *errbuf);

/*
 * Accept one connection, waiting at most timeout_ms (<= 0: forever).
 * Returns the close-on-exec fd, or -1 with *outcome set (OUTCOME_TIMEOUT on
 * deadline) and errbuf filled.
 */
int sock_accept(int lfd, int timeout_ms, enum outcome *outcome, char *errbuf);

/*
 * sock_accept that also formats the peer's address (as addr_format does,
 * into peer of peerlen bytes) from what accept(2) returned: getpeername
 * fails once a peer has already reset, accept's address does not.
 */
int sock_accept_peer(int lfd, int timeout_ms, char *peer, size_t peerlen,
    enum outcome *outcome, char *errbuf);

/*
 * Unix-domain stream sockets (nc -U): connect to, or bind and listen on,
 * the filesystem path (close-on-exec; nonblock as sock_opts has it). The
 * listener does not remove an existing path: "Address already in use",
 * as for a port; its caller unlinks the path when done. Returns the fd,
 * or -1 with errbuf ("connect to unix:/tmp/s: No such file or
 * directory") and errno set; a path too long for sun_path is ENAMETOOLONG.
 */
int sock_connect_unix(const char *path, bool nonblock, char *errbuf);
int sock_listen_unix(const char *path, int backlog, char *errbuf);

/* True when the connected socket's local address equals its peer's. */
bool sock_is_self_connect(int fd);

/* Local or peer address of fd formatted as addr_format does. */
const char *sock_local_str(int fd, char *buf, size_t len);
const char *sock_peer_str(int fd, char *buf, size_t len);

/* Local port of a bound socket, 0 on error. */
unsigned sock_local_port(int fd);

/*
 * Send all of buf with MSG_NOSIGNAL, retrying short writes and EINTR; on a
 * non-blocking socket waits with poll. Returns bytes sent; on failure sets
 * *outcome (EPIPE -> OUTCOME_BROKEN_PIPE) and returns what went out first.
 */
size_t sock_send_all(int fd, const void *buf, size_t len,
    enum outcome *outcome);

/*
 * Read exactly len bytes unless EOF or an error comes first. Returns the
 * bytes read; *outcome is OUTCOME_OK when all arrived, else why not.
 */
size_t sock_recv_all(int fd, void *buf, size_t len, enum outcome *outcome);

/*
 * One recv() with a deadline (timeout_ms <= 0 waits forever). Returns > 0
 * bytes, 0 with OUTCOME_EOF, or -1 with the outcome of the failure.
 */
ssize_t sock_recv_timeout(int fd, void *buf, size_t len, int timeout_ms,
    enum outcome *outcome);

/* Set or clear O_NONBLOCK. Returns -1 on failure. */
int sock_set_nonblock(int fd, bool on);

/* Pending socket error (SO_ERROR), 0 for none. */
int sock_error(int fd);


/* The absolute deadline timeout_ms from now; -1 (never) if <= 0. */
int64_t sock_deadline(int timeout_ms);

/*
 * poll() fd for events (POLLIN, POLLOUT) until the absolute deadline from
 * sock_deadline (-1: no deadline). Returns 1 when ready (including error
 * and hang-up conditions), 0 with errno ETIMEDOUT when the deadline
 * passed, -1 with errno when poll failed (EINTR included: callers decide
 * whether a signal ends the wait).
 */
int sock_wait(int fd, short events, int64_t deadline);

/*
 * Start a non-blocking connect to one resolved address, for event loops
 * that cannot wait in sock_connect (bound to o->src_host/src_port first
 * when given). Returns the O_NONBLOCK, close-on-exec fd, which becomes
 * writable when the attempt ends; call sock_connect_finish then. Returns
 * -1 with *outcome and errbuf when the attempt failed at once.
 */
struct addrinfo;
int sock_connect_start(const struct addrinfo *ai, const struct sock_opts *o,
    enum outcome *outcome, char *errbuf);

/*
 * Finish what sock_connect_start began, once its fd is writable: 0 when
 * connected, -1 with *outcome (refused, timeout, self-connect, ...) and
 * errbuf otherwise. The fd stays open either way; the caller closes it.
 */
int sock_connect_finish(int fd, enum outcome *outcome, char *errbuf);

#endif
