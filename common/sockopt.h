/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket options users tune, and a TCP_INFO snapshot for diagnostics. */
#ifndef TEARDOWN_SOCKOPT_H
#define TEARDOWN_SOCKOPT_H

#include <stdbool.h>
#include <stdint.h>

/* Each returns 0, or -1 with errbuf naming the option and errno's text. */
int sockopt_nodelay(int fd, bool on, char *errbuf);
int sockopt_keepalive(int fd, int idle_s, int intvl_s, int cnt,
    char *errbuf);
int sockopt_user_timeout(int fd, unsigned ms, char *errbuf);
int sockopt_linger(int fd, bool on, int secs, char *errbuf);

/* Requested and effective buffer size: Linux doubles and clamps. */
struct bufsize {
	int requested;	/* 0 when left at the default */
	int effective;	/* what getsockopt reports afterwards */
};

/*
 * Set SO_SNDBUF/SO_RCVBUF (0 leaves one alone) and report both sizes as
 * the kernel now has them.
 */
int sockopt_bufsizes(int fd, int sndbuf, int rcvbuf, struct bufsize *snd,
    struct bufsize *rcv, char *errbuf);

/* A TCP_INFO snapshot plus queue sizes, for timelines and diagnostics. */
struct tcpinfo_snap {
	const char *state;	/* "ESTABLISHED", "FIN_WAIT1", ... */
	uint32_t rtt_us;
	uint32_t rttvar_us;
	uint32_t retransmits;	/* tcpi_total_retrans */
	uint32_t unacked;	/* segments sent, not acknowledged */
	uint32_t probes;	/* keepalive or zero-window probes unanswered */
	int send_queue;		/* bytes not yet acknowledged (SIOCOUTQ) */
	int recv_queue;		/* bytes not yet read (SIOCINQ) */
	uint64_t bytes_acked;
	uint64_t bytes_received;
};

int sockopt_tcp_info(int fd, struct tcpinfo_snap *s, char *errbuf);

/*
 * The kernel's name of a TCP state number (tcpi_state, sock_diag's
 * idiag_state): "ESTABLISHED", "CLOSE_WAIT", ...; "UNKNOWN" otherwise.
 */
const char *sockopt_state_name(int state);

/* Bytes waiting in the receive queue / send queue, -1 on error. */
int sockopt_inq(int fd);
int sockopt_outq(int fd);

#endif
