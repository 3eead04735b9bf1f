/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS over a connected TCP fd with OpenSSL 3, and how the peer ended it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "errbuf.h"
#include "names.h"
#include "sock.h"
#include "tls.h"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	enum tls_role role;
	bool verify;
};

struct tls_conn {
	SSL *ssl;
	int fd;
	enum tls_role role;
	enum tls_ending ending;
	bool notify_sent;	/* our close_notify has gone out */
	bool failed;		/* a fatal error: no close_notify any more */
};

/* Indexed by enum tls_ending; these strings are a stable interface. */
static const char *const tls_ending_names[TLS_END_COUNT] = {
	[TLS_END_NONE] = "none",
	[TLS_END_CLOSE_NOTIFY] = "close-notify",
	[TLS_END_TRUNCATED] = "truncated",
	[TLS_END_RESET] = "reset",
	[TLS_END_ALERT] = "alert",
	[TLS_END_ERROR] = "error",
};

NAMES_DEFINE(tls_ending_name, tls_ending_parse, enum tls_ending,
    tls_ending_names, TLS_END_COUNT, "?")

/*
 * The reason text of the oldest error in OpenSSL's queue (the root cause:
 * later entries are callers reporting it), then clear the queue so the
 * next call starts clean. buf holds the text for codes without a string.
 */
static const char *
ssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_error();
	const char *s;

	if (e == 0) {
		snprintf(buf, len, "unknown error");
	} else if (ERR_SYSTEM_ERROR(e)) {
		snprintf(buf, len, "%s", strerror((int)ERR_GET_REASON(e)));
	} else if ((s = ERR_reason_error_string(e)) != NULL) {
		snprintf(buf, len, "%s", s);
	} else {
		ERR_error_string_n(e, buf, len);
	}
	ERR_clear_error();
	return buf;
}

/* Add one X.509v3 extension from its text form; 0 or -1. */
static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int rc;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return -1;
	rc = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return rc == 1 ? 0 : -1;
}

/*
 * A throwaway key and self-signed certificate: EC P-256, CN and SAN
 * localhost, 127.0.0.1 and ::1, CA:TRUE (so that a copy of it can be a
 * client's trust anchor), valid from an hour ago for a day, a random
 * serial. Returns 0 with both set (the caller frees them), or -1 with
 * OpenSSL's queue saying why.
 */
static int
self_signed_new(EVP_PKEY **pkp, X509 **xp)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[8];
	BIGNUM *bn = NULL;

	if (pk == NULL || x == NULL ||
	    RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;	/* a positive INTEGER */
	name = X509_get_subject_name(x);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    X509_set_pubkey(x, pk) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    add_ext(x, NID_basic_constraints, "critical,CA:TRUE") == -1 ||
	    add_ext(x, NID_subject_alt_name,
	    "DNS:localhost,IP:127.0.0.1,IP:::1") == -1 ||
	    X509_sign(x, pk, EVP_sha256()) == 0)
		goto fail;
	BN_free(bn);
	*pkp = pk;
	*xp = x;
	return 0;
fail:
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pk);
	return -1;
}

/* sc's certificate and key: a throwaway pair. 0, or -1 as above. */
static int
use_self_signed(SSL_CTX *sc)
{
	EVP_PKEY *pk;
	X509 *x;
	int rc;

	if (self_signed_new(&pk, &x) == -1)
		return -1;
	rc = SSL_CTX_use_certificate(sc, x) == 1 &&
	    SSL_CTX_use_PrivateKey(sc, pk) == 1 ? 0 : -1;
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

/* Write x or pk as PEM to a new file at path (0600); 0 or -1 (errno). */
static int
write_pem(const char *path, X509 *x, EVP_PKEY *pk)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok;

	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ok = x != NULL ? PEM_write_X509(f, x) :
	    PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || ok != 1) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* Report what failed and why from OpenSSL's queue; errno preserved. */
static void
ssl_fail(char *errbuf, const char *what, const char *path)
{
	char why[ERRBUF_LEN];

	ssl_reason(why, sizeof(why));
	if (path != NULL)
		errbuf_set(errbuf, "%s %s: %s", what, path, why);
	else
		errbuf_set(errbuf, "%s: %s", what, why);
}

