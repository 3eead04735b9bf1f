/* SPDX-License-Identifier: BSD-2-Clause */
/* The proxy collection behind Toxiproxy's API: proxies, toxics, listeners. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "errbuf.h"
#include "link.h"
#include "registry.h"
#include "sock.h"

struct registry {
	struct linkhub hub;	/* hub.mu guards everything below */
	struct registry_opts o;
	struct px *px;		/* in the order created */
};

/* An API error: {"error": MESSAGE, "status": STATUS}. */
static int
api_error(int status, const char *msg, json_t **out)
{
	*out = json_pack("{s:s, s:i}", "error", msg, "status", status);
	return status;
}

/* The proxy called name, and the link that points at it. */
static struct px *
px_find(struct registry *r, const char *name, struct px ***at)
{
	for (struct px **pp = &r->px; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			if (at != NULL)
				*at = pp;
			return *pp;
		}
	return NULL;
}

static struct toxic *
toxic_find(struct px *px, const char *name, size_t *idx)
{
	for (size_t i = 0; i < px->ntox; i++)
		if (strcmp(px->tox[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &px->tox[i];
		}
	return NULL;
}

static bool
has_refuse(const struct px *px)
{
	for (size_t i = 0; i < px->ntox; i++)
		if (px->tox[i].type == TOXIC_REFUSE)
			return true;
	return false;
}

/* Toxiproxy's list: the upstream chain, then the downstream one. */
static json_t *
toxics_json(const struct px *px)
{
	json_t *a = json_array();

	for (int s = TOXIC_UPSTREAM; s <= TOXIC_BOTH; s++)
		for (size_t i = 0; i < px->ntox; i++)
			if ((int)px->tox[i].stream == s)
				json_array_append_new(a,
				    toxic_to_json(&px->tox[i]));
	return a;
}

static json_t *
px_json(const struct px *px)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", px->name,
	    "listen", px->listen, "upstream", px->upstream, "enabled",
	    px->enabled, "toxics", toxics_json(px));
}

static void *
px_accept(void *arg)
{
	struct px *px = arg;
	char errbuf[ERRBUF_LEN];
	enum outcome o;
	int lfd = px->lfd, cfd;

	for (;;) {
		cfd = sock_accept(lfd, 0, &o, errbuf);
		if (cfd >= 0) {
			link_start(px, cfd);
		} else if (o == OUTCOME_INTERRUPTED ||
		    o == OUTCOME_ABORTED) {
			continue;
		} else if (errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors: let connections end. */
			(void)poll(NULL, 0, 10);
		} else {
			break;	/* shut down: px_stop */
		}
	}
	return NULL;
}

/*
 * With hub.mu: listen at px->listen and accept in a thread. Returns the
 * HTTP status of a failure (409 address in use, 400 other), 0 when
 * listening.
 */
static int
px_start(struct registry *r, struct px *px, char *errbuf)
{
	char host[256], port[32], bound[ADDR_STRLEN];
	int err;

	if (px->lfd >= 0)
		return 0;
	if (addr_split(px->listen, host, sizeof(host), port, sizeof(port),
	    errbuf) == -1)
		return 400;
	if ((px->lfd = sock_listen(host, port, NULL, errbuf)) == -1)
		return errno == EADDRINUSE ? 409 : 400;
	snprintf(px->listen, sizeof(px->listen), "%s",
	    sock_local_str(px->lfd, bound, sizeof(bound)));
	px->hub = &r->hub;
	px->refs++;	/* the acceptor's */
	if ((err = pthread_create(&px->acceptor, NULL, px_accept, px)) != 0) {
		px->refs--;
		close(px->lfd);
		px->lfd = -1;
		errbuf_set(errbuf, "proxy %s: thread: %s", px->name,
		    strerror(err));
		return 500;
	}
	return 0;
}

/* With hub.mu: stop accepting (the lock is let go meanwhile). */
static void
px_stop(struct registry *r, struct px *px)
{
	if (px->lfd < 0)
		return;
	shutdown(px->lfd, SHUT_RDWR);
	pthread_mutex_unlock(&r->hub.mu);
	pthread_join(px->acceptor, NULL);
	pthread_mutex_lock(&r->hub.mu);
	close(px->lfd);
	px->lfd = -1;
	px->refs--;
}

/* With hub.mu: listening exactly when enabled and no refuse toxic. */
static int
px_sync(struct registry *r, struct px *px, char *errbuf)
{
	if (px->enabled && !has_refuse(px))
		return px_start(r, px, errbuf);
	px_stop(r, px);
	return 0;
}

