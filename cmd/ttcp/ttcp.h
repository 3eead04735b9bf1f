/* SPDX-License-Identifier: BSD-2-Clause */
/* ttcp's internal interfaces: wire format, transfer state and reports. */
#ifndef TTCP_H
#define TTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "addr.h"
#include "errbuf.h"
#include "frame.h"
#include "outcome.h"
#include "sockopt.h"

/*
 * Wire format (ttcp(1), WIRE FORMAT). A muduo session header is two
 * 32-bit big-endian integers: number of messages, message length. Our
 * extensions come first, introduced by the otherwise impossible count
 * 0x80000000, so a plain ack-mode session stays byte-identical to muduo.
 */
#define TTCP_HDR_LEN		8
#define TTCP_EXT_LEN		16
#define TTCP_HDR_MAX		(TTCP_EXT_LEN + TTCP_HDR_LEN)
#define TTCP_EXT_MARKER		0x80000000u
#define TTCP_FLAG_STREAM	0x1u
#define TTCP_FLAG_REVERSE	0x2u
#define TTCP_FLAG_VERIFY	0x4u
/* --time: number is the run's length in milliseconds, not a count. */
#define TTCP_FLAG_TIMED		0x8u
#define TTCP_FLAGS_KNOWN	0xfu
#define TTCP_MAX_LEN		FRAME_MAX_DEFAULT	/* 64 MiB */
#define TTCP_MAX_PARALLEL	128
#define TTCP_ACK_LEN		4

#define TTCP_DEFAULT_PORT	"5001"
#define TTCP_DEFAULT_LEN	65536
#define TTCP_DEFAULT_NUM	8192

/* How long a receiver waits for a header or the rest of a -P group. */
#define TTCP_SETUP_TIMEOUT_MS	10000
/* Keepalive, so a vanished peer ends a session instead of hanging it. */
#define TTCP_KEEPALIVE_IDLE_S	30
#define TTCP_KEEPALIVE_INTVL_S	5
#define TTCP_KEEPALIVE_CNT	3
/* How long a graceful close waits for the peer's EOF. */
#define TTCP_CLOSE_TIMEOUT_MS	30000

/* One session as the header describes it. */
struct session {
	bool extended;		/* the 16-byte extension came first */
	uint32_t flags;		/* TTCP_FLAG_* */
	uint32_t group;		/* ties the connections of one -P run */
	uint32_t parallel;	/* connections in the group */
	uint32_t number;	/* messages (0..INT32_MAX) */
	uint32_t length;	/* payload bytes per message (0..64 MiB) */
};

/* Encode into out (TTCP_HDR_MAX bytes); returns 8 or 24. */
size_t session_encode(const struct session *s, uint8_t *out);

/*
 * Decode have bytes. Returns 1 with *s filled and *need the header's
 * length; 0 when more bytes are needed (*need says how many in total);
 * -1 with errbuf set for a header we refuse (negative count or length,
 * length above TTCP_MAX_LEN, unknown flags, bad parallel count).
 */
int session_decode(const uint8_t *p, size_t have, struct session *s,
    size_t *need, char *errbuf);

/*
 * Fill one message's payload with muduo's pattern: byte i of every message
 * is "0123456789ABCDEF"[i % 16], restarting at each message.
 */
void hex_pattern_fill(uint8_t *p, size_t len);

/*
 * Room before a message's payload: the session header and the 4-byte
 * length prefix go just before it, so the first send carries all three.
 */
#define TTCP_MSG_HEADROOM	64

/*
 * A sender's message, the same in both I/O models: TTCP_MSG_HEADROOM
 * bytes whose last 4 are the length prefix, then the payload's pattern,
 * on a cache line. Returns the payload (free it with msg_buf_free) or NULL
 * on ENOMEM.
 */
uint8_t *msg_buf_new(uint32_t length);
void msg_buf_free(uint8_t *payload);

/*
 * Ack mode: after each message the receiver sends back its length, 4
 * bytes big-endian (muduo's ack). ack_put writes one into out.
 */
void ack_put(uint8_t *out, uint32_t length);

/*
 * Check the ack of message msg (1, 2, ...) against the session's length.
 * Returns 0, or -1 with errbuf saying what the peer acknowledged.
 */
int ack_check(const uint8_t *ack, uint32_t length, uint64_t msg,
    char *errbuf);

/* Payload receiver: both ack and stream mode, any chunking. */
struct rx {
	bool stream;
	bool verify;
	bool timed;		/* ends at the sender's EOF, on a boundary */
	uint32_t number;
	uint32_t length;
	uint64_t msgs;		/* complete messages */
	uint64_t bytes;		/* payload bytes */
	uint32_t in_msg;	/* payload bytes of the current message */
	uint8_t prefix[4];	/* ack mode: the current length prefix */
	unsigned prefix_have;
};