int
tls_self_signed_write(const char *cert_path, const char *key_path,
    char *errbuf)
{
	EVP_PKEY *pk;
	X509 *x;
	int rc = 0;

	ERR_clear_error();
	if (self_signed_new(&pk, &x) == -1) {
		ssl_fail(errbuf, "TLS self-signed certificate", NULL);
		return -1;
	}
	errno = 0;
	if (write_pem(cert_path, x, NULL) == -1) {
		errbuf_set(errbuf, "TLS certificate %s: %s", cert_path,
		    strerror(errno));
		rc = -1;
	} else if (write_pem(key_path, NULL, pk) == -1) {
		errbuf_set(errbuf, "TLS key %s: %s", key_path,
		    strerror(errno));
		rc = -1;
	}
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

struct tls_ctx *
tls_ctx_new(const struct tls_opts *o, char *errbuf)
{
	static const struct tls_opts dflt;
	struct tls_ctx *ctx;
	SSL_CTX *sc;

	if (o == NULL)
		o = &dflt;
	if (o->role == TLS_SERVER && !o->self_signed &&
	    (o->cert_file == NULL || o->key_file == NULL)) {
		errbuf_set(errbuf, "TLS server needs a certificate and a key");
		errno = EINVAL;
		return NULL;
	}
	if ((o->cert_file == NULL) != (o->key_file == NULL)) {
		errbuf_set(errbuf, "TLS certificate and key go together");
		errno = EINVAL;
		return NULL;
	}
	ERR_clear_error();
	sc = SSL_CTX_new(o->role == TLS_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (sc == NULL) {
		ssl_fail(errbuf, "TLS context", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION);
	/* A byte pump writes what it has and retries from wherever its
	 * buffer has moved to by then. */
	SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A system openssl.cnf may set it; it would hide truncation. */
	SSL_CTX_clear_options(sc, SSL_OP_IGNORE_UNEXPECTED_EOF);

	if (o->cert_file == NULL && o->self_signed &&
	    use_self_signed(sc) == -1) {
		ssl_fail(errbuf, "TLS self-signed certificate", NULL);
		goto fail;
	}
	if (o->cert_file != NULL) {
		if (SSL_CTX_use_certificate_chain_file(sc, o->cert_file) != 1) {
			ssl_fail(errbuf, "TLS certificate", o->cert_file);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(sc, o->key_file,
		    SSL_FILETYPE_PEM) != 1) {
			ssl_fail(errbuf, "TLS key", o->key_file);
			goto fail;
		}
		if (SSL_CTX_check_private_key(sc) != 1) {
			ssl_fail(errbuf, "TLS key", o->key_file);
			goto fail;
		}
	}
	if (o->role == TLS_SERVER) {
		SSL_CTX_set_num_tickets(sc, 0);
	} else if (o->no_verify) {
		SSL_CTX_set_verify(sc, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(sc, SSL_VERIFY_PEER, NULL);
		if (o->ca_file != NULL) {
			if (SSL_CTX_load_verify_locations(sc, o->ca_file,
			    NULL) != 1) {
				ssl_fail(errbuf, "TLS CA file", o->ca_file);
				goto fail;
			}
		} else if (SSL_CTX_set_default_verify_paths(sc) != 1) {
			ssl_fail(errbuf, "TLS system trust store", NULL);
			goto fail;
		}
	}

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		errbuf_set(errbuf, "TLS context: %s", strerror(errno));
		SSL_CTX_free(sc);
		return NULL;
	}
	ctx->ssl_ctx = sc;
	ctx->role = o->role;
	ctx->verify = o->role == TLS_CLIENT && !o->no_verify;
	return ctx;
fail:
	SSL_CTX_free(sc);
	errno = EINVAL;
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* An IPv4 or IPv6 literal: matched against IP SANs, never sent as SNI. */
static bool
is_ip_literal(const char *name)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

/* Client side: SNI and the name the certificate must carry. */
static int
set_peer_name(SSL *ssl, const char *name, bool verify, char *errbuf)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);

	if (name == NULL || *name == '\0') {
		if (!verify)
			return 0;
		errbuf_set(errbuf, "TLS verification needs a server name");
		errno = EINVAL;
		return -1;
	}
	if (is_ip_literal(name)) {
		if (verify && X509_VERIFY_PARAM_set1_ip_asc(param, name) != 1) {
			ssl_fail(errbuf, "TLS server address", name);
			return -1;
		}
		return 0;
	}
	if (SSL_set_tlsext_host_name(ssl, name) != 1) {
		ssl_fail(errbuf, "TLS server name", name);
		return -1;
	}
	if (verify) {
		X509_VERIFY_PARAM_set_hostflags(param,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (SSL_set1_host(ssl, name) != 1) {
			ssl_fail(errbuf, "TLS server name", name);
			return -1;
		}
	}
	return 0;
}

struct tls_conn *
tls_conn_new(struct tls_ctx *ctx, int fd, const char *servername,
    char *errbuf)
{
	struct tls_conn *c;
	int saved;

	if (sock_set_nonblock(fd, true) == -1) {
		errbuf_set(errbuf, "TLS: fd %d: %s", fd, strerror(errno));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		errbuf_set(errbuf, "TLS connection: %s", strerror(errno));
		return NULL;
	}
	c->fd = fd;
	c->role = ctx->role;
	ERR_clear_error();
	c->ssl = SSL_new(ctx->ssl_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		ssl_fail(errbuf, "TLS connection", NULL);
		goto fail;
	}
	if (ctx->role == TLS_SERVER) {
		SSL_set_accept_state(c->ssl);
	} else {
		SSL_set_connect_state(c->ssl);
		if (set_peer_name(c->ssl, servername, ctx->verify,
		    errbuf) == -1)
			goto fail;
	}
	return c;
fail:
	saved = errno;
	tls_conn_free(c);
	errno = saved;
	return NULL;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	free(c);
}

/* The first ending observed is the fact; later ones are consequences. */
static void
set_ending(struct tls_conn *c, enum tls_ending e)
{
	if (c->ending == TLS_END_NONE)
		c->ending = e;
}

/* Before each SSL call, so SSL_get_error sees only that call's errors. */
static void
call_start(void)
{
	ERR_clear_error();
	errno = 0;
}

/*
 * Classify a failed SSL call. sys_errno is errno right after the call.
 * A peer's close_notify or bare FIN is the end of the data for a read
 * (eof_ok: returns 0) and a failure for anything else. Returns 0,
 * TLS_WANT_READ, TLS_WANT_WRITE, or -1 with errbuf and errno (the socket
 * error, or EPROTO for a TLS-level failure).
 */
static int
settle(struct tls_conn *c, int rc, int sys_errno, bool eof_ok,
    const char *what, char *errbuf)
{
	unsigned long e;
	char why[ERRBUF_LEN];
	long vr;

	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		set_ending(c, TLS_END_CLOSE_NOTIFY);
		if (eof_ok)
			return 0;
		errbuf_set(errbuf, "%s: peer sent close_notify", what);
		errno = EPIPE;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() != 0)
			break;
		c->failed = true;
		if (sys_errno == 0) {
			/* OpenSSL 3 reports a bare EOF as SSL_ERROR_SSL;
			 * this is the same fact by an older path. */
			set_ending(c, TLS_END_TRUNCATED);
			if (eof_ok)
				return 0;
			errbuf_set(errbuf, "%s: unexpected eof", what);
			errno = EPROTO;
			return -1;
		}
		set_ending(c, sys_errno == ECONNRESET ? TLS_END_RESET :
		    TLS_END_ERROR);
		errbuf_set(errbuf, "%s: %s", what, strerror(sys_errno));
		errno = sys_errno;
		return -1;
	default:
		break;
	}

	c->failed = true;
	e = ERR_peek_error();
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		set_ending(c, TLS_END_TRUNCATED);
		if (eof_ok)
			return 0;
		errbuf_set(errbuf, "%s: unexpected eof while reading", what);
		errno = EPROTO;
		return -1;
	}
	/* A fatal alert from the peer is recorded as a reason code at
	 * SSL_AD_REASON_OFFSET plus the alert's number. */
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET)
		set_ending(c, TLS_END_ALERT);
	else
		set_ending(c, TLS_END_ERROR);
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED &&
	    (vr = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
		ERR_clear_error();
		errbuf_set(errbuf, "%s: certificate verify failed: %s", what,
		    X509_verify_cert_error_string(vr));
	} else {
		errbuf_set(errbuf, "%s: %s", what,
		    ssl_reason(why, sizeof(why)));
	}
	errno = EPROTO;
	return -1;
}