/* With hub.mu, after a change: the listener follows; a failure's
   status with its body, or 0. */
static int
sync_failed(struct registry *r, struct px *px, json_t **out)
{
	char errbuf[ERRBUF_LEN];
	int st = px_sync(r, px, errbuf);

	return st != 0 ? api_error(st, errbuf, out) : 0;
}

static struct px *
px_new(const char *name, const char *listen, const char *upstream,
    bool enabled)
{
	struct px *px = calloc(1, sizeof(*px));

	if (px == NULL)
		return NULL;
	snprintf(px->name, sizeof(px->name), "%s", name);
	snprintf(px->listen, sizeof(px->listen), "%s", listen[0] != '\0' ?
	    listen : "127.0.0.1:0");
	snprintf(px->upstream, sizeof(px->upstream), "%s", upstream);
	px->enabled = enabled;
	px->lfd = -1;
	px->refs = 1;
	return px;
}

/* With hub.mu: stop px, end its connections, drop it from the list. */
static void
px_remove(struct registry *r, struct px *px)
{
	struct px **at = NULL;

	px_stop(r, px);
	link_kill_all(px);
	if (px_find(r, px->name, &at) == px)
		*at = px->next;
	px_unref(px);
}

/* At the end of the list: GET /proxies keeps the order of creation. */
static void
px_append(struct registry *r, struct px *px)
{
	struct px **pp = &r->px;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = px;
}

/* A proxy's fields from a body; -1 with errbuf (a 400). */
struct px_fields {
	const char *name, *listen, *upstream;
	bool enabled;
};

