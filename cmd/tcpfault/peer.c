/* SPDX-License-Identifier: BSD-2-Clause */
/* One misbehaving side against the user's own program: client and server. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "close.h"
#include "errbuf.h"
#include "exitcode.h"
#include "httphead.h"
#include "modes.h"
#include "numparse.h"
#include "peer.h"
#include "player.h"
#include "sock.h"
#include "sockopt.h"
#include "stop.h"
#include "tls.h"
#include "vanish.h"

struct behaviour {
	const char *name;
	const char *what;
};

static const struct behaviour client_behaviours[] = {
	{ "close", "send BYTES, close() (S2)" },
	{ "exit", "send BYTES, exit without close() (S3)" },
	{ "exit-unread", "wait for the server's first bytes, leave them "
	    "unread, send BYTES, exit (S3 unread: RST)" },
	{ "kill", "a child sends until BYTES are accepted or it blocks, "
	    "then is SIGKILLed (S4)" },
	{ "reset", "send BYTES, abort: RST" },
	{ "vanish", "send BYTES, then vanish (drop-all socket filter) for "
	    "--hold seconds (S1)" },
	{ "half-close", "send BYTES, shutdown(SHUT_WR), read until EOF "
	    "(the graceful pattern)" },
	{ "send-after-close", "read until the server's EOF, then send twice "
	    "(C1)" },
	{ "unread-close", "wait for the server's first bytes, send BYTES, "
	    "close() without reading (RST)" },
	{ NULL, NULL }
};

static const struct behaviour server_behaviours[] = {
	{ "close", "accept and close() at once (C1)" },
	{ "send-close", "send BYTES, then close() (C2)" },
	{ "close-unread", "wait for the client's first bytes, leave them "
	    "unread, send BYTES, close(): RST (C3)" },
	{ "reset", "read BYTES (0: none), then abort: RST" },
	{ "vanish", "read BYTES (0: none), then vanish for --hold seconds "
	    "(S1 seen from the client)" },
	{ "exit", "send BYTES, exit without close()" },
	{ "half-close", "send BYTES, shutdown(SHUT_WR), read until EOF" },
	{ "write-after-close", "read until the client's EOF, then send "
	    "twice (S5)" },
	{ "echo-blocking", "blocking echo: recv, send it all back "
	    "(echo-deadlock)" },
	{ "close-notify", "--ssl: send BYTES, close_notify, FIN, read until "
	    "EOF (the clean TLS end)" },
	{ NULL, NULL }
};

struct peer {
	const char *mode;	/* "client" or "server" */
	const char *behaviour;
	struct player *pl;	/* of the connection being played */
	char peer_name[ADDR_STRLEN];
	uint64_t bytes;
	int hold_ms;
	int wait_ms;
	bool json;
	struct tls_opts tls;	/* --ssl-cert, --ssl-key */
	struct tls_ctx *tls_ctx; /* --ssl */
	bool ssl;
	bool http;		/* server: HTTP/1.1 heads around the fault */
	uint8_t buf[65536];
};

/*
 * The server behaviours that mean a TLS ending under --ssl: how each
 * ends the session once the handshake is done.
 */
static const struct behaviour tls_endings[] = {
	{ "close-notify", "close_notify, then FIN: the clean end" },
	{ "half-close", "FIN without close_notify: a truncation" },
	{ "send-close", "close() without close_notify: FIN (RST if the "
	    "client's records are unread)" },
	{ "close", "the same, no data" },
	{ "exit", "the kernel's FIN at exit, no close_notify" },
	{ "reset", "RST, no close_notify" },
	{ NULL, NULL }
};

static void
list_behaviours(FILE *fp, const struct behaviour *b)
{
	fprintf(fp, "valid behaviours:\n");
	for (const struct behaviour *x = b; x->name != NULL; x++)
		fprintf(fp, "  %-18s %s\n", x->name, x->what);
	if (b != server_behaviours)
		return;
	fprintf(fp, "with --ssl, after the TLS handshake:\n");
	for (b = tls_endings; b->name != NULL; b++)
		fprintf(fp, "  %-18s %s\n", b->name, b->what);
}

static bool known(const struct behaviour *b, const char *name);

