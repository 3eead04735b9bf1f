/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sockopt.c: options read back, buffer sizes, TCP_INFO. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_main.h"

#include "loopback.h"
#include "sock.h"
#include "sockopt.h"

static int
get_opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

/* A sysctl's integer value, for "left at the system default" checks. */
static int
sysctl_int(const char *path)
{
	FILE *fp = fopen(path, "r");
	int v = -1;

	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &v), 1);
	fclose(fp);
	return v;
}

static int
tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	return fd;
}

static void
test_nodelay(void **state)
{
	char eb[ERRBUF_LEN] = "";
	int fd = tcp_socket();

	(void)state;
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_NODELAY), 0);
	assert_int_equal(sockopt_nodelay(fd, true, eb), 0);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	assert_int_equal(sockopt_nodelay(fd, false, eb), 0);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_NODELAY), 0);
	close(fd);
	assert_int_equal(sockopt_nodelay(fd, true, eb), -1);
	assert_string_equal(eb, "TCP_NODELAY: Bad file descriptor");
}

static void
test_keepalive(void **state)
{
	char eb[ERRBUF_LEN] = "";
	int fd = tcp_socket();

	(void)state;
	assert_int_equal(sockopt_keepalive(fd, 30, 5, 3, eb), 0);
	assert_int_equal(get_opt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
	close(fd);

	/* Zeros switch keepalive on and keep the system's timing. */
	fd = tcp_socket();
	assert_int_equal(sockopt_keepalive(fd, 0, 0, 0, eb), 0);
	assert_int_equal(get_opt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
	    sysctl_int("/proc/sys/net/ipv4/tcp_keepalive_time"));
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_KEEPCNT),
	    sysctl_int("/proc/sys/net/ipv4/tcp_keepalive_probes"));
	/* The kernel's limit (MAX_TCP_KEEPIDLE 32767) is named. */
	assert_int_equal(sockopt_keepalive(fd, 40000, 0, 0, eb), -1);
	assert_string_equal(eb, "TCP_KEEPIDLE: Invalid argument");
	close(fd);
}

