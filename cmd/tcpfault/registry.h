/* SPDX-License-Identifier: BSD-2-Clause */
/* The proxies of `tcpfault proxy`, their toxics, and the API's operations. */
#ifndef TCPFAULT_REGISTRY_H
#define TCPFAULT_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "toxics.h"

struct registry;

struct wire;

struct registry_opts {
	bool json;		/* one JSON object per connection */
	struct wire *wire;	/* --pcap: add the wire's class; may be NULL */
	bool http;		/* --http: byte counts start at the body */
};

/* The API's operations (Toxiproxy's routes). */
enum reg_op {
	REG_PROXIES,		/* GET /proxies */
	REG_PROXY_CREATE,	/* POST /proxies */
	REG_POPULATE,		/* POST /populate */
	REG_PROXY_SHOW,		/* GET /proxies/{proxy} */
	REG_PROXY_UPDATE,	/* POST|PATCH /proxies/{proxy} */
	REG_PROXY_DELETE,	/* DELETE /proxies/{proxy} */
	REG_TOXICS,		/* GET /proxies/{proxy}/toxics */
	REG_TOXIC_CREATE,	/* POST /proxies/{proxy}/toxics */
	REG_TOXIC_SHOW,		/* GET /proxies/{proxy}/toxics/{toxic} */
	REG_TOXIC_UPDATE,	/* POST|PATCH .../toxics/{toxic} */
	REG_TOXIC_DELETE,	/* DELETE .../toxics/{toxic} */
	REG_RESET		/* POST /reset */
};

/* An empty registry. Returns NULL when out of memory. */
struct registry *registry_new(const struct registry_opts *o);

/*
 * Stop every proxy, end their connections (RST) and wait for them to
 * report, then free the registry.
 */
void registry_free(struct registry *r);

/*
 * Carry out op on proxy `proxy` / toxic `toxic` (NULL when the route has
 * none) with the request's parsed body (may be NULL). Returns the HTTP
 * status and sets *out to the reply body (NULL for 204): on failure
 * {"error": MESSAGE, "status": STATUS}.
 */
int registry_call(struct registry *r, enum reg_op op, const char *proxy,
    const char *toxic, json_t *body, json_t **out);

/*
 * The command line's proxy: listen at listen ("host:port"), relay to
 * upstream, with toxic t (NULL: none). Returns 0, or -1 with errbuf set.
 */
int registry_add_cli(struct registry *r, const char *name, const char *listen,
    const char *upstream, const struct toxic *t, char *errbuf);

/* The "host:port" a proxy listens on now; NULL when it does not. */
const char *registry_listen(struct registry *r, const char *name, char *buf,
    size_t len);

/* Connections reported so far, and those whose upstream failed. */
void registry_stats(struct registry *r, uint64_t *reported,
    uint64_t *failures);

#endif
