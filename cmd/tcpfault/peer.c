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
#include "numparse.h"
#include "sock.h"
#include "sockopt.h"
#include "tcpfault.h"
#include "timeline.h"

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
	{ NULL, NULL }
};

struct peer {
	const char *mode;	/* "client" or "server" */
	const char *behaviour;
	struct timeline *tl;
	json_t *facts;
	char peer_name[ADDR_STRLEN];
	uint64_t bytes;
	int hold_ms;
	int wait_ms;
	bool json;
	int fd;
	uint8_t buf[65536];
};

static void
list_behaviours(FILE *fp, const struct behaviour *b)
{
	fprintf(fp, "valid behaviours:\n");
	for (; b->name != NULL; b++)
		fprintf(fp, "  %-18s %s\n", b->name, b->what);
}

static bool
known(const struct behaviour *b, const char *name)
{
	for (; b->name != NULL; b++)
		if (strcmp(b->name, name) == 0)
			return true;
	return false;
}

static void
ev(struct peer *p, const char *op, int64_t bytes, enum outcome o, int e)
{
	timeline_add(p->tl, op, bytes, o, e);
}

static void
fact(struct peer *p, const char *key, int64_t v)
{
	json_object_set_new(p->facts, key, json_integer(v));
}

/* Print the timeline (or the JSON object) and return the exit status. */
static int
finish(struct peer *p, int status, const char *error)
{
	/* Ctrl-C cut the behaviour short: say so in the status (130). */
	if (mode_stop && status == 0) {
		status = 130;
		if (error == NULL)
			error = "interrupted before the behaviour finished";
	}
	if (mode_report(json_pack("{s:s,s:s,s:s}", "mode", p->mode,
	    "behaviour", p->behaviour, "peer", p->peer_name), p->tl,
	    p->facts, error, p->json) == -1)
		status = 1;
	if (!p->json && error != NULL)
		warnx("%s", error);
	timeline_free(p->tl);
	json_decref(p->facts);
	return status;
}

/* Send p->bytes of the pattern, recorded as one event. */
static uint64_t
send_bytes(struct peer *p, uint64_t total)
{
	uint64_t done = 0;
	enum outcome o = OUTCOME_OK;
	int e = 0;

	while (done < total && !mode_stop) {
		size_t len = total - done < sizeof(p->buf) ? total - done :
		    sizeof(p->buf);
		size_t n;

		pattern_fill(p->buf, len, done);
		n = sock_send_all(p->fd, p->buf, len, &o);
		done += n;
		if (o != OUTCOME_OK) {
			e = errno;
			break;
		}
	}
	ev(p, "send", (int64_t)done, OUTCOME_OK, 0);
	if (o != OUTCOME_OK)
		ev(p, "send", 0, o, e);
	return done;
}

/* Read until EOF/error (or max bytes when max > 0): two events. */
static uint64_t
recv_to_end(struct peer *p, uint64_t max)
{
	uint64_t got = 0;
	enum outcome o = OUTCOME_OK;
	int e = 0;

	while (!mode_stop && (max == 0 || got < max)) {
		size_t want = sizeof(p->buf);
		ssize_t n;

		if (max > 0 && max - got < want)
			want = max - got;
		n = recv(p->fd, p->buf, want, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0) {
			o = OUTCOME_EOF;
			break;
		}
		if (n == -1) {
			e = errno;
			o = outcome_from_errno(e);
			break;
		}
		got += (uint64_t)n;
	}
	if (mode_stop && o == OUTCOME_OK) {
		o = OUTCOME_INTERRUPTED;
		e = EINTR;
	}
	ev(p, "recv", (int64_t)got, OUTCOME_OK, 0);
	if (o != OUTCOME_OK || max == 0)
		ev(p, "recv", 0, o, e);
	return got;
}

/* Wait (without reading) until the peer's bytes are in our queue. */
static int
wait_unread(struct peer *p)
{
	int64_t deadline = sock_deadline(p->wait_ms);
	int rc;

	do
		rc = sock_wait(p->fd, POLLIN, deadline);
	while (rc == -1 && errno == EINTR && !mode_stop);
	fact(p, "unread", sockopt_inq(p->fd));
	ev(p, "wait-data", sockopt_inq(p->fd), rc == 1 ? OUTCOME_OK :
	    OUTCOME_TIMEOUT, 0);
	return rc == 1 ? 0 : -1;
}

/* Poll TCP_INFO until the state is want (e.g. CLOSE: an RST came). */
static void
wait_state(struct peer *p, const char *want)
{
	int64_t deadline = clock_mono_ms() + p->wait_ms;
	struct tcpinfo_snap snap;

	while (!mode_stop && clock_mono_ms() < deadline &&
	    sockopt_tcp_info(p->fd, &snap, NULL) == 0 &&
	    strcmp(snap.state, want) != 0)
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
}

