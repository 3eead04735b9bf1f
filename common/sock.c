/* SPDX-License-Identifier: BSD-2-Clause */
/* Connect, listen, accept, send and receive with deadlines; never prints. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "sock.h"

static const struct sock_opts default_opts;

static void
set_outcome(enum outcome *dst, enum outcome o)
{
	if (dst != NULL)
		*dst = o;
}

/* close() that leaves errno as the failure being reported. */
static void
close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* The bare numeric host of sa, for "connect to HOST port N" messages. */
static const char *
numeric_host(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *src = NULL;

	if (sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_addr;
	if (src == NULL || inet_ntop(sa->sa_family, src, buf, len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

void
sock_ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

int64_t
sock_deadline(int timeout_ms)
{
	return timeout_ms <= 0 ? -1 : clock_mono_ms() + timeout_ms;
}

int
sock_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int timeout = -1, rc;

		if (deadline >= 0) {
			int64_t left = deadline - clock_mono_ms();

			if (left < 0)
				left = 0;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		rc = poll(&pfd, 1, timeout);
		if (rc > 0)
			return 1;
		if (rc < 0)
			return -1;
		if (clock_mono_ms() >= deadline) {
			errno = ETIMEDOUT;
			return 0;
		}
	}
}

int
sock_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	if (on == ((fl & O_NONBLOCK) != 0))
		return 0;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

int
sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

/* Bind fd (of family) to the caller's source address before connecting. */
static int
bind_source(int fd, int family, const struct sock_opts *o, char *errbuf)
{
	const char *shost = o->src_host != NULL ? o->src_host : "";
	const char *sport = o->src_port != NULL ? o->src_port : "0";
	struct addrinfo *res, *ai;
	char why[ERRBUF_LEN];
	int one = 1;

	res = addr_resolve(shost, sport, family == AF_INET6 ? ADDR_V6 :
	    ADDR_V4, true, why);
	if (res == NULL) {
		errno = EADDRNOTAVAIL;
		errbuf_set(errbuf, "bind to %s port %s: %s",
		    *shost != '\0' ? shost : "*", sport, why);
		return -1;
	}
	/* A fixed source port is reused at once after a previous run. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(res);
			return 0;
		}
	}
fail:
	errbuf_set(errbuf, "bind to %s port %s: %s",
	    *shost != '\0' ? shost : "*", sport, strerror(errno));
	freeaddrinfo(res);
	return -1;
}

/*
 * Wait for the attempt sock_connect_start began on fd to end. Returns 0
 * when connected, 1 for a self-connect (already reported), -1 with errno
 * (ETIMEDOUT on our deadline, EINTR when a signal ended the wait).
 */
static int
connect_wait(int fd, const struct sock_opts *o, char *errbuf)
{
	enum outcome oc;
	int rc = sock_wait(fd, POLLOUT, sock_deadline(o->timeout_ms));

	if (rc <= 0)
		return -1;
	if (sock_connect_finish(fd, &oc, errbuf) == -1)
		return oc == OUTCOME_SELF_CONNECT ? 1 : -1;
	return o->nonblock ? 0 : sock_set_nonblock(fd, false);
}

int
sock_connect(const char *host, const char *port,
    const struct sock_opts *o, enum outcome *outcome, char *errbuf)
{
	return sock_connect_peer(host, port, o, NULL, 0, outcome, errbuf);
}

int
sock_connect_peer(const char *host, const char *port,
    const struct sock_opts *o, char *peer, size_t peerlen,
    enum outcome *outcome, char *errbuf)
{
	struct addrinfo *res, *ai;
	char why[ERRBUF_LEN], ip[INET6_ADDRSTRLEN];
	int fd, rc, err = 0;

	if (o == NULL)
		o = &default_opts;
	res = addr_resolve(host, port, o->family, false, why);
	if (res == NULL) {
		set_outcome(outcome, OUTCOME_ERROR);
		errbuf_set(errbuf, "connect to %s port %s: %s",
		    host != NULL && *host != '\0' ? host : "localhost",
		    port != NULL ? port : "0", why);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = sock_connect_start(ai, o, outcome, errbuf);
		if (fd == -1) {
			err = errno;
			continue;
		}
		rc = connect_wait(fd, o, errbuf);
		if (rc == 0) {
			if (peer != NULL)
				addr_format(ai->ai_addr, peer, peerlen);
			freeaddrinfo(res);
			set_outcome(outcome, OUTCOME_OK);
			return fd;
		}
		if (rc == 1) {
			/* Talking to ourselves on one address: stop here. */
			close_keep_errno(fd);
			freeaddrinfo(res);
			set_outcome(outcome, OUTCOME_SELF_CONNECT);
			return -1;
		}
		err = errno;
		errbuf_set(errbuf, "connect to %s port %u: %s",
		    numeric_host(ai->ai_addr, ip, sizeof(ip)),
		    addr_port(ai->ai_addr), strerror(err));
		close(fd);
	}
	freeaddrinfo(res);
	set_outcome(outcome, outcome_from_errno(err));
	errno = err;
	return -1;
}

/* Bind (and for TCP listen) on one resolved address. */
static int
listen_one(const struct addrinfo *ai, int type, bool dual,
    const struct sock_opts *o)
{
	int fd, one = 1, v6only = !dual;

	fd = socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/*
	 * SO_REUSEADDR lets a server restart while old connections sit in
	 * TIME_WAIT. For UDP it would instead let a second listener share
	 * the port and silently split the datagrams, so it is TCP only.
	 */
	if ((type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
	    &one, sizeof(one)) == -1) ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    (type == SOCK_STREAM && listen(fd, o->backlog > 0 ? o->backlog :
	    SOMAXCONN) == -1) ||
	    (o->nonblock && sock_set_nonblock(fd, true) == -1)) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

static int
listen_family(const char *host, const char *port, enum addr_family family,
    bool dual, const struct sock_opts *o, char *errbuf)
{
	struct addrinfo *res, *ai;
	char why[ERRBUF_LEN], ip[INET6_ADDRSTRLEN];
	int fd = -1, err = 0;
	int type = o->type != 0 ? o->type : SOCK_STREAM;

	res = addr_resolve(host, port, family, true, why);
	if (res == NULL) {
		errbuf_set(errbuf, "listen on %s port %s: %s",
		    host != NULL && *host != '\0' ? host : "*",
		    port != NULL ? port : "0", why);
		errno = EADDRNOTAVAIL;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = listen_one(ai, type, dual, o);
		if (fd != -1)
			break;
		err = errno;
		errbuf_set(errbuf, "listen on %s port %u: %s",
		    numeric_host(ai->ai_addr, ip, sizeof(ip)),
		    addr_port(ai->ai_addr), strerror(err));
	}
	freeaddrinfo(res);
	if (fd == -1)
		errno = err;
	return fd;
}

/*
 * With no host and no family preference one IPv6 socket on "::" with
 * IPV6_V6ONLY off takes both IPv4 (as ::ffff:a.b.c.d) and IPv6 clients;
 * where the kernel has no IPv6 we fall back to 0.0.0.0. An explicit "::"
 * or -6 gets IPV6_V6ONLY on, whatever the sysctl default says.
 */
int
sock_listen(const char *host, const char *port,
    const struct sock_opts *o, char *errbuf)
{
	int fd;

	if (o == NULL)
		o = &default_opts;
	if (o->family != ADDR_ANY || (host != NULL && *host != '\0'))
		return listen_family(host, port, o->family, false, o, errbuf);
	fd = listen_family(NULL, port, ADDR_V6, true, o, errbuf);
	if (fd == -1 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
		fd = listen_family(NULL, port, ADDR_V4, false, o, errbuf);
	return fd;
}

int
sock_accept(int lfd, int timeout_ms, enum outcome *outcome, char *errbuf)
{
	return sock_accept_peer(lfd, timeout_ms, NULL, 0, outcome, errbuf);
}

int
sock_accept_peer(int lfd, int timeout_ms, char *peer, size_t peerlen,
    enum outcome *outcome, char *errbuf)
{
	int64_t deadline = sock_deadline(timeout_ms);
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, rc;

	for (;;) {
		rc = sock_wait(lfd, POLLIN, deadline);
		if (rc == 0) {
			set_outcome(outcome, OUTCOME_TIMEOUT);
			errbuf_set(errbuf, "accept: no connection within %d ms",
			    timeout_ms);
			return -1;
		}
		if (rc == 1) {
			memset(&ss, 0, sizeof(ss));
			sslen = sizeof(ss);
			fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
			    SOCK_CLOEXEC);
			if (fd != -1) {
				if (peer != NULL)
					addr_format((struct sockaddr *)&ss,
					    peer, peerlen);
				set_outcome(outcome, OUTCOME_OK);
				return fd;
			}
			/* The client went away between poll and accept. */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
		}
		set_outcome(outcome, outcome_from_errno(errno));
		errbuf_set(errbuf, "accept: %s", strerror(errno));
		return -1;
	}
}

bool
sock_is_self_connect(int fd)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof(local), plen = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&local, &llen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) == -1)
		return false;
	return addr_equal((struct sockaddr *)&local,
	    (struct sockaddr *)&peer);
}

static const char *
name_str(int fd, bool peer, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int rc;

	/* An unnamed Unix-domain socket fills in no path: leave it empty. */
	memset(&ss, 0, sizeof(ss));
	if (peer)
		rc = getpeername(fd, (struct sockaddr *)&ss, &sslen);
	else
		rc = getsockname(fd, (struct sockaddr *)&ss, &sslen);
	if (rc == -1) {
		snprintf(buf, len, "?");
		return buf;
	}
	return addr_format((struct sockaddr *)&ss, buf, len);
}

const char *
sock_local_str(int fd, char *buf, size_t len)
{
	return name_str(fd, false, buf, len);
}

const char *
sock_peer_str(int fd, char *buf, size_t len)
{
	return name_str(fd, true, buf, len);
}

unsigned
sock_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	return addr_port((struct sockaddr *)&ss);
}

