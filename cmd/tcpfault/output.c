/* SPDX-License-Identifier: BSD-2-Clause */
/* The human table of `tcpfault run`: one block per case run. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "term.h"
#include "timeline.h"

/*
 * "accept, recv 196608, recv reset, close": each event as op, bytes when
 * they matter, and the outcome when it is not ok. Set-up noise (socket
 * options) is left out; -v prints the full timelines.
 */
static char *
summarize_timeline(json_t *tl)
{
	static const char *const quiet[] = { "keepalive", "user-timeout",
	    "set-sndbuf", "get-sndbuf", "set-rcvbuf", "get-rcvbuf", NULL };
	size_t cap = 256, len = 0, i, last_at = 0;
	char *out = malloc(cap), last[96] = "";
	json_t *ev;
	int sockbuf = 0, repeat = 1;

	if (out == NULL)
		return NULL;
	out[0] = '\0';
	json_array_foreach(tl, i, ev) {
		const char *op = json_string_value(json_object_get(ev, "op"));
		const char *oc = json_string_value(json_object_get(ev,
		    "outcome"));
		json_t *b = json_object_get(ev, "bytes");
		char item[96];
		bool skip = false;
		int n;

		if (op == NULL || oc == NULL)
			continue;
		for (int k = 0; quiet[k] != NULL; k++)
			if (strcmp(op, quiet[k]) == 0)
				skip = true;
		if (skip) {
			if (strncmp(op, "set-", 4) == 0)
				sockbuf++;
			continue;
		}
		if (strcmp(op, "killed") == 0)
			n = snprintf(item, sizeof(item), "killed by signal %lld",
			    (long long)json_integer_value(b));
		else if (b != NULL && json_integer_value(b) > 0 &&
		    strcmp(oc, "ok") == 0)
			n = snprintf(item, sizeof(item), "%s %lld", op,
			    (long long)json_integer_value(b));
		else if (strcmp(oc, "ok") == 0)
			n = snprintf(item, sizeof(item), "%s", op);
		else if (strcmp(oc, "timeout") == 0 &&
		    json_object_get(ev, "errno") == NULL)
			n = snprintf(item, sizeof(item), "%s: nothing "
			    "(our deadline)", op);
		else
			n = snprintf(item, sizeof(item), "%s %s", op, oc);
		if (n < 0)
			continue;
		/* "connect refused x3" instead of three items. */
		if (strcmp(item, last) == 0) {
			repeat++;
			len = last_at + (size_t)sprintf(out + last_at, "%s%s x%d",
			    last_at ? ", " : "", item, repeat);
			continue;
		}
		repeat = 1;
		snprintf(last, sizeof(last), "%s", item);
		last_at = len;
		while (len + (size_t)n + 16 > cap) {
			char *p = realloc(out, cap * 2);

			if (p == NULL)
				return out;
			out = p;
			cap *= 2;
		}
		len += (size_t)sprintf(out + len, "%s%s", len ? ", " : "",
		    item);
	}
	if (sockbuf > 0) {
		char *p = realloc(out, len + 64);

		if (p != NULL) {
			out = p;
			snprintf(out + len, 64, "%s%d buffer sizes set and read "
			    "back", len ? ", " : "", sockbuf);
		}
	}
	return out;
}

/* The narrow layout's detail lines: indented, broken at blanks to fit. */
#define NARROW_INDENT	4

void
out_table_header(int columns)
{
	if (columns)
		printf("%-26s %-10s %s\n%*sWHAT EACH SIDE SAW\n",
		    "CASE/VARIANT", "VERDICT", "WIRE", NARROW_INDENT, "");
	else
		printf("%-26s %-10s %-20s %s\n", "CASE/VARIANT", "VERDICT",
		    "WIRE", "WHAT EACH SIDE SAW");
}

/*
 * A detail line: under the WHAT EACH SIDE SAW column when wide (first:
 * the row's own line), else on its own indented lines broken to fit.
 */
static void
detail_line(const char *text, bool first, int columns)
{
	char line[1024], *big = NULL;
	int n;

	if (!columns) {
		printf("%-*s%s\n", first ? 0 : 59, "", text);
		return;
	}
	n = term_wrap(line, sizeof(line), text, NARROW_INDENT,
	    NARROW_INDENT + 2, columns);
	if (n >= (int)sizeof(line) && (big = malloc((size_t)n + 1)) != NULL)
		term_wrap(big, (size_t)n + 1, text, NARROW_INDENT,
		    NARROW_INDENT + 2, columns);
	printf("%*s%s\n", NARROW_INDENT, "", big != NULL ? big : line);
	free(big);
}

