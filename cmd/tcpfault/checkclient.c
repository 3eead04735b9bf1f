/* SPDX-License-Identifier: BSD-2-Clause */
/* check-client: the user's client against every server misbehaviour. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "checkclient.h"
#include "clock.h"
#include "close.h"
#include "errbuf.h"
#include "flow.h"
#include "httphead.h"
#include "pipeline.h"
#include "player.h"
#include "report.h"
#include "sock.h"
#include "sockdiag.h"
#include "sockopt.h"
#include "stop.h"
#include "vanish.h"

#define QUIET_MS	200	/* the capture ends after this much silence */
/*
 * After a vanish, the client's FIN or data goes unanswered: without
 * sock_diag to count its retransmissions, wait for them in silences this
 * long (loopback's RTO is at least 200 ms).
 */
#define VANISH_QUIET_MS	600
#define VANISH_TRIES	2	/* a class of "vanished" needs two */
#define VANISH_WAIT_MS	10000	/* for them, at most */
#define QUIET_MAX_MS	2000
#define HANDLER_WAIT_MS	5000	/* a handler's waits give up after */
#define GRACE_MS	2000	/* handlers may finish after the client */
#define SLOW_PIECES	10
#define MAX_HANDLERS	64

enum cc_case {
	CC_CLOSE, CC_SEND_CLOSE, CC_CLOSE_UNREAD, CC_RESET, CC_EXIT, CC_KILL,
	CC_VANISH, CC_HALF_CLOSE, CC_WRITE_AFTER_CLOSE, CC_SLOW,
	CC_KEEPALIVE_RACE, CC_COUNT
};

/* Each server misbehaviour, as --cases names it. */
static const struct report_case cc_cases[CC_COUNT] = {
	{ "close", "read the request, close() without answering" },
	{ "send-close", "read the request, send the reply (--http: half "
	    "the Content-Length body), close()" },
	{ "close-unread", "leave the request unread, send the reply "
	    "(--http: half the body), close(): RST" },
	{ "reset", "read the request, send half the reply, abort: RST" },
	{ "exit", "read the request, send the reply (--http: half the "
	    "body), exit without close()" },
	{ "kill", "read the request, send the reply (--http: half the "
	    "body), SIGKILL" },
	{ "vanish", "read the request (--http: send half the body), then "
	    "vanish: no FIN, no RST, no ACK" },
	{ "half-close", "read the request, send the reply, shutdown(SHUT_WR), "
	    "read until the client's EOF" },
	{ "write-after-close", "read until the client's EOF, wait --delay, "
	    "then send the reply" },
	{ "slow", "read the request, send the reply in ten pieces over "
	    "--slow" },
	{ "keepalive-race", "--http: answer, then close the kept-alive "
	    "connection as the next request arrives: RST" },
};

/*
 * Whether a case loses the reply by itself, [raw, --http]: without
 * framing a client cannot tell a complete reply from a cut one, so only
 * resets and missing replies count there. The cases marked false lose it
 * depending on the client: the handler says (note 'L').
 */
static const bool cc_lossy[CC_COUNT][2] = {
	[CC_CLOSE] = { true, true },
	[CC_SEND_CLOSE] = { false, true },
	[CC_CLOSE_UNREAD] = { true, true },
	[CC_RESET] = { true, true },
	[CC_EXIT] = { false, true },
	[CC_KILL] = { false, true },
	[CC_VANISH] = { true, true },
};

/* One case run, in the parent. */
struct ccrun {
	const struct checkclient_opts *o;
	enum cc_case c;
	unsigned port;
	pid_t handlers[MAX_HANDLERS];
	struct sockaddr_storage peers[MAX_HANDLERS];	/* the client's ends */
	int nhandlers;
	int notes[2];		/* handlers -> parent: "F|L|D conn t_us" */
	int64_t fault_us;	/* first fault, CLOCK_MONOTONIC; -1: none */
	int lost_conn;		/* a connection that lost a reply; -1 */
	int done_after_lost;	/* a later connection delivered one */
	json_t *wire;		/* classes of the captured connections */
	const char *closed_by;
	char last_err[512];	/* the client's last stderr line */
	char partial[512];
	uint64_t out_bytes;
};

