/* SPDX-License-Identifier: BSD-2-Clause */
/* sockdiag: the other end's TCP state by its 4-tuple, on real loopback. */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"
#include "test_main.h"
#include "sockdiag.h"
#include "sockopt.h"

/* The state of the socket at the other end of our fd (swapped tuple). */
static int
peer_state(struct sockdiag *d, int fd, char *eb)
{
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
	assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &pl), 0);
	return sockdiag_tcp_state(d, (struct sockaddr *)&peer,
	    (struct sockaddr *)&me, eb);
}

/* Wait (bounded) until the other end of fd is in want. */
static int
wait_peer_state(struct sockdiag *d, int fd, int want, char *eb)
{
	int st = -1;

	for (int i = 0; i < TEST_WAIT_MS; i++) {
		st = peer_state(d, fd, eb);
		if (st == want)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return st;
}

static void
test_established_close_wait_gone(void **state)
{
	char eb[ERRBUF_LEN] = "";
	struct sockdiag *d = sockdiag_open(eb);
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	int c, s;

	(void)state;
	assert_non_null(d);
	assert_int_equal(tcp_pair(&c, &s), 0);
	/* The server's socket, seen from the client's fd. */
	assert_int_equal(peer_state(d, c, eb), TCP_ESTABLISHED);
	assert_string_equal(sockopt_state_name(peer_state(d, c, eb)),
	    "ESTABLISHED");
	/* The client closes; the server that never does sits in CLOSE_WAIT. */
	assert_int_equal(getsockname(c, (struct sockaddr *)&me, &ml), 0);
	assert_int_equal(getpeername(c, (struct sockaddr *)&peer, &pl), 0);
	close(c);
	assert_int_equal(wait_peer_state(d, s, TCP_FIN_WAIT2, eb),
	    TCP_FIN_WAIT2);
	assert_int_equal(sockdiag_tcp_state(d, (struct sockaddr *)&peer,
	    (struct sockaddr *)&me, eb), TCP_CLOSE_WAIT);
	/* It releases: LAST_ACK, then the client's TIME_WAIT ACK ends it. */
	close(s);
	for (int i = 0; i < TEST_WAIT_MS; i++) {
		if (sockdiag_tcp_state(d, (struct sockaddr *)&peer,
		    (struct sockaddr *)&me, eb) == 0)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	assert_int_equal(sockdiag_tcp_state(d, (struct sockaddr *)&peer,
	    (struct sockaddr *)&me, eb), 0);
	/* The closer's side waits in TIME_WAIT, still found. */
	assert_int_equal(sockdiag_tcp_state(d, (struct sockaddr *)&me,
	    (struct sockaddr *)&peer, eb), TCP_TIME_WAIT);
	sockdiag_close(d);
}

/*
 * A peer that drops everything (a socket filter returning 0): our FIN
 * goes unanswered, and the lookup counts its retransmissions.
 */
static void
test_retransmissions_counted(void **state)
{
	struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop };
	char eb[ERRBUF_LEN] = "";
	struct sockdiag *d = sockdiag_open(eb);
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	struct sockdiag_tcp t = { 0 };
	int c, s;

	(void)state;
	assert_non_null(d);
	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(getsockname(c, (struct sockaddr *)&me, &ml), 0);
	assert_int_equal(getpeername(c, (struct sockaddr *)&peer, &pl), 0);
	assert_int_equal(sockdiag_tcp_lookup(d, (struct sockaddr *)&me,
	    (struct sockaddr *)&peer, &t, eb), 1);
	assert_int_equal(t.state, TCP_ESTABLISHED);
	assert_int_equal(t.timer, 0);
	assert_int_equal(t.retrans, 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)), 0);
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	/* RTO at least 200 ms, doubling: the second try within a second. */
	for (int i = 0; i < TEST_WAIT_MS; i++) {
		assert_int_equal(sockdiag_tcp_lookup(d, (struct sockaddr *)&me,
		    (struct sockaddr *)&peer, &t, eb), 1);
		if (t.retrans >= 2)
			break;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	assert_int_equal(t.state, TCP_FIN_WAIT1);
	assert_int_equal(t.timer, 1);
	assert_int_equal(t.retrans, 2);
	close(c);
	close(s);
	sockdiag_close(d);
}

static void
test_errors(void **state)
{
	char eb[ERRBUF_LEN] = "";
	struct sockdiag *d = sockdiag_open(eb);
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in6 b = { .sin6_family = AF_INET6 };
	struct sockaddr u = { .sa_family = AF_UNIX };

	(void)state;
	assert_non_null(d);
	assert_int_equal(sockdiag_tcp_state(d, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, eb), -1);
	assert_string_equal(eb, "sock_diag: the two ends' families differ");
	assert_int_equal(sockdiag_tcp_state(d, &u, &u, eb), -1);
	assert_string_equal(eb, "sock_diag: not an IP address");
	/* No socket 0.0.0.0:0 -> 0.0.0.0:0: not found, not an error. */
	assert_int_equal(sockdiag_tcp_state(d, (struct sockaddr *)&a,
	    (struct sockaddr *)&a, eb), 0);
	sockdiag_close(d);
	sockdiag_close(NULL);
}

TEST_MAIN(
	cmocka_unit_test(test_established_close_wait_gone),
	cmocka_unit_test(test_retransmissions_counted),
	cmocka_unit_test(test_errors),
)