/*
 * Shared loop of sock_send_all and sock_recv_all: move len bytes, retry
 * EINTR, wait in poll when the socket is non-blocking.
 */
static size_t
move_all(int fd, char *buf, size_t len, bool sending, enum outcome *outcome)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (sending)
			n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
		else
			n = recv(fd, buf + done, len - done, 0);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0 && !sending) {
			set_outcome(outcome, OUTCOME_EOF);
			return done;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    (sock_wait(fd, sending ? POLLOUT : POLLIN, -1) == 1 ||
		    errno == EINTR))
			continue;
		set_outcome(outcome, outcome_from_errno(errno));
		return done;
	}
	set_outcome(outcome, OUTCOME_OK);
	return done;
}

size_t
sock_send_all(int fd, const void *buf, size_t len, enum outcome *outcome)
{
	/* move_all only reads from buf when sending. */
	return move_all(fd, (char *)(uintptr_t)buf, len, true, outcome);
}

size_t
sock_recv_all(int fd, void *buf, size_t len, enum outcome *outcome)
{
	return move_all(fd, buf, len, false, outcome);
}

ssize_t
sock_recv_timeout(int fd, void *buf, size_t len, int timeout_ms,
    enum outcome *outcome)
{
	int64_t deadline = sock_deadline(timeout_ms);
	ssize_t n;