int
checkclient_parse_cases(const char *list, uint64_t *mask, char *errbuf)
{
	return report_cases_parse(cc_cases, CC_COUNT, list, mask, errbuf);
}

void
checkclient_list(FILE *fp)
{
	report_cases_list(fp, "cases (server misbehaviours)", cc_cases,
	    CC_COUNT);
}

/* ---- the handler: one process per accepted connection ---------------- */

struct handler {
	const struct checkclient_opts *o;
	enum cc_case c;
	int fd;
	int conn;		/* 0 for the first connection */
	int note_fd;
	char req[HTTP_HEAD_MAX];
};

static void
note(const struct handler *h, char what)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%c %d %lld\n", what, h->conn,
	    (long long)clock_mono_us());

	/* Shorter than PIPE_BUF: one write, never interleaved. */
	if (write(h->note_fd, line, (size_t)n) != n)
		_exit(3);
}

/*
 * Read the request: an HTTP head and its Content-Length body, or (raw)
 * whatever the first bytes bring. 0, or -1 when it never came.
 */
static int
read_request(struct handler *h)
{
	char eb[ERRBUF_LEN];
	struct http_head hd;
	enum outcome o;
	size_t got;

	if (!h->o->http)
		return sock_recv_timeout(h->fd, h->req, sizeof(h->req),
		    HANDLER_WAIT_MS, &o) > 0 ? 0 : -1;
	if (http_read_head(h->fd, h->req, sizeof(h->req), &got,
	    HANDLER_WAIT_MS, &hd, eb) != 1)
		return -1;
	for (int64_t left = hd.content_length - (int64_t)(got - hd.len);
	    left > 0;) {
		ssize_t n = sock_recv_timeout(h->fd, h->req, (size_t)(left <
		    (int64_t)sizeof(h->req) ? left : (int64_t)sizeof(h->req)),
		    HANDLER_WAIT_MS, &o);

		if (n <= 0)
			return -1;
		left -= n;
	}
	return 0;
}

/* len pattern bytes from body offset off. 0, or -1 when a send failed. */
static int
send_body(struct handler *h, uint64_t off, uint64_t len)
{
	uint8_t buf[16384];
	enum outcome o;

	while (len > 0) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);

		player_pattern_fill(buf, n, off);
		if (sock_send_all(h->fd, buf, n, &o) != n)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * The reply's start: with --http a head announcing the whole body, then
 * `part` of it (the rest never comes); raw, `part` bytes.
 */
static int
send_reply(struct handler *h, uint64_t part, bool keep_alive)
{
	char head[256];
	size_t n;
	enum outcome o;

	if (h->o->http) {
		n = http_response_head(head, sizeof(head),
		    (int64_t)h->o->bytes, keep_alive);
		if (sock_send_all(h->fd, head, n, &o) != n)
			return -1;
	}
	return send_body(h, 0, part);
}

/*
 * After a complete reply: FIN, then wait for the client to end. A clean
 * end (its FIN, our FIN acknowledged) delivered the reply ('D'); an RST
 * means it closed with our reply unread ('L').
 */
static void
finish_reply(struct handler *h)
{
	int64_t deadline = clock_mono_ms() + HANDLER_WAIT_MS;
	struct tcpinfo_snap ti;
	char buf[4096];
	ssize_t n;

	shutdown(h->fd, SHUT_WR);
	for (;;) {
		if (sockopt_tcp_info(h->fd, &ti, NULL) == -1)
			break;
		if (strcmp(ti.state, "CLOSE") == 0 ||
		    strcmp(ti.state, "TIME_WAIT") == 0)
			break;
		if (clock_mono_ms() >= deadline)
			return;
		/* Read what the client still sends: it must not look unread. */
		while (recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		sock_wait(h->fd, POLLIN, sock_deadline(5));
	}
	do
		n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0);
	note(h, n == 0 || (errno != ECONNRESET && errno != EPIPE) ? 'D' : 'L');
}