static void
do_close(struct peer *p, enum close_how how)
{
	struct close_report r;

	if (how == CLOSE_PLAIN)
		close_plain(p->fd, &r);
	else if (how == CLOSE_ABORT)
		close_abort(p->fd, &r);
	else
		close_graceful(p->fd, NULL, 0, p->wait_ms, NULL, NULL, &r);
	p->fd = -1;
	ev(p, how == CLOSE_ABORT ? "abort" : how == CLOSE_PLAIN ? "close" :
	    "close-graceful", -1, r.outcome, r.err);
	fact(p, "close_unread", (int64_t)r.unread);
	fact(p, "close_unsent", (int64_t)r.unsent);
}

/* Read to the peer's EOF, send twice around the RST that answers, close. */
static void
send_after_eof(struct peer *p)
{
	recv_to_end(p, 0);
	send_bytes(p, 100);
	wait_state(p, "CLOSE");	/* the RST that answers it */
	send_bytes(p, 100);
	do_close(p, CLOSE_PLAIN);
}

static void
exit_without_close(struct peer *p)
{
	fact(p, "exit_unread", sockopt_inq(p->fd));
	fact(p, "exit_unsent", sockopt_outq(p->fd));
	ev(p, "exit", -1, OUTCOME_OK, 0);
	/* The descriptor stays open: process exit closes it. */
}

/* Vanish for --hold ms (or until Ctrl-C), then abort. */
static int
vanish_and_hold(struct peer *p)
{
	char errbuf[ERRBUF_LEN];
	int64_t until = clock_mono_ms() + p->hold_ms;

	/* Wait for our data to be acknowledged first: no retransmission. */
	while (sockopt_outq(p->fd) > 0 && !mode_stop && clock_mono_ms() < until)
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	if (vanish_apply(VANISH_FILTER, p->fd, errbuf) == -1) {
		ev(p, "vanish", -1, outcome_from_errno(errno), errno);
		return finish(p, 1, errbuf);
	}
	ev(p, "vanish", -1, OUTCOME_OK, 0);
	json_object_set_new(p->facts, "vanish_method",
	    json_string(vanish_name(VANISH_FILTER)));
	mode_sleep_until(until);
	ev(p, "hold-ended", -1, mode_stop ? OUTCOME_INTERRUPTED : OUTCOME_OK,
	    0);
	do_close(p, CLOSE_ABORT);
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

			pattern_fill(p->buf, sizeof(p->buf), off);
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

		while (!mode_stop && in != NULL &&
		    fgets(line, sizeof(line), in)) {
			if (line[0] == 'E') {
				line[strcspn(line, "\n")] = '\0';
				ev(p, "connect", -1, OUTCOME_REFUSED, 0);
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				fclose(in);
				return finish(p, 1, line + 2);
			}
			if (line[0] == 'C')
				ev(p, "connect", -1, OUTCOME_OK, 0);
			if (line[0] == 'A')
				accepted = strtoull(line + 2, NULL, 10);
			/* Blocked twice in a row: the queues are full. */
			blocked = line[0] == 'B' ? blocked + 1 : 0;
			if ((p->bytes > 0 && accepted >= p->bytes) ||
			    blocked >= 2 || line[0] == 'X')
				break;
		}
		ev(p, "send", (int64_t)accepted, OUTCOME_OK, 0);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ev(p, "killed", SIGKILL, OUTCOME_INTERRUPTED, 0);
		fact(p, "accepted", (int64_t)accepted);
		if (in != NULL)
			fclose(in);
	}
	return finish(p, 0, NULL);
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
		{ NULL, 0, NULL, 0 }
	};
	char errbuf[ERRBUF_LEN];
	uint64_t v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
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
		default:
			fprintf(stderr, "usage: tcpfault %s BEHAVIOUR %s "
			    "%s [--bytes N] [--hold SECS] [--wait SECS]%s "
			    "[--json]\n", p->mode, addr_opt,
			    count ? "[HOST:]PORT" : "HOST:PORT",
			    count ? " [--count N]" : "");
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
	p->fd = -1;
	p->tl = timeline_new(mode, 0);
	p->facts = json_object();
	if (p->tl == NULL || p->facts == NULL)
		err(1, "malloc");
	mode_catch_stop();
	return p;
}