static int
str_field(json_t *body, const char *key, const char **out, char *errbuf)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		errbuf_set(errbuf, "bad request body: %s: not a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int
px_fields(json_t *body, struct px_fields *f, char *errbuf)
{
	char host[256], port[32];
	json_t *v;

	if (!json_is_object(body)) {
		errbuf_set(errbuf, "bad request body: not a JSON object");
		return -1;
	}
	if (str_field(body, "name", &f->name, errbuf) == -1 ||
	    str_field(body, "listen", &f->listen, errbuf) == -1 ||
	    str_field(body, "upstream", &f->upstream, errbuf) == -1)
		return -1;
	if ((v = json_object_get(body, "enabled")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			errbuf_set(errbuf, "bad request body: enabled: not "
			    "a boolean");
			return -1;
		}
		f->enabled = json_is_true(v);
	}
	if (strlen(f->name) >= sizeof(((struct px *)0)->name)) {
		errbuf_set(errbuf, "bad request body: name: too long");
		return -1;
	}
	if (f->listen[0] != '\0' && addr_split(f->listen, host, sizeof(host),
	    port, sizeof(port), errbuf) == -1) {
		errbuf_set(errbuf, "bad request body: listen: %s", f->listen);
		return -1;
	}
	if (f->upstream[0] != '\0' && (addr_split(f->upstream, host,
	    sizeof(host), port, sizeof(port), errbuf) == -1 ||
	    strlen(f->upstream) >= sizeof(((struct px *)0)->upstream))) {
		errbuf_set(errbuf, "bad request body: upstream: %s",
		    f->upstream);
		return -1;
	}
	return 0;
}

/* With hub.mu: a new proxy, listening if enabled. */
static int
create(struct registry *r, const struct px_fields *f, struct px **out,
    char *errbuf)
{
	struct px *px;
	int st;

	if (px_find(r, f->name, NULL) != NULL) {
		errbuf_set(errbuf, "proxy already exists");
		return 409;
	}
	if ((px = px_new(f->name, f->listen, f->upstream, f->enabled)) ==
	    NULL) {
		errbuf_set(errbuf, "out of memory");
		return 500;
	}
	px->hub = &r->hub;
	if ((st = px_sync(r, px, errbuf)) != 0) {
		px_unref(px);
		return st;
	}
	px_append(r, px);
	*out = px;
	return 0;
}

static int
op_create(struct registry *r, json_t *body, json_t **out)
{
	struct px_fields f = { "", "", "", true };
	char errbuf[ERRBUF_LEN];
	struct px *px;
	int st;

	if (px_fields(body, &f, errbuf) == -1)
		return api_error(400, errbuf, out);
	if (f.name[0] == '\0')
		return api_error(400, "missing required field: name", out);
	if (f.upstream[0] == '\0')
		return api_error(400, "missing required field: upstream",
		    out);
	if ((st = create(r, &f, &px, errbuf)) != 0)
		return api_error(st, errbuf, out);
	*out = px_json(px);
	return 201;
}

/* Toxiproxy's AddOrReplace: an identical proxy stays as it is. */
static int
op_populate(struct registry *r, json_t *body, json_t **out)
{
	struct px_fields *f;
	char errbuf[ERRBUF_LEN], msg[ERRBUF_LEN];
	json_t *done, *v;
	struct px *px;
	size_t i, n;
	int st = 201;

	if (!json_is_array(body))
		return api_error(400, "bad request body: not a JSON array of "
		    "proxies", out);
	n = json_array_size(body);
	if ((f = calloc(n + 1, sizeof(*f))) == NULL)
		return api_error(500, "out of memory", out);
	json_array_foreach(body, i, v) {
		f[i] = (struct px_fields){ "", "", "", true };
		if (px_fields(v, &f[i], errbuf) == -1) {
			free(f);
			return api_error(400, errbuf, out);
		}
		if (f[i].name[0] == '\0' || f[i].upstream[0] == '\0') {
			snprintf(msg, sizeof(msg), "missing required field: "
			    "%s at proxy %zu", f[i].name[0] == '\0' ? "name" :
			    "upstream", i + 1);
			free(f);
			return api_error(400, msg, out);
		}
	}
	done = json_array();
	for (i = 0; i < n && st == 201; i++) {
		px = px_find(r, f[i].name, NULL);
		if (px != NULL && strcmp(px->upstream, f[i].upstream) == 0 &&
		    (f[i].listen[0] == '\0' || strcmp(px->listen,
		    f[i].listen) == 0)) {
			json_array_append_new(done, px_json(px));
			continue;
		}
		if (px != NULL)
			px_remove(r, px);
		if ((st = create(r, &f[i], &px, errbuf)) != 0)
			break;
		json_array_append_new(done, px_json(px));
		st = 201;
	}
	free(f);
	if (st != 201) {
		api_error(st, errbuf, out);
		json_object_set_new(*out, "proxies", done);
		return st;
	}
	*out = json_pack("{s:o}", "proxies", done);
	return 201;
}

static int
op_update(struct registry *r, struct px *px, json_t *body, json_t **out)
{
	struct px_fields f = { px->name, px->listen, px->upstream,
	    px->enabled };
	char errbuf[ERRBUF_LEN];
	int st;

	if (px_fields(body, &f, errbuf) == -1)
		return api_error(400, errbuf, out);
	if (strcmp(f.listen, px->listen) != 0 ||
	    strcmp(f.upstream, px->upstream) != 0) {
		px_stop(r, px);
		link_kill_all(px);
		snprintf(px->listen, sizeof(px->listen), "%s", f.listen);
		snprintf(px->upstream, sizeof(px->upstream), "%s", f.upstream);
	}
	if (!f.enabled && px->enabled)
		link_kill_all(px);
	px->enabled = f.enabled;
	if ((st = sync_failed(r, px, out)) != 0)
		return st;
	*out = px_json(px);
	return 200;
}

static int
op_toxic_create(struct registry *r, struct px *px, json_t *body,
    json_t **out)
{
	char errbuf[ERRBUF_LEN];
	struct toxic t;
	int st;

	if (toxic_from_json(body, &t, errbuf) == -1)
		return api_error(400, errbuf, out);
	if (t.type == TOXIC_IDLE_CLOSE && !r->hub.http)
		return api_error(400, "idle_close: the proxy runs without "
		    "--http, so there is no response to wait for", out);
	if (toxic_find(px, t.name, NULL) != NULL)
		return api_error(409, "toxic already exists", out);
	if (px->ntox == px->captox) {
		size_t cap = px->captox ? px->captox * 2 : 4;
		void *n = realloc(px->tox, cap * sizeof(*px->tox));

		if (n == NULL)
			return api_error(500, "out of memory", out);
		px->tox = n;
		px->captox = cap;
	}
	px->tox[px->ntox++] = t;
	if ((st = sync_failed(r, px, out)) != 0)
		return st;
	*out = toxic_to_json(&px->tox[px->ntox - 1]);
	return 200;
}

static int
op_toxic(struct registry *r, enum reg_op op, struct px *px,
    const char *name, json_t *body, json_t **out)
{
	char errbuf[ERRBUF_LEN];
	struct toxic *t;
	size_t i;
	int st;

	if ((t = toxic_find(px, name, &i)) == NULL)
		return api_error(404, "toxic not found", out);
	switch (op) {
	case REG_TOXIC_SHOW:
		*out = toxic_to_json(t);
		return 200;
	case REG_TOXIC_UPDATE:
		if (toxic_update_json(body, t, errbuf) == -1)
			return api_error(400, errbuf, out);
		*out = toxic_to_json(t);
		return 200;
	default:
		memmove(px->tox + i, px->tox + i + 1,
		    (px->ntox - i - 1) * sizeof(*px->tox));
		px->ntox--;
		return (st = sync_failed(r, px, out)) != 0 ? st : 204;
	}
}

static int
op_reset(struct registry *r, json_t **out)
{
	int st = 0;

	for (struct px *px = r->px; px != NULL && st == 0; px = px->next) {
		px->ntox = 0;
		px->enabled = true;
		st = sync_failed(r, px, out);
	}
	return st != 0 ? st : 204;
}

static int
call_locked(struct registry *r, enum reg_op op, const char *name,
    const char *toxic, json_t *body, json_t **out)
{
	struct px *px = NULL;

	switch (op) {
	case REG_PROXIES:
		*out = json_object();
		for (px = r->px; px != NULL; px = px->next)
			json_object_set_new(*out, px->name, px_json(px));
		return 200;
	case REG_PROXY_CREATE:
		return op_create(r, body, out);
	case REG_POPULATE:
		return op_populate(r, body, out);
	case REG_RESET:
		return op_reset(r, out);
	default:
		break;
	}
	if (name == NULL || (px = px_find(r, name, NULL)) == NULL)
		return api_error(404, "proxy not found", out);
	switch (op) {
	case REG_PROXY_SHOW:
		*out = px_json(px);
		return 200;
	case REG_PROXY_UPDATE:
		return op_update(r, px, body, out);
	case REG_PROXY_DELETE:
		px_remove(r, px);
		*out = NULL;
		return 204;
	case REG_TOXICS:
		*out = toxics_json(px);
		return 200;
	case REG_TOXIC_CREATE:
		return op_toxic_create(r, px, body, out);
	default:
		return op_toxic(r, op, px, toxic != NULL ? toxic : "", body,
		    out);
	}
}

int
registry_call(struct registry *r, enum reg_op op, const char *proxy,
    const char *toxic, json_t *body, json_t **out)
{
	int st;

	*out = NULL;
	pthread_mutex_lock(&r->hub.mu);
	st = call_locked(r, op, proxy, toxic, body, out);
	pthread_mutex_unlock(&r->hub.mu);
	return st;
}

struct registry *
registry_new(const struct registry_opts *o)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->o = *o;
	pthread_mutex_init(&r->hub.mu, NULL);
	pthread_cond_init(&r->hub.cv, NULL);
	r->hub.out = stdout;
	r->hub.json = o->json;
	r->hub.wire = o->wire;
	r->hub.http = o->http;
	return r;
}