/*
 * A pump may poll and call again after the end. Say the same again rather
 * than ask OpenSSL, whose answer changes once the socket's error has been
 * consumed (a read after ECONNRESET returns 0). A peer's close_notify or
 * FIN is 0 for a read (eof_ok); the rest is -1.
 */
static ssize_t
repeat_end(const struct tls_conn *c, bool eof_ok, const char *what,
    char *errbuf)
{
	bool eof = c->ending == TLS_END_CLOSE_NOTIFY ||
	    c->ending == TLS_END_TRUNCATED;

	if (eof && eof_ok)
		return 0;
	errbuf_set(errbuf, "%s: the session has ended (%s)", what,
	    tls_ending_name(c->ending));
	errno = c->ending == TLS_END_RESET ? ECONNRESET : EPROTO;
	return -1;
}

/* 0 would read as the end of the stream, so a 0-byte call is refused. */
static ssize_t
bad_len(const char *what, char *errbuf)
{
	errbuf_set(errbuf, "%s: length 0", what);
	errno = EINVAL;
	return -1;
}

int
tls_handshake_step(struct tls_conn *c, char *errbuf)
{
	int rc;

	call_start();
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1)
		return 0;
	return settle(c, rc, errno, false, "TLS handshake", errbuf);
}

/*
 * Wait for the fd as a handshake step asked (want), or for wake_fd (-1:
 * none) to be readable, until deadline. As sock_wait returns; woken by
 * wake_fd: -1 with errno EINTR.
 */