int
peer_client_main(int argc, char **argv)
{
	struct peer *p = peer_new("client");
	char host[256], port[32], errbuf[ERRBUF_LEN];
	const char *addr = NULL, *b;
	enum outcome o;
	int rc;

	parse_common(argc, argv, p, &addr, "--connect", client_behaviours,
	    NULL);
	if (addr_split(addr, host, sizeof(host), port, sizeof(port),
	    errbuf) == -1)
		errx(2, "--connect: %s", errbuf);
	b = p->behaviour;
	snprintf(p->peer_name, sizeof(p->peer_name), "%s", addr);
	if (strcmp(b, "kill") == 0) {
		rc = client_kill(p, host, port);
		free(p);
		return rc;
	}
	p->fd = sock_connect(host, port, NULL, &o, errbuf);
	ev(p, "connect", -1, p->fd == -1 ? o : OUTCOME_OK,
	    p->fd == -1 ? errno : 0);
	if (p->fd == -1) {
		rc = finish(p, 1, errbuf);
		free(p);
		return rc;
	}
	rc = 0;
	if (strcmp(b, "exit-unread") == 0 || strcmp(b, "unread-close") == 0)
		wait_unread(p);
	if (strcmp(b, "send-after-close") == 0) {
		send_after_eof(p);
	} else {
		send_bytes(p, p->bytes);
		if (strcmp(b, "close") == 0 || strcmp(b, "unread-close") == 0)
			do_close(p, CLOSE_PLAIN);
		else if (strcmp(b, "reset") == 0)
			do_close(p, CLOSE_ABORT);
		else if (strcmp(b, "half-close") == 0)
			do_close(p, CLOSE_GRACEFUL);
		else if (strcmp(b, "vanish") == 0)
			rc = -1;
		else
			exit_without_close(p);
	}
	if (rc == -1)
		rc = vanish_and_hold(p);
	else
		rc = finish(p, 0, NULL);
	free(p);
	return rc;
}

static int
serve_one(struct peer *p, int fd)
{
	const char *b = p->behaviour;
	char name[ADDR_STRLEN];

	p->fd = fd;
	snprintf(p->peer_name, sizeof(p->peer_name), "%s",
	    sock_peer_str(fd, name, sizeof(name)));
	if (strcmp(b, "close") == 0) {
		do_close(p, CLOSE_PLAIN);
	} else if (strcmp(b, "send-close") == 0) {
		send_bytes(p, p->bytes);
		do_close(p, CLOSE_PLAIN);
	} else if (strcmp(b, "close-unread") == 0) {
		wait_unread(p);
		send_bytes(p, p->bytes);
		do_close(p, CLOSE_PLAIN);
	} else if (strcmp(b, "reset") == 0) {
		if (p->bytes > 0)
			recv_to_end(p, p->bytes);
		do_close(p, CLOSE_ABORT);
	} else if (strcmp(b, "vanish") == 0) {
		if (p->bytes > 0)
			recv_to_end(p, p->bytes);
		return vanish_and_hold(p);
	} else if (strcmp(b, "exit") == 0) {
		send_bytes(p, p->bytes);
		exit_without_close(p);
	} else if (strcmp(b, "half-close") == 0) {
		send_bytes(p, p->bytes);
		do_close(p, CLOSE_GRACEFUL);
	} else if (strcmp(b, "write-after-close") == 0) {
		send_after_eof(p);
	} else {
		/* echo-blocking: the deadlock-prone blocking echo. */
		uint64_t echoed = 0;
		enum outcome o = OUTCOME_EOF;

		for (;;) {
			ssize_t n = recv(p->fd, p->buf, sizeof(p->buf), 0);

			if (n <= 0) {
				o = n == 0 ? OUTCOME_EOF :
				    outcome_from_errno(errno);
				break;
			}
			if (sock_send_all(p->fd, p->buf, (size_t)n, &o) !=
			    (size_t)n)
				break;
			echoed += (uint64_t)n;
		}
		ev(p, "echo", (int64_t)echoed, o, 0);
		do_close(p, CLOSE_PLAIN);
	}
	return finish(p, 0, NULL);
}

int
peer_server_main(int argc, char **argv)
{
	struct peer *p = peer_new("server");
	char host[256], port[32], errbuf[ERRBUF_LEN];
	const char *addr = NULL;
	int count = 1, lfd, rc = 0;

	parse_common(argc, argv, p, &addr, "--listen", server_behaviours,
	    &count);
	mode_listen_split(addr, host, sizeof(host), port, sizeof(port));
	lfd = sock_listen(host, port, NULL, errbuf);
	if (lfd == -1)
		errx(1, "%s", errbuf);
	/* Scripts read the bound port from this line (port 0 picks one). */
	fprintf(stderr, "tcpfault: server %s listening on %s:%u\n",
	    p->behaviour, host, sock_local_port(lfd));
	for (int i = 0; i < count && !mode_stop; i++) {
		enum outcome o;
		int fd = sock_accept(lfd, 0, &o, errbuf);

		if (i > 0) {
			struct peer *np = peer_new("server");

			np->behaviour = p->behaviour;
			np->bytes = p->bytes;
			np->hold_ms = p->hold_ms;
			np->wait_ms = p->wait_ms;
			np->json = p->json;
			free(p);
			p = np;
		}
		if (fd == -1) {
			ev(p, "accept", -1, o, errno);
			rc = finish(p, mode_stop ? 0 : 1, mode_stop ? NULL :
			    errbuf);
			break;
		}
		ev(p, "accept", -1, OUTCOME_OK, 0);
		rc = serve_one(p, fd);
		if (strcmp(p->behaviour, "exit") == 0)
			break;
	}
	close(lfd);
	free(p);
	return rc;
}
