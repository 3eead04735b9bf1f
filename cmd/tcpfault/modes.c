/* SPDX-License-Identifier: BSD-2-Clause */
/* What the client, server and proxy modes share: Ctrl-C, options, report. */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "clock.h"
#include "errbuf.h"
#include "modes.h"
#include "numparse.h"
#include "sock.h"
#include "stop.h"
#include "timeline.h"

void
mode_catch_stop(void)
{
	char errbuf[ERRBUF_LEN];

	/*
	 * stop_catch sets no SA_RESTART: a blocking recv or accept returns
	 * EINTR so the loops see the stop, instead of the kernel restarting
	 * the call and Ctrl-C waiting for the peer.
	 */
	if (stop_catch(NULL, errbuf) == -1)
		errx(1, "%s", errbuf);
}

void
mode_sleep_until(int64_t until_ms)
{
	while (stop_requested() == 0 && clock_mono_ms() < until_ms)
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
}

int
mode_opt_ms(const char *arg, const char *name)
{
	char errbuf[ERRBUF_LEN];
	int64_t ms;

	if (num_parse_secs_ms(arg, 86400000, name, &ms, errbuf) == -1)
		errx(2, "%s", errbuf);
	return (int)ms;
}

int
mode_opt_count(const char *arg)
{
	char errbuf[ERRBUF_LEN];
	int64_t n;

	if (num_parse_i64(arg, 1, 1000000, "--count", &n, errbuf) == -1)
		errx(2, "%s", errbuf);
	return (int)n;
}

void
mode_listen_split(const char *arg, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	char errbuf[ERRBUF_LEN];

	if (strchr(arg, ':') == NULL) {
		snprintf(host, hostlen, "127.0.0.1");
		snprintf(port, portlen, "%s", arg);
	} else if (addr_split(arg, host, hostlen, port, portlen,
	    errbuf) == -1) {
		errx(2, "--listen: %s", errbuf);
	}
}

int
mode_report(json_t *head, struct timeline *tl, json_t *facts,
    const char *error, bool json)
{
	json_t *events;

	if (!json) {
		json_decref(head);
		timeline_print(tl, stdout);
		if (json_object_size(facts) > 0) {
			char *t = json_dumps(facts, JSON_COMPACT |
			    JSON_SORT_KEYS);

			printf("facts: %s\n", t != NULL ? t : "");
			free(t);
		}
		fflush(stdout);
		return 0;
	}
	events = timeline_to_json(tl);
	if (head == NULL || events == NULL) {
		json_decref(head);
		json_decref(events);
		return -1;
	}
	json_object_set_new(head, "timeline", events);
	json_object_set(head, "facts", facts);
	if (error != NULL)
		json_object_set_new(head, "error", json_string(error));
	return jsonl_write(stdout, head);
}
