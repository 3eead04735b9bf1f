/* SPDX-License-Identifier: BSD-2-Clause */
/* Predicates over what the sides and the wire showed, for a case's check. */
#ifndef TCPFAULT_CHECK_H
#define TCPFAULT_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cases.h"
#include "flow.h"

/* What the capture showed of the case's connection. */
struct wire_view {
	bool have;		/* a capture was classified */
	json_t *json;		/* flow_result_json of the case's connection */
	const char *teardown;	/* "fin", "rst", ... */
	const char *closed_by;	/* "client", "server" or "" */
	/* Each side's counters, from the connection's flow_result. */
	struct flow_side_stats client, server;
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
/*
 * The two ways a reader's stream ends: all of it, then EOF (note, may be
 * NULL, says why that is expected); part of it, then a reset.
 */
void ck_reads_all_eof(struct check *ck, enum case_role reader,
    const char *note);
void ck_reads_part_reset(struct check *ck, enum case_role reader);
/* Side id's close() found want bytes unread (the fact close_unread). */
void ck_unread_at_close(struct check *ck, enum case_role id, int64_t want);
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

#endif
