/* SPDX-License-Identifier: BSD-2-Clause */
/* The fault server's minimal HTTP/1.1 head scanner and head writers. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "errbuf.h"
#include "httphead.h"
#include "sock.h"

/* The end of the head: CRLF CRLF (a bare LF LF is accepted too). */
static const char *
head_end(const char *buf, size_t len, size_t *hlen)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n') {
			*hlen = i + 2;
			return buf + i;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			*hlen = i + 3;
			return buf + i;
		}
	}
	return NULL;
}

/* Does the comma-separated header value v (vlen bytes) hold token t? */
static bool
has_token(const char *v, size_t vlen, const char *t)
{
	size_t tl = strlen(t);

	for (size_t i = 0; i + tl <= vlen; i++)
		if (strncasecmp(v + i, t, tl) == 0 &&
		    (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
		    (i + tl == vlen || v[i + tl] == ' ' || v[i + tl] == ',' ||
		    v[i + tl] == '\r'))
			return true;
	return false;
}

/* The start line: "METHOD TARGET HTTP/1.x" or "HTTP/1.x NNN REASON". */
static int
start_line(const char *line, size_t len, struct http_head *h, char *errbuf)
{
	char first[32];
	const char *sp = memchr(line, ' ', len), *ver;
	size_t fl;

	if (sp == NULL || (fl = (size_t)(sp - line)) == 0 ||
	    fl >= sizeof(first)) {
		errbuf_set(errbuf, "not an HTTP/1.x head");
		return -1;
	}
	memcpy(first, line, fl);
	first[fl] = '\0';
	h->response = strncmp(first, "HTTP/1.", 7) == 0;
	if (h->response) {
		ver = first;
		h->status = atoi(sp + 1);
		if (h->status < 100 || h->status > 999) {
			errbuf_set(errbuf, "bad status line");
			return -1;
		}
	} else {
		const char *sp2 = memchr(sp + 1, ' ', len - fl - 1);

		if (fl >= sizeof(h->method) || sp2 == NULL ||
		    (size_t)(line + len - sp2) < 9 ||
		    strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
			errbuf_set(errbuf, "not an HTTP/1.x head");
			return -1;
		}
		memcpy(h->method, first, fl + 1);
		ver = sp2 + 1;
	}
	if (ver[7] < '0' || ver[7] > '9') {
		errbuf_set(errbuf, "not an HTTP/1.x head");
		return -1;
	}
	h->minor = ver[7] - '0';
	return 0;
}

int
http_head_scan(const char *buf, size_t len, struct http_head *h,
    char *errbuf)
{
	const char *line, *end;
	bool conn_close = false, conn_keep = false;
	size_t hlen;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	if (head_end(buf, len, &hlen) == NULL) {
		if (len >= HTTP_HEAD_MAX) {
			errbuf_set(errbuf, "head longer than %d bytes",
			    HTTP_HEAD_MAX);
			return -1;
		}
		/* Refuse early what cannot become a head. */
		if (len >= 8 && memchr(buf, ' ', len) == NULL) {
			errbuf_set(errbuf, "not an HTTP/1.x head");
			return -1;
		}
		return 0;
	}
	h->len = hlen;
	end = memchr(buf, '\n', hlen);
	if (start_line(buf, (size_t)(end - buf), h, errbuf) == -1)
		return -1;
	for (line = end + 1; line < buf + hlen; line = end + 1) {
		const char *colon, *v;
		size_t ll, vl;

		end = memchr(line, '\n', (size_t)(buf + hlen - line));
		ll = (size_t)(end - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		colon = memchr(line, ':', ll);
		if (colon == NULL)
			continue;
		for (v = colon + 1; v < line + ll && *v == ' '; v++)
			;
		vl = (size_t)(line + ll - v);
#define IS(name) ((size_t)(colon - line) == strlen(name) && \
	strncasecmp(line, name, strlen(name)) == 0)
		if (IS("Content-Length"))
			h->content_length = strtoll(v, NULL, 10);
		else if (IS("Transfer-Encoding"))
			h->chunked = has_token(v, vl, "chunked");
		else if (IS("Connection")) {
			conn_close = has_token(v, vl, "close");
			conn_keep = has_token(v, vl, "keep-alive");
		}
#undef IS
	}
	h->keep_alive = h->minor >= 1 ? !conn_close : conn_keep;
	return 1;
}

int
http_read_head(int fd, char *buf, size_t cap, size_t *got,
    int timeout_ms, struct http_head *h, char *errbuf)
{
	int64_t deadline = sock_deadline(timeout_ms);
	int rc;

	*got = 0;
	for (;;) {
		ssize_t n;

		rc = http_head_scan(buf, *got, h, errbuf);
		if (rc != 0) {
			if (rc == -1)
				errno = 0;
			return rc;
		}
		if (*got == cap) {
			errbuf_set(errbuf, "head longer than %zu bytes", cap);
			errno = 0;
			return -1;
		}
		rc = sock_wait(fd, POLLIN, deadline);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == 0) {
			errbuf_set(errbuf, "no complete head within %d ms "
			    "(%zu bytes)", timeout_ms, *got);
			errno = 0;
			return -1;
		}
		n = recv(fd, buf + *got, cap - *got, MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			return 0;
		if (n < 0) {
			errbuf_set(errbuf, "reading the head: %s",
			    strerror(errno));
			return -1;
		}
		*got += (size_t)n;
	}
}

static size_t
clamp(int n, size_t len)
{
	if (n < 0)
		return 0;
	return (size_t)n >= len ? len - 1 : (size_t)n;
}

size_t
http_response_head(char *buf, size_t len, int64_t body_len, bool keep_alive)
{
	char framing[64];

	if (body_len < 0)
		snprintf(framing, sizeof(framing),
		    "Transfer-Encoding: chunked");
	else
		snprintf(framing, sizeof(framing), "Content-Length: %lld",
		    (long long)body_len);
	return clamp(snprintf(buf, len, "HTTP/1.1 200 OK\r\n"
	    "Server: tcpfault\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "%s\r\n"
	    "Connection: %s\r\n\r\n", framing,
	    keep_alive ? "keep-alive" : "close"), len);
}

size_t
http_request_head(char *buf, size_t len, const char *path, const char *host)
{
	return clamp(snprintf(buf, len, "GET %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: tcpfault\r\n"
	    "Connection: close\r\n\r\n", path, host), len);
}
