/* SPDX-License-Identifier: BSD-2-Clause */
/* The one binary min-heap of deadlines: intrusive nodes by (key, seq). */
#ifndef TEARDOWN_HEAP_H
#define TEARDOWN_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* idx of a node in no heap. */
#define HEAP_NONE SIZE_MAX

/*
 * Embedded in what is ordered (a timer, a flow); the heap holds pointers
 * to these and keeps each one's idx, so a node can leave from anywhere.
 * Equal keys come out lowest seq first.
 */
struct heap_node {
	int64_t key;
	uint64_t seq;
	size_t idx;		/* HEAP_NONE: not in the heap */
};

struct heap {
	struct heap_node **v;
	size_t len, cap;
};

/* An empty heap; frees nothing but its own array. */
void heap_init(struct heap *h);
void heap_free(struct heap *h);

/*
 * Add n (not in a heap) with this key. Returns -1 on ENOMEM, with the heap
 * and n unchanged.
 */
int heap_push(struct heap *h, struct heap_node *n, int64_t key);

/* Take n out of h; a no-op when n is in no heap. */
void heap_remove(struct heap *h, struct heap_node *n);

/* Give n, in h, a new key (earlier or later) and move it to its place. */
void heap_rekey(struct heap *h, struct heap_node *n, int64_t key);

/* The struct of type that embeds node n as member (n may be NULL). */
#define HEAP_ENTRY(n, type, member)					\
	((n) != NULL ? (type *)(void *)((char *)(n) -			\
	    offsetof(type, member)) : (type *)NULL)

/* The first node, or NULL when h is empty. */
static inline struct heap_node *
heap_top(const struct heap *h)
{
	return h->len > 0 ? h->v[0] : NULL;
}

#endif
