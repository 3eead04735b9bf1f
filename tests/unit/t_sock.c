/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sock.c on real loopback sockets: connect, listen, I/O. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"

#include "clock.h"
#include "loopback.h"
#include "sock.h"

/*
 * A socket bound to 127.0.0.1 on a kernel-chosen port but not listening:
 * a SYN to it is answered with RST, so connecting is refused, and no
 * other process can take the port while we hold it.
 */
static int
bound_not_listening(int type, char *port, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	port_str(fd, port, len);
	return fd;
}

static bool
has_flag(int fd, int cmd, int flag)
{
	int fl = fcntl(fd, cmd);

	assert_true(fl >= 0);
	return (fl & flag) != 0;
}

static void
test_connect_refused(void **state)
{
	char port[8], want[ERRBUF_LEN], eb[ERRBUF_LEN] = "";
	struct sock_opts o = { .timeout_ms = TEST_WAIT_MS };
	enum outcome oc = OUTCOME_OK;
	int hold = bound_not_listening(SOCK_STREAM, port, sizeof(port));

	(void)state;
	snprintf(want, sizeof(want),
	    "connect to 127.0.0.1 port %s: Connection refused", port);
	/* Blocking connect. */
	assert_int_equal(sock_connect("127.0.0.1", port, NULL, &oc, eb), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(oc, OUTCOME_REFUSED);
	assert_string_equal(eb, want);
	/* Non-blocking connect with a deadline: the same answer. */
	oc = OUTCOME_OK;
	eb[0] = '\0';
	assert_int_equal(sock_connect("127.0.0.1", port, &o, &oc, eb), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(oc, OUTCOME_REFUSED);
	assert_string_equal(eb, want);
	close(hold);
}

static void
test_connect_bad_name(void **state)
{
	struct sock_opts o = { .family = ADDR_V4 };
	char eb[ERRBUF_LEN] = "";
	enum outcome oc = OUTCOME_OK;

	(void)state;
	assert_int_equal(sock_connect("127.0.0.1", "no-such-service-xyz", &o,
	    &oc, eb), -1);
	assert_int_equal(oc, OUTCOME_ERROR);
	assert_string_equal(eb, "connect to 127.0.0.1 port no-such-service-xyz:"
	    " Servname not supported for ai_socktype");
}

static void
test_accept_timeout(void **state)
{
	char eb[ERRBUF_LEN] = "";
	enum outcome oc = OUTCOME_OK;
	int lfd = sock_listen("127.0.0.1", "0", NULL, eb);

	(void)state;
	assert_true(lfd >= 0);
	assert_int_equal(sock_accept(lfd, 50, &oc, eb), -1);
	assert_int_equal(oc, OUTCOME_TIMEOUT);
	assert_int_equal(errno, ETIMEDOUT);
	assert_string_equal(eb, "accept: no connection within 50 ms");
	close(lfd);
}

static void
test_self_connect(void **state)
{
	char port[8], want[ERRBUF_LEN], eb[ERRBUF_LEN] = "";
	struct sock_opts o = { .src_host = "127.0.0.1", .src_port = port };
	enum outcome oc = OUTCOME_OK;
	int fd, hold;

	(void)state;
	/*
	 * Find a free port, then let it go: connecting from 127.0.0.1:P to
	 * 127.0.0.1:P is a TCP simultaneous open with ourselves, which
	 * Linux completes. Another process grabbing P in between would
	 * make bind fail (a clear error, not a wrong pass).
	 */
	hold = bound_not_listening(SOCK_STREAM, port, sizeof(port));
	close(hold);
	snprintf(want, sizeof(want), "connect to 127.0.0.1 port %s: connected "
	    "to itself (local address == peer address)", port);
	fd = sock_connect("127.0.0.1", port, &o, &oc, eb);
	assert_int_equal(fd, -1);
	assert_string_equal(eb, want);
	assert_int_equal(oc, OUTCOME_SELF_CONNECT);
}

static void
test_pair_addresses_and_flags(void **state)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], port[8];
	struct sock_opts o = { .timeout_ms = TEST_WAIT_MS };
	enum outcome oc;
	int lfd, c, s;

	(void)state;
	lfd = lo_listen(NULL, port, sizeof(port));
	assert_true(has_flag(lfd, F_GETFD, FD_CLOEXEC));
	assert_true(sock_local_port(lfd) > 0);
	snprintf(b, sizeof(b), "127.0.0.1:%s", port);
	assert_string_equal(sock_local_str(lfd, a, sizeof(a)), b);

	c = lo_connect("127.0.0.1", port, &o, &oc);
	assert_int_equal(oc, OUTCOME_OK);
	s = lo_accept(lfd, &oc);
	assert_int_equal(oc, OUTCOME_OK);
	/* Close-on-exec everywhere; the timeout left the fd blocking. */
	assert_true(has_flag(c, F_GETFD, FD_CLOEXEC));
	assert_true(has_flag(s, F_GETFD, FD_CLOEXEC));
	assert_false(has_flag(c, F_GETFL, O_NONBLOCK));
	assert_string_equal(sock_peer_str(c, a, sizeof(a)), b);
	assert_string_equal(sock_local_str(s, a, sizeof(a)), b);
	assert_string_equal(sock_local_str(c, a, sizeof(a)),
	    sock_peer_str(s, b, sizeof(b)));
	assert_false(sock_is_self_connect(c));
	assert_int_equal(sock_error(c), 0);
	/* Unconnected or bad fds give "?", not garbage. */
	assert_string_equal(sock_peer_str(lfd, a, sizeof(a)), "?");
	assert_string_equal(sock_local_str(-1, a, sizeof(a)), "?");
	assert_int_equal(sock_local_port(-1), 0);
	close_fds(c, s, lfd, -1);
}