void
registry_free(struct registry *r)
{
	pthread_mutex_lock(&r->hub.mu);
	while (r->px != NULL)
		px_remove(r, r->px);
	while (r->hub.live > 0)
		pthread_cond_wait(&r->hub.cv, &r->hub.mu);
	pthread_mutex_unlock(&r->hub.mu);
	pthread_cond_destroy(&r->hub.cv);
	pthread_mutex_destroy(&r->hub.mu);
	free(r);
}

int
registry_add_cli(struct registry *r, const char *name, const char *listen,
    const char *upstream, const struct toxic *t, char *errbuf)
{
	struct px_fields f = { name, listen, upstream, false };
	struct px *px;
	int st;

	/* Created disabled: the toxic is there before the first client. */
	pthread_mutex_lock(&r->hub.mu);
	if ((st = create(r, &f, &px, errbuf)) == 0) {
		if (t != NULL && (px->tox = malloc(sizeof(*px->tox))) == NULL) {
			errbuf_set(errbuf, "out of memory");
			st = 500;
		} else {
			if (t != NULL) {
				px->tox[0] = *t;
				px->ntox = px->captox = 1;
			}
			px->enabled = true;
			st = px_sync(r, px, errbuf);
		}
	}
	pthread_mutex_unlock(&r->hub.mu);
	return st == 0 ? 0 : -1;
}

const char *
registry_listen(struct registry *r, const char *name, char *buf,
    size_t len)
{
	struct px *px;
	const char *s = NULL;

	pthread_mutex_lock(&r->hub.mu);
	if ((px = px_find(r, name, NULL)) != NULL && px->lfd >= 0) {
		snprintf(buf, len, "%s", px->listen);
		s = buf;
	}
	pthread_mutex_unlock(&r->hub.mu);
	return s;
}

void
registry_stats(struct registry *r, uint64_t *reported, uint64_t *failures)
{
	pthread_mutex_lock(&r->hub.mu);
	*reported = r->hub.reported;
	*failures = r->hub.failures;
	pthread_mutex_unlock(&r->hub.mu);
}
