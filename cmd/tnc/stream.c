/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc over TCP: stdin and stdout to a socket and back, on common/relay. */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errbuf.h"
#include "evloop.h"
#include "relay.h"
#include "sock.h"
#include "stop.h"
#include "tls.h"
#include "tnc.h"

/* The relay's ends: stdin/stdout and the socket. */
enum { END_STDIO = 0, END_NET = 1 };

/* One connection as tnc reports it. */
struct session {
	const struct tnc_config *cfg;
	const char *peer;
	struct evloop *loop;
	struct relay_pair *pair;
	struct tls_conn *tls;	/* --ssl */
	bool fin_sent;		/* our FIN went out (stdin EOF) */
	bool net_eof;		/* the peer's FIN arrived */
	bool told;		/* how it ended was said already */
	int status;		/* exit status */
};

/* True once stdin reached EOF in an earlier session (tnc -l -k). */
static bool stdin_done;

/* stdin is at EOF and everything read from it went out. */
static void
stdin_finished(struct session *s, const struct relay_event *ev)
{
	unsigned long long sent = ev->bytes[END_STDIO];
	unsigned long long rcvd = ev->bytes[END_NET];

	stdin_done = true;
	switch (s->cfg->close_how) {
	case CLOSE_GRACEFUL:
		s->fin_sent = true;
		tnc_event("stdin EOF -> %s sent after %llu bytes",
		    s->tls != NULL ? "close_notify and FIN" : "FIN", sent);
		break;
	case CLOSE_ABORT:
		s->told = true;
		tnc_event("stdin EOF -> RST sent (--close abort) after %llu "
		    "bytes sent, %llu received", sent, rcvd);
		break;
	case CLOSE_PLAIN:
		s->told = true;
		tnc_event("stdin EOF -> close() (--close plain) after %llu "
		    "bytes sent, %llu received: %s", sent, rcvd,
		    ev->unread > 0 ? "input unread, RST sent" : "FIN sent");
		break;
	}
}

/*
 * The peer reset (or a send or receive failed otherwise): what arrived
 * before the error is delivered; say what happened with the byte counts.
 */
static void
net_failed(struct session *s, const struct relay_event *ev)
{
	unsigned long long rcvd = ev->bytes[END_NET], sent = ev->sent[END_NET];
	const char *during = strcmp(ev->during, "send") == 0 ? "send:" :
	    strcmp(ev->during, "shutdown") == 0 ? "shutdown:" : "receive:";
	enum outcome o = outcome_from_errno(ev->err);

	s->told = true;
	tnc_event("%s %s (%s) after %llu bytes received, %llu bytes sent",
	    during, outcome_name(o), errno_name(ev->err), rcvd, sent);
	warnx("%s: %s %s (%s) after %llu bytes received, %llu bytes sent",
	    s->peer, during, outcome_name(o), errno_name(ev->err), rcvd, sent);
	/* -q asks for nc's ways: nc ignores a reset and exits 0. */
	s->status = s->cfg->quit_ms >= 0 ? EXIT_OK : exit_for_outcome(o);
}

/*
 * stdout is gone (tnc ... | head): nothing more can be delivered, so the
 * relay stopped. Unless both directions already finished, the peer got
 * an RST. Exit 0: the reader chose.
 */
static void
stdout_closed(struct session *s, const struct relay_event *ev)
{
	s->told = true;
	if (s->net_eof && s->fin_sent)
		tnc_event("stdout closed after the peer's EOF");
	else
		tnc_event("stdout closed -> RST sent after %llu bytes "
		    "received, %llu bytes sent",
		    (unsigned long long)ev->bytes[END_NET],
		    (unsigned long long)ev->sent[END_NET]);
	s->status = EXIT_OK;
}

/* A deadline passed: the relay aborted (RST); exit 5. */
static void
deadline(struct session *s, const struct relay_event *ev)
{
	bool quit = strcmp(ev->during, "-q") == 0;
	int64_t ms = quit ? s->cfg->quit_ms : s->cfg->wait_ms;
	unsigned long long rcvd = ev->bytes[END_NET], sent = ev->sent[END_NET];

	s->told = true;
	tnc_event("%s deadline (%lld.%03lld s) -> RST sent after %llu bytes "
	    "received, %llu bytes sent", ev->during, (long long)(ms / 1000),
	    (long long)(ms % 1000), rcvd, sent);
	if (quit) {
		/* As Debian's nc -q: wait that long, then quit, exit 0. */
		s->status = EXIT_OK;
		return;
	}
	warnx("%s: %s %s after %lld.%03lld s: connection aborted (RST) "
	    "after %llu bytes received, %llu bytes sent", s->peer,
	    outcome_name(OUTCOME_TIMEOUT), ev->during, (long long)(ms / 1000),
	    (long long)(ms % 1000), rcvd, sent);
	s->status = EXIT_TIMEOUT;
}

