/* SPDX-License-Identifier: BSD-2-Clause */
/* One side of a case run, in its own process: what a case's script calls. */
#ifndef TCPFAULT_SIDE_H
#define TCPFAULT_SIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cases.h"
#include "outcome.h"
#include "player.h"
#include "vanish.h"

#define SIDE_WAIT_MS	10000		/* a side gives up waiting after */

/* What the runner hands a side it forks. */
struct side_env {
	enum case_role id;
	const struct fault_case *fc;
	const struct case_variant *var;
	enum vanish_method vanish;
	int ctl;		/* SOCK_SEQPACKET to the runner */
	int listen_fd;		/* the server's listener, else -1 */
	char host[64];
	char port[16];
	uint64_t epoch_us;	/* CLOCK_MONOTONIC microseconds */
};

/* Play env's role of its case, report to the runner, then exit. */
void side_main(struct side_env *env) __attribute__((noreturn));

/*
 * What a case's script calls. The socket actions are the player's
 * (player.h), recorded the same way and streamed to the runner as they
 * happen; one that cannot go on fails the side (side_fail), which ends
 * the case run as unexpected.
 */

bool side_is(const struct case_side *s, const char *variant);
int side_fd(const struct case_side *s);
/* The side's player: its sends and reads are player_send_once() etc. */
struct player *side_player(struct case_side *s);

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

/*
 * player_recv_to_end (player.h) with verify for PLAYER_VERIFY, the pattern
 * checked from offset 0; player_echo ignoring how it ended.
 */
uint64_t side_recv_to_end(struct case_side *s, uint64_t max, bool verify,
    enum outcome *end);
uint64_t side_echo(struct case_side *s);
/* side_recv_to_end to EOF or an error, then side_close_plain. */
void side_read_to_end_close(struct case_side *s, bool verify);

/* Poll TCP_INFO / queues until a condition holds, or fail the side. */
void side_wait_state(struct case_side *s, const char *state);
void side_wait_inq(struct case_side *s, int bytes);
void side_wait_outq_zero(struct case_side *s);
void side_wait_outq_stable(struct case_side *s);

/* close_drained too after a graceful close; exit: _exit(0), fd open. */
void side_close_plain(struct case_side *s);
void side_close_abort(struct case_side *s);
void side_close_graceful(struct case_side *s);
void side_shutdown_wr(struct case_side *s);
void side_exit_without_close(struct case_side *s) __attribute__((noreturn));
/* With the run's method; the fact vanish_real_us marks the moment. */
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

#endif