/* --ssl's options go together, and only with a TLS ending. */
static void
peer_tls_check(bool ssl, const char *cert, const char *key,
    const char *behaviour)
{
	if (!ssl && (cert != NULL || key != NULL))
		errx(2, "--ssl-cert, --ssl-key: only with --ssl");
	if ((cert == NULL) != (key == NULL))
		errx(2, "--ssl-cert and --ssl-key go together");
	if (!ssl && strcmp(behaviour, "close-notify") == 0)
		errx(2, "close-notify: only with --ssl");
	if (ssl && !known(tls_endings, behaviour)) {
		warnx("--ssl: not with behaviour '%s'", behaviour);
		list_behaviours(stderr, server_behaviours);
		exit(2);
	}
}

static bool
known(const struct behaviour *b, const char *name)
{
	for (; b->name != NULL; b++)
		if (strcmp(b->name, name) == 0)
			return true;
	return false;
}

/* Print the timeline (or the JSON object) and return the exit status. */
static int
finish(struct peer *p, int status, const char *error)
{
	/* A signal cut the behaviour short: 128 + signo (Ctrl-C: 130). */
	if (stop_requested() != 0 && status == 0) {
		status = STOP_EXIT(stop_requested());
		if (error == NULL)
			error = "interrupted before the behaviour finished";
	}
	if (mode_report(json_pack("{s:s,s:s,s:s}", "mode", p->mode,
	    "behaviour", p->behaviour, "peer", p->peer_name),
	    player_timeline(p->pl), player_facts(p->pl), error,
	    p->json) == -1)
		status = 1;
	if (!p->json && error != NULL)
		warnx("%s", error);
	player_free(p->pl);
	p->pl = NULL;
	return status;
}

static int http_answer(struct peer *p, uint64_t body_len);

/* Read to the peer's EOF, send twice around the RST that answers, close. */
static void
send_after_eof(struct peer *p)
{
	struct close_report r;

	player_recv_to_end(p->pl, 0, PLAYER_COUNT_EMPTY, NULL);
	if (p->http)
		http_answer(p, 200);
	player_send_stream(p->pl, 100);
	player_wait_state(p->pl, "CLOSE", p->wait_ms);	/* the answering RST */
	player_send_stream(p->pl, 100);
	player_close(p->pl, CLOSE_PLAIN, &r);
}

/* Vanish for --hold ms (or until Ctrl-C), then abort. */
static int
vanish_and_hold(struct peer *p)
{
	char errbuf[ERRBUF_LEN];
	int64_t until = clock_mono_ms() + p->hold_ms;
	struct close_report r;

	/* Wait for our data to be acknowledged first: no retransmission. */
	player_wait_outq_zero(p->pl, p->hold_ms);
	if (player_vanish(p->pl, VANISH_FILTER, errbuf) == -1)
		return finish(p, 1, errbuf);
	mode_sleep_until(until);
	player_event(p->pl, "hold-ended", -1, stop_requested() != 0 ?
	    OUTCOME_INTERRUPTED : OUTCOME_OK, 0);
	player_close(p->pl, CLOSE_ABORT, &r);
	return finish(p, 0, NULL);
}

/* The kill behaviour: a child sends, the parent kills it mid-send. */
static int
client_kill(struct peer *p, const char *host, const char *port)
{
	char errbuf[ERRBUF_LEN];
	int pfd[2], status;
	uint64_t accepted = 0;
	pid_t pid;

	if (pipe(pfd) == -1)
		err(1, "pipe");
	pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		enum outcome o;
		int fd = sock_connect(host, port, NULL, &o, errbuf);
		uint64_t off = 0;

		close(pfd[0]);
		if (fd == -1) {
			dprintf(pfd[1], "E %s\n", errbuf);
			_exit(1);
		}
		dprintf(pfd[1], "C\n");
		for (;;) {
			ssize_t n;

			player_pattern_fill(p->buf, sizeof(p->buf), off);
			n = send(fd, p->buf, sizeof(p->buf),
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				off += (uint64_t)n;
				dprintf(pfd[1], "A %llu\n",
				    (unsigned long long)off);
				continue;
			}
			if (n == -1 && errno == EAGAIN) {
				dprintf(pfd[1], "B\n");
				sock_wait(fd, POLLOUT, sock_deadline(200));
				continue;
			}
			dprintf(pfd[1], "X %d\n", errno);
			_exit(1);
		}
	}
	close(pfd[1]);
	{
		FILE *in = fdopen(pfd[0], "r");
		char line[ERRBUF_LEN + 8];
		int blocked = 0;

		while (stop_requested() == 0 && in != NULL &&
		    fgets(line, sizeof(line), in)) {
			if (line[0] == 'E') {
				line[strcspn(line, "\n")] = '\0';
				player_event(p->pl, "connect", -1,
				    OUTCOME_REFUSED, 0);
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				fclose(in);
				return finish(p, 1, line + 2);
			}
			if (line[0] == 'C')
				player_event(p->pl, "connect", -1,
				    OUTCOME_OK, 0);
			if (line[0] == 'A')
				accepted = strtoull(line + 2, NULL, 10);
			/* Blocked twice in a row: the queues are full. */
			blocked = line[0] == 'B' ? blocked + 1 : 0;
			if ((p->bytes > 0 && accepted >= p->bytes) ||
			    blocked >= 2 || line[0] == 'X')
				break;
		}
		player_event(p->pl, "send", (int64_t)accepted, OUTCOME_OK, 0);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		player_event(p->pl, "killed", SIGKILL, OUTCOME_INTERRUPTED, 0);
		player_fact_int(p->pl, "accepted", (int64_t)accepted);
		if (in != NULL)
			fclose(in);
	}
	return finish(p, 0, NULL);
}

