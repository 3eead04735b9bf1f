/* SPDX-License-Identifier: BSD-2-Clause */
/* check-client: the user's client against every server misbehaviour. */
#ifndef TCPFAULT_CHECKCLIENT_H
#define TCPFAULT_CHECKCLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Options of `tcpfault check-client`, filled by main(). */
struct checkclient_opts {
	char **argv;		/* the client's command, NULL-terminated */
	const char *junit;	/* write JUnit XML here; NULL: none */
	const char *stdin_path;	/* the client's stdin; NULL: /dev/null */
	uint64_t cases;		/* bit per case (checkclient_parse_cases) */
	uint64_t bytes;		/* size of the response body */
	int timeout_ms;		/* the client is killed after this: hung */
	int delay_ms;		/* write-after-close answers after this */
	int slow_ms;		/* slow spreads its response over this */
	bool http;		/* answer HTTP/1.1 heads */
	bool json;
	bool no_capture;
};

/*
 * The case mask for a comma-separated list of case names (NULL: all).
 * Returns -1 with errbuf naming the unknown case.
 */
int checkclient_parse_cases(const char *list, uint64_t *mask, char *errbuf);
/* The cases, one line each ("  NAME  what"), for -h and usage errors. */
void checkclient_list(FILE *fp);

/*
 * Run the client once per selected case and print the report. Returns
 * the exit status: 0 when every case was noticed or harmless, 1 when one
 * was silent or hung, or when the command cannot be run.
 */
int checkclient_run(const struct checkclient_opts *o);

#endif
