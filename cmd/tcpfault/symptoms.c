/* SPDX-License-Identifier: BSD-2-Clause */
/* What `explain SYMPTOM` knows: errno, signal and message -> the cases. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "symptoms.h"

static const struct symptom symptoms[] = {
	{ "ECONNRESET", "ECONNRESET|reset|Connection reset by peer|"
	    "Connection reset|ConnectionResetError",
	    "the peer's kernel sent RST: it closed with input unread, "
	    "aborted (SO_LINGER 0), or our data reached a socket that no "
	    "longer exists; whatever the peer had not transmitted is lost, "
	    "what already reached us is still readable first",
	    "C3 S3/unread S4/unread C2/unsent newbie-close/close "
	    "keepalive-race/in-flight",
	    "check-client: close-unread, reset, keepalive-race; "
	    "check-server: reset, exit-unread" },
	{ "EPIPE", "EPIPE|broken-pipe|Broken pipe",
	    "a send after the peer's RST that followed its FIN: the peer had "
	    "closed, our first send was answered by RST, the next one fails "
	    "(SIGPIPE unless ignored or MSG_NOSIGNAL)",
	    "C1 S5", "check-server: send-after-close" },
	{ "SIGPIPE", "SIGPIPE|signal 13|exit 141|141",
	    "EPIPE delivered as a signal: the process wrote to a connection "
	    "the peer had closed and reset, and did not ignore SIGPIPE or "
	    "pass MSG_NOSIGNAL, so it died (a shell reports exit 141)",
	    "C1 S5", NULL },
	{ "ETIMEDOUT", "ETIMEDOUT|timeout|Connection timed out|"
	    "timed out",
	    "the kernel gave up on the peer: keepalive probes unanswered, "
	    "TCP_USER_TIMEOUT passed with data unacknowledged, or "
	    "retransmissions exhausted; the peer vanished (crash, cable, "
	    "power) without FIN or RST",
	    "S1/keepalive S1/user-timeout",
	    "check-client: vanish; check-server: vanish" },
	{ "ECONNREFUSED", "ECONNREFUSED|refused|Connection refused|curl 7|"
	    "Couldn't connect to server",
	    "the SYN was answered by RST: nothing listens on that port (the "
	    "server is down or restarting), or its accept queue is full and "
	    "tcp_abort_on_overflow is set",
	    "self-connect/naive", "check-server: many" },
	{ "EOF", "EOF|read returned 0|recv returned 0|unexpected EOF|"
	    "end of file|Connection closed",
	    "the peer's FIN: it closed or shut down its sending side; every "
	    "byte it sent before was delivered; reading 0 before a complete "
	    "message means it closed early",
	    "S2 C1 C2/all-sent S5 keepalive-race/fin-unread",
	    "check-client: close, send-close, exit, kill; check-server: "
	    "half-close" },
	{ "curl 52", "curl 52|Empty reply from server|empty reply",
	    "curl 52: the server closed the connection (FIN) without sending "
	    "a byte of the response: it crashed or closed a kept-alive "
	    "connection the client reused",
	    "keepalive-race/fin-unread C1",
	    "check-client --http: close" },
	{ "curl 56", "curl 56|Failure when receiving data from the peer",
	    "curl 56: receiving failed, almost always ECONNRESET: the server "
	    "closed with the request unread or aborted mid-response",
	    "C3 keepalive-race/in-flight C2/unsent",
	    "check-client --http: close-unread, reset" },
	{ "curl 18", "curl 18|transfer closed with|Partial file|"
	    "IncompleteRead",
	    "curl 18: the connection ended cleanly (FIN) before the "
	    "announced Content-Length body was complete: the server exited, "
	    "was killed or closed mid-body",
	    "S3/no-unread S4/no-unread",
	    "check-client --http: send-close, exit, kill" },
	{ "curl 28", "curl 28|Operation timed out",
	    "curl 28: curl's own deadline (-m, --connect-timeout) passed: "
	    "the server vanished (no FIN, no RST) or is slower than the "
	    "deadline",
	    "S1", "check-client --http: vanish, slow" },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* "56", "(56)", "curl 56", "curl: (56) ..." -> "curl 56" in buf. */
static const char *
curl_code(const char *text, char *buf, size_t len)
{
	const char *p = text;
	char *end;
	long code;

	if (strncasecmp(p, "curl", 4) == 0) {
		p += 4;
		while (*p == ':' || *p == ' ')
			p++;
	}
	if (*p == '(')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	code = strtol(p, &end, 10);
	if (*end == ')')
		end++;
	if ((*end != '\0' && *end != ' ') || code <= 0 || code > 99)
		return NULL;
	/* A bare number is a curl code; "141" is the shell's SIGPIPE. */
	snprintf(buf, len, code == 141 ? "141" : "curl %ld", code);
	return buf;
}

/*
 * The length of s's longest alias equal to text (exact) or, when sub,
 * inside it (aliases of 6 characters or more); 0 when none.
 */
static size_t
matches(const struct symptom *s, const char *text, bool sub)
{
	const char *a = s->aliases;
	size_t best = 0;

	while (*a != '\0') {
		size_t n = strcspn(a, "|");

		if (strlen(text) == n && strncasecmp(text, a, n) == 0)
			best = n > best ? n : best;
		if (sub && n >= 6 && n > best) {
			for (const char *t = text; strlen(t) >= n; t++)
				if (strncasecmp(t, a, n) == 0) {
					best = n;
					break;
				}
		}
		a += n;
		if (*a == '|')
			a++;
	}
	return best;
}

const struct symptom *
symptom_find(const char *text)
{
	const struct symptom *found = NULL;
	char code[32];
	const char *c = curl_code(text, code, sizeof(code));
	size_t best = 0;

	/* A whole name or a curl code first, then the longest message. */
	for (const struct symptom *s = symptoms; s->name != NULL; s++)
		if ((c != NULL && matches(s, c, false) > 0) ||
		    matches(s, text, false) > 0)
			return s;
	for (const struct symptom *s = symptoms; s->name != NULL; s++) {
		size_t n = matches(s, text, true);

		if (n > best) {
			best = n;
			found = s;
		}
	}
	return found;
}

void
symptom_list(FILE *fp)
{
	fprintf(fp, "valid symptoms:");
	for (const struct symptom *s = symptoms; s->name != NULL; s++)
		fprintf(fp, " %s%s", s->name, s[1].name != NULL ? "," : "");
	fprintf(fp, " (or a message such as \"Connection reset by "
	    "peer\")\n");
}
