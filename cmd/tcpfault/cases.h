/* SPDX-License-Identifier: BSD-2-Clause */
/* The catalogue of cases: what each one plays, on which side, and checks. */
#ifndef TCPFAULT_CASES_H
#define TCPFAULT_CASES_H

#include <stddef.h>

/* The role a process plays in a case run; the index of per-role arrays. */
enum case_role { ROLE_CLIENT = 0, ROLE_SERVER = 1, ROLE_COUNT = 2 };

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

/* What a case plays: a script per side, the check, the runner's hook. */
struct case_play {
	side_script_fn *client;
	side_script_fn *server;
	case_check_fn *check;
	case_hook_fn *hook;	/* NULL: tokens are only relayed */
};

struct fault_case {
	const char *id;		/* "S1" ... "C3", or the extra's name */
	const char *title;	/* one line for `list` */
	const char *client_does;
	const char *server_does;
	const char *explain;	/* the rule behind it, several sentences */
	const char *avoid;	/* the code pattern that avoids the damage */
	const struct case_variant *variants;	/* ends with name NULL */
	const struct case_play *play;
	unsigned flags;
	int max_ms;		/* the run is stopped after this */
};

/* cases_server.c, cases_client.c, cases_extra.c */
extern const struct case_play play_s1, play_s2, play_s3, play_s4, play_s5;
extern const struct case_play play_c1, play_c2, play_c3;
extern const struct case_play play_newbie, play_selfconn, play_nagle,
    play_echo, play_sockbuf, play_shutrd;
/* cases_keepalive.c */
extern const struct case_play play_keepalive;

/* cases.c */
extern const struct fault_case case_s1, case_s2, case_s3, case_s4, case_s5;
extern const struct fault_case case_c1, case_c2, case_c3;
extern const struct fault_case case_newbie, case_selfconn, case_nagle,
    case_echo, case_sockbuf, case_shutrd, case_keepalive;

/* The catalogue, in the order `list` and `run --all` use; ends with NULL. */
extern const struct fault_case *const fault_cases[];
/* The case named id (any case), or NULL. */
const struct fault_case *case_find(const char *id);
/* "client" or "server". */
const char *role_name(enum case_role id);

/* Sizes the cases share. */
#define STREAM_BYTES	(512u * 1024)	/* "many messages" */
#define GREETING_BYTES	64u		/* what the client never reads */
#define REQUEST_BYTES	1024u
#define BIG_SNDBUF	(4 << 20)

/* self-connect: a private netns with a ten-port ephemeral range. */
#define SELFCONN_RANGE	"50000 50009"
#define SELFCONN_PORT	50004

#endif
