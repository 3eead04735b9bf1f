/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket options users tune, and TCP_INFO snapshots for diagnostics. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <linux/tcp.h>	/* the full struct tcp_info; glibc's stops short */
#include <netinet/in.h>

#include "errbuf.h"
#include "sockopt.h"

/* setsockopt of one int, naming the option in errbuf on failure. */
static int
set_int(int fd, int level, int name, int value, const char *what,
    char *errbuf)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) == -1) {
		errbuf_set(errbuf, "%s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int
get_int(int fd, int level, int name, int *value, const char *what,
    char *errbuf)
{
	socklen_t len = sizeof(*value);

	if (getsockopt(fd, level, name, value, &len) == -1) {
		errbuf_set(errbuf, "%s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

int
sockopt_nodelay(int fd, bool on, char *errbuf)
{
	return set_int(fd, IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY",
	    errbuf);
}

/*
 * Turn keepalive on; idle_s, intvl_s and cnt each replace the system
 * default (net.ipv4.tcp_keepalive_*) when > 0 and leave it when <= 0.
 */
int
sockopt_keepalive(int fd, int idle_s, int intvl_s, int cnt, char *errbuf)
{
	if (set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE",
	    errbuf) == -1)
		return -1;
	if (idle_s > 0 && set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_s,
	    "TCP_KEEPIDLE", errbuf) == -1)
		return -1;
	if (intvl_s > 0 && set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl_s,
	    "TCP_KEEPINTVL", errbuf) == -1)
		return -1;
	if (cnt > 0 && set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, cnt,
	    "TCP_KEEPCNT", errbuf) == -1)
		return -1;
	return 0;
}

int
sockopt_user_timeout(int fd, unsigned ms, char *errbuf)
{
	if (ms > (unsigned)INT32_MAX) {
		errno = EINVAL;
		errbuf_set(errbuf, "TCP_USER_TIMEOUT: %s", strerror(EINVAL));
		return -1;
	}
	return set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, (int)ms,
	    "TCP_USER_TIMEOUT", errbuf);
}

int
sockopt_linger(int fd, bool on, int secs, char *errbuf)
{
	struct linger l = { .l_onoff = on, .l_linger = secs };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == -1) {
		errbuf_set(errbuf, "SO_LINGER: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Set one buffer size (unless 0) and read back what the kernel made of it. */
static int
one_bufsize(int fd, int name, int size, const char *what,
    struct bufsize *bs, char *errbuf)
{
	int effective;

	if (size > 0 && set_int(fd, SOL_SOCKET, name, size, what,
	    errbuf) == -1)
		return -1;
	if (get_int(fd, SOL_SOCKET, name, &effective, what, errbuf) == -1)
		return -1;
	if (bs != NULL) {
		bs->requested = size > 0 ? size : 0;
		bs->effective = effective;
	}
	return 0;
}

int
sockopt_bufsizes(int fd, int sndbuf, int rcvbuf, struct bufsize *snd,
    struct bufsize *rcv, char *errbuf)
{
	if (one_bufsize(fd, SO_SNDBUF, sndbuf, "SO_SNDBUF", snd,
	    errbuf) == -1)
		return -1;
	return one_bufsize(fd, SO_RCVBUF, rcvbuf, "SO_RCVBUF", rcv, errbuf);
}

/*
 * Names of tcpi_state, indexed as in the kernel's include/net/tcp_states.h
 * (no userspace header has them all: glibc's enum stops at CLOSING).
 */
static const char *const tcp_states[] = {
	NULL, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
	"LISTEN", "CLOSING", "NEW_SYN_RECV",
};

const char *
sockopt_state_name(int state)
{
	if (state <= 0 || (size_t)state >= sizeof(tcp_states) /
	    sizeof(tcp_states[0]))
		return "UNKNOWN";
	return tcp_states[state];
}

int
sockopt_tcp_info(int fd, struct tcpinfo_snap *s, char *errbuf)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int saved = errno;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1) {
		errbuf_set(errbuf, "TCP_INFO: %s", strerror(errno));
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->state = sockopt_state_name(ti.tcpi_state);
	s->rtt_us = ti.tcpi_rtt;
	s->rttvar_us = ti.tcpi_rttvar;
	s->retransmits = ti.tcpi_total_retrans;
	s->unacked = ti.tcpi_unacked;
	s->probes = ti.tcpi_probes;
	s->bytes_acked = ti.tcpi_bytes_acked;
	s->bytes_received = ti.tcpi_bytes_received;
	/* A listening socket has no queues to ask about: report 0. */
	s->send_queue = sockopt_outq(fd);
	s->recv_queue = sockopt_inq(fd);
	if (s->send_queue < 0)
		s->send_queue = 0;
	if (s->recv_queue < 0)
		s->recv_queue = 0;
	errno = saved;
	return 0;
}

int
sockopt_inq(int fd)
{
	int n;

	return ioctl(fd, SIOCINQ, &n) == -1 ? -1 : n;
}

int
sockopt_outq(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQ, &n) == -1 ? -1 : n;
}
