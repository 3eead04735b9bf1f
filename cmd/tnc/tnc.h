/* SPDX-License-Identifier: BSD-2-Clause */
/* tnc's configuration, event lines and modes between its files. */
#ifndef TNC_TNC_H
#define TNC_TNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "close.h"
#include "exitcode.h"
#include "outcome.h"
#include "sock.h"

enum tnc_io { TNC_IO_EPOLL, TNC_IO_THREADS };

/* Every option, filled by main() before any work is done. */
struct tnc_config {
	bool listen;		/* -l */
	bool keep;		/* -k */
	bool udp;		/* -u */
	int verbose;		/* -v */
	bool stats;		/* --stats */
	enum addr_family family; /* -4 / -6 */
	int64_t wait_ms;	/* -w: connect and idle deadline, 0 = none */
	int64_t quit_ms;	/* -q: wait for the peer's EOF, -1 = none */
	const char *src_host;	/* -s */
	const char *src_port;	/* -p */
	const char *host;	/* HOST argument (NULL: any, with -l) */
	const char *port;	/* PORT argument */
	const char *unix_path;	/* -U: PATH argument */
	const char *exec_prog;	/* -e PROG */
	const char *exec_cmd;	/* -c CMD, run by /bin/sh -c */
	bool scan;		/* -z */
	bool crlf;		/* -C */
	struct tnc_port_range { unsigned lo, hi; } *ranges; /* -z ports */
	size_t nranges;

	bool nodelay;		/* --nodelay */
	int sndbuf, rcvbuf;	/* --sndbuf, --rcvbuf, 0 = default */
	bool keepalive;		/* --keepalive IDLE,INTVL,CNT */
	int ka_idle, ka_intvl, ka_cnt;
	unsigned user_timeout;	/* --user-timeout MS, 0 = default */
	enum close_how close_how; /* --close */

	char relay_host[256];	/* --relay HOST:PORT */
	char relay_port[32];
	bool relay;
	bool splice;		/* --splice */
	enum tnc_io io;		/* --io */
	size_t buffer;		/* --buffer: per direction bound */
	int64_t max_conns;	/* --max-conns, relay only */

	bool ssl;		/* --ssl */
	bool ssl_no_verify;	/* --no-verify */
	bool ssl_allow_truncation; /* --ssl-allow-truncation */
	const char *ssl_trustfile; /* --ssl-trustfile */
	const char *ssl_cert;	/* --ssl-cert */
	const char *ssl_key;	/* --ssl-key */
};

/* event.c: below every mode file. */

/* "epoll", "threads": --io's words, also in the relay's event line. */
const char *tnc_io_name(enum tnc_io io);
int tnc_io_parse(const char *name, enum tnc_io *io);

/* Start the clock of the event lines and set how much -v asked for. */
void tnc_event_init(int verbose);

/* A -v event line on stderr: "tnc: [  1.234567] connected to ...". */
void tnc_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --stats: one connection's byte counts on stderr (nothing without). */
void tnc_stats(const struct tnc_config *cfg, const char *peer, uint64_t sent,
    uint64_t rcvd);

struct evloop;
struct relay_opts;

/* One connection's relay (nc mode, -e/-c): epoll, --buffer, -w, -q. */
void tnc_session_relay_opts(const struct tnc_config *cfg,
    struct relay_opts *o);

/*
 * What a mode's loop does on SIGINT or SIGTERM: say(sig, arg) prints its
 * -v line, then *status becomes 128 + sig and the loop stops (the mode
 * then frees its relay, which resets what is open).
 */
struct tnc_stop {
	void (*say)(int sig, void *arg);
	void *arg;
	int *status;
};

/* Watch sigfd (stop_fd_open) on loop as st says; st must outlive the
   watch. Exits 1 when it cannot. */
void tnc_watch_stop(struct evloop *loop, int sigfd, struct tnc_stop *st);

/* The socket options from the command line, applied to one TCP socket. */
void tnc_apply_sockopts(const struct tnc_config *cfg, int fd,
    const char *who);

/* Modes, each returning the exit status. */
/* Connect options from the command line: -4/-6, -s, -p, -w. */
struct sock_opts tnc_connect_opts(const struct tnc_config *cfg);

int tnc_stream_client(const struct tnc_config *cfg);
int tnc_stream_listen(const struct tnc_config *cfg);
int tnc_udp_client(const struct tnc_config *cfg);
int tnc_udp_listen(const struct tnc_config *cfg);
int tnc_relay(const struct tnc_config *cfg);
int tnc_scan(const struct tnc_config *cfg);

struct tls_ctx;
struct tls_conn;

/* exec.c: -e/-c on a connected stream socket fd (with TLS on it when tls
   is not NULL); the exit status. */
int tnc_exec_session(const struct tnc_config *cfg, int fd,
    struct tls_conn *tls, const char *peer, int sigfd);

/* ssl.c: --ssl. The context for every connection, NULL without --ssl;
   exits 1 with a one-line error when a file is bad. */
struct tls_ctx *tnc_ssl_ctx(const struct tnc_config *cfg);

/*
 * TLS on a connected fd: the handshake within -w or until a stop signal
 * on sigfd. Returns the connection, or NULL after a one-line error (the
 * fd aborted) with *status the exit status: 1 (verification, protocol),
 * 4 (reset), 5 (-w), 128 + signal.
 */
struct tls_conn *tnc_ssl_start(const struct tnc_config *cfg,
    struct tls_ctx *ctx, int fd, const char *peer, int sigfd, int *status);

/* How the peer's data ended: "close_notify" or "FIN without ...". */
const char *tnc_ssl_eof_name(const struct tls_conn *t);

/*
 * The session is over: say how the peer ended it (-v) and free t.
 * Returns the exit status: status, or 1 instead of 0 after a truncation
 * (unless --ssl-allow-truncation), an alert or a TLS error.
 */
int tnc_ssl_end(const struct tnc_config *cfg, struct tls_conn *t,
    const char *peer, int status);

#endif