/* The mode's synopsis: stdout when asked for, stderr after a usage error. */
static void
mode_usage(FILE *fp, const struct peer *p, const char *addr_opt, bool server)
{
	fprintf(fp, "usage: tcpfault %s BEHAVIOUR %s %s [--bytes N] "
	    "[--hold SECS] [--wait SECS]%s [--json]\n", p->mode, addr_opt,
	    server ? "[HOST:]PORT" : "HOST:PORT",
	    server ? " [--count N] [--http]\n       [--ssl [--ssl-cert FILE "
	    "--ssl-key FILE]]" : "");
}

static int
parse_common(int argc, char **argv, struct peer *p, const char **addr,
    const char *addr_opt, const struct behaviour *list, int *count)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "hold", required_argument, NULL, 'H' },
		{ "wait", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "ssl", no_argument, NULL, 'S' },
		{ "ssl-cert", required_argument, NULL, 'C' },
		{ "ssl-key", required_argument, NULL, 'K' },
		{ "http", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char errbuf[ERRBUF_LEN];
	uint64_t v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
		case 'l':
			if ((ch == 'c') != (strcmp(addr_opt, "--connect") == 0))
				errx(2, "%s: use %s", p->mode, addr_opt);
			*addr = optarg;
			break;
		case 'b':
			if (num_parse_size(optarg, 1ull << 40, "--bytes", &v,
			    errbuf) == -1)
				errx(2, "%s", errbuf);
			p->bytes = v;
			break;
		case 'H':
			p->hold_ms = mode_opt_ms(optarg, "--hold");
			break;
		case 'w':
			p->wait_ms = mode_opt_ms(optarg, "--wait");
			break;
		case 'n':
			if (count == NULL)
				errx(2, "--count: only for the server");
			*count = mode_opt_count(optarg);
			break;
		case 'j':
			p->json = true;
			break;
		case 'S':
		case 'C':
		case 'K':
			if (count == NULL)
				errx(2, "--ssl: only for the server");
			p->ssl |= ch == 'S';
			if (ch == 'C')
				p->tls.cert_file = optarg;
			if (ch == 'K')
				p->tls.key_file = optarg;
			break;
		case 'T':
			if (count == NULL)
				errx(2, "--http: only for the server");
			p->http = true;
			break;
		case 'h':
			mode_usage(stdout, p, addr_opt, count != NULL);
			list_behaviours(stdout, list);
			exit(0);
		default:
			mode_usage(stderr, p, addr_opt, count != NULL);
			exit(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		warnx("%s: name one behaviour", p->mode);
		list_behaviours(stderr, list);
		exit(2);
	}
	p->behaviour = argv[0];
	if (!known(list, p->behaviour)) {
		warnx("unknown %s behaviour '%s'", p->mode, p->behaviour);
		list_behaviours(stderr, list);
		exit(2);
	}
	if (*addr == NULL)
		errx(2, "%s: %s is required", p->mode, addr_opt);
	peer_tls_check(p->ssl, p->tls.cert_file, p->tls.key_file,
	    p->behaviour);
	if (p->http && strcmp(p->behaviour, "echo-blocking") == 0)
		errx(2, "--http: not with echo-blocking");
	if (p->http && p->ssl)
		errx(2, "--http: not with --ssl");
	return 0;
}

static struct peer *
peer_new(const char *mode)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (p == NULL)
		err(1, "malloc");
	p->mode = mode;
	p->bytes = 65536;
	p->hold_ms = 60000;
	p->wait_ms = 10000;
	mode_catch_stop();
	return p;
}

