/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: scripted loopback TCP, both ends in one process, captured. */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "errbuf.h"
#include "outcome.h"

/*
 * usage: tcpscript [-w PCAP] [-n] [-b BACKLOG] [-p PORT] STEP...
 *
 * Binds a listener on 127.0.0.1 (port PORT, or one chosen by the kernel), or
 * with -n
 * reserves a port nobody listens on, prints "port N", starts capturing
 * "tcp port N" on lo into PCAP, runs the steps in order, and stops the
 * capture once the wire has been quiet for a moment. A step is
 * SOCKET:OP[:ARG[:ARG...]] where SOCKET names one of four sockets:
 * c and d (clients), s and t (accepted). Exit 77 when capturing is not
 * permitted, 1 when a step fails.
 */

enum { SOCK_C, SOCK_D, SOCK_S, SOCK_T, NSOCK };

static int fds[NSOCK] = { -1, -1, -1, -1 };
static int lfd = -1;
static uint16_t port;

static int
sock_index(char c)
{
	switch (c) {
	case 'c':
		return SOCK_C;
	case 'd':
		return SOCK_D;
	case 's':
		return SOCK_S;
	case 't':
		return SOCK_T;
	default:
		return -1;
	}
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
need(int i, const char *step)
{
	if (fds[i] < 0)
		errx(1, "%s: socket not open", step);
	return fds[i];
}

static void
write_all(int fd, long n, const char *step)
{
	char buf[16384];

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		ssize_t w = send(fd, buf, n < (long)sizeof(buf) ? (size_t)n :
		    sizeof(buf), MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			printf("%s: %s\n", step, errno_name(errno));
			return;
		}
		n -= w;
	}
}

static void
read_n(int fd, long n, const char *step)
{
	char buf[16384];

	while (n > 0) {
		ssize_t r = recv(fd, buf, n < (long)sizeof(buf) ? (size_t)n :
		    sizeof(buf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			errx(1, "%s: %s with %ld bytes still to read", step,
			    r == 0 ? "eof" : errno_name(errno), n);
		n -= r;
	}
}

/* Read until EOF or an error; print what ended it. */
static void
read_end(int fd, const char *step)
{
	char buf[16384];
	long total = 0;

	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			printf("%s: eof after %ld bytes\n", step, total);
			return;
		}
		if (r < 0) {
			printf("%s: %s after %ld bytes\n", step,
			    errno_name(errno), total);
			return;
		}
		total += r;
	}
}

/* Wait until n bytes sit in the receive queue, without reading them. */
static void
peek_n(int fd, long n, const char *step)
{
	int i, q = 0;

	for (i = 0; i < 500; i++) {
		if (ioctl(fd, FIONREAD, &q) == 0 && q >= n)
			return;
		nap_ms(10);
	}
	errx(1, "%s: only %d bytes arrived", step, q);
}

static void
do_connect(int i, int nowait, const char *step)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		err(1, "%s: socket", step);
	if (nowait)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (nowait && errno == EINPROGRESS) {
			fds[i] = fd;
			return;
		}
		printf("%s: %s\n", step, errno_name(errno));
		close(fd);
		return;
	}
	fds[i] = fd;
}

