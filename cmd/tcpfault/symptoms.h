/* SPDX-License-Identifier: BSD-2-Clause */
/* What `explain SYMPTOM` knows: errno, signal and message -> the cases. */
#ifndef TCPFAULT_SYMPTOMS_H
#define TCPFAULT_SYMPTOMS_H

#include <stdio.h>

struct symptom {
	const char *name;	/* "ECONNRESET", "curl 52", ... */
	const char *aliases;	/* '|'-separated, matched case-blind */
	const char *cause;	/* the one-line cause */
	const char *cases;	/* "C3 S3/unread ...": run's case names */
	const char *check;	/* check-client/-server cases, or NULL */
};

/*
 * The symptom text names: an errno or signal name, an outcome, a
 * message ("Connection reset by peer", a whole curl error line) or a curl
 * exit code ("52", "curl 52", "(52)"). NULL when none does.
 */
const struct symptom *symptom_find(const char *text);
/* The symptoms' names, one line, for an unknown one. */
void symptom_list(FILE *fp);

#endif