/* A player for the next connection, its timeline counting from now. */
static void
peer_play(struct peer *p)
{
	p->pl = player_new(p->mode, 0, p->wait_ms, NULL);
	if (p->pl == NULL)
		err(1, "malloc");
}

int
peer_client_main(int argc, char **argv)
{
	struct peer *p = peer_new("client");
	char host[256], port[32], errbuf[ERRBUF_LEN];
	const char *addr = NULL, *b;
	struct close_report r;
	int rc;

	parse_common(argc, argv, p, &addr, "--connect", client_behaviours,
	    NULL);
	if (addr_split(addr, host, sizeof(host), port, sizeof(port),
	    errbuf) == -1)
		errx(2, "--connect: %s", errbuf);
	b = p->behaviour;
	snprintf(p->peer_name, sizeof(p->peer_name), "%s", addr);
	peer_play(p);
	if (strcmp(b, "kill") == 0) {
		rc = client_kill(p, host, port);
		free(p);
		return rc;
	}
	if (player_connect(p->pl, host, port, errbuf) == -1) {
		/* The suite's exit table: refused 3, timeout 5, ... */
		rc = finish(p, exit_for_outcome(player_opened(p->pl)), errbuf);
		free(p);
		return rc;
	}
	rc = 0;
	if (strcmp(b, "exit-unread") == 0 || strcmp(b, "unread-close") == 0)
		player_wait_data(p->pl);
	if (strcmp(b, "send-after-close") == 0) {
		send_after_eof(p);
	} else {
		player_send_stream(p->pl, p->bytes);
		if (strcmp(b, "close") == 0 || strcmp(b, "unread-close") == 0)
			player_close(p->pl, CLOSE_PLAIN, &r);
		else if (strcmp(b, "reset") == 0)
			player_close(p->pl, CLOSE_ABORT, &r);
		else if (strcmp(b, "half-close") == 0)
			player_close(p->pl, CLOSE_GRACEFUL, &r);
		else if (strcmp(b, "vanish") == 0)
			rc = -1;
		else
			player_leave_open(p->pl);
	}
	if (rc == -1)
		rc = vanish_and_hold(p);
	else
		rc = finish(p, 0, NULL);
	free(p);
	return rc;
}

/*
 * --http: the response head announcing body_len bytes, one "send-head"
 * event. 0, or -1 when the send failed.
 */
static int
http_answer(struct peer *p, uint64_t body_len)
{
	char head[256];
	size_t n = http_response_head(head, sizeof(head), (int64_t)body_len,
	    true);
	enum outcome o = OUTCOME_OK;
	size_t sent = sock_send_all(player_fd(p->pl), head, n, &o);

	player_event(p->pl, "send-head", (int64_t)sent, o, o == OUTCOME_OK ?
	    0 : errno);
	return sent == n ? 0 : -1;
}

/*
 * --http: read the request head ("recv-head" event), then answer a head
 * so the behaviour's bytes become the body: the whole body for close
 * (one complete answer, then the idle keep-alive connection closes) and
 * half-close, none for reset (reset after the headers), twice what is
 * sent for the others (closed mid-body). write-after-close answers after
 * the client's EOF; close-unread leaves the request unread. -1 when the
 * head never came.
 */
static int
http_prologue(struct peer *p, char *errbuf)
{
	const char *b = p->behaviour;
	char *req = (char *)p->buf;
	struct http_head h;
	size_t got = 0;
	int rc = 1;

	if (strcmp(b, "close-unread") != 0) {
		rc = http_read_head(player_fd(p->pl), req, sizeof(p->buf), &got,
		    p->wait_ms, &h, errbuf);
		player_event(p->pl, "recv-head", (int64_t)got, rc == 1 ?
		    OUTCOME_OK : rc == 0 ? OUTCOME_EOF : errno != 0 ?
		    outcome_from_errno(errno) : OUTCOME_TIMEOUT, rc == -1 ?
		    errno : 0);
		if (rc == 0)
			errbuf_set(errbuf, "the client closed before its "
			    "request head");
		if (rc != 1)
			return -1;
	} else {
		player_wait_data(p->pl);
	}
	if (strcmp(b, "write-after-close") == 0)
		return 0;
	if (strcmp(b, "close") == 0 || strcmp(b, "half-close") == 0)
		return http_answer(p, p->bytes);
	return http_answer(p, strcmp(b, "reset") == 0 ? p->bytes :
	    2 * p->bytes);
}

