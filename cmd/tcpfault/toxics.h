/* SPDX-License-Identifier: BSD-2-Clause */
/* The toxic catalogue: Toxiproxy's toxics and ours, their JSON and checks. */
#ifndef TCPFAULT_TOXICS_H
#define TCPFAULT_TOXICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Every type a toxic can have; the names are the API's "type". */
enum toxic_type {
	TOXIC_LATENCY,		/* Toxiproxy: latency, jitter (ms) */
	TOXIC_BANDWIDTH,	/* rate (KB/s, 0 = unlimited) */
	TOXIC_SLOW_CLOSE,	/* delay (ms) before the FIN is passed on */
	TOXIC_TIMEOUT,		/* timeout (ms, 0 = never): drop, then close */
	TOXIC_RESET_PEER,	/* timeout (ms) after data: RST */
	TOXIC_SLICER,		/* average_size, size_variation, delay (us) */
	TOXIC_LIMIT_DATA,	/* bytes, then close */
	TOXIC_VANISH,		/* ours: bytes, hold (ms): no ACK, no FIN */
	TOXIC_RST_AT,		/* bytes, then RST both ways */
	TOXIC_HALF_CLOSE,	/* bytes, then FIN to the receiver */
	TOXIC_CLOSE_UNREAD,	/* bytes, then close() with input unread */
	TOXIC_REFUSE,		/* the listener closes: ECONNREFUSED */
	TOXIC_IDLE_CLOSE,	/* --http: delay (ms) after the first
				   response, then FIN both ways */
	TOXIC_NTYPES
};

/* Directions: upstream is client to server, downstream the way back. */
enum toxic_stream {
	TOXIC_UPSTREAM = 0,
	TOXIC_DOWNSTREAM = 1,
	TOXIC_BOTH = 2		/* command line only: bytes count both ways */
};

#define TOXIC_NAME_LEN 128
#define TOXIC_MAX_ATTRS 3

struct toxic {
	uint64_t id;			/* unique in the process */
	char name[TOXIC_NAME_LEN];
	enum toxic_type type;
	enum toxic_stream stream;
	double toxicity;		/* 0..1: chance a connection gets it */
	int64_t attr[TOXIC_MAX_ATTRS];	/* in the catalogue's order */
};

/* "latency", ...; NULL for a bad value. */
const char *toxic_type_name(enum toxic_type t);
/* "upstream", "downstream" or "both". */
const char *toxic_stream_name(enum toxic_stream s);

/*
 * A new toxic from an API body ({"type", "name", "stream", "toxicity",
 * "attributes"}), with Toxiproxy's defaults (stream downstream, toxicity
 * 1, name TYPE_STREAM, attributes 0 unless ours say otherwise). Returns 0,
 * or -1 with errbuf naming the field (a 400).
 */
int toxic_from_json(json_t *body, struct toxic *t, char *errbuf);

/*
 * Apply an update body ("attributes" merged, "toxicity") to t. Returns 0,
 * or -1 with errbuf naming the field; t is unchanged then.
 */
int toxic_update_json(json_t *body, struct toxic *t, char *errbuf);

/* Toxiproxy's JSON for t (a new reference). */
json_t *toxic_to_json(const struct toxic *t);

/* An attribute by its name ("latency"); 0 when t's type has none so. */
int64_t toxic_attr(const struct toxic *t, const char *name);

/*
 * The command line's shorthand FAULT ("reset-after=4096", "delay=20")
 * as a toxic on stream both; hold_ms goes to a vanish. Returns 0, or -1
 * with errbuf set (unknown: "unknown fault").
 */
int toxic_from_fault(const char *fault, int hold_ms, struct toxic *t,
    char *errbuf);

/* The shorthand faults, one per line, for a usage message. */
void toxic_list_faults(FILE *fp);

#endif
