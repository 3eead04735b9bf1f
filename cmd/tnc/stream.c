/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc over TCP: stdin to the socket and the socket to stdout, closing right. */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "buf.h"
#include "close.h"
#include "errbuf.h"
#include "sock.h"
#include "sockopt.h"
#include "tnc.h"

/* One connection's copy state: stdin -> net and net -> stdout. */
struct session {
	const struct tnc_config *cfg;
	int fd;
	const char *peer;
	struct buf *tonet;	/* read from stdin, not yet sent */
	struct buf *toout;	/* received, not yet written to stdout */
	bool in_eof;		/* stdin said EOF (or failed) */
	bool fin_sent;		/* our FIN went out (shutdown SHUT_WR) */
	bool net_eof;		/* the peer's FIN arrived */
	uint64_t sent;		/* bytes the socket accepted */
	uint64_t rcvd;		/* bytes received from the peer */
	int64_t idle_deadline;	/* -w, -1 for none */
	int64_t quit_deadline;	/* -q after our FIN, -1 for none */
};

/* True once stdin reached EOF in an earlier session (tnc -l -k). */
static bool stdin_done;

static void
print_stats(const struct session *s)
{
	if (s->cfg->stats)
		fprintf(stderr, "tnc: %s: sent %llu bytes, received %llu "
		    "bytes\n", s->peer, (unsigned long long)s->sent,
		    (unsigned long long)s->rcvd);
}

/*
 * Write all of what is queued for stdout. Returns 0, 1 when stdout is
 * gone (EPIPE: the reader exited), -1 on another error (errno set).
 */
static int
flush_stdout(struct session *s)
{
	ssize_t n;

	while (buf_len(s->toout) > 0) {
		n = write(STDOUT_FILENO, buf_data(s->toout),
		    buf_len(s->toout));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = { STDOUT_FILENO, POLLOUT, 0 };

				(void)poll(&p, 1, -1);
				continue;
			}
			return errno == EPIPE ? 1 : -1;
		}
		buf_consume(s->toout, n);
	}
	return 0;
}

/*
 * The peer reset (or a send or receive failed otherwise): deliver what
 * arrived before the error, say what happened with the byte counts, and
 * close by abort. Returns the exit status.
 */
static int
end_with_error(struct session *s, const char *during, int err)
{
	struct close_report rep;
	enum outcome o = outcome_from_errno(err);

	if (flush_stdout(s) == -1)
		warn("write to stdout");
	tnc_event("%s %s (%s) after %llu bytes received, %llu bytes sent",
	    during, outcome_name(o), errno_name(err),
	    (unsigned long long)s->rcvd, (unsigned long long)s->sent);
	warnx("%s: %s %s (%s) after %llu bytes received, %llu bytes sent",
	    s->peer, during, outcome_name(o), errno_name(err),
	    (unsigned long long)s->rcvd, (unsigned long long)s->sent);
	close_abort(s->fd, &rep);
	print_stats(s);
	return tnc_exit_for(o);
}

/*
 * A send failed. Data and the peer's EOF that arrived before its RST are
 * still queued for us (teardown(7)): deliver them first, then report.
 */
static int
end_after_send_error(struct session *s, int err)
{
	ssize_t n;

	while (!s->net_eof) {
		if (buf_len(s->toout) >= s->cfg->buffer && flush_stdout(s) != 0)
			break;
		n = buf_read_fd(s->toout, s->fd,
		    s->cfg->buffer - buf_len(s->toout));
		if (n > 0)
			s->rcvd += n;
		else if (n == 0)
			s->net_eof = true;
		else
			break;
	}
	return end_with_error(s, "send:", err);
}

/* A deadline passed: abort (RST) and exit 5. */
static int
end_with_deadline(struct session *s, const char *what, int64_t ms)
{
	struct close_report rep;

	if (flush_stdout(s) == -1)
		warn("write to stdout");
	close_abort(s->fd, &rep);
	tnc_event("%s deadline (%lld.%03lld s) -> RST sent after %llu bytes "
	    "received, %llu bytes sent", what, (long long)(ms / 1000),
	    (long long)(ms % 1000), (unsigned long long)s->rcvd,
	    (unsigned long long)s->sent);
	warnx("%s: %s %s after %lld.%03lld s: connection aborted (RST) "
	    "after %llu bytes received, %llu bytes sent", s->peer,
	    outcome_name(OUTCOME_TIMEOUT), what, (long long)(ms / 1000),
	    (long long)(ms % 1000), (unsigned long long)s->rcvd,
	    (unsigned long long)s->sent);
	print_stats(s);
	return TNC_EXIT_DEADLINE;
}

/*
 * stdout is gone (tnc ... | head): nothing more can be delivered, so stop
 * here. Unless both directions already finished, the peer gets an RST:
 * a FIN would claim we read everything it sent. Exit 0: the reader chose.
 */
