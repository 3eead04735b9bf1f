/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc -u: stdin lines become datagrams, datagrams go to stdout. */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "sock.h"
#include "stop.h"
#include "tnc.h"

#define DGRAM_MAX 65507		/* the largest UDP payload over IPv4 */

static char dgram[DGRAM_MAX];

struct udp_counts {
	uint64_t sent, rcvd;
	uint64_t dgrams_sent, dgrams_rcvd;
};

static void
udp_stats(const struct tnc_config *cfg, const char *peer,
    const struct udp_counts *c)
{
	if (cfg->stats)
		fprintf(stderr, "tnc: %s: sent %llu bytes in %llu datagrams, "
		    "received %llu bytes in %llu datagrams\n", peer,
		    (unsigned long long)c->sent,
		    (unsigned long long)c->dgrams_sent,
		    (unsigned long long)c->rcvd,
		    (unsigned long long)c->dgrams_rcvd);
}

/* Write all of buf to stdout; false when stdout is gone. */
static bool
to_stdout(const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(STDOUT_FILENO, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				return false;
			err(EXIT_FAIL, "write to stdout");
		}
		p += n;
		len -= n;
	}
	return true;
}

/*
 * UDP has no connection to close: stdin EOF sends nothing, and the
 * session ends when -q passes after it or -w passes with no traffic.
 * Both are the normal end here (exit 0); an ICMP port unreachable seen as
 * ECONNREFUSED ends it with exit 3.
 */
static int
udp_session(const struct tnc_config *cfg, int fd, const char *peer,
    struct udp_counts *c)
{
	int64_t idle = -1, quit = -1, first, now;
	bool in_eof = false;
	struct pollfd p[2];
	int nfds, r;
	ssize_t n;

	if (cfg->wait_ms > 0)
		idle = sock_deadline((int)cfg->wait_ms);
	for (;;) {
		nfds = 0;
		p[nfds++] = (struct pollfd){ fd, POLLIN, 0 };
		if (!in_eof)
			p[nfds++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		first = idle;
		if (quit >= 0 && (first < 0 || quit < first))
			first = quit;
		now = clock_mono_ms();
		r = poll(p, nfds, first < 0 ? -1 :
		    first <= now ? 0 : (int)(first - now));
		if (r < 0) {
			if (errno == EINTR && stop_requested() != 0) {
				tnc_event("signal %d: stopping after %llu "
				    "bytes sent, %llu received",
				    stop_requested(),
				    (unsigned long long)c->sent,
				    (unsigned long long)c->rcvd);
				close(fd);
				udp_stats(cfg, peer, c);
				return STOP_EXIT(stop_requested());
			}
			if (errno == EINTR)
				continue;
			err(EXIT_FAIL, "poll");
		}
		if (r == 0) {
			tnc_event("%s deadline: done after %llu bytes sent, "
			    "%llu received", quit >= 0 &&
			    clock_mono_ms() >= quit ? "-q" : "-w idle",
			    (unsigned long long)c->sent,
			    (unsigned long long)c->rcvd);
			break;
		}
		if (p[0].revents != 0) {
			n = recv(fd, dgram, sizeof(dgram), 0);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				enum outcome o = outcome_from_errno(errno);

				tnc_event("receive: %s", outcome_name(o));
				warnx("%s: receive: %s (%s) after %llu bytes "
				    "received, %llu bytes sent", peer,
				    outcome_name(o), errno_name(errno),
				    (unsigned long long)c->rcvd,
				    (unsigned long long)c->sent);
				close(fd);
				udp_stats(cfg, peer, c);
				return exit_for_outcome(o);
			}
			if (n >= 0) {
				c->rcvd += n;
				c->dgrams_rcvd++;
				if (cfg->wait_ms > 0)
					idle = sock_deadline((int)cfg->wait_ms);
				if (!to_stdout(dgram, n)) {
					tnc_event("stdout closed");
					break;
				}
			}
		}
		if (nfds > 1 && p[1].revents != 0) {
			n = read(STDIN_FILENO, dgram, sizeof(dgram));
			if (n == 0 || (n < 0 && errno != EINTR &&
			    errno != EAGAIN)) {
				if (n < 0)
					warn("read from stdin");
				in_eof = true;
				tnc_event("stdin EOF (UDP: nothing is sent)");
				if (cfg->quit_ms >= 0)
					quit = sock_deadline(cfg->quit_ms > 0 ?
					    (int)cfg->quit_ms : 1);
			} else if (n > 0) {
				if (send(fd, dgram, n, MSG_NOSIGNAL) < 0) {
					enum outcome o =
					    outcome_from_errno(errno);

					warnx("%s: send: %s (%s)", peer,
					    outcome_name(o), errno_name(errno));
					close(fd);
					udp_stats(cfg, peer, c);
					return exit_for_outcome(o);
				}
				c->sent += n;
				c->dgrams_sent++;
				if (cfg->wait_ms > 0)
					idle = sock_deadline((int)cfg->wait_ms);
			}
		}
	}
	close(fd);
	udp_stats(cfg, peer, c);
	return EXIT_OK;
}