static void
test_connect_nonblock_option(void **state)
{
	char eb[ERRBUF_LEN], port[8];
	struct sock_opts o = { .nonblock = true };
	enum outcome oc;
	int lfd, c;

	(void)state;
	lfd = lo_listen(&o, port, sizeof(port));
	assert_true(has_flag(lfd, F_GETFL, O_NONBLOCK));
	/* Connected (not "in progress") and left non-blocking. */
	c = lo_connect("127.0.0.1", port, &o, &oc);
	assert_int_equal(oc, OUTCOME_OK);
	assert_true(has_flag(c, F_GETFL, O_NONBLOCK));
	assert_string_equal(sock_peer_str(c, eb, sizeof(eb)) + 10, port);
	assert_int_equal(sock_set_nonblock(c, false), 0);
	assert_false(has_flag(c, F_GETFL, O_NONBLOCK));
	assert_int_equal(sock_set_nonblock(-1, true), -1);
	close_fds(c, lfd, -1);
}

static void
test_connect_source_port(void **state)
{
	char eb[ERRBUF_LEN], port[8], src[8], want[ADDR_STRLEN], a[64];
	struct sock_opts o = { .src_host = "127.0.0.1", .src_port = src };
	enum outcome oc;
	int lfd, c, s, hold;

	(void)state;
	hold = bound_not_listening(SOCK_STREAM, src, sizeof(src));
	close(hold);
	lfd = lo_listen(NULL, port, sizeof(port));
	c = lo_connect("127.0.0.1", port, &o, &oc);
	s = lo_accept(lfd, &oc);
	snprintf(want, sizeof(want), "127.0.0.1:%s", src);
	assert_string_equal(sock_peer_str(s, a, sizeof(a)), want);
	close_fds(c, s, -1);

	/* A source address we do not have cannot be bound. */
	o.src_host = "192.0.2.1";
	o.src_port = NULL;
	assert_int_equal(sock_connect("127.0.0.1", port, &o, &oc, eb), -1);
	assert_int_equal(oc, OUTCOME_ERROR);
	assert_string_equal(eb,
	    "bind to 192.0.2.1 port 0: Cannot assign requested address");
	close(lfd);
}

static void
test_listen_in_use(void **state)
{
	char eb[ERRBUF_LEN] = "", port[8], want[ERRBUF_LEN];
	int lfd, again;

	(void)state;
	lfd = lo_listen(NULL, port, sizeof(port));
	again = sock_listen("127.0.0.1", port, NULL, eb);
	assert_int_equal(again, -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(outcome_from_errno(errno), OUTCOME_ADDR_IN_USE);
	snprintf(want, sizeof(want),
	    "listen on 127.0.0.1 port %s: Address already in use", port);
	assert_string_equal(eb, want);
	close(lfd);
}

static bool
have_ipv6(void)
{
	char eb[ERRBUF_LEN];
	struct sock_opts o = { .family = ADDR_V6 };
	int fd = sock_listen("::1", "0", &o, eb);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

static int
v6only(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len),
	    0);
	return v;
}