static int
end_with_stdout_closed(struct session *s)
{
	struct close_report rep;

	buf_consume(s->toout, buf_len(s->toout));
	if (s->net_eof && s->fin_sent) {
		close_graceful(s->fd, NULL, 0, 0, NULL, NULL, &rep);
		tnc_event("stdout closed after the peer's EOF");
	} else {
		close_abort(s->fd, &rep);
		tnc_event("stdout closed -> RST sent after %llu bytes "
		    "received, %llu bytes sent", (unsigned long long)s->rcvd,
		    (unsigned long long)s->sent);
	}
	print_stats(s);
	return TNC_EXIT_OK;
}

/*
 * stdin is at EOF and everything read from it went out: close our
 * direction the way --close asks. Returns -1 to keep going (graceful:
 * the peer's data still flows to stdout) or the exit status.
 */
static int
stdin_finished(struct session *s)
{
	struct close_report rep;
	int r;

	switch (s->cfg->close_how) {
	case CLOSE_GRACEFUL:
		if (shutdown(s->fd, SHUT_WR) == -1 && errno != ENOTCONN)
			return end_with_error(s, "shutdown:", errno);
		s->fin_sent = true;
		tnc_event("stdin EOF -> FIN sent after %llu bytes",
		    (unsigned long long)s->sent);
		if (s->cfg->quit_ms >= 0)
			s->quit_deadline = sock_deadline(s->cfg->quit_ms > 0 ?
			    (int)s->cfg->quit_ms : 1);
		return -1;
	case CLOSE_ABORT:
		close_abort(s->fd, &rep);
		tnc_event("stdin EOF -> RST sent (--close abort) after %llu "
		    "bytes sent, %llu received", (unsigned long long)s->sent,
		    (unsigned long long)s->rcvd);
		break;
	case CLOSE_PLAIN:
		close_plain(s->fd, &rep);
		tnc_event("stdin EOF -> close() (--close plain) after %llu "
		    "bytes sent, %llu received: %s",
		    (unsigned long long)s->sent, (unsigned long long)s->rcvd,
		    rep.unread > 0 ? "input unread, RST sent" : "FIN sent");
		break;
	}
	r = flush_stdout(s);
	print_stats(s);
	if (r == -1) {
		warn("write to stdout");
		return TNC_EXIT_FAIL;
	}
	return TNC_EXIT_OK;
}

/* Both directions are done: close (nothing is left to drain). */
static int
both_finished(struct session *s)
{
	struct close_report rep;

	close_graceful(s->fd, NULL, 0, 1000, NULL, NULL, &rep);
	tnc_event("closed: %llu bytes sent, %llu bytes received",
	    (unsigned long long)s->sent, (unsigned long long)s->rcvd);
	print_stats(s);
	return TNC_EXIT_OK;
}

