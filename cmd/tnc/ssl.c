/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc --ssl: the TLS context, each connection's handshake and its end. */
#include <err.h>
#include <errno.h>
#include <unistd.h>

#include "close.h"
#include "errbuf.h"
#include "stop.h"
#include "tls.h"
#include "tnc.h"

struct tls_ctx *
tnc_ssl_ctx(const struct tnc_config *cfg)
{
	struct tls_opts o = {
		.role = cfg->listen ? TLS_SERVER : TLS_CLIENT,
		.no_verify = cfg->ssl_no_verify,
		.ca_file = cfg->ssl_trustfile,
		.cert_file = cfg->ssl_cert,
		.key_file = cfg->ssl_key,
	};
	char errbuf[ERRBUF_LEN];
	struct tls_ctx *ctx;

	if (!cfg->ssl)
		return NULL;
	if ((ctx = tls_ctx_new(&o, errbuf)) == NULL)
		errx(EXIT_FAIL, "%s", errbuf);
	return ctx;
}

struct tls_conn *
tnc_ssl_start(const struct tnc_config *cfg, struct tls_ctx *ctx, int fd,
    const char *peer, int sigfd, int *status)
{
	char errbuf[ERRBUF_LEN];
	struct close_report rep;
	struct tls_conn *t;
	int sig, err_no;

	/* The name to verify (and send as SNI): the host as typed. */
	t = tls_conn_new(ctx, fd, cfg->listen ? NULL : cfg->host, errbuf);
	if (t != NULL &&
	    tls_handshake_wake(t, (int)cfg->wait_ms, sigfd, errbuf) == 0) {
		tnc_event("TLS %s %s with %s, %s", tls_conn_version(t),
		    tls_conn_cipher(t), peer, cfg->listen ?
		    "no client certificate asked" : cfg->ssl_no_verify ?
		    "certificate not verified (--no-verify)" :
		    "certificate verified");
		return t;
	}
	err_no = errno;
	if (err_no == EINTR && (sig = stop_fd_read(sigfd)) != 0) {
		tnc_event("signal %d: stopped during the TLS handshake -> RST "
		    "sent", sig);
		*status = STOP_EXIT(sig);
	} else {
		warnx("%s: %s", peer, errbuf);
		*status = exit_for_outcome(outcome_from_errno(err_no));
	}
	tls_conn_free(t);
	close_abort(fd, &rep);
	return NULL;
}

const char *
tnc_ssl_eof_name(const struct tls_conn *t)
{
	return tls_conn_ending(t) == TLS_END_CLOSE_NOTIFY ?
	    "close_notify" : "FIN without close_notify";
}

int
tnc_ssl_end(const struct tnc_config *cfg, struct tls_conn *t,
    const char *peer, int status)
{
	enum tls_ending e = tls_conn_ending(t);

	switch (e) {
	case TLS_END_CLOSE_NOTIFY:
		tnc_event("TLS ended cleanly: the peer's close_notify came "
		    "before its FIN");
		break;
	case TLS_END_TRUNCATED:
		tnc_event("TLS ended by a FIN without close_notify: the data "
		    "may be truncated%s", cfg->ssl_allow_truncation ?
		    " (--ssl-allow-truncation)" : "");
		if (cfg->ssl_allow_truncation)
			break;
		warnx("%s: TLS: FIN without close_notify: the data may be "
		    "truncated", peer);
		if (status == EXIT_OK)
			status = EXIT_FAIL;
		break;
	case TLS_END_RESET:
		tnc_event("TLS ended by an RST, without close_notify");
		break;
	case TLS_END_ALERT:
	case TLS_END_ERROR:
		tnc_event("TLS ended by %s", e == TLS_END_ALERT ?
		    "the peer's fatal alert" : "a TLS error");
		if (status == EXIT_OK)
			status = EXIT_FAIL;
		break;
	case TLS_END_NONE:
	case TLS_END_COUNT:
		tnc_event("TLS: the peer had not ended the session");
		break;
	}
	tls_conn_free(t);
	return status;
}