static void
on_relay_event(const struct relay_event *ev, void *arg)
{
	struct session *s = arg;

	switch (ev->kind) {
	case RELAY_EV_EOF:
		if (ev->end == END_STDIO) {
			stdin_finished(s, ev);
		} else {
			s->net_eof = true;
			tnc_event("peer %s after %llu bytes received",
			    s->tls != NULL ? tnc_ssl_eof_name(s->tls) : "EOF",
			    (unsigned long long)ev->bytes[END_NET]);
		}
		break;
	case RELAY_EV_ERROR:
		if (ev->end == END_NET) {
			net_failed(s, ev);
		} else if (strcmp(ev->during, "read") == 0) {
			errno = ev->err;
			warn("read from stdin");
			stdin_done = true;
		} else if (ev->err == EPIPE) {
			stdout_closed(s, ev);
		} else {
			errno = ev->err;
			err(EXIT_FAIL, "write to stdout");
		}
		break;
	case RELAY_EV_DEADLINE:
		deadline(s, ev);
		break;
	case RELAY_EV_END:
		if (!s->told)
			tnc_event("closed: %llu bytes sent, %llu bytes "
			    "received",
			    (unsigned long long)ev->sent[END_NET],
			    (unsigned long long)ev->bytes[END_NET]);
		tnc_stats(s->cfg, s->peer, ev->sent[END_NET],
		    ev->bytes[END_NET]);
		evloop_stop(s->loop);
		break;
	case RELAY_EV_PAUSED:
		break;
	}
}

/*
 * SIGINT or SIGTERM: say how far the connection got (tnc_watch_stop
 * stops the loop); the relay is freed, which resets it, and tnc exits
 * 128 + the signal.
 */
static void
say_stopped(int sig, void *arg)
{
	struct session *s = arg;
	uint64_t sent, rcvd;

	sent = relay_pair_bytes(s->pair, END_STDIO);
	rcvd = relay_pair_bytes(s->pair, END_NET);
	tnc_event("signal %d: stopping -> RST sent after %llu bytes sent, "
	    "%llu bytes received", sig, (unsigned long long)sent,
	    (unsigned long long)rcvd);
	tnc_stats(s->cfg, s->peer, sent, rcvd);
}

/*
 * Copy between stdin/stdout and a connected TCP socket (with TLS on it
 * when tls is not NULL) until both directions are done, closing it as
 * --close says. peer names the other end in messages. Returns the exit
 * status; the fd is always closed.
 */
static int
stdio_session(const struct tnc_config *cfg, int fd, struct tls_conn *tls,
    const char *peer, int sigfd)
{
	struct session s = { .cfg = cfg, .peer = peer, .tls = tls };
	struct tnc_stop st = { say_stopped, &s, &s.status };
	struct relay_opts o = { .eof_close = cfg->close_how,
	    .crlf = cfg->crlf, .on_event = on_relay_event, .arg = &s };
	char errbuf[ERRBUF_LEN];
	struct relay *r;

	tnc_session_relay_opts(cfg, &o);
	if ((s.loop = evloop_new(errbuf)) == NULL ||
	    (r = relay_new(s.loop, &o, errbuf)) == NULL)
		errx(EXIT_FAIL, "%s", errbuf);
	if (tls != NULL)
		s.pair = relay_pair_add_stdio_tls(r, stdin_done ? -1 :
		    STDIN_FILENO, STDOUT_FILENO, tls, &s, errbuf);
	else
		s.pair = relay_pair_add_stdio(r, stdin_done ? -1 :
		    STDIN_FILENO, STDOUT_FILENO, fd, &s, errbuf);
	if (s.pair == NULL)
		errx(EXIT_FAIL, "%s: %s", peer, errbuf);
	tnc_watch_stop(s.loop, sigfd, &st);
	if (evloop_run(s.loop) == -1)
		err(EXIT_FAIL, "event loop");
	evloop_del(s.loop, sigfd);
	relay_free(r);
	evloop_free(s.loop);
	return s.status;
}

/* One connection: TLS first with --ssl (ctx), then -e/-c or stdio. */
static int
stream_session(const struct tnc_config *cfg, struct tls_ctx *ctx, int fd,
    const char *peer, int sigfd)
{
	struct tls_conn *tls = NULL;
	int status;

	if (ctx != NULL &&
	    (tls = tnc_ssl_start(cfg, ctx, fd, peer, sigfd, &status)) == NULL)
		return status;
	if (cfg->exec_prog != NULL || cfg->exec_cmd != NULL)
		status = tnc_exec_session(cfg, fd, tls, peer, sigfd);
	else
		status = stdio_session(cfg, fd, tls, peer, sigfd);
	if (tls != NULL)
		status = tnc_ssl_end(cfg, tls, peer, status);
	return status;
}