static void
test_listen_dual_stack(void **state)
{
	char eb[ERRBUF_LEN], port[8], a[ADDR_STRLEN], want[ADDR_STRLEN];
	enum outcome oc;
	int lfd, c4, c6, s4, s6;

	(void)state;
	if (!have_ipv6()) {
		skip();
		return;
	}
	lfd = sock_listen(NULL, "0", NULL, eb);
	assert_true(lfd >= 0);
	assert_int_equal(v6only(lfd), 0);
	port_str(lfd, port, sizeof(port));
	snprintf(want, sizeof(want), "[::]:%s", port);
	assert_string_equal(sock_local_str(lfd, a, sizeof(a)), want);

	c4 = lo_connect("127.0.0.1", port, NULL, &oc);
	s4 = lo_accept(lfd, &oc);
	assert_string_equal(sock_peer_str(s4, a, sizeof(a)),
	    sock_local_str(c4, want, sizeof(want)));
	c6 = lo_connect("::1", port, NULL, &oc);
	s6 = lo_accept(lfd, &oc);
	assert_string_equal(sock_peer_str(s6, a, sizeof(a)),
	    sock_local_str(c6, want, sizeof(want)));
	assert_int_equal(strncmp(a, "[::1]:", 6), 0);
	close_fds(c4, s4, c6, s6, lfd, -1);
}

static void
test_listen_explicit_v6_only(void **state)
{
	struct sock_opts v6 = { .family = ADDR_V6 };
	char eb[ERRBUF_LEN], port[8];
	enum outcome oc;
	int lfd, c;

	(void)state;
	if (!have_ipv6()) {
		skip();
		return;
	}
	/* An explicit "::" is IPv6 only, whatever bindv6only says. */
	lfd = sock_listen("::", "0", NULL, eb);
	assert_true(lfd >= 0);
	assert_int_equal(v6only(lfd), 1);
	close(lfd);
	/* So is -6 without a host. */
	lfd = sock_listen(NULL, "0", &v6, eb);
	assert_true(lfd >= 0);
	assert_int_equal(v6only(lfd), 1);
	port_str(lfd, port, sizeof(port));
	c = lo_connect("::1", port, NULL, &oc);
	assert_int_equal(oc, OUTCOME_OK);
	close_fds(c, lfd, -1);
}

static void
test_recv_all_and_eof(void **state)
{
	char buf[16] = "";
	enum outcome oc = OUTCOME_ERROR;
	int c, s;

	(void)state;
	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(sock_send_all(c, "abcdef", 6, &oc), 6);
	assert_int_equal(oc, OUTCOME_OK);
	assert_int_equal(sock_recv_all(s, buf, 4, &oc), 4);
	assert_int_equal(oc, OUTCOME_OK);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	/* Two bytes were left before the FIN: they come, then EOF. */
	assert_int_equal(sock_recv_all(s, buf, sizeof(buf), &oc), 2);
	assert_int_equal(oc, OUTCOME_EOF);
	assert_memory_equal(buf, "ef", 2);
	close(c);
	close(s);
}

static void
test_recv_timeout(void **state)
{
	char buf[8];
	enum outcome oc = OUTCOME_OK;
	int c, s;

	(void)state;
	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(sock_recv_timeout(s, buf, sizeof(buf), 20, &oc), -1);
	assert_int_equal(oc, OUTCOME_TIMEOUT);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(sock_send_all(c, "xyz", 3, &oc), 3);
	assert_int_equal(sock_recv_timeout(s, buf, sizeof(buf), TEST_WAIT_MS,
	    &oc), 3);
	assert_int_equal(oc, OUTCOME_OK);
	assert_memory_equal(buf, "xyz", 3);
	close(c);
	assert_int_equal(sock_recv_timeout(s, buf, sizeof(buf), TEST_WAIT_MS,
	    &oc), 0);
	assert_int_equal(oc, OUTCOME_EOF);
	close(s);
}

struct bulk {
	int fd;
	size_t len;
	size_t done;
	enum outcome oc;
	uint64_t sum;
};

/* FNV-1a over a stream, so both sides can compare what they saw. */
static uint64_t
fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void *
bulk_reader(void *arg)
{
	struct bulk *b = arg;
	unsigned char *buf = malloc(b->len);

	b->done = sock_recv_all(b->fd, buf, b->len, &b->oc);
	b->sum = fnv1a(0xcbf29ce484222325ULL, buf, b->done);
	free(buf);
	return NULL;
}

