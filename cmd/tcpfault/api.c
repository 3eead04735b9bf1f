/* SPDX-License-Identifier: BSD-2-Clause */
/* Toxiproxy's routes, bodies and status codes, served by libmicrohttpd. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api.h"
#include "errbuf.h"
#include "sock.h"
#include "version.h"

#define BODY_MAX (1u << 20)

struct api {
	struct MHD_Daemon *d;
	struct registry *r;
};

/* One request's body, gathered across the handler's calls. */
struct req {
	char *buf;
	size_t len;
	bool too_big;
};

static enum MHD_Result
reply(struct MHD_Connection *c, int status, const char *type,
    const char *text, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(len, (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(resp, "Content-Type", type);
	rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* A JSON body (NULL: none, as 204 has); errors end with a newline. */
static enum MHD_Result
reply_json(struct MHD_Connection *c, int status, json_t *body)
{
	enum MHD_Result rc;
	char *s;

	if (body == NULL)
		return reply(c, status, NULL, "", 0);
	s = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(body);
	if (s == NULL)
		return MHD_NO;
	if (status >= 400) {
		char *t = realloc(s, strlen(s) + 2);

		if (t == NULL) {
			free(s);
			return MHD_NO;
		}
		s = strcat(t, "\n");
	}
	rc = reply(c, status, "application/json", s, strlen(s));
	free(s);
	return rc;
}

static enum MHD_Result
reply_error(struct MHD_Connection *c, int status, const char *msg)
{
	return reply_json(c, status, json_pack("{s:s, s:i}", "error", msg,
	    "status", status));
}

/* Toxiproxy's routes: path segments ("*": a name) and methods. */
static const struct {
	const char *seg[4];
	const char *methods;		/* space-separated */
	enum reg_op op;
} routes[] = {
	{ { "reset" }, "POST", REG_RESET },
	{ { "populate" }, "POST", REG_POPULATE },
	{ { "proxies" }, "GET", REG_PROXIES },
	{ { "proxies" }, "POST", REG_PROXY_CREATE },
	{ { "proxies", "*" }, "GET", REG_PROXY_SHOW },
	{ { "proxies", "*" }, "POST PATCH", REG_PROXY_UPDATE },
	{ { "proxies", "*" }, "DELETE", REG_PROXY_DELETE },
	{ { "proxies", "*", "toxics" }, "GET", REG_TOXICS },
	{ { "proxies", "*", "toxics" }, "POST", REG_TOXIC_CREATE },
	{ { "proxies", "*", "toxics", "*" }, "GET", REG_TOXIC_SHOW },
	{ { "proxies", "*", "toxics", "*" }, "POST PATCH",
	    REG_TOXIC_UPDATE },
	{ { "proxies", "*", "toxics", "*" }, "DELETE", REG_TOXIC_DELETE },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static bool
method_in(const char *method, const char *list)
{
	size_t n = strlen(method);

	for (const char *p = list; (p = strstr(p, method)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0'))
			return true;
	return false;
}

/*
 * The route of method + url: its REG_* op, the proxy and toxic names (in
 * seg[1] and seg[3]). Returns 0, 404 for no such path, 405 for a path
 * without that method, -1 for GET /version.
 */
static int
route(const char *method, const char *url, char seg[4][256],
    enum reg_op *op)
{
	const char *p = url;
	bool path = false;
	int n = 0;

	while (*p == '/' && n < 4) {
		const char *e = strchr(p + 1, '/');
		size_t l = e != NULL ? (size_t)(e - p - 1) : strlen(p + 1);

		if (l == 0 || l >= sizeof(seg[0]))
			return 404;
		memcpy(seg[n], p + 1, l);
		seg[n++][l] = '\0';
		p += l + 1;
	}
	if (*p != '\0' || n == 0)
		return 404;
	if (n == 1 && strcmp(seg[0], "version") == 0)
		return strcmp(method, "GET") == 0 ? -1 : 405;
	for (size_t i = 0; i < NROUTES; i++) {
		bool match = n == 4 || routes[i].seg[n] == NULL;

		for (int k = 0; k < n && match; k++)
			match = routes[i].seg[k] != NULL &&
			    (strcmp(routes[i].seg[k], "*") == 0 ||
			    strcmp(routes[i].seg[k], seg[k]) == 0);
		if (!match)
			continue;
		path = true;
		if (method_in(method, routes[i].methods)) {
			*op = routes[i].op;
			return 0;
		}
	}
	return path ? 405 : 404;
}

/* Routes whose body is read. */
static bool
takes_body(enum reg_op op)
{
	return op == REG_PROXY_CREATE || op == REG_POPULATE ||
	    op == REG_PROXY_UPDATE || op == REG_TOXIC_CREATE ||
	    op == REG_TOXIC_UPDATE;
}

static enum MHD_Result
serve(struct api *a, struct MHD_Connection *c, const char *method,
    const char *url, struct req *rq)
{
	char seg[4][256] = { "", "", "", "" }, msg[ERRBUF_LEN];
	const char *ua;
	json_t *body = NULL, *out = NULL;
	json_error_t jerr;
	enum reg_op op = REG_PROXIES;
	int st;

	/* As Toxiproxy: no browsers (a web page cannot drive it). */
	ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
	if (ua != NULL && strncmp(ua, "Mozilla/", 8) == 0)
		return reply(c, 403, "text/plain; charset=utf-8",
		    "User agent not allowed\n", 23);
	st = route(method, url, seg, &op);
	if (st == -1) {
		snprintf(msg, sizeof(msg), "{\"version\": \"%s\"}\n",
		    teardown_version());
		return reply(c, 200, "application/json;charset=utf-8", msg,
		    strlen(msg));
	}
	if (st == 404)
		return reply(c, 404, "text/plain; charset=utf-8",
		    "404 page not found\n", 19);
	if (st == 405)
		return reply(c, 405, NULL, "", 0);
	if (takes_body(op)) {
		if (rq->too_big)
			return reply_error(c, 400, "bad request body: larger "
			    "than 1 MiB");
		body = json_loadb(rq->buf != NULL ? rq->buf : "", rq->len,
		    JSON_DECODE_ANY, &jerr);
		if (body == NULL) {
			snprintf(msg, sizeof(msg), "bad request body: %s",
			    rq->len == 0 ? "EOF" : jerr.text);
			return reply_error(c, 400, msg);
		}
	}
	st = registry_call(a->r, op, seg[1], seg[3], body, &out);
	json_decref(body);
	return reply_json(c, st, out);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **con_cls)
{
	struct req *rq = *con_cls;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*size > 0) {
		if (rq->len + *size > BODY_MAX) {
			rq->too_big = true;
		} else if (!rq->too_big) {
			char *n = realloc(rq->buf, rq->len + *size);

			if (n == NULL)
				return MHD_NO;
			memcpy(n + rq->len, data, *size);
			rq->buf = n;
			rq->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	return serve(cls, c, method, url, rq);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq != NULL) {
		free(rq->buf);
		free(rq);
		*con_cls = NULL;
	}
}

struct api *
api_start(const char *host, const char *port, struct registry *r,
    unsigned *bound, char *errbuf)
{
	struct api *a = calloc(1, sizeof(*a));
	int lfd;

	if (a == NULL) {
		errbuf_set(errbuf, "--api: out of memory");
		return NULL;
	}
	if ((lfd = sock_listen(host, port, NULL, errbuf)) == -1) {
		free(a);
		return NULL;
	}
	a->r = r;
	*bound = sock_local_port(lfd);
	a->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
	    handler, a, MHD_OPTION_LISTEN_SOCKET, lfd,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, a,
	    MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (a->d != NULL)
		return a;
	errbuf_set(errbuf, "--api: libmicrohttpd could not start on %s port "
	    "%s", host, port);
	close(lfd);
	free(a);
	return NULL;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	MHD_stop_daemon(a->d);	/* closes the listening socket too */
	free(a);
}