static void
step(const char *arg)
{
	char buf[128], *op, *a1, *a2, *a3;
	int i, fd;

	snprintf(buf, sizeof(buf), "%s", arg);
	if (strlen(buf) < 3 || buf[1] != ':' ||
	    (i = sock_index(buf[0])) < 0) {
		if (strncmp(buf, "sleep:", 6) == 0) {
			nap_ms(atol(buf + 6));
			return;
		}
		errx(1, "bad step '%s'", arg);
	}
	op = buf + 2;
	a1 = strchr(op, ':');
	a2 = a3 = NULL;
	if (a1) {
		*a1++ = '\0';
		if ((a2 = strchr(a1, ':')) != NULL) {
			*a2++ = '\0';
			if ((a3 = strchr(a2, ':')) != NULL)
				*a3++ = '\0';
		}
	}

	if (strcmp(op, "connect") == 0) {
		do_connect(i, 0, arg);
	} else if (strcmp(op, "connect-nowait") == 0) {
		do_connect(i, 1, arg);
	} else if (strcmp(op, "accept") == 0) {
		if ((fds[i] = accept(lfd, NULL, NULL)) < 0)
			err(1, "%s", arg);
	} else if (strcmp(op, "send") == 0 && a1) {
		write_all(need(i, arg), atol(a1), arg);
	} else if (strcmp(op, "recv") == 0 && a1) {
		read_n(need(i, arg), atol(a1), arg);
	} else if (strcmp(op, "peek") == 0 && a1) {
		peek_n(need(i, arg), atol(a1), arg);
	} else if (strcmp(op, "eof") == 0) {
		read_end(need(i, arg), arg);
	} else if (strcmp(op, "shutdown") == 0) {
		if (shutdown(need(i, arg), SHUT_WR) < 0)
			err(1, "%s", arg);
	} else if (strcmp(op, "close") == 0) {
		close(need(i, arg));
		fds[i] = -1;
	} else if (strcmp(op, "abort") == 0) {
		struct linger l = { 1, 0 };

		fd = need(i, arg);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fd);
		fds[i] = -1;
	} else if (strcmp(op, "keepalive") == 0 && a3) {
		int on = 1, idle = atoi(a1), intvl = atoi(a2), cnt = atoi(a3);

		fd = need(i, arg);
		if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on,
		    sizeof(on)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
		    sizeof(idle)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
		    sizeof(intvl)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt,
		    sizeof(cnt)) < 0)
			err(1, "%s", arg);
	} else if (strcmp(op, "user-timeout") == 0 && a1) {
		unsigned int ms = (unsigned int)atol(a1);

		if (setsockopt(need(i, arg), IPPROTO_TCP, TCP_USER_TIMEOUT,
		    &ms, sizeof(ms)) < 0)
			err(1, "%s", arg);
	} else if (strcmp(op, "vanish") == 0) {
		/* A drop-all filter: this socket's kernel stops answering. */
		struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
		struct sock_fprog prog = { 1, &drop };

		if (setsockopt(need(i, arg), SOL_SOCKET, SO_ATTACH_FILTER,
		    &prog, sizeof(prog)) < 0)
			err(1, "%s", arg);
	} else {
		errx(1, "bad step '%s'", arg);
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	const char *pcap = NULL;
	int ch, backlog = 16, no_listen = 0, one = 1, i;
	char filter[64], ebuf[ERRBUF_LEN];
	struct capture *cap = NULL;
	enum capture_err why;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "b:np:w:")) != -1) {
		switch (ch) {
		case 'b':
			backlog = atoi(optarg);
			break;
		case 'n':
			no_listen = 1;
			break;
		case 'p':
			sa.sin_port = htons((uint16_t)atoi(optarg));
			break;
		case 'w':
			pcap = optarg;
			break;
		default:
			errx(2, "usage: tcpscript [-w PCAP] [-n] [-b BACKLOG]"
			    " [-p PORT] STEP...");
		}
	}

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		err(1, "socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		err(1, "bind");
	port = ntohs(sa.sin_port);
	if (no_listen) {
		close(lfd);	/* nobody listens: connects are refused */
		lfd = -1;
	} else if (listen(lfd, backlog) < 0) {
		err(1, "listen");
	}
	printf("port %u\n", port);
	fflush(stdout);

	if (pcap != NULL) {
		struct capture_opts o = { .iface = "lo", .filter = filter,
		    .pcap_path = pcap };

		snprintf(filter, sizeof(filter), "tcp port %u", port);
		cap = capture_open(&o, NULL, NULL, &why, ebuf);
		if (cap == NULL) {
			warnx("%s", ebuf);
			exit(why == CAPTURE_ERR_PERM ? 77 : 1);
		}
		if (capture_start(cap, ebuf) < 0)
			errx(1, "%s", ebuf);
	}
	for (i = optind; i < argc; i++)
		step(argv[i]);
	if (cap != NULL) {
		if (capture_stop(cap, 300, 5000, ebuf) < 0)
			errx(1, "%s", ebuf);
		capture_close(cap);
	}
	return 0;
}