static int
serve_one(struct peer *p)
{
	const char *b = p->behaviour;
	char name[ADDR_STRLEN], errbuf[ERRBUF_LEN];
	struct close_report r;
	enum outcome o;
	uint64_t echoed;

	snprintf(p->peer_name, sizeof(p->peer_name), "%s",
	    sock_peer_str(player_fd(p->pl), name, sizeof(name)));
	if (p->http && http_prologue(p, errbuf) == -1)
		return finish(p, 1, errbuf);
	if (strcmp(b, "close") == 0) {
		if (p->http)
			player_send_stream(p->pl, p->bytes);
		player_close(p->pl, CLOSE_PLAIN, &r);
	} else if (strcmp(b, "send-close") == 0) {
		player_send_stream(p->pl, p->bytes);
		player_close(p->pl, CLOSE_PLAIN, &r);
	} else if (strcmp(b, "close-unread") == 0) {
		if (!p->http)
			player_wait_data(p->pl);
		player_send_stream(p->pl, p->bytes);
		player_close(p->pl, CLOSE_PLAIN, &r);
	} else if (strcmp(b, "reset") == 0) {
		if (p->bytes > 0 && !p->http)
			player_recv_to_end(p->pl, p->bytes,
			    PLAYER_COUNT_EMPTY, NULL);
		player_close(p->pl, CLOSE_ABORT, &r);
	} else if (strcmp(b, "vanish") == 0) {
		if (p->http)
			player_send_stream(p->pl, p->bytes);
		else if (p->bytes > 0)
			player_recv_to_end(p->pl, p->bytes,
			    PLAYER_COUNT_EMPTY, NULL);
		return vanish_and_hold(p);
	} else if (strcmp(b, "exit") == 0) {
		player_send_stream(p->pl, p->bytes);
		player_leave_open(p->pl);
	} else if (strcmp(b, "half-close") == 0 ||
	    strcmp(b, "close-notify") == 0) {
		player_send_stream(p->pl, p->bytes);
		if (strcmp(b, "close-notify") == 0)
			player_tls_close_notify(p->pl);
		player_close(p->pl, CLOSE_GRACEFUL, &r);
	} else if (strcmp(b, "write-after-close") == 0) {
		send_after_eof(p);
	} else {
		/* echo-blocking: the deadlock-prone blocking echo. */
		echoed = player_echo(p->pl, &o);
		player_event(p->pl, "echo", (int64_t)echoed, o, 0);
		player_close(p->pl, CLOSE_PLAIN, &r);
	}
	return finish(p, 0, NULL);
}

int
peer_server_main(int argc, char **argv)
{
	struct peer *p = peer_new("server");
	char host[256], port[32], errbuf[ERRBUF_LEN];
	const char *addr = NULL;
	struct close_report r;
	int count = 1, lfd, rc = 0;

	parse_common(argc, argv, p, &addr, "--listen", server_behaviours,
	    &count);
	mode_listen_split(addr, host, sizeof(host), port, sizeof(port));
	if (p->ssl) {
		p->tls.role = TLS_SERVER;
		p->tls.self_signed = p->tls.cert_file == NULL;
		if ((p->tls_ctx = tls_ctx_new(&p->tls, errbuf)) == NULL)
			errx(1, "%s", errbuf);
	}
	lfd = sock_listen(host, port, NULL, errbuf);
	if (lfd == -1)
		errx(1, "%s", errbuf);
	/* Scripts read the bound port from this line (port 0 picks one). */
	fprintf(stderr, "tcpfault: server %s listening on %s:%u%s\n",
	    p->behaviour, host, sock_local_port(lfd), !p->ssl ? "" :
	    p->tls.self_signed ? " (TLS, a throwaway self-signed "
	    "certificate for localhost)" : " (TLS)");
	for (int i = 0; i < count && stop_requested() == 0; i++) {
		peer_play(p);
		if (player_accept(p->pl, lfd, 0, errbuf) == -1) {
			bool stopped = stop_requested() != 0;

			rc = finish(p, stopped ? 0 : 1, stopped ? NULL :
			    errbuf);
			break;
		}
		if (p->tls_ctx != NULL &&
		    player_tls_accept(p->pl, p->tls_ctx, errbuf) == -1) {
			/* The client gave up or refused our certificate. */
			player_close(p->pl, CLOSE_PLAIN, &r);
			rc = finish(p, 1, errbuf);
			continue;
		}
		rc = serve_one(p);
		if (strcmp(p->behaviour, "exit") == 0)
			break;
	}
	close(lfd);
	tls_ctx_free(p->tls_ctx);
	free(p);
	return rc;
}
