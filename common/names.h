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

#endif
