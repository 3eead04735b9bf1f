/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS over a connected TCP fd (OpenSSL 3), reporting how the peer ended it. */
#ifndef TEARDOWN_TLS_H
#define TEARDOWN_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A tls_conn works on a non-blocking fd only: tls_conn_new sets
 * O_NONBLOCK, because a byte pump polls the fd and a blocking SSL_read
 * could wait for the rest of a record after poll said "readable". Every
 * call then returns at once; TLS_WANT_READ / TLS_WANT_WRITE say which
 * poll event to wait for before calling again with the same arguments.
 * TLS may need to write while reading and read while writing (handshake,
 * KeyUpdate), so follow the returned want, not the call's direction.
 *
 * OpenSSL writes with write(2), so the process must ignore SIGPIPE
 * (sock_ignore_sigpipe) or a write to a reset peer kills it.
 */
#define TLS_WANT_READ	(-2)
#define TLS_WANT_WRITE	(-3)

struct tls_ctx;
struct tls_conn;

enum tls_role {
	TLS_CLIENT,
	TLS_SERVER
};

/* Options for tls_ctx_new; zero means default. */
struct tls_opts {
	enum tls_role role;
	bool no_verify;		/* client: accept any server certificate */
	const char *ca_file;	/* client: PEM trust anchors instead of the
				   system store */
	const char *cert_file;	/* PEM certificate chain: a server's
				   (required), or a client's to present */
	const char *key_file;	/* its PEM private key */
	bool self_signed;	/* server without cert_file: a throwaway
				   key and self-signed certificate made
				   in memory (EC P-256, CN and SAN
				   localhost, 127.0.0.1, ::1; a day) */
};

/*
 * How the peer ended the session. Stable names (tls_ending_name()) are
 * teardown facts in tool output; add new values at the end.
 */
enum tls_ending {
	TLS_END_NONE = 0,	/* "none": not ended (yet) */
	TLS_END_CLOSE_NOTIFY,	/* "close-notify": close_notify came before
				   the TCP FIN: a clean end (RFC 8446 6.1) */
	TLS_END_TRUNCATED,	/* "truncated": TCP FIN without close_notify:
				   data may have been cut off */
	TLS_END_RESET,		/* "reset": ECONNRESET */
	TLS_END_ALERT,		/* "alert": the peer sent a fatal alert */
	TLS_END_ERROR,		/* "error": a local failure (certificate
				   verification, protocol, timeout, I/O) */
	TLS_END_COUNT
};

/*
 * A client or server context: TLS 1.2 or later. A client verifies the
 * server's chain against ca_file or the system store unless no_verify.
 * A server sends no session tickets (nobody resumes a nc session, and an
 * unread ticket turns a client's close() into an RST). Returns NULL with
 * errbuf ("TLS key /x.pem: No such file or directory") on failure.
 */
struct tls_ctx *tls_ctx_new(const struct tls_opts *o, char *errbuf);

/*
 * Write a throwaway key and self-signed certificate, as self_signed makes
 * (CA:TRUE, so the certificate file can be a client's ca_file), as PEM
 * files (mode 0600). Returns 0, or -1 with errbuf ("TLS key /x.pem:
 * Permission denied").
 */
int tls_self_signed_write(const char *cert_path, const char *key_path,
    char *errbuf);

/* Free a context; connections made from it keep it alive until freed. */
void tls_ctx_free(struct tls_ctx *ctx);

/*
 * Start TLS on fd, a connected TCP socket that stays the caller's (never
 * closed here), and set it O_NONBLOCK. For a verifying client servername
 * is required: it is sent as SNI (RFC 6066 section 3; not for an IP
 * literal) and the certificate must match it (DNS name or IP address).
 * With no_verify it is only the SNI, and may be NULL. Servers ignore it.
 * Returns NULL with errbuf on failure.
 */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd,
    const char *servername, char *errbuf);

/* Free the connection without sending anything; fd stays open. */
void tls_conn_free(struct tls_conn *c);

/*
 * One handshake step for event loops: 0 when the handshake is complete,
 * TLS_WANT_READ or TLS_WANT_WRITE, or -1 with errbuf ("TLS handshake:
 * certificate verify failed: self-signed certificate") and the ending set.
 */
int tls_handshake_step(struct tls_conn *c, char *errbuf);

/*
 * The whole handshake, polling fd until it completes or timeout_ms passes
 * (<= 0: no deadline). Returns 0, or -1 with errbuf: errno is ETIMEDOUT
 * at the deadline and EINTR when a signal ended the wait.
 */
int tls_handshake(struct tls_conn *c, int timeout_ms, char *errbuf);

/*
 * tls_handshake that also ends, -1 with errno EINTR ("TLS handshake:
 * interrupted"), once wake_fd (a signalfd, a pipe; -1: none) is readable;
 * nothing is read from it.
 */
int tls_handshake_wake(struct tls_conn *c, int timeout_ms, int wake_fd,
    char *errbuf);

/*
 * Read up to len (> 0) bytes of application data. Returns > 0 bytes; 0
 * when the peer ended the stream (close-notify or truncated: see
 * tls_conn_ending); TLS_WANT_READ / TLS_WANT_WRITE; or -1 with errbuf
 * and errno (ECONNRESET for reset, EPROTO for alert and TLS errors).
 * OpenSSL buffers whole records, so keep reading until TLS_WANT_READ
 * before polling again. Once ended, every call returns the same again.
 */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t len, char *errbuf);

/*
 * Write up to len (> 0) bytes; partial writes happen. Returns > 0 bytes
 * written, TLS_WANT_READ / TLS_WANT_WRITE (then call again with at least
 * the same bytes; the buffer may move), or -1 with errbuf and errno.
 * After the peer's close_notify we may still write (half-close); after
 * truncated, reset, alert or error OpenSSL sends nothing more: -1.
 */
ssize_t tls_write(struct tls_conn *c, const void *buf, size_t len,
    char *errbuf);

/*
 * Send our close_notify, without waiting for the peer's (we may still
 * read after it: RFC 8446 section 6.1). Then the caller shuts down the
 * TCP write side (shutdown(fd, SHUT_WR)) so the FIN follows it. Returns
 * 0 once it is sent (again 0 if called again), TLS_WANT_WRITE /
 * TLS_WANT_READ, or -1 with errbuf: before the handshake completed, or
 * after truncated, reset, alert or error, when only the FIN is left.
 */
int tls_close_notify(struct tls_conn *c, char *errbuf);

/* Bytes already decrypted and buffered that poll() will not announce. */
size_t tls_pending(const struct tls_conn *c);

/* How the peer ended the session so far; TLS_END_NONE while it runs. */
enum tls_ending tls_conn_ending(const struct tls_conn *c);

/* The fd given to tls_conn_new. */
int tls_conn_fd(const struct tls_conn *c);

/* Negotiated version ("TLSv1.3") and cipher; "?" before the handshake. */
const char *tls_conn_version(const struct tls_conn *c);
const char *tls_conn_cipher(const struct tls_conn *c);

/* "close-notify", "truncated", ...; parse returns -1 on other names. */
const char *tls_ending_name(enum tls_ending e);
int tls_ending_parse(const char *name, enum tls_ending *e);

#endif
