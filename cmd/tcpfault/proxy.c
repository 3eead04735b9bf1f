/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpfault proxy: Toxiproxy's API, or one proxy with one fault, on relay. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "api.h"
#include "clock.h"
#include "errbuf.h"
#include "exitcode.h"
#include "modes.h"
#include "numparse.h"
#include "proxy.h"
#include "registry.h"
#include "toxics.h"
#include "wire.h"

/* The options, their argument and help: getopt's table is built from it. */
static const struct {
	const char *name;
	int val;
	const char *arg;	/* NULL: a flag */
	const char *help;
} opts[] = {
	{ "api", 'a', "[HOST:]PORT", "serve Toxiproxy's HTTP API (default "
	    "127.0.0.1:8474)" },
	{ "config", 'c', "FILE", "create the proxies of a populate file" },
	{ "listen", 'l', "[HOST:]PORT", "the shorthand proxy listens here," },
	{ "target", 't', "HOST:PORT", "connects each client there" },
	{ "fault", 'f', "FAULT", "with this toxic (below)" },
	{ "toxicity", 'x', "P", "for this share of connections (0..1)" },
	{ "stream", 's', "DIR", "only one way: upstream or downstream" },
	{ "hold", 'H', "SECS", "how long a vanish lasts (default 60)" },
	{ "count", 'n', "N", "exit after N connections (default: never)" },
	{ "http", 'w', NULL, "byte counts start at the first response's "
	    "body; idle_close" },
	{ "json", 'j', NULL, "one JSON object per connection" },
	{ "pcap", 'P', "DIR", "capture lo there, add each wire's class" },
	{ "help", 'h', NULL, "this help" },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

struct proxy_config {
	const char *api, *config, *listen, *target, *fault, *pcap;
	double toxicity;
	int stream;		/* -1: both ways (the fault counts both) */
	int hold_ms, count;
	bool json, http;
};

static void __attribute__((noreturn))
proxy_usage(FILE *fp, int code)
{
	char lhs[64];

	fprintf(fp, "usage: tcpfault proxy [--api [HOST:]PORT] [--config FILE] "
	    "[--json] [--count N]\n"
	    "                [--pcap DIR] [--http]\n"
	    "       tcpfault proxy --listen [HOST:]PORT --target HOST:PORT "
	    "--fault FAULT\n"
	    "                [--toxicity P] [--stream DIR] [--hold SECS] "
	    "[--api ...]\n");
	if (fp == stdout) {
		for (size_t i = 0; i < NOPTS; i++) {
			snprintf(lhs, sizeof(lhs), "--%s%s%s", opts[i].name,
			    opts[i].arg != NULL ? " " : "",
			    opts[i].arg != NULL ? opts[i].arg : "");
			fprintf(fp, "  %-24s %s\n", lhs, opts[i].help);
		}
		toxic_list_faults(fp);
	}
	exit(code);
}

static void
parse(int argc, char **argv, struct proxy_config *c)
{
	struct option lo[NOPTS + 1];
	char errbuf[ERRBUF_LEN];
	int64_t v;
	int ch;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < NOPTS; i++)
		lo[i] = (struct option){ opts[i].name, opts[i].arg != NULL ?
		    required_argument : no_argument, NULL, opts[i].val };
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': c->api = optarg; break;
		case 'c': c->config = optarg; break;
		case 'l': c->listen = optarg; break;
		case 't': c->target = optarg; break;
		case 'f': c->fault = optarg; break;
		case 'j': c->json = true; break;
		case 'w': c->http = true; break;
		case 'P': c->pcap = optarg; break;
		case 'h': proxy_usage(stdout, 0);
		case 'H': c->hold_ms = mode_opt_ms(optarg, "--hold"); break;
		case 'n': c->count = mode_opt_count(optarg); break;
		case 'x':
			if (num_parse_secs_ms(optarg, 1000, "--toxicity", &v,
			    errbuf) == -1)
				errx(2, "%s", errbuf);
			c->toxicity = (double)v / 1000;
			break;
		case 's':
			if (strcmp(optarg, "upstream") == 0)
				c->stream = TOXIC_UPSTREAM;
			else if (strcmp(optarg, "downstream") == 0)
				c->stream = TOXIC_DOWNSTREAM;
			else
				errx(2, "--stream: upstream or downstream, "
				    "not '%s'", optarg);
			break;
		default:
			proxy_usage(stderr, 2);
		}
	}
	if (optind != argc)
		errx(2, "proxy: unexpected argument '%s'", argv[optind]);
	if ((c->listen != NULL || c->target != NULL || c->fault != NULL) &&
	    (c->listen == NULL || c->target == NULL ||
	    (c->fault == NULL && c->api == NULL)))
		errx(2, "proxy: --listen, --target and --fault are required "
		    "together (--fault may be left out with --api)");
	if (c->fault == NULL && (c->toxicity < 1 || c->stream >= 0))
		errx(2, "proxy: --toxicity and --stream go with --fault");
	if (c->listen == NULL && c->api == NULL)
		c->api = "127.0.0.1:8474";
}