int
tnc_stream_client(const struct tnc_config *cfg)
{
	struct sock_opts o = tnc_connect_opts(cfg);
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN], peer[ADDR_STRLEN];
	enum outcome oc = OUTCOME_ERROR;
	struct tls_ctx *ctx = tnc_ssl_ctx(cfg);
	int fd, sigfd, status;

	o.nonblock = true;
	if (cfg->unix_path != NULL) {
		snprintf(peer, sizeof(peer), "unix:%s", cfg->unix_path);
		fd = sock_connect_unix(cfg->unix_path, true, errbuf);
		oc = OUTCOME_ERROR;
		if (fd == -1 && errno == ECONNREFUSED)
			oc = OUTCOME_REFUSED;
	} else {
		fd = sock_connect_peer(cfg->host, cfg->port, &o, peer,
		    sizeof(peer), &oc, errbuf);
	}
	if (fd == -1) {
		if (stop_requested() != 0) {
			tnc_event("signal %d: stopped while connecting",
			    stop_requested());
			return STOP_EXIT(stop_requested());
		}
		errx(exit_for_outcome(oc), "%s", errbuf);
	}
	if ((sigfd = stop_fd_open(false, errbuf)) == -1)
		errx(EXIT_FAIL, "%s", errbuf);
	tnc_apply_sockopts(cfg, fd, peer);
	tnc_event("connected to %s from %s", peer,
	    sock_local_str(fd, local, sizeof(local)));
	status = stream_session(cfg, ctx, fd, peer, sigfd);
	tls_ctx_free(ctx);
	return status;
}

/*
 * Wait until lfd has a connection or a stop signal came (the signals are
 * blocked: only sigfd sees them). Returns the signal, or 0.
 */
static int
wait_accept(int lfd, int sigfd)
{
	struct pollfd p[2] = { { lfd, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
	int sig;

	for (;;) {
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_FAIL, "poll");
		}
		if (p[1].revents != 0 && (sig = stop_fd_read(sigfd)) != 0)
			return sig;
		if (p[0].revents != 0)
			return 0;
	}
}

/* No more connections: close the listener; -U: remove its path too. */
static void
listen_done(const struct tnc_config *cfg, int lfd)
{
	close(lfd);
	if (cfg->unix_path != NULL && unlink(cfg->unix_path) == -1)
		warn("remove %s", cfg->unix_path);
}

int
tnc_stream_listen(const struct tnc_config *cfg)
{
	struct sock_opts o = { .family = cfg->family, .type = SOCK_STREAM };
	char errbuf[ERRBUF_LEN], local[ADDR_STRLEN], peer[ADDR_STRLEN];
	struct tls_ctx *ctx = tnc_ssl_ctx(cfg);
	enum outcome oc;
	int lfd, fd, r, sig, sigfd;

	if ((sigfd = stop_fd_open(false, errbuf)) == -1)
		errx(EXIT_FAIL, "%s", errbuf);
	if (cfg->unix_path != NULL)
		lfd = sock_listen_unix(cfg->unix_path, 0, errbuf);
	else
		lfd = sock_listen(cfg->host, cfg->port, &o, errbuf);
	if (lfd == -1)
		errx(EXIT_FAIL, "%s", errbuf);
	tnc_event("listening on %s", sock_local_str(lfd, local,
	    sizeof(local)));
	for (;;) {
		if ((sig = wait_accept(lfd, sigfd)) != 0) {
			listen_done(cfg, lfd);
			tnc_event("signal %d: stopped listening", sig);
			return STOP_EXIT(sig);
		}
		fd = sock_accept_peer(lfd, 0, peer, sizeof(peer), &oc,
		    errbuf);
		if (fd == -1) {
			if (!cfg->keep) {
				listen_done(cfg, lfd);
				errx(exit_for_outcome(oc), "%s", errbuf);
			}
			warnx("%s", errbuf);
			continue;
		}
		if (!cfg->keep)
			listen_done(cfg, lfd);
		tnc_apply_sockopts(cfg, fd, peer);
		tnc_event("connection from %s on %s", peer,
		    sock_local_str(fd, local, sizeof(local)));
		r = stream_session(cfg, ctx, fd, peer, sigfd);
		if (stop_requested() != 0 || !cfg->keep) {
			tls_ctx_free(ctx);
			return r;
		}
	}
}