/* The first keep-alive exchange, then close as the next request lands. */
static void
keepalive_race(struct handler *h)
{
	char buf[1];
	ssize_t n;

	if (h->conn > 0) {
		/* A fresh connection (the client's retry) is served well. */
		if (read_request(h) == 0 && send_reply(h, h->o->bytes,
		    false) == 0)
			finish_reply(h);
		return;
	}
	if (read_request(h) == -1 || send_reply(h, h->o->bytes, true) == -1)
		return;
	if (sock_wait(h->fd, POLLIN, sock_deadline(HANDLER_WAIT_MS)) != 1)
		return;
	n = recv(h->fd, buf, 1, MSG_PEEK | MSG_DONTWAIT);
	note(h, 'F');
	close(h->fd);		/* the next request unread: RST */
	note(h, n > 0 ? 'L' : 'D');
}

static void __attribute__((noreturn))
handle(struct handler *h)
{
	const struct checkclient_opts *o = h->o;
	uint64_t half = o->http ? o->bytes / 2 : o->bytes;
	struct close_report r;
	char eb[ERRBUF_LEN];

	switch (h->c) {
	case CC_CLOSE:
		read_request(h);
		note(h, 'F');
		close_plain(h->fd, &r);
		break;
	case CC_SEND_CLOSE:
		read_request(h);
		send_reply(h, half, false);
		note(h, 'F');
		close_plain(h->fd, &r);
		break;
	case CC_CLOSE_UNREAD:
		sock_wait(h->fd, POLLIN, sock_deadline(HANDLER_WAIT_MS));
		send_reply(h, half, false);
		note(h, 'F');
		close_plain(h->fd, &r);
		break;
	case CC_RESET:
		read_request(h);
		send_reply(h, o->bytes / 2, false);
		note(h, 'F');
		close_abort(h->fd, &r);
		break;
	case CC_EXIT:
	case CC_KILL:
		read_request(h);
		send_reply(h, half, false);
		note(h, 'F');
		if (h->c == CC_KILL)
			raise(SIGKILL);
		_exit(0);	/* the kernel closes the socket */
	case CC_VANISH:
		read_request(h);
		if (o->http)
			send_reply(h, o->bytes / 2, false);
		/* Our data acknowledged first: no retransmission after. */
		for (int i = 0; i < HANDLER_WAIT_MS && sockopt_outq(h->fd) > 0;
		    i++)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		note(h, 'F');
		if (vanish_apply(VANISH_FILTER, h->fd, eb) == -1)
			_exit(1);
		for (;;)
			pause();	/* held until the parent kills us */
	case CC_HALF_CLOSE:
		read_request(h);
		if (send_reply(h, o->bytes, false) == 0) {
			note(h, 'F');
			finish_reply(h);
		}
		break;
	case CC_WRITE_AFTER_CLOSE: {
		char buf[16384];
		enum outcome oc;

		while (sock_recv_timeout(h->fd, buf, sizeof(buf),
		    o->timeout_ms, &oc) > 0)
			;
		if (oc != OUTCOME_EOF)
			break;
		nanosleep(&(struct timespec){ o->delay_ms / 1000,
		    (o->delay_ms % 1000) * 1000000L }, NULL);
		note(h, 'F');
		if (send_reply(h, o->bytes, false) == 0)
			finish_reply(h);
		else
			note(h, 'L');
		break;
	}
	case CC_SLOW: {
		uint64_t piece = o->bytes / SLOW_PIECES, sent = 0;
		long gap_ms = o->slow_ms / SLOW_PIECES;
		int rc;

		read_request(h);
		note(h, 'F');
		rc = send_reply(h, piece, false);
		for (int i = 1; rc == 0 && i < SLOW_PIECES; i++) {
			sent += piece;
			nanosleep(&(struct timespec){ gap_ms / 1000,
			    (gap_ms % 1000) * 1000000L }, NULL);
			rc = send_body(h, sent, i == SLOW_PIECES - 1 ?
			    o->bytes - sent : piece);
		}
		if (rc == 0)
			finish_reply(h);
		else
			note(h, 'L');
		break;
	}
	case CC_KEEPALIVE_RACE:
	case CC_COUNT:
		keepalive_race(h);
		break;
	}
	_exit(0);
}

/* ---- the parent: the client, the listener, the capture --------------- */

