/* SPDX-License-Identifier: BSD-2-Clause */
/* check-server: every client misbehaviour against the user's server. */
#ifndef TCPFAULT_CHECKSERVER_H
#define TCPFAULT_CHECKSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Options of `tcpfault check-server`, filled by main(). */
struct checkserver_opts {
	char host[256], port[32];	/* the server under test */
	const char *junit;	/* write JUnit XML here; NULL: none */
	char *request;		/* what a well-behaved client sends */
	size_t request_len;
	bool http;		/* the request is HTTP: read replies as such */
	uint64_t cases;		/* bit per case (checkserver_parse_cases) */
	int wait_ms;		/* how long to watch the server release */
	int conns;		/* connections of the "many" case */
	bool json;
};

/* The case mask for a comma-separated list (NULL: all); -1 with errbuf. */
int checkserver_parse_cases(const char *list, uint64_t *mask, char *errbuf);
void checkserver_list(FILE *fp);

/*
 * Run each selected case against the server, then a well-behaved request
 * to see it still serves, and print the report. Returns the exit status:
 * 0, or 1 when a case leaked a connection or left the server dead (or
 * the server cannot be reached at all).
 */
int checkserver_run(const struct checkserver_opts *o);

#endif
