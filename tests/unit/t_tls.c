/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for tls.c: a client and a server thread over loopback TCP. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "close.h"
#include "loopback.h"
#include "sock.h"
#include "tls.h"

#define CHUNK 16384

/* A throwaway self-signed CA:TRUE certificate for localhost, 127.0.0.1
   (tls_self_signed_write), as files for the CA file and openssl(1). */
static char tmpdir[] = "/tmp/t_tls.XXXXXX";
static char cert_path[64], key_path[64];

static int
make_cert(void **state)
{
	char eb[ERRBUF_LEN];

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", tmpdir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", tmpdir);
	if (tls_self_signed_write(cert_path, key_path, eb) == -1) {
		fprintf(stderr, "%s\n", eb);
		return -1;
	}
	return 0;
}

static int
remove_cert(void **state)
{
	unlink(cert_path);
	unlink(key_path);
	rmdir(tmpdir);
	return 0;
}

/*
 * Wait for what a TLS call asked for. False on a stall or an unexpected
 * return: the server thread reports that instead of asserting, since a
 * cmocka assert may only fail in the test's own thread.
 */
static bool
wait_want(int fd, ssize_t want)
{
	short ev = want == TLS_WANT_READ ? POLLIN : POLLOUT;

	if (want != TLS_WANT_READ && want != TLS_WANT_WRITE)
		return false;
	return sock_wait(fd, ev, sock_deadline(TEST_WAIT_MS)) == 1;
}

/* Read (and discard) until the session ends; returns 0 or -1. */
static ssize_t
read_to_end(struct tls_conn *c, char *eb)
{
	char buf[CHUNK];
	ssize_t n;

	while ((n = tls_read(c, buf, sizeof(buf), eb)) != 0 && n != -1) {
		if (n < 0)
			assert_true(wait_want(tls_conn_fd(c), n));
	}
	return n;
}

/* Send close_notify, then the FIN after it; false on failure. */
static bool
close_notify_fin(struct tls_conn *c, char *eb)
{
	int rc;

	while ((rc = tls_close_notify(c, eb)) < -1) {
		if (!wait_want(tls_conn_fd(c), rc))
			return false;
	}
	return rc == 0 && shutdown(tls_conn_fd(c), SHUT_WR) == 0;
}

/* Wait for the client's FIN on the bare socket before closing. */
static bool
wait_tcp_eof(int fd)
{
	char buf[256];
	enum outcome oc;

	while (sock_recv_timeout(fd, buf, sizeof(buf), TEST_WAIT_MS, &oc) > 0)
		;
	return oc == OUTCOME_EOF;
}

/* What the server thread does once its handshake succeeded. */
enum srv_act {
	SRV_ECHO,	/* echo until close_notify, answer with ours + FIN */
	SRV_NOTIFY,	/* close_notify, FIN */
	SRV_FIN,	/* FIN without close_notify */
	SRV_ABORT	/* SO_LINGER {1,0} close: RST */
};

struct srv {
	pthread_t thread;
	int fd;
	enum srv_act act;
	bool self_signed;	/* a throwaway certificate, not cert_path */
	int hs_rc;
	const char *bad;	/* the step that failed, NULL if none */
	char err[ERRBUF_LEN];
	enum tls_ending ending;
	uint64_t echoed;
};

/* Echo until the client's close_notify, one direction at a time. */
static const char *
srv_echo(struct srv *s, struct tls_conn *c)
{
	char buf[CHUNK];
	ssize_t n, off;

	while ((n = tls_read(c, buf, sizeof(buf), s->err)) != 0) {
		if (n < 0) {
			if (!wait_want(s->fd, n))
				return "echo read";
			continue;
		}
		for (off = 0; off < n; ) {
			ssize_t w = tls_write(c, buf + off, (size_t)(n - off),
			    s->err);

			if (w > 0)
				off += w;
			else if (!wait_want(s->fd, w))
				return "echo write";
		}
		s->echoed += (uint64_t)n;
	}
	if (!close_notify_fin(c, s->err))
		return "close_notify";
	return wait_tcp_eof(s->fd) ? NULL : "wait for EOF";
}

