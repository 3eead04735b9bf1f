/* SPDX-License-Identifier: BSD-2-Clause */
/* The teardown classifier: how each TCP connection in a packet stream ended. */
#ifndef TEARDOWN_FLOW_H
#define TEARDOWN_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pktdecode.h"

/*
 * Feed decoded segments in capture-time order to a flow_table; it keys them
 * by 4-tuple, tracks both directions' sequence space, and calls the report
 * function once per connection when its teardown is settled (a capture-time
 * grace after the last FIN/RST exchange), when it has been idle longer than
 * the idle limit, or at flow_table_flush(). A reported connection is freed:
 * memory is bounded by the connections open at once.
 */
struct flow_table;

/* Teardown classes; flow_class_name() gives the stable names. */
enum flow_class {
	FLOW_FIN = 0,		/* "fin": FIN both ways, no RST */
	FLOW_FIN_RST,		/* "fin-rst": a FIN, then an RST */
	FLOW_RST,		/* "rst": aborted by RST without any FIN */
	FLOW_REFUSED,		/* "refused": SYN answered by RST */
	FLOW_NO_ANSWER,		/* "no-answer": SYN never answered */
	FLOW_VANISHED,		/* "vanished": one side stopped answering */
	FLOW_OPEN,		/* "open": still open, no sign of a dead peer */
	FLOW_CLASS_COUNT
};

/*
 * A side of a connection: orig sent the first SYN (or first packet). A
 * self-connection (one socket connected to itself: the same address and
 * port at both ends) has one side: everything is orig's, resp is empty.
 */
enum flow_side {
	FLOW_SIDE_NONE = 0,	/* "" / JSON null */
	FLOW_SIDE_ORIG,		/* "orig" */
	FLOW_SIDE_RESP		/* "resp" */
};

/* Zeek's conn_state values (base/protocols/conn/main.zeek). */
enum flow_state {
	FLOW_S0 = 0, FLOW_S1, FLOW_SF, FLOW_REJ, FLOW_S2, FLOW_S3, FLOW_RSTO,
	FLOW_RSTR, FLOW_RSTOS0, FLOW_RSTRH, FLOW_SH, FLOW_SHR, FLOW_OTH,
	FLOW_STATE_COUNT
};

/*
 * Notes: where data was at risk, or why the class is what it is. A bit in
 * flow_result.notes; the counts live in the per-side stats. Names are
 * stable (flow_note_name()); add new bits at the end.
 */
enum flow_note {
	FLOW_NOTE_ORIG_UNACKED = 1u << 0,   /* "orig-unacked" */
	FLOW_NOTE_RESP_UNACKED = 1u << 1,   /* "resp-unacked" */
	FLOW_NOTE_RST_AFTER_FIN = 1u << 2,  /* "rst-after-fin" */
	FLOW_NOTE_DATA_AFTER_FIN = 1u << 3, /* "data-after-fin": peer's FIN */
	FLOW_NOTE_RST_ANSWERS_DATA = 1u << 4, /* "rst-answers-data" */
	FLOW_NOTE_FIN_RETRANSMITTED = 1u << 5, /* "fin-retransmitted" */
	FLOW_NOTE_RETRANSMITTED = 1u << 6,  /* "retransmitted": data again */
	FLOW_NOTE_KEEPALIVE = 1u << 7,      /* "keepalive": probes seen */
	FLOW_NOTE_ZERO_WINDOW = 1u << 8,    /* "zero-window" advertised */
	FLOW_NOTE_WAITED = 1u << 9,         /* "waited": tries unanswered */
	FLOW_NOTE_GAP = 1u << 10,           /* "gap": capture missed bytes */
	FLOW_NOTE_SYN_RETRANSMITTED = 1u << 11, /* "syn-retransmitted" */
	FLOW_NOTE_DATA_AFTER_RST = 1u << 12, /* "data-after-rst" */
	FLOW_NOTE_DATA_BEYOND_FIN = 1u << 13, /* "data-beyond-fin": own FIN */
	FLOW_NOTE_IDLE_EVICTED = 1u << 14,  /* "idle-evicted": idle limit hit */
	FLOW_NOTE_SELF_CONNECT = 1u << 15,  /* "self-connect": one socket */
	FLOW_NOTE_RST_AFTER_CLOSE = 1u << 16, /* "rst-after-close": stray */
	FLOW_NOTE_COUNT = 17
};

/* What one side did, as seen on the wire. */
struct flow_side_stats {
	uint64_t packets;
	uint64_t bytes;		/* payload in sequence space, once each */
	uint64_t wire_bytes;	/* payload in every segment, retransmits too */
	uint64_t ip_bytes;	/* IP length of every packet (Zeek's ip_bytes) */
	uint64_t missed;	/* acknowledged, never captured (missed_bytes) */
	uint64_t unacked;	/* sent, never acknowledged by the other side */
	uint64_t after_fin_bytes; /* sent after the other side's FIN */
	uint32_t retransmits;	/* data segments sent again */
	uint32_t keepalives;	/* keepalive probes (seq = snd_nxt - 1) */
	uint32_t zero_windows;	/* segments advertising a zero window */
	uint32_t fins;		/* FIN segments, retransmissions included */
	uint32_t rsts;
	int64_t fin_ts_us;	/* first FIN, -1 when none */
	int64_t rst_ts_us;	/* first RST, -1 when none */
};