static void
test_send_all_nonblocking_bulk(void **state)
{
	const size_t len = 8 << 20;
	unsigned char *data = malloc(len);
	struct bulk rd = { .len = len };
	enum outcome oc = OUTCOME_ERROR;
	pthread_t t;
	int c, s;

	(void)state;
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 12));
	assert_int_equal(tcp_pair(&c, &s), 0);
	/* The sender is non-blocking: send_all must wait in poll, and the
	   receiver's recv_all must gather every short read. */
	assert_int_equal(sock_set_nonblock(c, true), 0);
	assert_int_equal(sock_set_nonblock(s, true), 0);
	rd.fd = s;
	assert_int_equal(pthread_create(&t, NULL, bulk_reader, &rd), 0);
	assert_true(sock_send_all(c, data, len, &oc) == len);
	assert_int_equal(oc, OUTCOME_OK);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(rd.done == len);
	assert_int_equal(rd.oc, OUTCOME_OK);
	assert_true(rd.sum == fnv1a(0xcbf29ce484222325ULL, data, len));
	close(c);
	close(s);
	free(data);
}

/*
 * The peer closed (FIN, and we read the EOF); our first send is accepted
 * and answered with RST; the second fails EPIPE. Neither kills us.
 */
static void
test_send_after_peer_closed(void **state)
{
	enum outcome oc = OUTCOME_ERROR;
	char buf[4];
	int c, s;

	(void)state;
	assert_int_equal(tcp_pair(&c, &s), 0);
	close(s);
	assert_int_equal(sock_recv_all(c, buf, sizeof(buf), &oc), 0);
	assert_int_equal(oc, OUTCOME_EOF);
	assert_int_equal(sock_send_all(c, "one", 3, &oc), 3);
	assert_int_equal(oc, OUTCOME_OK);
	/* Wait for the RST: POLLERR/POLLHUP need no events requested. */
	assert_int_equal(sock_wait(c, 0, sock_deadline(TEST_WAIT_MS)), 1);
	assert_int_equal(sock_send_all(c, "two", 3, &oc), 0);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(oc, OUTCOME_BROKEN_PIPE);
	close(c);
}

static void
test_ignore_sigpipe(void **state)
{
	struct sigaction sa;
	char buf[4];
	enum outcome oc;
	int c, s;

	(void)state;
	sock_ignore_sigpipe();
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_IGN);
	/* write(2) has no MSG_NOSIGNAL: only the disposition saves us. */
	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	assert_int_equal(write(c, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(sock_recv_all(s, buf, sizeof(buf), &oc), 0);
	assert_int_equal(oc, OUTCOME_EOF);
	close(c);
	close(s);
}

static void
test_udp(void **state)
{
	struct sock_opts udp = { .type = SOCK_DGRAM, .family = ADDR_V4 };
	char port[8], buf[16];
	enum outcome oc = OUTCOME_ERROR;
	int lfd, c, acc = -1, hold;
	socklen_t len = sizeof(acc);

	(void)state;
	lfd = lo_listen(&udp, port, sizeof(port));
	/* Bound only: a datagram socket does not listen. */
	assert_int_equal(getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &acc,
	    &len), 0);
	assert_int_equal(acc, 0);
	c = lo_connect("127.0.0.1", port, &udp, &oc);
	assert_int_equal(oc, OUTCOME_OK);
	assert_int_equal(sock_send_all(c, "datagram", 8, &oc), 8);
	assert_int_equal(sock_recv_timeout(lfd, buf, sizeof(buf),
	    TEST_WAIT_MS, &oc), 8);
	assert_memory_equal(buf, "datagram", 8);
	close_fds(c, lfd, -1);

	/* To a bound port nobody reads from: ICMP port unreachable, which a
	   connected UDP socket reports as ECONNREFUSED. */
	hold = bound_not_listening(SOCK_DGRAM, port, sizeof(port));
	close(hold);
	c = lo_connect("127.0.0.1", port, &udp, &oc);
	assert_int_equal(sock_send_all(c, "x", 1, &oc), 1);
	assert_int_equal(sock_recv_timeout(c, buf, sizeof(buf), TEST_WAIT_MS,
	    &oc), -1);
	assert_int_equal(oc, OUTCOME_REFUSED);
	close(c);
}

