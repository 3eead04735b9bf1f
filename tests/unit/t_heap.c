/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for heap.c: order by (key, seq), removal from anywhere, rekey. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include "test_main.h"

#include "heap.h"

#define N 64

/* Pop every node; the (key, seq) pairs must never go down. */
static size_t
drain(struct heap *h, struct heap_node **out)
{
	struct heap_node *n;
	size_t k = 0;

	while ((n = heap_top(h)) != NULL) {
		if (k > 0) {
			assert_true(out[k - 1]->key < n->key ||
			    (out[k - 1]->key == n->key &&
			    out[k - 1]->seq < n->seq));
		}
		heap_remove(h, n);
		assert_int_equal(n->idx, HEAP_NONE);
		out[k++] = n;
	}
	return k;
}

static void
test_order_and_ties(void **state)
{
	static const int64_t keys[] = { 5, 3, 9, 3, -2, 5, 0, 3 };
	static const uint64_t want[] = { 4, 6, 1, 3, 7, 0, 5, 2 };
	struct heap_node nodes[8], *out[8];
	struct heap h;
	size_t i;

	(void)state;
	heap_init(&h);
	assert_null(heap_top(&h));
	for (i = 0; i < 8; i++) {
		nodes[i].seq = i;
		nodes[i].idx = HEAP_NONE;
		assert_int_equal(heap_push(&h, &nodes[i], keys[i]), 0);
		assert_int_equal(nodes[i].key, keys[i]);
	}
	assert_int_equal(h.len, 8);
	assert_int_equal(drain(&h, out), 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(out[i]->seq, want[i]);
	heap_free(&h);
	assert_null(h.v);
	assert_int_equal(h.len, 0);
}

static void
test_remove_and_rekey(void **state)
{
	struct heap_node nodes[N], *out[N];
	struct heap h;
	size_t i, k;

	(void)state;
	heap_init(&h);
	/* keys in a scrambled order: 37 is prime to 64 */
	for (i = 0; i < N; i++) {
		nodes[i].seq = i;
		nodes[i].idx = HEAP_NONE;
		assert_int_equal(heap_push(&h, &nodes[i],
		    (int64_t)((i * 37) % N)), 0);
	}
	assert_int_equal(h.len, N);
	assert_int_equal(heap_top(&h)->key, 0);
	/* out of the middle, off the top, and a node in no heap */
	heap_remove(&h, &nodes[10]);
	heap_remove(&h, heap_top(&h));
	heap_remove(&h, &nodes[10]);
	assert_int_equal(h.len, N - 2);
	/* later, earlier, and a tie that the lower seq wins */
	heap_rekey(&h, &nodes[1], 1000);
	heap_rekey(&h, &nodes[63], -5);
	heap_rekey(&h, &nodes[2], -5);
	assert_ptr_equal(heap_top(&h), &nodes[2]);
	k = drain(&h, out);
	assert_int_equal(k, N - 2);
	assert_ptr_equal(out[0], &nodes[2]);
	assert_ptr_equal(out[1], &nodes[63]);
	assert_ptr_equal(out[k - 1], &nodes[1]);
	for (i = 0; i < k; i++) {
		assert_ptr_not_equal(out[i], &nodes[0]);	/* key 0 */
		assert_ptr_not_equal(out[i], &nodes[10]);
	}
	heap_free(&h);
}

TEST_MAIN(
	cmocka_unit_test(test_order_and_ties),
	cmocka_unit_test(test_remove_and_rekey),
)
