/* SPDX-License-Identifier: BSD-2-Clause */
/* The suite's version, as every tool's --version prints it. */
#ifndef TEARDOWN_VERSION_H
#define TEARDOWN_VERSION_H

/*
 * The CMake project version, followed by "(git DESCRIBE)" when the build
 * came from a git checkout: "0.1.0 (git f4d6c46-dirty)". Never NULL.
 */
const char *teardown_version(void);

#endif
