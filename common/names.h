/* SPDX-License-Identifier: BSD-2-Clause */
/* Tables of stable names for enums: outcomes, close kinds, and the like. */
#ifndef TEARDOWN_NAMES_H
#define TEARDOWN_NAMES_H

#include <stddef.h>

/* names[i], or dflt when i is out of range or that slot is NULL. */
const char *names_get(const char *const *names, size_t n, long i,
    const char *dflt);

/* The index of name in names[0..n-1]; -1 when absent or name is NULL. */
int names_find(const char *const *names, size_t n, const char *name);

/*
 * Define the two accessors of an enum's table of names: NAME_FN(v) returns
 * table[v], or dflt for a value out of range; PARSE_FN(name, &v) stores the
 * value named (when v is not NULL) and returns 0, or -1 for an unknown name.
 */
#define NAMES_DEFINE(name_fn, parse_fn, type, table, count, dflt)	\
const char *								\
name_fn(type v)								\
{									\
	return names_get(table, count, v, dflt);			\
}									\
									\
int									\
parse_fn(const char *name, type *v)					\
{									\
	int i = names_find(table, count, name);				\
									\
	if (i < 0)							\
		return -1;						\
	if (v != NULL)							\
		*v = (type)i;						\
	return 0;							\
}

#endif