	for (;;) {
		if (sock_wait(fd, POLLIN, deadline) != 1)
			break;
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n > 0 || (n == 0 && len == 0)) {
			set_outcome(outcome, OUTCOME_OK);
			return n;
		}
		if (n == 0) {
			set_outcome(outcome, OUTCOME_EOF);
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			break;
	}
	set_outcome(outcome, outcome_from_errno(errno));
	return -1;
}

int
sock_connect_start(const struct addrinfo *ai, const struct sock_opts *o,
    enum outcome *outcome, char *errbuf)
{
	char ip[INET6_ADDRSTRLEN];
	int type, fd;

	if (o == NULL)
		o = &default_opts;
	type = o->type != 0 ? o->type : SOCK_STREAM;
	numeric_host(ai->ai_addr, ip, sizeof(ip));
	fd = socket(ai->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		set_outcome(outcome, outcome_from_errno(errno));
		errbuf_set(errbuf, "socket for %s: %s", ip, strerror(errno));
		return -1;
	}
	if ((o->src_host != NULL || o->src_port != NULL) &&
	    bind_source(fd, ai->ai_family, o, errbuf) == -1) {
		set_outcome(outcome, outcome_from_errno(errno));
		close_keep_errno(fd);
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		set_outcome(outcome, outcome_from_errno(errno));
		errbuf_set(errbuf, "connect to %s port %u: %s", ip,
		    addr_port(ai->ai_addr), strerror(errno));
		close_keep_errno(fd);
		return -1;
	}
	set_outcome(outcome, OUTCOME_OK);
	return fd;
}

