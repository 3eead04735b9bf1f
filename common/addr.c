/* SPDX-License-Identifier: BSD-2-Clause */
/* Addresses: split host:port, resolve, format and compare. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "errbuf.h"

/* A port is a number in 0..65535 or a name /etc/services knows. */
static int
check_port(const char *hostport, const char *port, char *errbuf)
{
	const char *p;

	if (*port == '\0') {
		errbuf_set(errbuf, "address \"%s\": missing port", hostport);
		return -1;
	}
	for (p = port; isdigit((unsigned char)*p); p++)
		;
	if (*p == '\0') {
		if (p - port > 5 || atoi(port) > 65535) {
			errbuf_set(errbuf,
			    "address \"%s\": port out of range: %s",
			    hostport, port);
			return -1;
		}
		return 0;
	}
	if (getservbyname(port, "tcp") == NULL &&
	    getservbyname(port, "udp") == NULL) {
		errbuf_set(errbuf, "address \"%s\": unknown port: %s",
		    hostport, port);
		return -1;
	}
	return 0;
}

static int
copy_part(const char *hostport, const char *what, const char *src,
    size_t n, char *dst, size_t dstlen, char *errbuf)
{
	if (n >= dstlen) {
		errbuf_set(errbuf, "address \"%s\": %s too long", hostport,
		    what);
		return -1;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int
addr_split(const char *hostport, char *host, size_t hostlen,
    char *port, size_t portlen, char *errbuf)
{
	const char *h = hostport, *colon;
	size_t hlen;

	if (hostport == NULL)
		hostport = h = "";
	if (*h == '[') {
		const char *close = strchr(h, ']');

		if (close == NULL) {
			errbuf_set(errbuf, "address \"%s\": missing ']'",
			    hostport);
			return -1;
		}
		if (close[1] != ':') {
			errbuf_set(errbuf,
			    "address \"%s\": expected ':port' after ']'",
			    hostport);
			return -1;
		}
		h++;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strchr(h, ':');
		if (colon == NULL) {
			errbuf_set(errbuf, "address \"%s\": missing ':port'",
			    hostport);
			return -1;
		}
		if (strchr(colon + 1, ':') != NULL) {
			errbuf_set(errbuf, "address \"%s\": "
			    "write an IPv6 address as [addr]:port", hostport);
			return -1;
		}
		hlen = (size_t)(colon - h);
	}
	if (check_port(hostport, colon + 1, errbuf) == -1 ||
	    copy_part(hostport, "host", h, hlen, host, hostlen,
	    errbuf) == -1 ||
	    copy_part(hostport, "port", colon + 1, strlen(colon + 1), port,
	    portlen, errbuf) == -1)
		return -1;
	return 0;
}

struct addrinfo *
addr_resolve(const char *host, const char *port, enum addr_family family,
    bool passive, char *errbuf)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family == ADDR_V4 ? AF_INET :
	    family == ADDR_V6 ? AF_INET6 : AF_UNSPEC;
	/*
	 * One entry per address: callers create the socket with the type
	 * they want (stream or datagram); the addresses are the same.
	 */
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	if (host != NULL && *host == '\0')
		host = NULL;
	if (port != NULL && *port == '\0')
		port = "0";
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		errbuf_set(errbuf, "%s",
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return NULL;
	}
	return res;
}

const char *
addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	switch (sa == NULL ? AF_UNSPEC : sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		/*
		 * A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d;
		 * users know them by their IPv4 form.
		 */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], ip,
			    sizeof(ip));
			snprintf(buf, len, "%s:%u", ip,
			    ntohs(sin6->sin6_port));
			break;
		}
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *sun = (const void *)sa;

		/* sun_path need not be NUL-terminated when it is full. */
		snprintf(buf, len, "unix:%.*s", (int)sizeof(sun->sun_path),
		    sun->sun_path);
		break;
	}
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}

unsigned
addr_port(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)
		    ->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_port);
	return 0;
}

bool
addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a == NULL || b == NULL || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    x->sin6_scope_id == y->sin6_scope_id &&
		    memcmp(&x->sin6_addr, &y->sin6_addr,
		    sizeof(x->sin6_addr)) == 0;
	}
	return false;
}