static void
test_user_timeout(void **state)
{
	char eb[ERRBUF_LEN] = "";
	int fd = tcp_socket();

	(void)state;
	assert_int_equal(sockopt_user_timeout(fd, 1500, eb), 0);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 1500);
	assert_int_equal(sockopt_user_timeout(fd, 0, eb), 0);
	assert_int_equal(get_opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	assert_int_equal(sockopt_user_timeout(fd, 0x80000000u, eb), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(eb, "TCP_USER_TIMEOUT: Invalid argument");
	close(fd);
}

static void
test_linger(void **state)
{
	char eb[ERRBUF_LEN] = "";
	struct linger l;
	socklen_t len = sizeof(l);
	int fd = tcp_socket();

	(void)state;
	assert_int_equal(sockopt_linger(fd, true, 5, eb), 0);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(l.l_onoff, 1);
	assert_int_equal(l.l_linger, 5);
	assert_int_equal(sockopt_linger(fd, false, 0, eb), 0);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	assert_int_equal(l.l_onoff, 0);
	close(fd);
	assert_int_equal(sockopt_linger(fd, true, 0, eb), -1);
	assert_string_equal(eb, "SO_LINGER: Bad file descriptor");
}

static void
test_bufsizes_doubled(void **state)
{
	char eb[ERRBUF_LEN] = "";
	struct bufsize snd = { -1, -1 }, rcv = { -1, -1 };
	int fd = tcp_socket();

	(void)state;
	/* Linux doubles the request to leave room for its bookkeeping. */
	assert_int_equal(sockopt_bufsizes(fd, 65536, 65536, &snd, &rcv, eb),
	    0);
	assert_int_equal(snd.requested, 65536);
	assert_int_equal(snd.effective, 131072);
	assert_int_equal(rcv.requested, 65536);
	assert_int_equal(rcv.effective, 131072);
	assert_int_equal(get_opt(fd, SOL_SOCKET, SO_SNDBUF), 131072);
	assert_int_equal(get_opt(fd, SOL_SOCKET, SO_RCVBUF), 131072);
	close(fd);
}

static void
test_bufsizes_defaults_and_clamp(void **state)
{
	char eb[ERRBUF_LEN] = "";
	struct bufsize snd, rcv;
	int fd = tcp_socket(), def_snd, def_rcv, wmax;

	(void)state;
	def_snd = get_opt(fd, SOL_SOCKET, SO_SNDBUF);
	def_rcv = get_opt(fd, SOL_SOCKET, SO_RCVBUF);
	/* 0 leaves a size alone and still reports it. */
	assert_int_equal(sockopt_bufsizes(fd, 0, 0, &snd, &rcv, eb), 0);
	assert_int_equal(snd.requested, 0);
	assert_int_equal(snd.effective, def_snd);
	assert_int_equal(rcv.requested, 0);
	assert_int_equal(rcv.effective, def_rcv);
	/* Above net.core.wmem_max the request is clamped, then doubled. */
	wmax = sysctl_int("/proc/sys/net/core/wmem_max");
	assert_int_equal(sockopt_bufsizes(fd, wmax + 4096, 0, &snd, NULL, eb),
	    0);
	assert_int_equal(snd.requested, wmax + 4096);
	assert_int_equal(snd.effective, 2 * wmax);
	close(fd);
	assert_int_equal(sockopt_bufsizes(fd, 4096, 0, &snd, &rcv, eb), -1);
	assert_string_equal(eb, "SO_SNDBUF: Bad file descriptor");
	assert_int_equal(sockopt_bufsizes(fd, 0, 4096, &snd, &rcv, eb), -1);
	assert_string_equal(eb, "SO_SNDBUF: Bad file descriptor");
}

static void
test_tcp_info_established_and_queues(void **state)
{
	char eb[ERRBUF_LEN] = "", buf[1000];
	struct tcpinfo_snap ti;
	enum outcome oc;
	int c, s;

	(void)state;
	memset(buf, 'q', sizeof(buf));
	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(sockopt_tcp_info(c, &ti, eb), 0);
	assert_string_equal(ti.state, "ESTABLISHED");
	assert_int_equal(ti.send_queue, 0);
	assert_int_equal(ti.recv_queue, 0);
	assert_int_equal(ti.retransmits, 0);

	/* 1000 bytes wait unread at s; its reply acknowledges them. */
	assert_int_equal(sock_send_all(c, buf, sizeof(buf), &oc), 1000);
	assert_int_equal(sock_wait(s, POLLIN, sock_deadline(TEST_WAIT_MS)),
	    1);
	assert_int_equal(sock_send_all(s, "ok", 2, &oc), 2);
	assert_int_equal(sock_wait(c, POLLIN, sock_deadline(TEST_WAIT_MS)),
	    1);
	assert_int_equal(sockopt_tcp_info(s, &ti, eb), 0);
	assert_int_equal(ti.recv_queue, 1000);
	assert_true(ti.bytes_received == 1000);
	assert_int_equal(sockopt_inq(s), 1000);
	assert_int_equal(sockopt_tcp_info(c, &ti, eb), 0);
	assert_int_equal(ti.send_queue, 0);
	assert_int_equal(ti.unacked, 0);
	assert_int_equal(ti.recv_queue, 2);
	/* The SYN counts as one acknowledged byte on the connecting side. */
	assert_true(ti.bytes_acked == 1001);
	assert_true(ti.rtt_us > 0);
	assert_int_equal(sockopt_outq(c), 0);
	close(c);
	close(s);
}

static void
test_tcp_info_states(void **state)
{
	char eb[ERRBUF_LEN] = "", buf[4];
	struct tcpinfo_snap ti;
	enum outcome oc;
	int lfd, c, s;

	(void)state;
	lfd = sock_listen("127.0.0.1", "0", NULL, eb);
	assert_true(lfd >= 0);
	assert_int_equal(sockopt_tcp_info(lfd, &ti, eb), 0);
	assert_string_equal(ti.state, "LISTEN");
	/* A listening socket has no queues: reported as 0, not an error. */
	assert_int_equal(ti.send_queue, 0);
	assert_int_equal(ti.recv_queue, 0);
	assert_int_equal(sockopt_inq(lfd), -1);
	close(lfd);

	assert_int_equal(tcp_pair(&c, &s), 0);
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	assert_int_equal(sock_recv_all(s, buf, sizeof(buf), &oc), 0);
	assert_int_equal(oc, OUTCOME_EOF);
	assert_int_equal(sockopt_tcp_info(s, &ti, eb), 0);
	assert_string_equal(ti.state, "CLOSE_WAIT");
	/* s's reply acknowledges our FIN: we are in FIN_WAIT2. */
	assert_int_equal(sock_send_all(s, "x", 1, &oc), 1);
	assert_int_equal(sock_recv_all(c, buf, 1, &oc), 1);
	assert_int_equal(sockopt_tcp_info(c, &ti, eb), 0);
	assert_string_equal(ti.state, "FIN_WAIT2");
	close(s);
	close(c);
}

static void
test_tcp_info_errors(void **state)
{
	char eb[ERRBUF_LEN] = "";
	struct tcpinfo_snap ti;
	int fd;

	(void)state;
	assert_int_equal(sockopt_tcp_info(-1, &ti, eb), -1);
	assert_string_equal(eb, "TCP_INFO: Bad file descriptor");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(sockopt_tcp_info(fd, &ti, eb), -1);
	assert_string_equal(eb, "TCP_INFO: Operation not supported");
	close(fd);
	assert_int_equal(sockopt_inq(-1), -1);
	assert_int_equal(sockopt_outq(-1), -1);
}

TEST_MAIN(
	cmocka_unit_test(test_nodelay),
	cmocka_unit_test(test_keepalive),
	cmocka_unit_test(test_user_timeout),
	cmocka_unit_test(test_linger),
	cmocka_unit_test(test_bufsizes_doubled),
	cmocka_unit_test(test_bufsizes_defaults_and_clamp),
	cmocka_unit_test(test_tcp_info_established_and_queues),
	cmocka_unit_test(test_tcp_info_states),
	cmocka_unit_test(test_tcp_info_errors),
)