/* What the server does after a successful handshake; NULL or the step
 * that failed. */
static const char *
srv_act(struct srv *s, struct tls_conn *c)
{
	switch (s->act) {
	case SRV_ECHO:
		return srv_echo(s, c);
	case SRV_NOTIFY:
		if (!close_notify_fin(c, s->err))
			return "close_notify";
		return wait_tcp_eof(s->fd) ? NULL : "wait for EOF";
	case SRV_FIN:
		if (shutdown(s->fd, SHUT_WR) == -1)
			return "shutdown";
		return wait_tcp_eof(s->fd) ? NULL : "wait for EOF";
	case SRV_ABORT:
		if (close_abort(s->fd, NULL) == -1)
			return "abort";
		s->fd = -1;
		return NULL;
	}
	return "act";
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	struct tls_opts o = { .role = TLS_SERVER, .cert_file = cert_path,
	    .key_file = key_path };
	struct tls_opts self = { .role = TLS_SERVER, .self_signed = true };
	struct tls_ctx *ctx;
	struct tls_conn *c;

	ctx = tls_ctx_new(s->self_signed ? &self : &o, s->err);
	c = ctx != NULL ? tls_conn_new(ctx, s->fd, NULL, s->err) : NULL;
	if (c == NULL) {
		s->bad = "setup";
	} else {
		s->hs_rc = tls_handshake(c, TEST_WAIT_MS, s->err);
		if (s->hs_rc == 0)
			s->bad = srv_act(s, c);
		s->ending = tls_conn_ending(c);
	}
	tls_conn_free(c);
	tls_ctx_free(ctx);
	if (s->fd != -1)
		close(s->fd);
	return NULL;
}

/*
 * Connect a client with options o to a fresh server thread doing act;
 * returns the client connection (its fd is the client's TCP socket) and
 * the handshake's result in *hs_rc, its error in eb.
 */