static void
on_flow(const struct flow_result *fr, void *arg)
{
	struct ccrun *cr = arg;
	unsigned closer;

	json_array_append_new(cr->wire, json_string(flow_class_name(
	    fr->teardown)));
	if (json_array_size(cr->wire) == 1 &&
	    fr->closed_by != FLOW_SIDE_NONE) {
		closer = fr->closed_by == FLOW_SIDE_ORIG ? fr->orig_port :
		    fr->resp_port;
		cr->closed_by = closer == cr->port ? "server" : "client";
	}
}

/* arg with {host}, {port} and {addr} replaced; exits 1 when out of memory. */
static char *
substitute(const char *arg, const char *host, const char *port)
{
	char addr[96];
	size_t cap = strlen(arg) + 1, len = 0;
	char *out = malloc(cap);

	snprintf(addr, sizeof(addr), "%s:%s", host, port);
	while (out != NULL && *arg != '\0') {
		const char *with = NULL;
		size_t skip = 1;

		if (strncmp(arg, "{host}", 6) == 0)
			with = host, skip = 6;
		else if (strncmp(arg, "{port}", 6) == 0)
			with = port, skip = 6;
		else if (strncmp(arg, "{addr}", 6) == 0)
			with = addr, skip = 6;
		if (with != NULL) {
			char *p = realloc(out, cap += strlen(with));

			if (p == NULL)
				break;
			out = p;
			memcpy(out + len, with, strlen(with));
			len += strlen(with);
		} else {
			out[len++] = *arg;
		}
		arg += skip;
	}
	if (out == NULL || *arg != '\0')
		err(1, "malloc");
	out[len] = '\0';
	return out;
}

/*
 * Fork the client in its own process group with stdout and stderr on
 * pipes. An exec failure comes back through a close-on-exec pipe: exit 1.
 */
static pid_t
spawn_client(const struct checkclient_opts *o, const char *cname,
    unsigned port, int out[2], int errp[2])
{
	char host[] = "127.0.0.1", portstr[16];
	int ep[2], e = 0;
	pid_t pid;
	ssize_t n;

	/* Nothing buffered may be written twice, by the child too. */
	fflush(stdout);
	fflush(stderr);
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (pipe2(ep, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1)
		err(1, "pipe");
	pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		int in = open(o->stdin_path != NULL ? o->stdin_path :
		    "/dev/null", O_RDONLY);
		size_t argc = 0;
		char **argv;

		setpgid(0, 0);
		while (o->argv[argc] != NULL)
			argc++;
		argv = calloc(argc + 1, sizeof(*argv));
		for (size_t i = 0; argv != NULL && i < argc; i++)
			argv[i] = substitute(o->argv[i], host, portstr);
		if (in == -1 || argv == NULL || dup2(in, 0) == -1 ||
		    dup2(out[1], 1) == -1 || dup2(errp[1], 2) == -1 ||
		    setenv("TCPFAULT_HOST", host, 1) == -1 ||
		    setenv("TCPFAULT_PORT", portstr, 1) == -1 ||
		    setenv("TCPFAULT_CASE", cname, 1) == -1)
			e = errno;
		else {
			signal(SIGPIPE, SIG_DFL);
			execvp(argv[0], argv);
			e = errno;
		}
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pid);
	close(ep[1]);
	close(out[1]);
	close(errp[1]);
	n = read(ep[0], &e, sizeof(e));
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		errno = e;
		err(1, "cannot run %s", o->argv[0]);
	}
	return pid;
}

/* Keep the last non-empty line of what the client wrote to stderr. */
static void
take_stderr(struct ccrun *cr, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t pl = strlen(cr->partial);

		if (buf[i] == '\n') {
			if (pl > 0)
				snprintf(cr->last_err, sizeof(cr->last_err),
				    "%s", cr->partial);
			cr->partial[0] = '\0';
		} else if (buf[i] != '\r' && pl + 1 < sizeof(cr->partial)) {
			cr->partial[pl] = buf[i];
			cr->partial[pl + 1] = '\0';
		}
	}
}

static void
read_notes(struct ccrun *cr)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n = read(cr->notes[0], buf, sizeof(buf) - 1);

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char what;
		int conn;
		long long t;

		if (sscanf(line, "%c %d %lld", &what, &conn, &t) != 3)
			continue;
		if (what == 'F' && cr->fault_us < 0)
			cr->fault_us = t;
		if (what == 'L' && cr->lost_conn < 0)
			cr->lost_conn = conn;
		if (what == 'D' && cr->lost_conn >= 0 && conn > cr->lost_conn)
			cr->done_after_lost = 1;
	}
}