static void
test_wait_and_deadline(void **state)
{
	int c, s;

	(void)state;
	assert_int_equal(sock_deadline(0), -1);
	assert_int_equal(sock_deadline(-5), -1);
	assert_true(sock_deadline(1000) >= clock_mono_ms() + 999);
	assert_int_equal(tcp_pair(&c, &s), 0);
	/* Writable at once; not readable before the deadline. */
	assert_int_equal(sock_wait(c, POLLOUT, sock_deadline(TEST_WAIT_MS)),
	    1);
	assert_int_equal(sock_wait(c, POLLIN, sock_deadline(10)), 0);
	assert_int_equal(errno, ETIMEDOUT);
	/* A deadline already past still polls once. */
	assert_int_equal(sock_wait(c, POLLOUT, clock_mono_ms() - 1), 1);
	close(c);
	close(s);
}

/* sock_connect_start + sock_connect_finish: the event-loop connect. */
static void
test_connect_start_finish(void **state)
{
	char port[8], eb[ERRBUF_LEN];
	struct addrinfo *ai;
	enum outcome oc = OUTCOME_ERROR;
	int lfd, fd, s, hold;

	(void)state;
	lfd = lo_listen(NULL, port, sizeof(port));
	ai = addr_resolve("127.0.0.1", port, ADDR_V4, false, eb);
	assert_non_null(ai);
	fd = sock_connect_start(ai, NULL, &oc, eb);
	assert_true(fd >= 0);
	assert_int_equal(oc, OUTCOME_OK);
	assert_true(has_flag(fd, F_GETFL, O_NONBLOCK));
	assert_true(has_flag(fd, F_GETFD, FD_CLOEXEC));
	assert_int_equal(sock_wait(fd, POLLOUT, sock_deadline(TEST_WAIT_MS)),
	    1);
	assert_int_equal(sock_connect_finish(fd, &oc, eb), 0);
	assert_int_equal(oc, OUTCOME_OK);
	s = lo_accept(lfd, &oc);
	close_fds(s, fd, lfd, -1);
	freeaddrinfo(ai);

	/* Refused: writable, then finish reports it; the fd stays open. */
	hold = bound_not_listening(SOCK_STREAM, port, sizeof(port));
	ai = addr_resolve("127.0.0.1", port, ADDR_V4, false, eb);
	assert_non_null(ai);
	fd = sock_connect_start(ai, NULL, &oc, eb);
	assert_true(fd >= 0);
	assert_int_equal(sock_wait(fd, POLLOUT, sock_deadline(TEST_WAIT_MS)),
	    1);
	assert_int_equal(sock_connect_finish(fd, &oc, eb), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(oc, OUTCOME_REFUSED);
	assert_string_equal(eb, "connect: Connection refused");
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close_fds(fd, hold, -1);
	freeaddrinfo(ai);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * SIGALRM every 20 ms (so one lands inside the wait however late the
 * wait starts), with a handler and no SA_RESTART.
 */
static void
arm_alarm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 20000 },
	    .it_interval = { .tv_usec = 20000 } };

	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void
disarm_alarm(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
}

/* A signal ends a wait with OUTCOME_INTERRUPTED, long before the deadline. */
static void
test_signal_interrupts_waits(void **state)
{
	char buf[8], eb[ERRBUF_LEN] = "";
	enum outcome oc = OUTCOME_OK;
	int c, s, lfd;

	(void)state;
	assert_int_equal(tcp_pair(&c, &s), 0);
	arm_alarm();
	assert_int_equal(sock_recv_timeout(s, buf, sizeof(buf), 60000, &oc),
	    -1);
	assert_int_equal(errno, EINTR);
	assert_int_equal(oc, OUTCOME_INTERRUPTED);
	disarm_alarm();
	close_fds(c, s, -1);

	lfd = lo_listen(NULL, NULL, 0);
	arm_alarm();
	assert_int_equal(sock_accept(lfd, 60000, &oc, eb), -1);
	assert_int_equal(oc, OUTCOME_INTERRUPTED);
	assert_string_equal(eb, "accept: Interrupted system call");
	close(lfd);
	disarm_alarm();
}

/* sock_accept_peer names the client even after it has reset. */
static void
test_accept_peer_after_reset(void **state)
{
	char port[8], eb[ERRBUF_LEN], peer[ADDR_STRLEN], want[ADDR_STRLEN];
	struct linger l = { 1, 0 };
	enum outcome oc;
	int lfd, c, s;

	(void)state;
	lfd = lo_listen(NULL, port, sizeof(port));
	c = lo_connect("127.0.0.1", port, NULL, &oc);
	sock_local_str(c, want, sizeof(want));
	assert_int_equal(setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l)),
	    0);
	close(c);
	s = sock_accept_peer(lfd, TEST_WAIT_MS, peer, sizeof(peer), &oc, eb);
	assert_true(s >= 0);
	assert_int_equal(oc, OUTCOME_OK);
	assert_string_equal(peer, want);
	close_fds(s, lfd, -1);
}