int
sock_connect_finish(int fd, enum outcome *outcome, char *errbuf)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char peer[ADDR_STRLEN];
	int err = sock_error(fd);

	if (err == 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		err = errno == ENOTCONN ? EINPROGRESS : errno;
	if (err != 0) {
		set_outcome(outcome, outcome_from_errno(err));
		errbuf_set(errbuf, "connect: %s", strerror(err));
		errno = err;
		return -1;
	}
	if (sock_is_self_connect(fd)) {
		/*
		 * TCP simultaneous open with ourselves (RFC 793 section 3.4):
		 * nothing is listening, yet connect() succeeded. Report it
		 * rather than talk to ourselves; ECONNREFUSED is the errno
		 * nearest to "nobody was listening".
		 */
		set_outcome(outcome, OUTCOME_SELF_CONNECT);
		errbuf_set(errbuf, "connect to %s port %u: connected to itself "
		    "(local address == peer address)",
		    numeric_host((struct sockaddr *)&ss, peer, sizeof(peer)),
		    addr_port((struct sockaddr *)&ss));
		errno = ECONNREFUSED;
		return -1;
	}
	set_outcome(outcome, OUTCOME_OK);
	return 0;
}

/* sun for path; -1 with errno ENAMETOOLONG (or EINVAL when empty). */
static int
unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (*path == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/*
 * A Unix-domain stream socket for path, connected (listen false) or
 * bound and listening; -1 with errbuf "VERB unix:PATH: why" and errno.
 */
static int
unix_socket(const char *path, bool listen_on, int backlog, bool nonblock,
    char *errbuf)
{
	struct sockaddr_un sun;
	int fd = -1, saved;
	bool ok;

	ok = unix_addr(path, &sun) == 0 &&
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1;
	if (ok && listen_on)
		ok = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
		    listen(fd, backlog > 0 ? backlog : SOMAXCONN) == 0;
	else if (ok)
		ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
		    (!nonblock || sock_set_nonblock(fd, true) == 0);
	if (ok)
		return fd;
	saved = errno;
	errbuf_set(errbuf, "%s unix:%s: %s", listen_on ? "listen on" :
	    "connect to", path, strerror(saved));
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

int
sock_connect_unix(const char *path, bool nonblock, char *errbuf)
{
	return unix_socket(path, false, 0, nonblock, errbuf);
}

int
sock_listen_unix(const char *path, int backlog, char *errbuf)
{
	return unix_socket(path, true, backlog, false, errbuf);
}