static void
accept_one(struct ccrun *cr, int lfd, int cpipes[2])
{
	struct handler *h;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	pid_t pid;
	int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);

	if (fd == -1)
		return;
	if (cr->nhandlers == MAX_HANDLERS) {
		close(fd);
		return;
	}
	pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		close(lfd);
		close(cpipes[0]);
		close(cpipes[1]);
		close(cr->notes[0]);
		h = malloc(sizeof(*h));
		if (h == NULL)
			_exit(3);
		h->o = cr->o;
		h->c = cr->c;
		h->fd = fd;
		h->conn = cr->nhandlers;
		h->note_fd = cr->notes[1];
		handle(h);
	}
	close(fd);
	cr->peers[cr->nhandlers] = peer;
	cr->handlers[cr->nhandlers++] = pid;
}

/*
 * After a vanish the client's end (closed when the client was) resends
 * its FIN or data to nobody. Wait until the kernel has resent each
 * VANISH_TRIES times, or reset or dropped it, so that the capture holds
 * the tries that make the class "vanished" however long the RTO is on a
 * loaded machine. Without sock_diag the capture's quiet time must do.
 */
static bool
wait_client_tries(const struct ccrun *cr)
{
	struct sockaddr_in srv = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)cr->port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int64_t deadline = clock_mono_ms() + VANISH_WAIT_MS;
	char eb[ERRBUF_LEN];
	struct sockdiag *d = sockdiag_open(eb);
	struct sockdiag_tcp t;

	for (int i = 0; d != NULL && i < cr->nhandlers; i++)
		while (sockdiag_tcp_lookup(d, (const struct sockaddr *)
		    &cr->peers[i], (const struct sockaddr *)&srv, &t,
		    eb) == 1 && t.retrans < VANISH_TRIES &&
		    clock_mono_ms() < deadline && stop_requested() == 0)
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	sockdiag_close(d);
	return d != NULL;
}

static bool
handlers_left(struct ccrun *cr)
{
	bool left = false;

	for (int i = 0; i < cr->nhandlers; i++) {
		if (cr->handlers[i] <= 0)
			continue;
		if (waitpid(cr->handlers[i], NULL, WNOHANG) == cr->handlers[i])
			cr->handlers[i] = 0;
		else
			left = true;
	}
	return left;
}

static const char *
str_or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* The row: verdict from the exit, the error output and what was lost. */
static json_t *
make_row(struct ccrun *cr, int status, bool hung, int64_t exit_us,
    int64_t started_ms)
{
	const struct report_case *d = &cc_cases[cr->c];
	bool lost = cc_lossy[cr->c][cr->o->http] ||
	    (cr->lost_conn >= 0 && !cr->done_after_lost);
	bool err_out = cr->last_err[0] != '\0';
	const char *verdict;
	char exitbuf[32], notice[32], summary[768], wire[128] = "";
	int64_t notice_ms = -1;
	json_t *row, *w;
	size_t i;

	if (hung)
		verdict = "hung";
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || err_out)
		verdict = "noticed";
	else
		verdict = lost ? "silent" : "ok";
	if (hung)
		snprintf(exitbuf, sizeof(exitbuf), "killed");
	else if (WIFSIGNALED(status))
		snprintf(exitbuf, sizeof(exitbuf), "%s",
		    sigabbrev_np(WTERMSIG(status)) != NULL ?
		    sigabbrev_np(WTERMSIG(status)) : "signal");
	else
		snprintf(exitbuf, sizeof(exitbuf), "%d", WEXITSTATUS(status));
	if (!hung && cr->fault_us >= 0 && exit_us >= cr->fault_us)
		notice_ms = (exit_us - cr->fault_us) / 1000;
	if (hung)
		snprintf(notice, sizeof(notice), "still running after %d s",
		    cr->o->timeout_ms / 1000);
	else if (notice_ms >= 0)
		snprintf(notice, sizeof(notice), "%lld ms",
		    (long long)notice_ms);
	else
		snprintf(notice, sizeof(notice), "-");
	json_array_foreach(cr->wire, i, w) {
		size_t l = strlen(wire);

		snprintf(wire + l, sizeof(wire) - l, "%s%s", i ? "," : "",
		    json_string_value(w));
	}
	snprintf(summary, sizeof(summary), "%s: exit %s, %s, wire %s%s%s",
	    verdict, exitbuf, notice, str_or_dash(wire), err_out ? ": " : "",
	    cr->last_err);
	row = json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:b,s:s?,s:O,s:I,s:I,s:s}",
	    "case", d->name, "what", d->what, "verdict", verdict,
	    "pass", strcmp(verdict, "silent") != 0 &&
	    strcmp(verdict, "hung") != 0,
	    "exit", exitbuf, "noticed", notice, "lost", lost,
	    "stderr", err_out ? cr->last_err : NULL, "wire", cr->wire,
	    "stdout_bytes", (json_int_t)cr->out_bytes,
	    "duration_ms", (json_int_t)(clock_mono_ms() - started_ms),
	    "summary", summary);
	if (row == NULL)
		errx(1, "out of memory");
	if (!hung && WIFEXITED(status))
		json_object_set_new(row, "exit_status",
		    json_integer(WEXITSTATUS(status)));
	if (!hung && WIFSIGNALED(status))
		json_object_set_new(row, "signal",
		    json_integer(WTERMSIG(status)));
	json_object_set_new(row, "noticed_ms", notice_ms >= 0 ?
	    json_integer(notice_ms) : json_null());
	json_object_set_new(row, "wire_closed_by", cr->closed_by != NULL ?
	    json_string(cr->closed_by) : json_null());
	json_object_set_new(row, "wire_text", json_string(str_or_dash(wire)));
	return row;
}

