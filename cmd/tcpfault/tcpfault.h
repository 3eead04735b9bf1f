/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpfault internals: cases, the sides that play them, the runner, checks. */
#ifndef TCPFAULT_H
#define TCPFAULT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "outcome.h"
#include "stop.h"
#include "vanish.h"

/* Index of a side in every per-side array. */
enum case_role { ROLE_CLIENT = 0, ROLE_SERVER = 1, ROLE_COUNT = 2 };

/* Options of `tcpfault run`, shared read-only with every runner. */
struct run_opts {
	const char *pcap_dir;	/* write DIR/<case>-<variant>.pcap */
	bool json;
	bool no_capture;
	bool verbose;
	int repeat;
	enum vanish_method vanish;	/* resolved once by main() */
	char vanish_why[256];		/* why VANISH_NONE */
};

struct case_side;
struct check;
struct run;

struct case_variant {
	const char *name;	/* "unread", "keepalive"; "-" when only one */
	const char *what;	/* one line: what this variant changes */
	const char *expect;	/* what Linux does (the `expected` text) */
};

/* Case properties (flags). */
#define CASE_VANISH	0x01	/* uses a vanish method */
#define CASE_NETNS	0x02	/* always runs in a private netns (root) */
#define CASE_NO_LISTEN	0x04	/* no listener: the client plays alone */

typedef void side_script_fn(struct case_side *s);
typedef void case_check_fn(struct check *ck);
/* The runner got token from side `from`; may act (kill, inspect). */
typedef void case_hook_fn(struct run *r, enum case_role from,
    const char *token);

struct fault_case {
	const char *id;		/* "S1" ... "C3", or the extra's name */
	const char *title;	/* one line for `list` */
	const char *client_does;
	const char *server_does;
	const char *explain;	/* the rule behind it, several sentences */
	const char *avoid;	/* the code pattern that avoids the damage */
	const struct case_variant *variants;	/* ends with name NULL */
	side_script_fn *client;
	side_script_fn *server;
	case_check_fn *check;
	case_hook_fn *hook;	/* NULL: tokens are only relayed */
	unsigned flags;
	int max_ms;		/* the run is stopped after this */
};

/* cases_server.c, cases_client.c, cases_extra.c */
extern const struct fault_case case_s1, case_s2, case_s3, case_s4, case_s5;
extern const struct fault_case case_c1, case_c2, case_c3;
extern const struct fault_case case_newbie, case_selfconn, case_nagle,
    case_echo, case_sockbuf, case_shutrd;

/* cases.c */
extern const struct fault_case *const fault_cases[];
const struct fault_case *case_find(const char *id);
size_t case_variant_count(const struct fault_case *fc);

/* Sizes the cases share. */
#define STREAM_BYTES	(512u * 1024)	/* "many messages" */
#define GREETING_BYTES	64u		/* what the client never reads */
#define REQUEST_BYTES	1024u
#define BIG_SNDBUF	(4 << 20)
#define SIDE_WAIT_MS	10000		/* a side gives up waiting after */

/* self-connect: a private netns with a ten-port ephemeral range. */
#define SELFCONN_RANGE	"50000 50009"
#define SELFCONN_PORT	50004

/* Keepalive and user timeout used by S1 (run --all stays short). */
#define S1_IDLE_WAIT_MS	2000
#define S1_KA_IDLE	1
#define S1_KA_INTVL	1
#define S1_KA_CNT	2
#define S1_USER_TIMEOUT	4000

/* side.c: helpers a side script calls (in its own process). */
struct side_env {
	enum case_role id;
	const struct fault_case *fc;
	const struct case_variant *var;
	const struct run_opts *opts;
	enum vanish_method vanish;
	int ctl;		/* SOCK_SEQPACKET to the runner */
	int listen_fd;		/* the server's listener, else -1 */
	char host[64];
	char port[16];
	uint64_t epoch_us;	/* CLOCK_MONOTONIC microseconds */
};

const char *role_name(enum case_role id);
void side_main(struct side_env *env) __attribute__((noreturn));

bool side_is(const struct case_side *s, const char *variant);
int side_fd(const struct case_side *s);

void side_event(struct case_side *s, const char *op, int64_t bytes,
    enum outcome o, int err);
/* side_event for a call that returned rc: 0 is ok, else errno says why. */
void side_event_rc(struct case_side *s, const char *op, int64_t bytes, int rc);
void side_fact_int(struct case_side *s, const char *key, int64_t v);
void side_fact_str(struct case_side *s, const char *key, const char *v);
void side_signal(struct case_side *s, const char *token);
/*
 * Now on CLOCK_REALTIME, the clock the capture stamps packets with, as fact
 * key: the moment the wire is judged from (a vanish, a shutdown).
 */