/* One step of the ladder: a packet kept for the sequence diagram. */
struct flow_step {
	int64_t ts_us;
	uint32_t seq, ack;	/* relative to each side's ISN when known */
	uint32_t len;
	uint16_t window;
	uint8_t flags;		/* PKT_* */
	uint8_t from;		/* enum flow_side */
	uint8_t mark;		/* FLOW_STEP_* */
	int8_t wscale;		/* window scale option on a SYN, else -1 */
};

#define FLOW_STEP_RETRANSMIT	0x01
#define FLOW_STEP_KEEPALIVE	0x02
#define FLOW_STEP_ZERO_WINDOW	0x04

/* The ladder's first steps are the handshake; the last packets follow. */
#define FLOW_LADDER_HEAD 4

#define FLOW_HISTORY_MAX 64

/*
 * A tunnel a connection came through (Zeek's tunnel_parents): the
 * innermost encapsulation around its packets, as first seen. uid is
 * stable for the same tunnel in any capture: "C" and 11 base62 digits of
 * a hash of the kind, the outer endpoints in either order, and the key.
 */
struct flow_tunnel {
	char uid[13];
	struct pkt_tunnel t;
};

#define FLOW_TUNNELS_MAX 2

/* The distinct tunnels of a connection, in order of first packet. */
struct flow_tunnels {
	uint8_t n;		/* 0: not tunnelled */
	bool more;		/* further tunnels seen, not kept */
	struct flow_tunnel t[FLOW_TUNNELS_MAX];
};

/* One connection, as the report callback sees it (valid during the call). */
struct flow_result {
	uint64_t id;		/* 1, 2, ... in order of first packet */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t orig_addr[16], resp_addr[16];	/* network order */
	uint16_t orig_port, resp_port;
	int64_t ts_us;		/* first packet */
	int64_t last_ts_us;	/* last packet; duration = last - first */
	enum flow_class teardown;
	enum flow_side closed_by;	/* first FIN/RST; vanished: gave up */
	enum flow_side half_close;	/* kept sending after the other's FIN */
	enum flow_state conn_state;
	char history[FLOW_HISTORY_MAX];	/* Zeek letters, NUL-terminated */
	bool partial;		/* capture began mid-connection */
	uint32_t notes;		/* FLOW_NOTE_* bits */
	struct flow_side_stats orig, resp;
	enum flow_side waiter;	/* side that retried unanswered, or none */
	int64_t wait_us;	/* from its first unanswered try to its last */
	uint32_t wait_tries;	/* unanswered retransmissions and probes */
	const struct flow_step *steps;	/* handshake, then the last packets */
	size_t nsteps;
	uint64_t steps_skipped;	/* packets between the two parts, not kept */
	struct flow_tunnels tunnel_parents;
};

/* Counters over every reported connection. */
struct flow_summary {
	uint64_t connections;
	uint64_t by_class[FLOW_CLASS_COUNT];
	uint64_t by_state[FLOW_STATE_COUNT];
	uint64_t partial;
	uint64_t half_close;
	uint64_t with_note[FLOW_NOTE_COUNT];
	uint64_t closed_by_orig, closed_by_resp;
	uint64_t segments;	/* TCP segments fed */
	uint64_t max_open;	/* most connections tracked at once */
};

struct flow_config {
	int64_t grace_us;	/* settle delay after teardown; <0: 5 s */
	int64_t idle_us;	/* report idle flows after this; 0: never */
	unsigned int ladder;	/* last packets kept per flow; 0: none */
};

typedef void (*flow_report_fn)(const struct flow_result *r, void *arg);

/*
 * A new table; cfg NULL means the defaults. report is called from
 * flow_table_add(), flow_table_advance() and flow_table_flush(). Returns
 * NULL on ENOMEM.
 */
struct flow_table *flow_table_new(const struct flow_config *cfg,
    flow_report_fn report, void *arg);

/*
 * Feed one segment (decoded with PKT_TCP). Timestamps should not go back;
 * one that does is treated as the latest time seen. Returns -1 on ENOMEM
 * (the segment is then counted but not tracked).
 */
int flow_table_add(struct flow_table *t, const struct pkt_tcp *seg);

/* Capture time moved to now_us without packets (live capture): settle. */
void flow_table_advance(struct flow_table *t, int64_t now_us);

/*
 * End of capture: report every connection still tracked. The table can
 * then be fed another capture, whose clock may start earlier.
 */
void flow_table_flush(struct flow_table *t);

/* Connections tracked right now. */
size_t flow_table_open(const struct flow_table *t);

const struct flow_summary *flow_table_summary(const struct flow_table *t);

void flow_table_free(struct flow_table *t);

/*
 * Stable names (flow_names.c), and their parsers (-1 when the name is
 * unknown).
 */
const char *flow_class_name(enum flow_class c);
int flow_class_parse(const char *name, enum flow_class *c);
const char *flow_side_name(enum flow_side s);
const char *flow_state_name(enum flow_state s);
int flow_state_parse(const char *name, enum flow_state *s);
const char *flow_note_name(enum flow_note bit);
int flow_note_parse(const char *name, enum flow_note *bit);

#endif