static struct tls_conn *
start_as(struct srv *s, enum srv_act act, bool self_signed,
    const struct tls_opts *o, const char *name, struct tls_ctx **ctx,
    int *hs_rc, char *eb)
{
	struct tls_conn *c;
	int fd;

	memset(s, 0, sizeof(*s));
	s->act = act;
	s->self_signed = self_signed;
	assert_int_equal(tcp_pair(&fd, &s->fd), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
	*ctx = tls_ctx_new(o, eb);
	assert_non_null(*ctx);
	c = tls_conn_new(*ctx, fd, name, eb);
	assert_non_null(c);
	*hs_rc = tls_handshake(c, TEST_WAIT_MS, eb);
	return c;
}

/* start_as with the server's certificate from cert_path. */
static struct tls_conn *
start(struct srv *s, enum srv_act act, const struct tls_opts *o,
    const char *name, struct tls_ctx **ctx, int *hs_rc, char *eb)
{
	return start_as(s, act, false, o, name, ctx, hs_rc, eb);
}

/* Close the client's socket, let the server finish, free the client. */
static void
finish(struct srv *s, struct tls_conn *c, struct tls_ctx *ctx)
{
	close(tls_conn_fd(c));
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	tls_conn_free(c);
	tls_ctx_free(ctx);
	if (s->bad != NULL)
		fail_msg("server: %s: %s", s->bad, s->err);
}

static const struct tls_opts trusting = { .role = TLS_CLIENT,
    .ca_file = cert_path };

/* The client of the ending tests: verified, then reads to the end. */
static void
expect_ending(enum srv_act act, ssize_t rc, enum tls_ending want, int err)
{
	char eb[ERRBUF_LEN] = "", msg[ERRBUF_LEN];
	struct tls_ctx *ctx;
	struct tls_conn *c;
	struct srv s;
	int hs;

	c = start(&s, act, &trusting, "localhost", &ctx, &hs, eb);
	assert_int_equal(hs, 0);
	assert_int_equal(tls_conn_ending(c), TLS_END_NONE);
	errno = 0;
	assert_int_equal(read_to_end(c, eb), rc);
	if (rc == -1)
		assert_int_equal(errno, err);
	assert_int_equal(tls_conn_ending(c), want);
	/* Reading again says the same; the first ending stays the fact. */
	assert_int_equal(read_to_end(c, eb), rc);
	assert_int_equal(tls_conn_ending(c), want);
	if (want == TLS_END_CLOSE_NOTIFY) {
		/* Half-close: we may still write, then end our side. */
		assert_int_equal(tls_write(c, "x", 1, eb), 1);
		assert_true(close_notify_fin(c, eb));
	} else {
		/* OpenSSL treats the end as fatal: nothing more goes out. */
		snprintf(msg, sizeof(msg),
		    "TLS write: the session has ended (%s)",
		    tls_ending_name(want));
		assert_int_equal(tls_write(c, "x", 1, eb), -1);
		assert_int_equal(errno,
		    want == TLS_END_RESET ? ECONNRESET : EPROTO);
		assert_string_equal(eb, msg);
		assert_int_equal(tls_close_notify(c, eb), -1);
	}
	finish(&s, c, ctx);
	assert_int_equal(s.hs_rc, 0);
}

static void
test_ending_close_notify(void **state)
{
	expect_ending(SRV_NOTIFY, 0, TLS_END_CLOSE_NOTIFY, 0);
}

/* OpenSSL 3 reports the bare FIN as SSL_R_UNEXPECTED_EOF_WHILE_READING. */
static void
test_ending_truncated(void **state)
{
	expect_ending(SRV_FIN, 0, TLS_END_TRUNCATED, 0);
}

static void
test_ending_reset(void **state)
{
	expect_ending(SRV_ABORT, -1, TLS_END_RESET, ECONNRESET);
}

/*
 * 1 MiB through an echoing server, driven like a byte pump: write and
 * read whenever the socket allows, then close_notify + FIN and read the
 * echo to the server's close_notify (reading after our close_notify is
 * TLS 1.3 half-close, RFC 8446 section 6.1).
 */
static void
test_round_trip_1mib(void **state)
{
	const size_t len = 1 << 20;
	unsigned char *data = malloc(len), buf[CHUNK];
	char eb[ERRBUF_LEN] = "";
	struct tls_ctx *ctx;
	struct tls_conn *c;
	struct srv s;
	size_t sent = 0, got = 0;
	short rd_ev = POLLIN, wr_ev = POLLOUT;
	bool notified = false, ended = false;
	int hs, fd;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i ^ (i >> 8) ^ (i >> 17));
	c = start(&s, SRV_ECHO, &trusting, "localhost", &ctx, &hs, eb);
	assert_int_equal(hs, 0);
	assert_string_equal(tls_conn_version(c), "TLSv1.3");
	fd = tls_conn_fd(c);
	while (!ended) {
		bool progress = false;
		ssize_t n;
		struct pollfd pfd = { .fd = fd };

		if (sent < len) {
			size_t want = len - sent < CHUNK ? len - sent : CHUNK;

			n = tls_write(c, data + sent, want, eb);
			assert_true(n > 0 || n == TLS_WANT_READ ||
			    n == TLS_WANT_WRITE);
			if (n > 0) {
				sent += (size_t)n;
				progress = true;
			} else {
				wr_ev = n == TLS_WANT_READ ? POLLIN : POLLOUT;
			}
		} else if (!notified) {
			assert_true(close_notify_fin(c, eb));
			notified = true;
			progress = true;
		}
		while ((n = tls_read(c, buf, sizeof(buf), eb)) > 0) {
			assert_true(got + (size_t)n <= len);
			assert_memory_equal(buf, data + got, (size_t)n);
			got += (size_t)n;
			progress = true;
		}
		assert_true(n == 0 || n == TLS_WANT_READ ||
		    n == TLS_WANT_WRITE);
		if (n == 0)
			ended = true;
		else
			rd_ev = n == TLS_WANT_READ ? POLLIN : POLLOUT;
		if (progress || ended)
			continue;
		pfd.events = rd_ev | (sent < len ? wr_ev : 0);
		assert_int_equal(poll(&pfd, 1, TEST_WAIT_MS), 1);
	}
	assert_true(got == len);
	assert_int_equal(tls_conn_ending(c), TLS_END_CLOSE_NOTIFY);
	finish(&s, c, ctx);
	assert_true(s.echoed == len);
	assert_int_equal(s.ending, TLS_END_CLOSE_NOTIFY);
	free(data);
}