void side_mark_time(struct case_side *s, const char *key);
void side_wait(struct case_side *s, const char *token);
void side_fail(struct case_side *s, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
void side_errx(struct case_side *s, const char *what)
    __attribute__((noreturn));

/* Connect to the run's listener / accept from it; records, passes the fd. */
void side_connect(struct case_side *s);
void side_accept(struct case_side *s);
void side_connect_rcvbuf(struct case_side *s, int rcvbuf);
void side_adopt_fd(struct case_side *s, int fd);

/* Sends of the pattern stream, recorded as one event each. */
int64_t side_send(struct case_side *s, size_t len, int flags);
/* Send total bytes, blocking, as one aggregated event; returns sent. */
uint64_t side_send_stream(struct case_side *s, uint64_t total);
/* Non-blocking sends until the socket takes no more or total is sent. */
uint64_t side_send_until_full(struct case_side *s, uint64_t total);
/*
 * Read until EOF or an error (or max bytes, 0 = no limit): one "recv"
 * event with the bytes, then one with the terminal outcome. verify checks
 * the pattern from offset 0.
 */
uint64_t side_recv_to_end(struct case_side *s, uint64_t max, bool verify,
    enum outcome *end);
/* Read exactly len bytes (e.g. a request), one event. */
uint64_t side_recv_exact(struct case_side *s, size_t len);
/* One recv() call with a deadline, recorded (our deadline: timeout, 0). */
ssize_t side_recv_once(struct case_side *s, size_t len, int timeout_ms,
    enum outcome *o);

/* Blocking echo until EOF or an error; returns the bytes echoed. */
uint64_t side_echo(struct case_side *s);

/* Poll TCP_INFO / queues until a condition holds, or fail the side. */
void side_wait_state(struct case_side *s, const char *state);
void side_wait_inq(struct case_side *s, int bytes);
void side_wait_outq_zero(struct case_side *s);
void side_wait_outq_stable(struct case_side *s);

void side_close_plain(struct case_side *s);
void side_close_abort(struct case_side *s);
void side_close_graceful(struct case_side *s);
void side_shutdown_wr(struct case_side *s);
void side_exit_without_close(struct case_side *s) __attribute__((noreturn));
void side_vanish(struct case_side *s);
/*
 * The peer closes (token "closed"): once its FIN is here send len bytes
 * (accepted, answered by RST), once the RST is here send again (EPIPE),
 * then read to the end and close. C1's client and S5's server.
 */
void side_send_after_peer_close(struct case_side *s, size_t len, bool verify);

void side_setsockopt_int(struct case_side *s, int level, int name, int v,
    const char *what);
void side_keepalive(struct case_side *s, int idle, int intvl, int cnt);
void side_user_timeout(struct case_side *s, unsigned ms);
void side_bufsizes(struct case_side *s, int snd, int rcv);

/* run.c: the runner (one process per case run). */
json_t *run_one(const struct fault_case *fc, const struct case_variant *var,
    const struct run_opts *opts, int iter);
pid_t run_child_pid(const struct run *r, enum case_role id);
int run_child_fd(const struct run *r, enum case_role id);
void run_event(struct run *r, enum case_role id, const char *op,
    int64_t bytes, enum outcome o, int err);
void run_fact_int(struct run *r, enum case_role id, const char *key,
    int64_t v);
void run_send(struct run *r, enum case_role to, const char *token);
void run_kill(struct run *r, enum case_role id);
/* Kill side id once it sleeps inside a system call (blocked in send). */
void run_kill_when_blocked(struct run *r, enum case_role id);
/*
 * Watch both sides' queues until none of them moves (a deadlock), record
 * them as facts, then kill both sides.
 */
void run_watch_deadlock(struct run *r);

/* check.c: predicates over what the sides and the wire showed. */
struct wire_view {
	bool have;		/* a capture was classified */
	json_t *json;		/* flow_result_json of the case's connection */
	const char *teardown;	/* "fin", "rst", ... */
	const char *closed_by;	/* "client", "server" or "" */
	uint64_t client_unacked, server_unacked;
	uint32_t client_fins, server_fins, client_rsts, server_rsts;
	uint32_t client_keepalives, server_keepalives;
	uint32_t server_retransmits, client_retransmits;
	int connections;	/* connections classified in the capture */
	int refused;		/* of them, class "refused" */
	/* Segments after a mark (vanish, shut-rd) from each side. */
	int64_t mark_real_us;	/* -1: none */
	uint32_t client_after_mark, server_after_mark;
	uint32_t server_rsts_after_mark;
	/* Server segments after the mark, before the client's next data. */
	uint32_t server_before_client_data;
	/* Order of the first FIN/RST of each side (capture time, -1). */
	int64_t client_fin_ts, server_fin_ts, client_rst_ts, server_rst_ts;
};

struct check {
	const struct fault_case *fc;
	const struct case_variant *var;
	json_t *tl[ROLE_COUNT];		/* event arrays */
	json_t *facts[ROLE_COUNT];	/* objects */
	const struct wire_view *wire;
	json_t *diffs;			/* strings: what differed */
};

void ck_expect(struct check *ck, bool cond, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool ck_variant(const struct check *ck, const char *name);
/* Sum of bytes of op events with outcome (NULL: any). */
int64_t ck_sum(const struct check *ck, enum case_role id, const char *op,
    const char *outcome);
/* The n-th (0-based; -1 = last) event with op, or NULL. */
json_t *ck_event(const struct check *ck, enum case_role id, const char *op,
    int n);
int ck_count(const struct check *ck, enum case_role id, const char *op,
    const char *outcome);
const char *ck_outcome(json_t *ev);
int64_t ck_bytes(json_t *ev);
int64_t ck_t(json_t *ev);
int ck_errno(json_t *ev);
int64_t ck_fact_int(const struct check *ck, enum case_role id,
    const char *key, int64_t dflt);
const char *ck_fact_str(const struct check *ck, enum case_role id,
    const char *key);

/* Predicates more than one case states. */
/* Side id's reads ended with want ("eof", "reset"); note says why. */
void ck_reads_end(struct check *ck, enum case_role id, const char *want,
    const char *note);
/* Every byte side id read (side_recv_to_end with verify) is the pattern. */
void ck_pattern_intact(struct check *ck, enum case_role id);
/* Reader read everything / some but not all of what its peer's sends took. */
void ck_read_all(struct check *ck, enum case_role reader);
void ck_read_part(struct check *ck, enum case_role reader);
/* After the peer's close: len bytes accepted once, then broken-pipe. */
void ck_send_after_close(struct check *ck, enum case_role id, int64_t len);

/* Wire predicates, skipped (not failed) when there is no capture. */
void ck_wire(struct check *ck, const char *teardown, const char *closed_by);
bool ck_have_wire(const struct check *ck);
/* Teardown fin by `by`, and every byte it sent was acknowledged. */
void ck_wire_fin_acked(struct check *ck, enum case_role by);
/* Teardown rst by `by`, which sent no FIN at all: an abort. */
void ck_wire_rst_only(struct check *ck, enum case_role by);
/* Teardown fin-rst by `by`: its kernel's RST came after its FIN. */
void ck_wire_rst_after_fin(struct check *ck, enum case_role by);

/* output.c */
void out_table_header(void);
void out_table_row(json_t *res);
void out_timelines(json_t *res);
char *summarize_timeline(json_t *tl);

/* peer.c: one side against the user's program. */
int peer_client_main(int argc, char **argv);
int peer_server_main(int argc, char **argv);
int proxy_main(int argc, char **argv);

/* modes.c: what the client, server and proxy modes share. */
struct timeline;
/*
 * Catch SIGINT and SIGTERM (common/stop); mode_stop is true once one came.
 * Exits 1 when the handlers cannot be set.
 */
void mode_catch_stop(void);
#define mode_stop (stop_requested() != 0)
/* Sleep until until_ms (clock_mono_ms's clock) or a stop signal. */
void mode_sleep_until(int64_t until_ms);
/* --hold/--wait SECS (up to a day) and --count N; exit 2 when bad. */
int mode_opt_ms(const char *arg, const char *name);
int mode_opt_count(const char *arg);
/* --listen [HOST:]PORT, HOST 127.0.0.1 when left out; exit 2 when bad. */
void mode_listen_split(const char *arg, char *host, size_t hostlen,
    char *port, size_t portlen);
/*
 * The mode's report on stdout: with json, head (its own members; taken)
 * plus "timeline", "facts" and "error" when not NULL as one JSON line;
 * else the timeline, then a "facts:" line when there are facts. -1 when
 * the JSON line could not be written.
 */
int mode_report(json_t *head, struct timeline *tl, json_t *facts,
    const char *error, bool json);

#endif