/* --config FILE: Toxiproxy's populate body, read at start. */
static void
populate_file(struct registry *r, const char *path)
{
	json_error_t jerr;
	json_t *body, *out = NULL, *e;
	int st;

	if ((body = json_load_file(path, JSON_DECODE_ANY, &jerr)) == NULL)
		errx(2, "--config %s: line %d: %s", path, jerr.line, jerr.text);
	st = registry_call(r, REG_POPULATE, NULL, NULL, body, &out);
	json_decref(body);
	if (st != 201) {
		e = json_object_get(out, "error");
		errx(st == 400 ? 2 : 1, "--config %s: %s", path,
		    e != NULL ? json_string_value(e) : "failed");
	}
	json_decref(out);
}

/* The command line's proxy "cli" with its one toxic. */
static void
start_cli(struct registry *r, const struct proxy_config *c)
{
	char host[256], port[32], target[300], listen[300], bound[300];
	char errbuf[ERRBUF_LEN];
	struct toxic t;

	if (c->fault != NULL) {
		if (toxic_from_fault(c->fault, c->hold_ms, &t, errbuf) == -1) {
			warnx("%s", errbuf);
			if (strncmp(errbuf, "unknown", 7) == 0)
				toxic_list_faults(stderr);
			exit(2);
		}
		if (t.type == TOXIC_IDLE_CLOSE && !c->http)
			errx(2, "--fault idle_close: needs --http (it waits "
			    "for the end of a response)");
		t.toxicity = c->toxicity;
		if (c->stream >= 0) {
			t.stream = (enum toxic_stream)c->stream;
			snprintf(t.name, sizeof(t.name), "%s_%s",
			    toxic_type_name(t.type), toxic_stream_name(
			    t.stream));
		}
	}
	mode_listen_split(c->listen, host, sizeof(host), port, sizeof(port));
	snprintf(listen, sizeof(listen), strchr(host, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", host, port);
	if (addr_split(c->target, host, sizeof(host), port, sizeof(port),
	    errbuf) == -1)
		errx(2, "--target: %s", errbuf);
	snprintf(target, sizeof(target), "%s", c->target);
	if (registry_add_cli(r, "cli", listen, target, c->fault != NULL ?
	    &t : NULL, errbuf) == -1)
		errx(1, "%s", errbuf);
	if (registry_listen(r, "cli", bound, sizeof(bound)) != NULL)
		fprintf(stderr, "tcpfault: proxy listening on %s, target %s, "
		    "fault %s\n", bound, c->target, c->fault != NULL ?
		    c->fault : "none");
	else
		fprintf(stderr, "tcpfault: proxy not listening (refuse), "
		    "target %s\n", c->target);
}

int
proxy_main(int argc, char **argv)
{
	struct proxy_config c = { .toxicity = 1, .stream = -1,
	    .hold_ms = 60000 };
	struct registry_opts ro;
	char host[256], port[32], errbuf[ERRBUF_LEN];
	uint64_t reported = 0, failures = 0;
	struct registry *r;
	struct api *a = NULL;
	unsigned bound;

	parse(argc, argv, &c);
	mode_catch_stop();
	ro = (struct registry_opts){ .json = c.json, .http = c.http };
	if (c.pcap != NULL && (ro.wire = wire_open(c.pcap, errbuf)) == NULL)
		errx(1, "%s", errbuf);
	if ((r = registry_new(&ro)) == NULL)
		errx(1, "out of memory");
	if (c.config != NULL)
		populate_file(r, c.config);
	if (c.listen != NULL)
		start_cli(r, &c);
	if (c.api != NULL) {
		mode_listen_split(c.api, host, sizeof(host), port,
		    sizeof(port));
		if ((a = api_start(host, port, r, &bound, errbuf)) == NULL)
			errx(1, "%s", errbuf);
		fprintf(stderr, "tcpfault: API listening on %s:%u\n", host,
		    bound);
	}
	while (!mode_stop && (c.count == 0 || reported < (uint64_t)c.count)) {
		mode_sleep_until(clock_mono_ms() + 50);
		registry_stats(r, &reported, &failures);
	}
	api_stop(a);
	registry_free(r);
	wire_close(ro.wire);
	/* Stopped by a signal: the suite's 128 + signo (SIGINT 130). */
	return stop_requested() != 0 ? STOP_EXIT(stop_requested()) :
	    failures > 0 ? 1 : 0;
}