static void
side_line(json_t *res, const char *side, bool first, int columns)
{
	json_t *tl = json_object_get(json_object_get(res, "observed"), side);
	char *sum, *text;

	if (tl == NULL || json_array_size(tl) == 0)
		return;
	sum = summarize_timeline(tl);
	if (asprintf(&text, "%s: %s", side, sum != NULL ? sum : "") != -1) {
		detail_line(text, first, columns);
		free(text);
	}
	free(sum);
}

void
out_table_row(json_t *res, int columns)
{
	const char *id = json_string_value(json_object_get(res, "case"));
	const char *var = json_string_value(json_object_get(res, "variant"));
	const char *verdict = json_string_value(json_object_get(res,
	    "verdict"));
	json_t *wire = json_object_get(res, "wire");
	const char *by = json_string_value(json_object_get(res,
	    "wire_closed_by"));
	const char *method = json_string_value(json_object_get(res,
	    "vanish_method"));
	char name[64], w[64], text[96];
	json_t *obs = json_object_get(res, "observed");
	bool server_first;

	snprintf(name, sizeof(name), "%s%s%s", id, var ? "/" : "",
	    var ? var : "");
	if (json_is_object(wire))
		snprintf(w, sizeof(w), "%s%s%s",
		    json_string_value(json_object_get(wire, "teardown")),
		    by != NULL && *by ? " by " : "", by != NULL ? by : "");
	else
		snprintf(w, sizeof(w), "%s", strcmp(verdict, "skipped") == 0 ?
		    "-" : "(no capture)");
	if (columns && 38 + (int)strlen(w) > columns)	/* wire below */
		printf("%-26s %s\n%*s%s\n", name, verdict, NARROW_INDENT, "",
		    w);
	else if (columns)
		printf("%-26s %-10s %s\n", name, verdict, w);
	else
		printf("%-26s %-10s %-20s ", name, verdict, w);
	/* The observing side first: the server in S cases, else the client. */
	server_first = id[0] == 'S';
	if (json_array_size(json_object_get(obs, server_first ? "server" :
	    "client")) == 0 && json_array_size(json_object_get(obs,
	    server_first ? "client" : "server")) == 0) {
		detail_line(json_string_value(json_object_get(res, "reason")),
		    true, columns);
		return;
	}
	if (json_array_size(json_object_get(obs, server_first ? "server" :
	    "client")) == 0)
		server_first = !server_first;
	side_line(res, server_first ? "server" : "client", true, columns);
	side_line(res, server_first ? "client" : "server", false, columns);
	if (method != NULL) {
		snprintf(text, sizeof(text), "vanish method: %s", method);
		detail_line(text, false, columns);
	}
}

void
out_timelines(json_t *res)
{
	static const char *const sides[] = { "client", "server" };
	json_t *obs = json_object_get(res, "observed");
	json_t *facts = json_object_get(res, "facts");

	for (int i = 0; i < 2; i++) {
		json_t *tl = json_object_get(obs, sides[i]);
		struct timeline *t;
		json_t *f = json_object_get(facts, sides[i]);
		char *text;

		if (tl == NULL || json_array_size(tl) == 0)
			continue;
		t = timeline_from_json(sides[i], tl);
		if (t != NULL) {
			timeline_print(t, stdout);
			timeline_free(t);
		}
		if (f != NULL && json_object_size(f) > 0) {
			text = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
			printf("    %s facts: %s\n", sides[i], text ? text : "");
			free(text);
		}
	}
	if (json_is_string(json_object_get(res, "pcap")))
		printf("    pcap: %s\n",
		    json_string_value(json_object_get(res, "pcap")));
}

void
out_unexpected_names(json_t *unexp, bool iterations, char *buf, size_t len)
{
	size_t i, off = 0;
	json_t *res;

	buf[0] = '\0';
	json_array_foreach(unexp, i, res) {
		const char *var = json_string_value(json_object_get(res,
		    "variant"));
		char one[128];
		int n;

		n = snprintf(one, sizeof(one), "%s%s%s", json_string_value(
		    json_object_get(res, "case")), var ? "/" : "",
		    var ? var : "");
		if (iterations && n > 0 && (size_t)n < sizeof(one))
			snprintf(one + n, sizeof(one) - (size_t)n, " (run %lld)",
			    (long long)json_integer_value(json_object_get(res,
			    "iteration")));
		if (off + (i ? 2 : 0) + strlen(one) + 4 > len) {
			snprintf(buf + off, len - off, "%s...", i ? ", " : "");
			return;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? ", " : "", one);
	}
}