enum rx_status {
	RX_MORE,	/* consumed everything offered, need more */
	RX_MESSAGE,	/* ack mode: a message is complete, send its ack */
	RX_DONE,	/* stream mode: the last byte arrived */
	RX_ERROR	/* errbuf says what (wrong length, verify failure) */
};

void rx_init(struct rx *rx, const struct session *s, bool verify);
enum rx_status rx_feed(struct rx *rx, const uint8_t *p, size_t len,
    size_t *used, char *errbuf);
bool rx_done(const struct rx *rx);
/* A timed session may end here: between two messages. */
bool rx_timed_end(const struct rx *rx);
/* The messages a session asks for: UINT32_MAX for a timed one. */
uint32_t session_messages(const struct session *s);
/* Bytes still due in the current message (ack) or session (stream). */
uint64_t rx_want(const struct rx *rx);
/* "after 512 of 1024 bytes of message 3 of 10" for error lines. */
void rx_progress(const struct rx *rx, char *buf, size_t len);

/* report.c: a log-linear latency histogram in nanoseconds (under 1% error). */
#define LAT_HIST_SUB		128
#define LAT_HIST_BUCKETS	(LAT_HIST_SUB * 36)
struct lat_hist {
	uint64_t count;
	uint64_t max_ns;
	uint64_t b[LAT_HIST_BUCKETS];
};

void lat_hist_add(struct lat_hist *h, uint64_t ns);
void lat_hist_merge(struct lat_hist *dst, const struct lat_hist *src);
/* Value at quantile q (0..1) in nanoseconds; 0 when empty. */
uint64_t lat_hist_quantile(const struct lat_hist *h, double q);


/* One connection's transfer, shared by both I/O models. */
struct xfer {
	int fd;
	int index;
	struct session sess;
	bool data_sender;	/* this side sends the messages */
	bool verify;		/* check the payload pattern */
	char peer[ADDR_STRLEN];
	/* Progress, read by the interval reporter (relaxed atomics). */
	uint64_t bytes;
	uint64_t msgs;
	uint64_t start_us;
	uint64_t end_us;
	bool done;		/* finished, successfully or not */
	bool failed;
	enum outcome outcome;	/* how the first failure ended it */
	char error[ERRBUF_LEN];
	uint32_t retransmits;
	struct bufsize snd, rcv;
	struct lat_hist *rtt;	/* ack mode only */
	uint64_t t_mark_ns;	/* RTT start of the message in flight */
	int64_t deadline_ms;	/* timed data sender: stop then; else 0 */
	struct rx rx;		/* data receiver state */
	void *io;		/* the I/O model's own state */
};

/*
 * Record the first failure of x (later ones are consequences) and how it
 * ended: the socket's outcome (reset, timeout, eof before the end...), or
 * OUTCOME_ERROR for a protocol error or a local failure.
 */
