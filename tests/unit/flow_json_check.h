/* SPDX-License-Identifier: BSD-2-Clause */
/* For t_flow*: the two JSON writers of flow_out agree byte for byte. */
#ifndef T_FLOW_JSON_CHECK_H
#define T_FLOW_JSON_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "flow_out.h"

/* The fast JSON text is byte for byte what jansson dumps. */
static void
check_json_text(const struct flow_result *r)
{
	json_t *j = flow_result_json(r);
	char *want, text[2048], tiny[16];
	int n;

	assert_non_null(j);
	want = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
	assert_non_null(want);
	n = flow_result_json_text(r, text, sizeof(text));
	assert_string_equal(text, want);
	assert_int_equal(n, (int)strlen(want));
	/* a short buffer: truncated, terminated, the full length returned */
	assert_int_equal(flow_result_json_text(r, tiny, sizeof(tiny)), n);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_memory_equal(tiny, want, sizeof(tiny) - 1);
	free(want);
	json_decref(j);
}

#endif