/* A failed handshake: the client's error, and the server saw its alert. */
static void
expect_refused(const struct tls_opts *o, const char *name, const char *why)
{
	char eb[ERRBUF_LEN] = "";
	struct tls_ctx *ctx;
	struct tls_conn *c;
	struct srv s;
	int hs;

	c = start(&s, SRV_NOTIFY, o, name, &ctx, &hs, eb);
	assert_int_equal(hs, -1);
	assert_int_equal(errno, EPROTO);
	if (strstr(eb, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", eb, why);
	assert_int_equal(tls_conn_ending(c), TLS_END_ERROR);
	assert_int_equal(tls_close_notify(c, NULL), -1);
	finish(&s, c, ctx);
	assert_int_equal(s.hs_rc, -1);
	assert_int_equal(s.ending, TLS_END_ALERT);
	assert_non_null(strstr(s.err, "alert"));
}

/* The system store does not know our self-signed certificate. */
static void
test_verify_self_signed_fails(void **state)
{
	const struct tls_opts o = { .role = TLS_CLIENT };

	expect_refused(&o, "localhost",
	    "certificate verify failed: self-signed certificate");
}

static void
test_verify_hostname_mismatch(void **state)
{
	expect_refused(&trusting, "other.example",
	    "certificate verify failed: hostname mismatch");
}

static void
test_verify_ip_mismatch(void **state)
{
	expect_refused(&trusting, "127.0.0.2",
	    "certificate verify failed: IP address mismatch");
}

/*
 * A whole clean session from client options o to a server with the
 * certificate file or (throwaway) its own: handshake, then the server's
 * close_notify.
 */
static void
clean_session(const struct tls_opts *o, const char *name, bool throwaway)
{
	char eb[ERRBUF_LEN] = "";
	struct tls_ctx *ctx;
	struct tls_conn *c;
	struct srv s;
	int hs;

	c = start_as(&s, SRV_NOTIFY, throwaway, o, name, &ctx, &hs, eb);
	if (hs != 0)
		fail_msg("%s: %s", name != NULL ? name : "-", eb);
	assert_string_not_equal(tls_conn_cipher(c), "?");
	assert_int_equal(read_to_end(c, eb), 0);
	assert_int_equal(tls_conn_ending(c), TLS_END_CLOSE_NOTIFY);
	finish(&s, c, ctx);
}

/* The CA file makes it trusted, by DNS name and by IP address. */
static void
test_verify_with_ca_file(void **state)
{
	clean_session(&trusting, "localhost", false);
	clean_session(&trusting, "127.0.0.1", false);
}

/* Both the certificate file and a server's throwaway certificate. */
static void
test_no_verify_accepts_self_signed(void **state)
{
	const struct tls_opts o = { .role = TLS_CLIENT, .no_verify = true };

	clean_session(&o, NULL, false);
	clean_session(&o, NULL, true);
}

/* A verifying client refuses a server's throwaway certificate. */
static void
test_self_signed_server(void **state)
{
	const struct tls_opts strict = { .role = TLS_CLIENT };
	char eb[ERRBUF_LEN] = "";
	struct tls_ctx *ctx;
	struct tls_conn *c;
	struct srv s;
	int hs;

	c = start_as(&s, SRV_NOTIFY, true, &strict, "localhost", &ctx, &hs,
	    eb);
	assert_int_equal(hs, -1);
	assert_string_equal(eb, "TLS handshake: certificate verify failed: "
	    "self-signed certificate");
	finish(&s, c, ctx);
	assert_int_not_equal(s.hs_rc, 0);
}

/* A readable wake fd ends the handshake wait: EINTR, nothing read. */
static void
test_handshake_wake(void **state)
{
	char eb[ERRBUF_LEN] = "", x;
	struct tls_ctx *ctx = tls_ctx_new(&trusting, eb);
	struct tls_conn *c;
	int fd, s, wake[2];

	assert_non_null(ctx);
	assert_int_equal(tcp_pair(&fd, &s), 0);
	assert_int_equal(pipe(wake), 0);
	assert_int_equal(write(wake[1], "x", 1), 1);
	c = tls_conn_new(ctx, fd, "localhost", eb);
	assert_non_null(c);
	assert_int_equal(tls_handshake_wake(c, 5000, wake[0], eb), -1);
	assert_int_equal(errno, EINTR);
	assert_string_equal(eb, "TLS handshake: interrupted");
	assert_int_equal(read(wake[0], &x, 1), 1);
	/* Without the wake, the deadline still holds. */
	assert_int_equal(tls_handshake_wake(c, 30, wake[0], eb), -1);
	assert_int_equal(errno, ETIMEDOUT);
	tls_conn_free(c);
	tls_ctx_free(ctx);
	close_fds(fd, s, wake[0], wake[1], -1);
}

static void
test_ctx_errors(void **state)
{
	const struct tls_opts nokey = { .role = TLS_SERVER,
	    .cert_file = cert_path };
	const struct tls_opts missing = { .role = TLS_SERVER,
	    .cert_file = cert_path, .key_file = "/nonexistent/key.pem" };
	char eb[ERRBUF_LEN] = "";
	struct tls_ctx *ctx;
	int fd, s;

	assert_null(tls_ctx_new(&nokey, eb));
	assert_string_equal(eb, "TLS server needs a certificate and a key");
	assert_null(tls_ctx_new(&missing, eb));
	assert_string_equal(eb,
	    "TLS key /nonexistent/key.pem: No such file or directory");

	/* A verifying client must know whom it expects. */
	ctx = tls_ctx_new(&trusting, eb);
	assert_non_null(ctx);
	assert_int_equal(tcp_pair(&fd, &s), 0);
	assert_null(tls_conn_new(ctx, fd, NULL, eb));
	assert_string_equal(eb, "TLS verification needs a server name");
	close_fds(fd, s, -1);
	tls_ctx_free(ctx);
}

/* Bad lengths; the handshake deadline when the server never answers. */
static void
test_handshake_timeout(void **state)
{
	char eb[ERRBUF_LEN] = "", buf[1];
	struct tls_ctx *ctx = tls_ctx_new(&trusting, eb);
	struct tls_conn *c;
	int fd, s;

	assert_non_null(ctx);
	assert_int_equal(tcp_pair(&fd, &s), 0);
	c = tls_conn_new(ctx, fd, "localhost", eb);
	assert_non_null(c);
	/* 0 bytes would read as the end of the stream: refused. */
	assert_int_equal(tls_read(c, buf, 0, eb), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tls_write(c, buf, 0, eb), -1);
	assert_string_equal(eb, "TLS write: length 0");
	assert_int_equal(tls_handshake(c, 50, eb), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_string_equal(eb, "TLS handshake: timed out after 50 ms");
	assert_int_equal(tls_conn_ending(c), TLS_END_ERROR);
	tls_conn_free(c);
	tls_ctx_free(ctx);
	close_fds(fd, s, -1);
}

/*
 * Interop with the openssl(1) tools, run as child processes. Each wait is
 * on something the child prints or sends, never on time: s_server binds
 * port 0 itself and prints "ACCEPT 127.0.0.1:PORT"; s_client is told to
 * end only after its data has arrived, so its handshake is over.
 */
struct child {
	pid_t pid;
	int in;		/* its stdin, ours to write and close */
	int out;	/* its stdout and stderr, or -1 */
};

/* Start openssl with args; false when the pipes or fork fail. */
static bool
spawn(struct child *ch, char *const argv[], bool capture)
{
	int in[2], out[2] = { -1, -1 };

	if (pipe2(in, O_CLOEXEC) == -1)
		return false;
	if (capture && pipe2(out, O_CLOEXEC) == -1)
		return false;
	ch->pid = fork();
	if (ch->pid == -1)
		return false;
	if (ch->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* A failed assert must not leave s_server waiting forever. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(capture ? out[1] : null, 1);
		dup2(capture ? out[1] : null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	ch->in = in[1];
	if (capture)
		close(out[1]);
	ch->out = out[0];
	return true;
}

/* Close our ends of its pipes and reap the child. */
static void
reap(struct child *ch)
{
	if (ch->in != -1)
		close(ch->in);
	waitpid(ch->pid, NULL, 0);
	if (ch->out != -1)
		close(ch->out);
}

/*
 * Append the child's output to buf (NUL-terminated) until it holds a
 * whole line containing pat, or until EOF when pat is NULL. False on
 * deadline, on EOF first, or when buf is full.
 */
static bool
read_until(int fd, char *buf, size_t cap, size_t *len, const char *pat)
{
	int64_t deadline = sock_deadline(TEST_WAIT_MS);
	const char *hit;
	ssize_t n;

	for (;;) {
		buf[*len] = '\0';
		if (pat != NULL && (hit = strstr(buf, pat)) != NULL &&
		    strchr(hit, '\n') != NULL)
			return true;
		if (*len + 1 >= cap || sock_wait(fd, POLLIN, deadline) != 1)
			return false;
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n == 0)
			return pat == NULL;
		if (n < 0 && errno != EINTR)
			return false;
		if (n > 0)
			*len += (size_t)n;
	}
}

static bool
have_openssl(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

/*
 * Our verifying client against s_server: it prints what we sent, takes
 * our close_notify ("DONE"), and answers with its own before its FIN.
 */
static void
test_interop_s_server(void **state)
{
	char *argv[] = { "openssl", "s_server", "-accept", "127.0.0.1:0",
	    "-cert", cert_path, "-key", key_path, "-naccept", "1", NULL };
	char out[16384], eb[ERRBUF_LEN] = "", *p, port[8];
	struct tls_ctx *ctx;
	struct tls_conn *c;
	struct child ch;
	enum outcome oc;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!have_openssl())
		skip();
	assert_true(spawn(&ch, argv, true));
	assert_true(read_until(ch.out, out, sizeof(out), &len,
	    "ACCEPT 127.0.0.1:"));
	p = strstr(out, "ACCEPT 127.0.0.1:") + strlen("ACCEPT 127.0.0.1:");
	snprintf(port, sizeof(port), "%.*s", (int)strcspn(p, "\r\n"), p);

	fd = lo_connect("127.0.0.1", port, NULL, &oc);
	ctx = tls_ctx_new(&trusting, eb);
	assert_non_null(ctx);
	c = tls_conn_new(ctx, fd, "localhost", eb);
	assert_non_null(c);
	if (tls_handshake(c, TEST_WAIT_MS, eb) != 0)
		fail_msg("%s", eb);
	while ((n = tls_write(c, "hello s_server\n", 15, eb)) < 0)
		assert_true(wait_want(fd, n));
	assert_int_equal(n, 15);
	assert_true(close_notify_fin(c, eb));
	assert_int_equal(read_to_end(c, eb), 0);
	assert_int_equal(tls_conn_ending(c), TLS_END_CLOSE_NOTIFY);
	tls_conn_free(c);
	tls_ctx_free(ctx);
	close(fd);

	assert_true(read_until(ch.out, out, sizeof(out), &len, NULL));
	reap(&ch);
	if (strstr(out, "hello s_server\nDONE") == NULL)
		fail_msg("s_server printed:\n%s", out);
}

/*
 * Our server against s_client, which ends either by its own close
 * (close_notify, then FIN: s_client does both on stdin EOF) or by being
 * killed (the kernel's FIN alone). Either way only once its line has
 * arrived, so the handshake is complete and nothing is left unread.
 */
static void
s_client_ends(bool killed, enum tls_ending want)
{
	const struct tls_opts o = { .role = TLS_SERVER,
	    .cert_file = cert_path, .key_file = key_path };
	const char line[] = "hello from s_client\n";
	char connect[32], eb[ERRBUF_LEN] = "", buf[256], port[8];
	char *argv[] = { "openssl", "s_client", "-connect", connect,
	    "-servername", "localhost", "-verify_hostname", "localhost",
	    "-CAfile", cert_path, "-verify_return_error", "-quiet",
	    "-no_ign_eof", NULL };
	struct tls_ctx *ctx;
	struct tls_conn *c;
	struct child ch;
	enum outcome oc;
	size_t got = 0;
	ssize_t n;
	int lfd, fd;

	if (!have_openssl())
		skip();
	lfd = lo_listen(NULL, port, sizeof(port));
	snprintf(connect, sizeof(connect), "127.0.0.1:%s", port);
	assert_true(spawn(&ch, argv, false));
	assert_int_equal(write(ch.in, line, strlen(line)),
	    (ssize_t)strlen(line));
	fd = lo_accept(lfd, &oc);
	close(lfd);
	ctx = tls_ctx_new(&o, eb);
	assert_non_null(ctx);
	c = tls_conn_new(ctx, fd, NULL, eb);
	assert_non_null(c);
	if (tls_handshake(c, TEST_WAIT_MS, eb) != 0)
		fail_msg("%s", eb);
	while (got < strlen(line)) {
		n = tls_read(c, buf + got, sizeof(buf) - got, eb);
		if (n > 0)
			got += (size_t)n;
		else
			assert_true(wait_want(fd, n));
	}
	assert_memory_equal(buf, line, strlen(line));
	if (killed) {
		kill(ch.pid, SIGKILL);
	} else {
		close(ch.in);
		ch.in = -1;
	}
	assert_int_equal(read_to_end(c, eb), 0);
	assert_int_equal(tls_conn_ending(c), want);
	tls_conn_free(c);
	tls_ctx_free(ctx);
	close(fd);
	reap(&ch);
}

static void
test_interop_s_client_close_notify(void **state)
{
	s_client_ends(false, TLS_END_CLOSE_NOTIFY);
}

static void
test_interop_s_client_killed(void **state)
{
	s_client_ends(true, TLS_END_TRUNCATED);
}

static void
test_ending_names(void **state)
{
	const char *names[] = { "none", "close-notify", "truncated", "reset",
	    "alert", "error" };
	enum tls_ending e;

	assert_int_equal(TLS_END_COUNT, 6);
	for (int i = 0; i < TLS_END_COUNT; i++) {
		assert_string_equal(tls_ending_name((enum tls_ending)i),
		    names[i]);
		assert_int_equal(tls_ending_parse(names[i], &e), 0);
		assert_int_equal(e, i);
	}
	assert_string_equal(tls_ending_name(TLS_END_COUNT), "?");
	assert_int_equal(tls_ending_parse("eof", &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_1mib),
		cmocka_unit_test(test_ending_close_notify),
		cmocka_unit_test(test_ending_truncated),
		cmocka_unit_test(test_ending_reset),
		cmocka_unit_test(test_verify_self_signed_fails),
		cmocka_unit_test(test_verify_hostname_mismatch),
		cmocka_unit_test(test_verify_ip_mismatch),
		cmocka_unit_test(test_verify_with_ca_file),
		cmocka_unit_test(test_no_verify_accepts_self_signed),
		cmocka_unit_test(test_self_signed_server),
		cmocka_unit_test(test_ctx_errors),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_handshake_wake),
		cmocka_unit_test(test_ending_names),
		cmocka_unit_test(test_interop_s_server),
		cmocka_unit_test(test_interop_s_client_close_notify),
		cmocka_unit_test(test_interop_s_client_killed),
	};

	sock_ignore_sigpipe();
	return cmocka_run_group_tests(tests, make_cert, remove_cert);
}