void xfer_fail(struct xfer *x, enum outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The exit status of a failure that ended as o, from the suite's table
 * (exitcode.h): refused 3, reset or broken-pipe 4, timeout 5; an outcome
 * that is no failure by itself (eof before the session's end) and any
 * other is a run-time failure, 1. Never 0.
 */
int failure_exit(enum outcome o);
void xfer_set_progress(struct xfer *x, uint64_t bytes, uint64_t msgs);
uint64_t xfer_bytes(const struct xfer *x);
uint64_t xfer_msgs(const struct xfer *x);
/* Whether x, a data sender, has sent all it should start to send. */
bool xfer_sent_all(const struct xfer *x, uint64_t sent);

enum io_model { IO_BLOCKING, IO_EPOLL };

/* "blocking", "epoll": --io's words and the JSON "io" field. */
const char *io_model_name(enum io_model m);
int io_model_parse(const char *name, enum io_model *m);

/* Options, parsed by main.c into its own copy and passed down as const. */
struct ttcp_config {
	bool receive;
	const char *host;	/* -t HOST */
	const char *port;
	const char *bind;	/* -B ADDR */
	enum addr_family family;
	uint32_t length;
	uint32_t number;
	bool nodelay;
	int bufsize;		/* -b; 0 = kernel default */
	int parallel;
	bool reverse;
	enum io_model io;
	int64_t interval_ms;	/* -i; 0 = none */
	bool json;
	bool verify;
	bool stream;
	bool once;		/* -1 */
	bool verbose;
	bool number_set;	/* -n given (--roundtrip: else until a signal) */
	int64_t time_ms;	/* --time; 0 = by -n */
	char unit;		/* -f k|m|g|K|M|G; 0 = MiB/s */
	bool json_stream;	/* --json-stream: a JSON line per interval */
	bool roundtrip;		/* --roundtrip: clock offset probes */
	bool tcp;		/* --roundtrip --tcp */
	bool ntp;		/* --roundtrip --ntp: the 4-stamp frame */
};

/* Interval reports: totals at the previous tick. */
struct ticker {
	uint64_t start_us;
	uint64_t last_us;
	uint64_t last_bytes;
	uint64_t last_msgs;
	bool enabled;		/* -i given */
	bool json;		/* --json: no interval lines on stdout */
	bool json_stream;	/* --json-stream: a JSON line per interval */
	char unit;		/* -f */
	json_t *intervals;	/* --json: the array that goes in the report */
};

void ticker_init(struct ticker *t, const struct ttcp_config *cfg,
    uint64_t start_us);
void ticker_tick(struct ticker *t, const char *prefix, struct xfer **xs,
    int n);
/* The same up to now_us (monotonic): the last, partial interval. */
void ticker_tick_at(struct ticker *t, const char *prefix, struct xfer **xs,
    int n, uint64_t now_us);

/*
 * "123.45 MiB/sec" for bytes over secs in -f's unit: k, m, g bits (10^3,
 * 10^6, 10^9) or K, M, G bytes (KiB, MiB, GiB) per second; MiB when 0.
 */
void rate_format(char unit, double bytes, double secs, char *buf,
    size_t len);
void ticker_free(struct ticker *t);

/*
 * Print the session's report: text lines on stdout, or one JSON object
 * with --json (with an "error" member on failure; the error also goes to
 * stderr). extra_error, which ended as extra_outcome, overrides the
 * connections' errors (a -P group that never completed); with
 * OUTCOME_INTERRUPTED it is a stop by signal, and the text lines with the
 * partial counts follow it. Returns 0 when every connection succeeded,
 * else failure_exit() of the error reported.
 */
int report_session(const struct ttcp_config *cfg, struct xfer **xs, int n,
    const struct session *s, struct ticker *t, const char *extra_error,
    enum outcome extra_outcome);

/* A receiver's totals when a signal ends it (text mode). */
void report_server_totals(uint64_t sessions, uint64_t bytes,
    uint64_t failed);

/* -v: "ttcp-r: listening on ADDR" for the listening socket lfd. */
void verbose_listening(const struct ttcp_config *cfg, int lfd);

/* -v: what a receiver learnt from a session header, on stderr. */
void verbose_session(const struct ttcp_config *cfg, const struct xfer *x,
    const struct session *s);

/*
 * A failure before any transfer started (connect, listen) that ended as
 * o. Returns failure_exit(o).
 */
int report_setup_error(const struct ttcp_config *cfg, const char *role,
    const char *msg, enum outcome o);

/* "ttcp-t" for the side that sends the data, "ttcp-r" for the other. */
const char *side_prefix(bool data_sender);

/* session.c: the set-up both I/O models share. */

/* The session a transmitter with these options asks for (group 0). */
void session_from_config(struct session *s, const struct ttcp_config *cfg);

/*
 * Whether s belongs to the -P group whose first header was first. Returns
 * 0, or -1 with errbuf saying how it differs.
 */
int session_same_group(const struct session *first, const struct session *s,
    char *errbuf);

/* A random group number for a transmitter's session; never fails. */
uint32_t random_group(void);

/*
 * x's roles once its session s is known: whether it sends the data,
 * whether it checks the pattern (-r --verify or the sender's flag), and
 * in ack mode an RTT histogram. Returns 0, or -1 when out of memory.
 */
int xfer_begin(struct xfer *x, const struct ttcp_config *cfg,
    const struct session *s, bool data_sender);

/*
 * Options applied to every connection: -D, keepalive and -b (x->snd and
 * x->rcv get the sizes in effect). Returns 0, or -1 with errbuf filled.
 */
int xfer_setup_socket(struct xfer *x, const struct ttcp_config *cfg,
    char *errbuf);

/*
 * Accept one connection from the non-blocking lfd (its peer formatted
 * into peer when not NULL). Returns the fd, or -1: nobody was waiting,
 * or accept failed and a warning said so.
 */
int accept_or_warn(int lfd, char *peer, size_t peerlen);

/*
 * Read the ending signal from main's stop descriptor fd into *signo.
 * Returns it, or 0 when none was pending.
 */
int take_signal(int fd, int *signo);

/* "interrupted by a signal": the error of a session a signal cut short. */
#define TTCP_INTERRUPTED	"interrupted by a signal"

/*
 * The two I/O models. sfd is main's stop_fd_open() descriptor: a signal
 * on it ends the run. Each returns the exit status: that of the first
 * failed session (failure_exit()), or STOP_EXIT(signal) when a signal
 * ended the run, idle or not.
 */
int run_transmit_blocking(const struct ttcp_config *cfg, int sfd);
int run_receive_blocking(const struct ttcp_config *cfg, int sfd);
int run_transmit_epoll(const struct ttcp_config *cfg, int sfd);
int run_receive_epoll(const struct ttcp_config *cfg, int sfd);

/* roundtrip.c: --roundtrip, same exit status rules. */
int run_roundtrip_client(const struct ttcp_config *cfg, int sfd);
int run_roundtrip_server(const struct ttcp_config *cfg, int sfd);

#endif
