/* SPDX-License-Identifier: BSD-2-Clause */
/* Addresses: host:port, [v6]:port and names, for IPv4 and IPv6. */
#ifndef TEARDOWN_ADDR_H
#define TEARDOWN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define ADDR_STRLEN 64	/* "[ffff:...:ffff]:65535" with room to spare */

/* Address family preference for resolution. */
enum addr_family { ADDR_ANY = 0, ADDR_V4 = 4, ADDR_V6 = 6 };

/*
 * Split "host:port", "[v6addr]:port" or ":port" into host (empty string
 * for none) and port. Returns -1 with errbuf set on a malformed string or
 * a port that is not 0..65535 or a service name.
 */
int addr_split(const char *hostport, char *host, size_t hostlen,
    char *port, size_t portlen, char *errbuf);

/*
 * Resolve host and port with getaddrinfo. host may be NULL or "" (wildcard
 * when passive, loopback otherwise). Returns the list (free with
 * freeaddrinfo) or NULL with errbuf holding gai_strerror's text.
 */
struct addrinfo *addr_resolve(const char *host, const char *port,
    enum addr_family family, bool passive, char *errbuf);

/* Format as "1.2.3.4:80" or "[::1]:80" into buf (ADDR_STRLEN). */
const char *addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* Port number of an AF_INET/AF_INET6 address, 0 otherwise. */
unsigned addr_port(const struct sockaddr *sa);

/* Same family, address and port. */
bool addr_equal(const struct sockaddr *a, const struct sockaddr *b);

#endif
