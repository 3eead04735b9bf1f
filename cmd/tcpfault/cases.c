/* SPDX-License-Identifier: BSD-2-Clause */
/* The catalogue of cases, in the order `list` and `run --all` use. */
#include <string.h>
#include <strings.h>

#include "cases.h"

const struct fault_case *const fault_cases[] = {
	&case_s1, &case_s2, &case_s3, &case_s4, &case_s5,
	&case_c1, &case_c2, &case_c3,
	&case_newbie, &case_selfconn, &case_nagle, &case_echo, &case_sockbuf,
	&case_shutrd,
	&case_keepalive,
	NULL
};

const struct fault_case *
case_find(const char *id)
{
	for (size_t i = 0; fault_cases[i] != NULL; i++)
		if (strcasecmp(fault_cases[i]->id, id) == 0)
			return fault_cases[i];
	return NULL;
}

const char *
role_name(enum case_role id)
{
	return id == ROLE_CLIENT ? "client" : "server";
}
