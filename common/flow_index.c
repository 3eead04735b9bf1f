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
	heap_free(&t->due);
	t->slots = NULL;
}

/* ------------------------------------------------------------------ */
/* the deadline heap: one entry per flow with a settle or idle deadline */

static void
top_changed(struct flow_index *t)
{
	struct heap_node *n = heap_top(&t->due);

	t->top_key = n != NULL ? n->key : NO_TIME;
}

struct flow *
flow_index_top(const struct flow_index *t)
{
	return HEAP_ENTRY(heap_top(&t->due), struct flow, due);
}

void
flow_index_unschedule(struct flow_index *t, struct flow *f)
{
	if (f->due.idx == HEAP_NONE)
		return;
	heap_remove(&t->due, &f->due);
	top_changed(t);
}

int
flow_index_schedule(struct flow_index *t, struct flow *f, int64_t d)
{
	if (d == NO_TIME)
		return 0;
	if (f->due.idx != HEAP_NONE) {
		if (f->due.key <= d)
			return 0;
		heap_rekey(&t->due, &f->due, d);
	} else if (heap_push(&t->due, &f->due, d) == -1) {
		return -1;
	}
	top_changed(t);
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
	f->due.idx = HEAP_NONE;
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
	heap_rekey(&t->due, heap_top(&t->due), key);
	top_changed(t);
}