static int
handshake_wait(int fd, int want, int wake_fd, int64_t deadline)
{
	struct pollfd p[2] = {
		{ fd, want == TLS_WANT_READ ? POLLIN : POLLOUT, 0 },
		{ wake_fd, POLLIN, 0 },
	};
	int64_t left;
	int rc;

	if (wake_fd < 0)
		return sock_wait(fd, p[0].events, deadline);
	left = deadline < 0 ? -1 : deadline - clock_mono_ms();
	rc = poll(p, 2, deadline < 0 ? -1 : left > 0 ? (int)left : 0);
	if (rc > 0 && p[1].revents != 0) {
		errno = EINTR;
		return -1;
	}
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 1 : rc;
}

int
tls_handshake(struct tls_conn *c, int timeout_ms, char *errbuf)
{
	return tls_handshake_wake(c, timeout_ms, -1, errbuf);
}

int
tls_handshake_wake(struct tls_conn *c, int timeout_ms, int wake_fd,
    char *errbuf)
{
	int64_t deadline = sock_deadline(timeout_ms);
	int rc, w;

	for (;;) {
		rc = tls_handshake_step(c, errbuf);
		if (rc == 0 || rc == -1)
			return rc;
		w = handshake_wait(c->fd, rc, wake_fd, deadline);
		if (w == 1)
			continue;
		set_ending(c, TLS_END_ERROR);
		if (w == 0) {
			errbuf_set(errbuf, "TLS handshake: timed out after "
			    "%d ms", timeout_ms);
			errno = ETIMEDOUT;
		} else if (errno == EINTR) {
			errbuf_set(errbuf, "TLS handshake: interrupted");
		} else {
			errbuf_set(errbuf, "TLS handshake: poll: %s",
			    strerror(errno));
		}
		return -1;
	}
}

ssize_t
tls_read(struct tls_conn *c, void *buf, size_t len, char *errbuf)
{
	size_t n = 0;
	int rc;

	if (c->ending != TLS_END_NONE)
		return repeat_end(c, true, "TLS read", errbuf);
	if (len == 0)
		return bad_len("TLS read", errbuf);
	call_start();
	rc = SSL_read_ex(c->ssl, buf, len, &n);
	if (rc == 1)
		return (ssize_t)n;
	return settle(c, rc, errno, true, "TLS read", errbuf);
}

ssize_t
tls_write(struct tls_conn *c, const void *buf, size_t len, char *errbuf)
{
	size_t n = 0;
	int rc;

	if (c->failed)
		return repeat_end(c, false, "TLS write", errbuf);
	if (len == 0)
		return bad_len("TLS write", errbuf);
	call_start();
	rc = SSL_write_ex(c->ssl, buf, len, &n);
	if (rc == 1)
		return (ssize_t)n;
	return settle(c, rc, errno, false, "TLS write", errbuf);
}

int
tls_close_notify(struct tls_conn *c, char *errbuf)
{
	int rc;

	/* Once the alert is out, SSL_shutdown would wait for the peer's. */
	if (c->notify_sent)
		return 0;
	if (c->failed)
		return (int)repeat_end(c, false, "TLS close_notify", errbuf);
	call_start();
	rc = SSL_shutdown(c->ssl);
	if (rc >= 0) {
		c->notify_sent = true;
		return 0;
	}
	return settle(c, rc, errno, false, "TLS close_notify", errbuf);
}

size_t
tls_pending(const struct tls_conn *c)
{
	int n = SSL_pending(c->ssl);

	return n > 0 ? (size_t)n : 0;
}

enum tls_ending
tls_conn_ending(const struct tls_conn *c)
{
	return c->ending;
}

int
tls_conn_fd(const struct tls_conn *c)
{
	return c->fd;
}

const char *
tls_conn_version(const struct tls_conn *c)
{
	return SSL_is_init_finished(c->ssl) ? SSL_get_version(c->ssl) : "?";
}

const char *
tls_conn_cipher(const struct tls_conn *c)
{
	const char *s = SSL_is_init_finished(c->ssl) ?
	    SSL_get_cipher_name(c->ssl) : NULL;

	return s != NULL ? s : "?";
}
