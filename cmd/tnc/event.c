/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc's -v event lines, socket options and exit codes, below every mode. */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "clock.h"
#include "errbuf.h"
#include "evloop.h"
#include "names.h"
#include "relay.h"
#include "sockopt.h"
#include "stop.h"
#include "tnc.h"

static const char *const tnc_io_names[] = {
	[TNC_IO_EPOLL] = "epoll",
	[TNC_IO_THREADS] = "threads",
};

NAMES_DEFINE(tnc_io_name, tnc_io_parse, enum tnc_io, tnc_io_names,
    sizeof(tnc_io_names) / sizeof(tnc_io_names[0]), "?")

static int event_verbose;
static uint64_t start_us;

void
tnc_event_init(int verbose)
{
	event_verbose = verbose;
	start_us = clock_mono_us();
}

void
tnc_event(const char *fmt, ...)
{
	char line[512];
	uint64_t us;
	va_list ap;
	int n, m;

	if (!event_verbose)
		return;
	us = clock_mono_us() - start_us;
	n = snprintf(line, sizeof(line), "tnc: [%4llu.%06llu] ",
	    (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line, so threads never interleave within a line. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void
tnc_stats(const struct tnc_config *cfg, const char *peer, uint64_t sent,
    uint64_t rcvd)
{
	if (cfg->stats)
		fprintf(stderr, "tnc: %s: sent %llu bytes, received %llu "
		    "bytes\n", peer, (unsigned long long)sent,
		    (unsigned long long)rcvd);
}

static void
on_stop(struct evloop *loop, int fd, unsigned events, void *arg)
{
	struct tnc_stop *st = arg;
	int sig;

	(void)events;
	if ((sig = stop_fd_read(fd)) == 0)
		return;
	st->say(sig, st->arg);
	*st->status = STOP_EXIT(sig);
	evloop_stop(loop);
}

void
tnc_session_relay_opts(const struct tnc_config *cfg, struct relay_opts *o)
{
	o->io = RELAY_IO_EPOLL;
	o->buffer = cfg->buffer;
	o->idle_ms = cfg->wait_ms;
	o->quit_ms = cfg->quit_ms;
}

void
tnc_watch_stop(struct evloop *loop, int sigfd, struct tnc_stop *st)
{
	if (evloop_add(loop, sigfd, EV_READ, on_stop, st) == -1)
		err(EXIT_FAIL, "watch the stop signals");
}

/* -vv: each buffer's size, "(asked N)" only for what was asked. */
static void
print_bufsizes(const struct tnc_config *cfg, const char *who,
    const struct bufsize *snd, const struct bufsize *rcv)
{
	char s[48], r[48];

	if (cfg->sndbuf != 0)
		snprintf(s, sizeof(s), "(asked %d)", snd->requested);
	else
		snprintf(s, sizeof(s), "(default)");
	if (cfg->rcvbuf != 0)
		snprintf(r, sizeof(r), "(asked %d)", rcv->requested);
	else
		snprintf(r, sizeof(r), "(default)");
	tnc_event("%s: sndbuf %d %s, rcvbuf %d %s", who, snd->effective, s,
	    rcv->effective, r);
}

void
tnc_apply_sockopts(const struct tnc_config *cfg, int fd, const char *who)
{
	char errbuf[ERRBUF_LEN];
	struct bufsize snd, rcv;

	if (cfg->nodelay && sockopt_nodelay(fd, true, errbuf) == -1)
		warnx("%s: %s", who, errbuf);
	if (cfg->sndbuf != 0 || cfg->rcvbuf != 0) {
		if (sockopt_bufsizes(fd, cfg->sndbuf, cfg->rcvbuf, &snd, &rcv,
		    errbuf) == -1)
			warnx("%s: %s", who, errbuf);
		else if (cfg->verbose > 1)
			print_bufsizes(cfg, who, &snd, &rcv);
	}
	if (cfg->keepalive && sockopt_keepalive(fd, cfg->ka_idle,
	    cfg->ka_intvl, cfg->ka_cnt, errbuf) == -1)
		warnx("%s: %s", who, errbuf);
	if (cfg->user_timeout != 0 &&
	    sockopt_user_timeout(fd, cfg->user_timeout, errbuf) == -1)
		warnx("%s: %s", who, errbuf);
}

struct sock_opts
tnc_connect_opts(const struct tnc_config *cfg)
{
	struct sock_opts o = {
		.family = cfg->family,
		.type = SOCK_STREAM,
		.src_host = cfg->src_host,
		.src_port = cfg->src_port,
		.timeout_ms = (int)cfg->wait_ms,
	};

	return o;
}
