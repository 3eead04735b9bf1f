/* SPDX-License-Identifier: BSD-2-Clause */
/* The one binary min-heap of deadlines (evloop's timers, flow deadlines). */
#include <stdbool.h>
#include <stdlib.h>

#include "heap.h"

void
heap_init(struct heap *h)
{
	h->v = NULL;
	h->len = h->cap = 0;
}

void
heap_free(struct heap *h)
{
	free(h->v);
	heap_init(h);
}

static bool
before(const struct heap_node *a, const struct heap_node *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return a->seq < b->seq;
}

static void
place(struct heap *h, size_t i, struct heap_node *n)
{
	h->v[i] = n;
	n->idx = i;
}

/* Move n, at i, towards the top past every later parent. */
static void
sift_up(struct heap *h, size_t i)
{
	struct heap_node *n = h->v[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!before(n, h->v[p]))
			break;
		place(h, i, h->v[p]);
		i = p;
	}
	place(h, i, n);
}

/* Move n, at i, down past every earlier child. */
static void
sift_down(struct heap *h, size_t i)
{
	struct heap_node *n = h->v[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct heap_node *best = n;

		if (l < h->len && before(h->v[l], best)) {
			m = l;
			best = h->v[l];
		}
		if (l + 1 < h->len && before(h->v[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		place(h, i, h->v[m]);
		i = m;
	}
	place(h, i, n);
}

int
heap_push(struct heap *h, struct heap_node *n, int64_t key)
{
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct heap_node **v = realloc(h->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	n->key = key;
	place(h, h->len, n);
	sift_up(h, h->len++);
	return 0;
}

void
heap_remove(struct heap *h, struct heap_node *n)
{
	size_t i = n->idx;
	struct heap_node *last;

	if (i == HEAP_NONE)
		return;
	n->idx = HEAP_NONE;
	last = h->v[--h->len];
	if (last == n)
		return;
	place(h, i, last);
	sift_up(h, i);
	sift_down(h, last->idx);
}

void
heap_rekey(struct heap *h, struct heap_node *n, int64_t key)
{
	n->key = key;
	sift_up(h, n->idx);
	sift_down(h, n->idx);
}
