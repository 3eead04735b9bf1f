/* SPDX-License-Identifier: BSD-2-Clause */
/* The classifier's connection index: a 4-tuple hash and a deadline heap. */
#include <stdlib.h>
#include <string.h>

#include "flow_index.h"

int
flow_index_init(struct flow_index *t)
{
	memset(t, 0, sizeof(*t));
	t->nslots = 1024;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->top_key = NO_TIME;
	return t->slots == NULL ? -1 : 0;
}

void
flow_index_free(struct flow_index *t)
{
	free(t->slots);
	free(t->heap);
	t->slots = NULL;
	t->heap = NULL;
}

/* ------------------------------------------------------------------ */
/* the deadline heap: one entry per flow with a settle or idle deadline */

static bool
heap_less(const struct flow *a, const struct flow *b)
{
	if (a->heap_key != b->heap_key)
		return a->heap_key < b->heap_key;
	return a->id < b->id;
}

static void
heap_set(struct flow_index *t, size_t i, struct flow *f)
{
	t->heap[i] = f;
	f->heap_idx = i;
	if (i == 0)
		t->top_key = f->heap_key;
}

static void
heap_up(struct flow_index *t, size_t i)
{
	struct flow *f = t->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!heap_less(f, t->heap[p]))
			break;
		heap_set(t, i, t->heap[p]);
		i = p;
	}
	heap_set(t, i, f);
}

static void
heap_down(struct flow_index *t, size_t i)
{
	struct flow *f = t->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct flow *best = f;

		if (l < t->heap_len && heap_less(t->heap[l], best)) {
			m = l;
			best = t->heap[l];
		}
		if (l + 1 < t->heap_len && heap_less(t->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		heap_set(t, i, t->heap[m]);
		i = m;
	}
	heap_set(t, i, f);
}

void
flow_index_unschedule(struct flow_index *t, struct flow *f)
{
	size_t i = f->heap_idx;
	struct flow *last;

	if (i == SIZE_MAX)
		return;
	f->heap_idx = SIZE_MAX;
	last = t->heap[--t->heap_len];
	if (t->heap_len == 0)
		t->top_key = NO_TIME;
	if (last == f)
		return;
	heap_set(t, i, last);
	heap_up(t, i);
	heap_down(t, last->heap_idx);
}

int
flow_index_schedule(struct flow_index *t, struct flow *f, int64_t d)
{
	if (d == NO_TIME)
		return 0;
	if (f->heap_idx != SIZE_MAX) {
		if (f->heap_key <= d)
			return 0;
		f->heap_key = d;
		heap_up(t, f->heap_idx);
		return 0;
	}
	if (t->heap_len == t->heap_cap) {
		size_t cap = t->heap_cap ? t->heap_cap * 2 : 256;
		struct flow **h = realloc(t->heap, cap * sizeof(*h));

		if (h == NULL)
			return -1;
		t->heap = h;
		t->heap_cap = cap;
	}
	f->heap_key = d;
	heap_set(t, t->heap_len, f);
	t->heap_len++;
	heap_up(t, t->heap_len - 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the hash table (lookups: flow_index.h) */

/* Room for one more entry: the slots stay at most half full. */
int
flow_index_reserve(struct flow_index *t)
{
	size_t n = t->nslots * 2, i, mask = n - 1;
	struct flow_slot *ns;

	if (2 * (t->count + 1) <= t->nslots)
		return 0;
	ns = calloc(n, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (i = 0; i < t->nslots; i++) {
		size_t j;

		if (t->slots[i].f == NULL)
			continue;
		for (j = t->slots[i].hash & mask; ns[j].f != NULL;
		    j = (j + 1) & mask)
			;
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->nslots = n;
	return 0;
}

void
flow_index_insert(struct flow_index *t, struct flow *f)
{
	size_t mask = t->nslots - 1, j;

	for (j = f->hash & mask; t->slots[j].f != NULL; j = (j + 1) & mask)
		;
	t->slots[j].hash = f->hash;
	t->slots[j].f = f;
	f->heap_idx = SIZE_MAX;
	f->prev = t->tail;
	f->next = NULL;
	if (t->tail)
		t->tail->next = f;
	else
		t->head = f;
	t->tail = f;
	t->count++;
}

/* Remove f, shifting back the entries that probed past its slot. */
static void
table_remove(struct flow_index *t, struct flow *f)
{
	size_t mask = t->nslots - 1, i, j;

	for (i = f->hash & mask; t->slots[i].f != f; i = (i + 1) & mask)
		if (t->slots[i].f == NULL)
			return;
	for (j = (i + 1) & mask; t->slots[j].f != NULL; j = (j + 1) & mask) {
		size_t home = t->slots[j].hash & mask;

		/* can the entry at j move to i? only if i is on its path */
		if (i <= j ? (home <= i || home > j) :
		    (home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].f = NULL;
	t->slots[i].hash = 0;
}

void
flow_index_remove(struct flow_index *t, struct flow *f)
{
	table_remove(t, f);
	if (f->prev)
		f->prev->next = f->next;
	else
		t->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		t->tail = f->prev;
	t->count--;
	flow_index_unschedule(t, f);
}

void
flow_index_defer_top(struct flow_index *t, int64_t key)
{
	t->heap[0]->heap_key = key;
	heap_down(t, 0);
}