static int
poll_timeout(const struct session *s)
{
	int64_t now = clock_mono_ms(), first = -1;

	if (s->idle_deadline >= 0)
		first = s->idle_deadline;
	if (s->quit_deadline >= 0 && (first < 0 || s->quit_deadline < first))
		first = s->quit_deadline;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

static void
touch(struct session *s)
{
	if (s->cfg->wait_ms > 0)
		s->idle_deadline = sock_deadline((int)s->cfg->wait_ms);
}

/* One pass of reading the socket; returns an exit status or -1. */
static int
read_net(struct session *s, size_t cap)
{
	ssize_t n;

	n = buf_read_fd(s->toout, s->fd, cap - buf_len(s->toout));
	if (n > 0) {
		s->rcvd += n;
		touch(s);
	} else if (n == 0) {
		s->net_eof = true;
		tnc_event("peer EOF after %llu bytes received",
		    (unsigned long long)s->rcvd);
	} else if (errno != EAGAIN && errno != EINTR) {
		return end_with_error(s, "receive:", errno);
	}
	return -1;
}

static int
session_loop(struct session *s)
{
	size_t cap = s->cfg->buffer;
	struct pollfd p[3];
	int i_in, i_net, i_out, nfds, r;
	unsigned short ev;
	ssize_t n;

	s->idle_deadline = s->quit_deadline = -1;
	touch(s);
	if (stdin_done)
		s->in_eof = true;
	for (;;) {
		if (s->in_eof && buf_len(s->tonet) == 0 && !s->fin_sent &&
		    (r = stdin_finished(s)) >= 0)
			return r;
		if (s->fin_sent && s->net_eof && buf_len(s->toout) == 0)
			return both_finished(s);

		nfds = 0;
		i_in = i_net = i_out = -1;
		if (!s->in_eof && buf_len(s->tonet) < cap) {
			i_in = nfds;
			p[nfds++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		}
		ev = 0;
		if (!s->net_eof && buf_len(s->toout) < cap)
			ev |= POLLIN;
		if (buf_len(s->tonet) > 0)
			ev |= POLLOUT;
		if (ev != 0) {
			i_net = nfds;
			p[nfds++] = (struct pollfd){ s->fd, ev, 0 };
		}
		if (buf_len(s->toout) > 0) {
			i_out = nfds;
			p[nfds++] = (struct pollfd){ STDOUT_FILENO, POLLOUT,
			    0 };
		}

		r = poll(p, nfds, poll_timeout(s));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err(TNC_EXIT_FAIL, "poll");
		}
		if (r == 0) {
			int64_t now = clock_mono_ms();

			if (s->quit_deadline >= 0 && now >= s->quit_deadline)
				return end_with_deadline(s, "-q",
				    s->cfg->quit_ms);
			if (s->idle_deadline >= 0 && now >= s->idle_deadline)
				return end_with_deadline(s, "-w idle",
				    s->cfg->wait_ms);
			continue;
		}

		if (i_in >= 0 && p[i_in].revents != 0) {
			n = buf_read_fd(s->tonet, STDIN_FILENO,
			    cap - buf_len(s->tonet));
			if (n > 0) {
				touch(s);
			} else if (n == 0 || (errno != EINTR &&
			    errno != EAGAIN)) {
				if (n < 0)
					warn("read from stdin");
				s->in_eof = stdin_done = true;
			}
		}
		if (i_net >= 0 && (p[i_net].revents & POLLOUT) != 0) {
			size_t before = buf_len(s->tonet);

			n = buf_send_fd(s->tonet, s->fd);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return end_after_send_error(s, errno);
			if (n > 0) {
				s->sent += before - buf_len(s->tonet);
				touch(s);
			}
		}
		if (i_net >= 0 && (p[i_net].revents & ~POLLOUT) != 0 &&
		    !s->net_eof && buf_len(s->toout) < cap &&
		    (r = read_net(s, cap)) >= 0)
			return r;
		if (i_out >= 0 && p[i_out].revents != 0) {
			r = flush_stdout(s);
			if (r == 1)
				return end_with_stdout_closed(s);
			if (r == -1)
				err(TNC_EXIT_FAIL, "write to stdout");
		}
	}
}

/*
 * Copy between stdin/stdout and a connected TCP socket until both
 * directions are done, closing it as --close says. peer names the other
 * end in messages. Returns the exit status; the fd is always closed.
 */
static int
stream_session(const struct tnc_config *cfg, int fd, const char *peer)
{
	struct session s = { .cfg = cfg, .fd = fd, .peer = peer };
	int r;

	s.tonet = buf_new(cfg->buffer);
	s.toout = buf_new(cfg->buffer);
	if (s.tonet == NULL || s.toout == NULL)
		err(TNC_EXIT_FAIL, "buffers");
	if (sock_set_nonblock(fd, true) == -1)
		err(TNC_EXIT_FAIL, "%s: O_NONBLOCK", peer);
	r = session_loop(&s);
	buf_free(s.tonet);
	buf_free(s.toout);
	return r;
}

int
tnc_stream_client(const struct tnc_config *cfg)
{
	struct sock_opts o = {
		.family = cfg->family,
		.type = SOCK_STREAM,
		.src_host = cfg->src_host,
		.src_port = cfg->src_port,
		.timeout_ms = (int)cfg->wait_ms,
		.nonblock = true,
	};
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN], peer[ADDR_STRLEN];
	enum outcome oc = OUTCOME_ERROR;
	int fd;

	fd = sock_connect_peer(cfg->host, cfg->port, &o, peer, sizeof(peer), &oc,
	    errbuf);
	if (fd == -1) {
		tnc_event("connect failed: %s", outcome_name(oc));
		errx(tnc_exit_for(oc), "%s", errbuf);
	}
	tnc_apply_sockopts(cfg, fd, peer);
	tnc_event("connected to %s from %s", peer,
	    sock_local_str(fd, local, sizeof(local)));
	return stream_session(cfg, fd, peer);
}

int
tnc_stream_listen(const struct tnc_config *cfg)
{
	struct sock_opts o = { .family = cfg->family, .type = SOCK_STREAM };
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN], peer[ADDR_STRLEN];
	enum outcome oc;
	int lfd, fd, r;

	lfd = sock_listen(cfg->host, cfg->port, &o, errbuf);
	if (lfd == -1)
		errx(TNC_EXIT_FAIL, "%s", errbuf);
	tnc_event("listening on %s", sock_local_str(lfd, local,
	    sizeof(local)));
	for (;;) {
		fd = sock_accept_peer(lfd, 0, peer, sizeof(peer), &oc,
		    errbuf);
		if (fd == -1) {
			if (!cfg->keep)
				errx(tnc_exit_for(oc), "%s", errbuf);
			warnx("%s", errbuf);
			continue;
		}
		if (!cfg->keep)
			close(lfd);
		tnc_apply_sockopts(cfg, fd, peer);
		tnc_event("connection from %s on %s", peer,
		    sock_local_str(fd, local, sizeof(local)));
		r = stream_session(cfg, fd, peer);
		if (!cfg->keep)
			return r;
	}
}