static json_t *
skipped_row(enum cc_case c, const char *why)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:s,s:i}",
	    "case", cc_cases[c].name, "what", cc_cases[c].what,
	    "verdict", "skipped", "pass", 1, "exit", "-", "noticed", "-",
	    "wire_text", "-", "summary", why, "duration_ms", 0);
}

static json_t *
run_case(const struct checkclient_opts *o, enum cc_case c, bool *warned)
{
	struct capture_opts co = { .iface = "lo", .snaplen = 128 };
	struct ccrun cr = { .o = o, .c = c, .fault_us = -1, .lost_conn = -1 };
	char eb[ERRBUF_LEN], filter[64], buf[8192];
	int64_t started = clock_mono_ms(), deadline, exit_us = 0, ended = -1;
	int out[2], errp[2], lfd, pidfd, status = 0;
	bool exited = false, hung = false, out_open = true, err_open = true;
	struct pipeline *pl;
	struct capture *cap = NULL;
	enum capture_err why;
	siginfo_t si;
	json_t *row;
	pid_t pid;

	cr.wire = json_array();
	lfd = sock_listen("127.0.0.1", "0", NULL, eb);
	if (lfd == -1)
		errx(1, "%s", eb);
	cr.port = sock_local_port(lfd);
	if (pipe2(cr.notes, O_CLOEXEC | O_NONBLOCK) == -1)
		err(1, "pipe");
	pl = pipeline_new(NULL, on_flow, &cr);
	if (pl == NULL)
		errx(1, "out of memory");
	if (!o->no_capture) {
		snprintf(filter, sizeof(filter), "tcp port %u", cr.port);
		co.filter = filter;
		cap = pipeline_capture_open(pl, &co, &why, eb);
		if (cap != NULL && capture_start(cap, eb) == -1) {
			capture_close(cap);
			cap = NULL;
		}
		if (cap == NULL && !*warned) {
			warnx("capture skipped: %s; the report goes on "
			    "without the wire class", eb);
			*warned = true;
		}
	}
	pid = spawn_client(o, cc_cases[c].name, cr.port, out, errp);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/*
	 * --timeout counts from the fault (from the start until there is
	 * one): a client slow to start on a loaded machine is not hung.
	 */
	deadline = clock_mono_ms() + o->timeout_ms;
	for (;;) {
		struct pollfd pfd[5] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = out_open ? out[0] : -1, .events = POLLIN },
			{ .fd = err_open ? errp[0] : -1, .events = POLLIN },
			{ .fd = cr.notes[0], .events = POLLIN },
			{ .fd = exited ? -1 : pidfd, .events = POLLIN },
		};
		int64_t now = clock_mono_ms();
		ssize_t n;

		if (stop_requested() != 0)
			break;
		/* The client is gone and its pipes are closed (or linger). */
		if (exited && ((!out_open && !err_open) || now >= ended + 500))
			break;
		if (cr.fault_us >= 0)
			deadline = cr.fault_us / 1000 + o->timeout_ms;
		if (!exited && now >= deadline) {
			hung = true;
			break;
		}
		if (poll(pfd, 5, 20) < 0 && errno != EINTR)
			err(1, "poll");
		if (pfd[0].revents & POLLIN)
			accept_one(&cr, lfd, (int[2]){ out[0], errp[0] });
		if (pfd[1].revents != 0) {
			n = read(out[0], buf, sizeof(buf));
			if (n > 0)
				cr.out_bytes += (uint64_t)n;
			else
				out_open = false;
		}
		if (pfd[2].revents != 0) {
			n = read(errp[0], buf, sizeof(buf));
			if (n > 0)
				take_stderr(&cr, buf, (size_t)n);
			else
				err_open = false;
		}
		if (pfd[3].revents != 0)
			read_notes(&cr);
		/* Not reaped yet: the zombie keeps its process group's id. */
		si.si_pid = 0;
		if (!exited && (pidfd == -1 || pfd[4].revents != 0) &&
		    waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == 0 && si.si_pid == pid) {
			exited = true;
			exit_us = clock_mono_us();
			ended = exit_us / 1000;
		}
	}
	/* What is left of the client (a hung one, its children) goes. */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (cr.partial[0] != '\0')
		snprintf(cr.last_err, sizeof(cr.last_err), "%s", cr.partial);
	close(lfd);
	close(out[0]);
	close(errp[0]);
	if (pidfd != -1)
		close(pidfd);
	/* Handlers end on their own once the client is gone (vanish holds). */
	for (int64_t until = clock_mono_ms() + GRACE_MS + o->delay_ms;
	    c != CC_VANISH && handlers_left(&cr) && clock_mono_ms() < until &&
	    stop_requested() == 0;)
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	if (cap != NULL && capture_stop(cap, c == CC_VANISH &&
	    !wait_client_tries(&cr) ? VANISH_QUIET_MS : QUIET_MS,
	    QUIET_MAX_MS, eb) == -1)
		warnx("%s", eb);
	for (int i = 0; i < cr.nhandlers; i++)
		if (cr.handlers[i] > 0) {
			kill(cr.handlers[i], SIGKILL);
			waitpid(cr.handlers[i], NULL, 0);
		}
	read_notes(&cr);
	close(cr.notes[0]);
	close(cr.notes[1]);
	pipeline_flush(pl);
	if (stop_requested() != 0) {
		capture_close(cap);
		pipeline_free(pl);
		json_decref(cr.wire);
		return NULL;
	}
	row = make_row(&cr, status, hung, exit_us, started);
	capture_close(cap);
	pipeline_free(pl);
	json_decref(cr.wire);
	return row;
}

int
checkclient_run(const struct checkclient_opts *o)
{
	static const struct report_col cols[] = {
		{ "case", "CASE", 18 },
		{ "exit", "EXIT", 7 },
		{ "noticed", "NOTICED", 23 },
		{ "wire_text", "WIRE", 18 },
		{ "verdict", "VERDICT", 8 },
		{ "stderr", "LAST STDERR LINE", 0 },
		{ NULL, NULL, 0 }
	};
	struct report *rp = report_new(stdout, "check-client", cols, o->json);
	bool warned = false;

	if (rp == NULL)
		errx(1, "out of memory");
	for (int c = 0; c < CC_COUNT && stop_requested() == 0; c++) {
		json_t *row;

		if (!(o->cases & (1ull << c)))
			continue;
		if (c == CC_KEEPALIVE_RACE && !o->http)
			row = skipped_row(c, "needs --http (a keep-alive "
			    "connection)");
		else
			row = run_case(o, (enum cc_case)c, &warned);
		if (row == NULL)
			break;
		if (report_row(rp, row) == -1)
			err(1, "stdout");
	}
	return report_finish(rp, o->junit, "silent or hung: the client did "
	    "not notice a lost reply");
}
