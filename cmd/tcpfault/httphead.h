/* SPDX-License-Identifier: BSD-2-Clause */
/* The fault server's minimal HTTP/1.1 head scanner and head writers. */
#ifndef TCPFAULT_HTTPHEAD_H
#define TCPFAULT_HTTPHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Not a general HTTP parser: just enough of RFC 9112 to find the end of a
 * request or response head, its framing (Content-Length, chunked) and
 * whether the connection stays open, so a fault lands after a valid head
 * as it does in production.
 */
#define HTTP_HEAD_MAX	16384	/* a longer head is refused */

struct http_head {
	size_t len;		/* bytes of the head, CRLF CRLF included */
	bool response;		/* a status line, not a request line */
	int status;		/* responses: 200, 404, ... */
	char method[16];	/* requests: "GET", ... */
	int minor;		/* HTTP/1.minor */
	int64_t content_length;	/* -1: none */
	bool chunked;		/* Transfer-Encoding: chunked */
	bool keep_alive;	/* 1.1 without "close", 1.0 with "keep-alive" */
};

/*
 * Scan buf for a complete head. Returns 1 with *h filled, 0 when more
 * bytes are needed, -1 with errbuf set when it is not an HTTP/1.x head
 * (or longer than HTTP_HEAD_MAX).
 */
int http_head_scan(const char *buf, size_t len, struct http_head *h,
    char *errbuf);

/*
 * Read from fd until a complete head is in buf (cap bytes; what follows
 * it stays in buf too, *got says how much was read) or timeout_ms passes.
 * Returns 1 with *h filled; 0 on EOF first; -1 on error, timeout or a
 * malformed head, with errbuf set and errno (0 for our timeout and for a
 * malformed head).
 */
int http_read_head(int fd, char *buf, size_t cap, size_t *got,
    int timeout_ms, struct http_head *h, char *errbuf);

/*
 * A "200 OK" response head into buf: Content-Length body_len, or chunked
 * when body_len < 0; "Connection: keep-alive" or "close". Returns its
 * length (truncated to len - 1 if buf is too small).
 */
size_t http_response_head(char *buf, size_t len, int64_t body_len,
    bool keep_alive);

/* A GET request head for path with Host host and "Connection: close". */
size_t http_request_head(char *buf, size_t len, const char *path,
    const char *host);

#endif
