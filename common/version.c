/* SPDX-License-Identifier: BSD-2-Clause */
/* The suite's version, generated at build time by cmake/version.cmake. */
#include "version.h"
#include "version_gen.h"

const char *
teardown_version(void)
{
	return TEARDOWN_VERSION;
}