int
tnc_udp_client(const struct tnc_config *cfg)
{
	/* -4/-6, -s, -p as for TCP; a UDP connect() does not wait. */
	struct sock_opts o = tnc_connect_opts(cfg);
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN], peer[ADDR_STRLEN];
	struct udp_counts c = { 0 };
	enum outcome oc = OUTCOME_ERROR;
	int fd;

	o.type = SOCK_DGRAM;
	o.timeout_ms = 0;
	fd = sock_connect(cfg->host, cfg->port, &o, &oc, errbuf);
	if (fd == -1)
		errx(exit_for_outcome(oc), "%s", errbuf);
	sock_peer_str(fd, peer, sizeof(peer));
	tnc_event("UDP to %s from %s", peer,
	    sock_local_str(fd, local, sizeof(local)));
	return udp_session(cfg, fd, peer, &c);
}

int
tnc_udp_listen(const struct tnc_config *cfg)
{
	struct sock_opts o = { .family = cfg->family, .type = SOCK_DGRAM };
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN], peer[ADDR_STRLEN];
	struct udp_counts c = { 0 };
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;
	int fd;

	fd = sock_listen(cfg->host, cfg->port, &o, errbuf);
	if (fd == -1)
		errx(EXIT_FAIL, "%s", errbuf);
	if (sock_set_nonblock(fd, false) == -1)
		err(EXIT_FAIL, "O_NONBLOCK");
	tnc_event("listening on %s (UDP)", sock_local_str(fd, local,
	    sizeof(local)));
	/* The first datagram names the peer; the rest of the session is
	   with it alone, as with nc -u -l. */
	do {
		fromlen = sizeof(from);
		n = recvfrom(fd, dgram, sizeof(dgram), 0,
		    (struct sockaddr *)&from, &fromlen);
	} while (n < 0 && errno == EINTR && stop_requested() == 0);
	if (n < 0 && stop_requested() != 0) {
		tnc_event("signal %d: stopped listening", stop_requested());
		return STOP_EXIT(stop_requested());
	}
	if (n < 0)
		err(EXIT_FAIL, "recvfrom");
	if (connect(fd, (struct sockaddr *)&from, fromlen) == -1)
		err(EXIT_FAIL, "connect to %s", addr_format(
		    (struct sockaddr *)&from, peer, sizeof(peer)));
	addr_format((struct sockaddr *)&from, peer, sizeof(peer));
	tnc_event("datagram from %s", peer);
	c.rcvd = n;
	c.dgrams_rcvd = 1;
	if (!to_stdout(dgram, n)) {
		close(fd);
		udp_stats(cfg, peer, &c);
		return EXIT_OK;
	}
	return udp_session(cfg, fd, peer, &c);
}
