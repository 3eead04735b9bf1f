/* SPDX-License-Identifier: BSD-2-Clause */
/* The classifier's connection index: a 4-tuple hash and a deadline heap. */
#ifndef TEARDOWN_FLOW_INDEX_H
#define TEARDOWN_FLOW_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow_impl.h"
#include "heap.h"
#include "pktdecode.h"

/*
 * The open connections of a flow table, three ways: by 4-tuple (open
 * addressing, linear probing, either direction finds the same entry), in
 * creation order (a list, for flush), and by deadline (a binary heap,
 * ties broken by id so reports come out in a stable order). The index
 * holds struct flow pointers; flow.c allocates and frees them.
 */
struct flow_slot {
	uint64_t hash;
	struct flow *f;		/* NULL: empty */
};

struct flow_index {
	struct flow_slot *slots;	/* power of two, at most half full */
	size_t nslots;
	size_t count;

	struct flow *head, *tail;	/* open flows, in creation order */

	struct heap due;		/* of struct flow's due */
	int64_t top_key;		/* the first due's key, without touching it */
};

/* An empty index. Returns -1 on ENOMEM. */
int flow_index_init(struct flow_index *ix);

/* Frees the index's own memory, not the flows it still holds. */
void flow_index_free(struct flow_index *ix);

/* Lookups are inline: they run once per packet, in flow_table_add(). */
static inline uint64_t
flow_index_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* One endpoint folded to 64 bits: the address's halves and the port. */
static inline uint64_t
flow_index_endpoint_key(const uint8_t *a, uint16_t port)
{
	return (flow_index_load64(a) ^
	    (flow_index_load64(a + 8) * 0x9e3779b97f4a7c15ull)) +
	    ((uint64_t)port << 48 | port);
}

/* Direction-independent: the endpoints are combined symmetrically, then
 * mixed well (murmur3's finalizer): linear probing needs good low bits. */
static inline uint64_t
flow_index_hash(const struct pkt_tcp *p)
{
	uint64_t ka = flow_index_endpoint_key(p->saddr, p->sport);
	uint64_t kb = flow_index_endpoint_key(p->daddr, p->dport);
	uint64_t x = (ka + kb) ^ ((ka ^ kb) << 21 | (ka ^ kb) >> 43) ^
	    p->family;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline int
flow_index_match(const struct flow *f, const struct pkt_tcp *p, int *from)
{
	if (f->family != p->family)
		return 0;
	if (f->port[0] == p->sport && f->port[1] == p->dport &&
	    memcmp(f->addr[0], p->saddr, 16) == 0 &&
	    memcmp(f->addr[1], p->daddr, 16) == 0) {
		*from = 0;
		return 1;
	}
	if (f->port[1] == p->sport && f->port[0] == p->dport &&
	    memcmp(f->addr[1], p->saddr, 16) == 0 &&
	    memcmp(f->addr[0], p->daddr, 16) == 0) {
		*from = 1;
		return 1;
	}
	return 0;
}

/*
 * The open flow p belongs to, or NULL; *from is the side index p was sent
 * by (0: the flow's first sender) and *hash the 4-tuple's hash, for
 * flow_index_insert() when there is none.
 */
static inline struct flow *
flow_index_find(const struct flow_index *t, const struct pkt_tcp *p,
    uint64_t *hash, int *from)
{
	uint64_t h = flow_index_hash(p);
	size_t j, mask = t->nslots - 1;
	struct flow *f;

	*hash = h;
	for (j = h & mask; (f = t->slots[j].f) != NULL; j = (j + 1) & mask)
		if (t->slots[j].hash == h && flow_index_match(f, p, from))
			return f;
	return NULL;
}


/* Make room for one more flow. Returns -1 on ENOMEM. */
int flow_index_reserve(struct flow_index *ix);

/* Add f (f->hash set, room reserved) at the end of the creation order. */
void flow_index_insert(struct flow_index *ix, struct flow *f);

/* Take f out of the hash, the creation order and the heap. */
void flow_index_remove(struct flow_index *ix, struct flow *f);

/*
 * Make sure f is in the heap no later than deadline d (NO_TIME: nothing
 * to do). Keys may be early (idle deadlines move with every packet);
 * the table re-keys them with flow_index_defer_top(). Returns -1 on
 * ENOMEM.
 */
int flow_index_schedule(struct flow_index *ix, struct flow *f, int64_t d);

/* Take f out of the heap (a no-op when it is not in it). */
void flow_index_unschedule(struct flow_index *ix, struct flow *f);

/* The flow with the earliest deadline, or NULL when none has one. */
struct flow *flow_index_top(const struct flow_index *ix);

/* The heap's first flow moved on: give it a later key. */
void flow_index_defer_top(struct flow_index *ix, int64_t key);

#endif
