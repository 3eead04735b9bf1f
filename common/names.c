/* SPDX-License-Identifier: BSD-2-Clause */
/* Look names up in an enum's table of stable names, in both directions. */
#include <string.h>

#include "names.h"

const char *
names_get(const char *const *names, size_t n, long i, const char *dflt)
{
	if (i < 0 || (size_t)i >= n || names[i] == NULL)
		return dflt;
	return names[i];
}

int
names_find(const char *const *names, size_t n, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	}
	return -1;
}