/*
 * sock_connect_peer names the server even after it has reset, when
 * getpeername no longer can.
 */
static void
test_connect_peer_after_reset(void **state)
{
	char port[8], eb[ERRBUF_LEN], peer[ADDR_STRLEN], want[ADDR_STRLEN];
	char now[ADDR_STRLEN];
	struct linger l = { 1, 0 };
	struct pollfd pfd;
	enum outcome oc;
	int lfd, c, s;

	(void)state;
	lfd = lo_listen(NULL, port, sizeof(port));
	snprintf(want, sizeof(want), "127.0.0.1:%s", port);
	c = sock_connect_peer("127.0.0.1", port, NULL, peer, sizeof(peer),
	    &oc, eb);
	assert_true(c >= 0);
	assert_int_equal(oc, OUTCOME_OK);
	assert_string_equal(peer, want);
	s = lo_accept(lfd, &oc);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)),
	    0);
	close(s);
	/* The RST has arrived: the socket is closed, its peer unknown. */
	pfd = (struct pollfd){ .fd = c, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, TEST_WAIT_MS), 1);
	assert_string_equal(sock_peer_str(c, now, sizeof(now)), "?");
	assert_string_equal(peer, want);
	close_fds(c, lfd, -1);
}

/* Unix-domain: listen, connect, bytes both ways, half-close, errors. */
static void
test_unix_stream(void **state)
{
	char dir[] = "/tmp/t_sock.XXXXXX", path[64], errbuf[256], buf[8];
	char longpath[200];
	int lfd, cfd, sfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	assert_int_equal(sock_connect_unix(path, false, errbuf), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(errbuf, "connect to unix:"));
	lfd = sock_listen_unix(path, 0, errbuf);
	assert_true(lfd >= 0);
	assert_int_equal(sock_listen_unix(path, 0, errbuf), -1);
	assert_int_equal(errno, EADDRINUSE);
	cfd = sock_connect_unix(path, true, errbuf);
	assert_true(cfd >= 0);
	assert_true(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	sfd = sock_accept(lfd, 1000, NULL, errbuf);
	assert_true(sfd >= 0);
	assert_int_equal(send(cfd, "abc", 3, 0), 3);
	assert_int_equal(shutdown(cfd, SHUT_WR), 0);
	assert_int_equal(recv(sfd, buf, sizeof(buf), MSG_WAITALL), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(send(sfd, "de", 2, 0), 2);
	close(sfd);
	assert_int_equal(sock_wait(cfd, POLLIN, sock_deadline(1000)), 1);
	assert_int_equal(recv(cfd, buf, sizeof(buf), 0), 2);
	close(cfd);
	close(lfd);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(sock_listen_unix(longpath, 0, errbuf), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	unlink(path);
	rmdir(dir);
}

TEST_MAIN(
	cmocka_unit_test(test_connect_refused),
	cmocka_unit_test(test_connect_bad_name),
	cmocka_unit_test(test_accept_timeout),
	cmocka_unit_test(test_self_connect),
	cmocka_unit_test(test_pair_addresses_and_flags),
	cmocka_unit_test(test_connect_nonblock_option),
	cmocka_unit_test(test_connect_source_port),
	cmocka_unit_test(test_listen_in_use),
	cmocka_unit_test(test_listen_dual_stack),
	cmocka_unit_test(test_listen_explicit_v6_only),
	cmocka_unit_test(test_recv_all_and_eof),
	cmocka_unit_test(test_recv_timeout),
	cmocka_unit_test(test_send_all_nonblocking_bulk),
	cmocka_unit_test(test_send_after_peer_closed),
	cmocka_unit_test(test_ignore_sigpipe),
	cmocka_unit_test(test_udp),
	cmocka_unit_test(test_wait_and_deadline),
	cmocka_unit_test(test_connect_start_finish),
	cmocka_unit_test(test_accept_peer_after_reset),
	cmocka_unit_test(test_connect_peer_after_reset),
	cmocka_unit_test(test_signal_interrupts_waits),
	cmocka_unit_test(test_unix_stream),
)
