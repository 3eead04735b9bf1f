/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst: how every TCP connection in a capture ended, and who ended it. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "errbuf.h"
#include "expect.h"
#include "flow.h"
#include "flow_out.h"
#include "numparse.h"
#include "pktdecode.h"
#include "reader.h"
#include "timeline.h"

#define EXIT_EXPECT	1
#define EXIT_USAGE	2
#define EXIT_INPUT	3

#define DEFAULT_LADDER	8

static struct config {
	bool json;
	bool quiet;
	bool verbose;
	unsigned int ladder;	/* 0: no ladder */
	const char *iface;
	const char *filter;
	int64_t grace_ms;	/* -1: the library's default */
	int64_t idle_ms;
	int snaplen;
	struct expect **expects;
	size_t nexpects;
} cfg = { .grace_ms = -1 };

/* Everything the report callback needs. */
static struct run {
	struct flow_table *table;
	uint64_t pkt_status[PKT_STATUS_COUNT];
	uint64_t frames;
	bool header_done;
	bool out_failed;
	char error[512];	/* first input error, for the JSON summary */
	json_t *files;
	pthread_mutex_t lock;	/* live capture: thread vs. main */
	atomic_bool stop;	/* stdout is gone: stop reading */
	int64_t last_ts;	/* latest segment time seen */
	bool have_ts;
} run = { .lock = PTHREAD_MUTEX_INITIALIZER };

static volatile sig_atomic_t stop_signal;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: finrst [-jqv] [-e EXPR] [-f BPF] [--ladder[=N]] "
	    "[--grace SECS]\n"
	    "              [--idle SECS] FILE...\n"
	    "       finrst [-jqv] [-e EXPR] [-f BPF] [--ladder[=N]] "
	    "[--grace SECS]\n"
	    "              [--idle SECS] [-s SNAPLEN] -i IFACE\n");
	exit(EXIT_USAGE);
}

/*
 * stdout is gone (a closed pipe): stop quietly, as head(1) expects. Live
 * capture flushes every line; reading files, stdio's buffer does.
 */
static void
out_check(void)
{
	if (!run.out_failed && (ferror(stdout) ||
	    (cfg.iface != NULL && fflush(stdout) == EOF))) {
		run.out_failed = true;
		atomic_store(&run.stop, true);
		if (errno != EPIPE)
			warn("stdout");
	}
}

static void
out_json(json_t *o)
{
	if (jsonl_write_opts(stdout, o, JSON_REAL_PRECISION(15),
	    cfg.iface != NULL) < 0)
		out_check();
}

static void
on_report(const struct flow_result *r, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < cfg.nexpects; i++)
		expect_feed(cfg.expects[i], r);
	if (cfg.quiet || run.out_failed)
		return;
	if (cfg.json && cfg.ladder) {
		json_t *o = flow_result_json(r);

		if (o == NULL)
			errx(1, "out of memory");
		json_object_set_new(o, "ladder", flow_result_ladder_json(r));
		out_json(o);
		return;
	}
	if (cfg.json) {
		/* the same bytes as jansson's, without building the tree */
		char buf[4096];
		int n = flow_result_json_text(r, buf, sizeof(buf) - 1);

		if (n >= (int)sizeof(buf) - 1) {
			json_t *o = flow_result_json(r);

			if (o == NULL)
				errx(1, "out of memory");
			out_json(o);
			return;
		}
		buf[n] = '\n';
		if (fwrite(buf, 1, (size_t)n + 1, stdout) != (size_t)n + 1)
			out_check();
		else if (cfg.iface != NULL)
			out_check();
		return;
	}
	if (!run.header_done) {
		printf("%s\n", flow_line_header());
		run.header_done = true;
	}
	{
		char line[1024];
		int n = flow_result_line(r, line, sizeof(line));

		if (n >= (int)sizeof(line)) {
			char *big = malloc((size_t)n + 1);

			if (big == NULL)
				errx(1, "out of memory");
			flow_result_line(r, big, (size_t)n + 1);
			printf("%s\n", big);
			free(big);
		} else {
			printf("%s\n", line);
		}
	}
	if (cfg.ladder) {
		char *l = flow_result_ladder(r);

		if (l == NULL)
			errx(1, "out of memory");
		printf("%s\n", l);
		free(l);
	}
	out_check();
}

static void
feed_frame(int linktype, int64_t ts_us, const uint8_t *frame,
    uint32_t caplen)
{
	struct pkt_tcp seg;
	enum pkt_status st;

	run.frames++;
	st = pkt_decode(linktype, ts_us, frame, caplen, &seg);
	run.pkt_status[st]++;
	if (st == PKT_TCP && flow_table_add(run.table, &seg) < 0)
		errx(1, "out of memory tracking connections");
}

static void
set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
set_error(const char *fmt, ...)
{
	va_list ap;

	if (run.error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(run.error, sizeof(run.error), fmt, ap);
	va_end(ap);
}

static const char *
link_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

static void
print_summary(const struct flow_summary *s, int exit_code,
    const char *expect_report)
{
	size_t i;
	uint64_t unacked = s->with_note[0] + s->with_note[1];

	if (cfg.json) {
		json_t *o = flow_summary_json(s), *pk;

		if (o == NULL)
			errx(1, "out of memory");
		pk = json_pack("{s:I}", "frames", (json_int_t)run.frames);
		for (i = 0; pk && i < PKT_STATUS_COUNT; i++)
			json_object_set_new(pk, pkt_status_name(
			    (enum pkt_status)i), json_integer(
			    (json_int_t)run.pkt_status[i]));
		json_object_set_new(o, "packets", pk);
		json_object_set_new(o, "files", json_incref(run.files));
		if (cfg.nexpects) {
			json_t *ex = json_array();

			for (i = 0; ex && i < cfg.nexpects; i++) {
				json_t *one = expect_json(cfg.expects[i]);

				json_array_extend(ex, one);
				json_decref(one);
			}
			json_object_set_new(o, "expect", ex);
		}
		json_object_set_new(o, "exit", json_integer(exit_code));
		if (run.error[0])
			json_object_set_new(o, "error",
			    json_string(run.error));
		out_json(o);
		if (fflush(stdout) == EOF)
			out_check();
		return;
	}
	if (run.out_failed)
		return;
	if (!cfg.quiet && run.header_done && !cfg.ladder)
		printf("\n");
	printf("%" PRIu64 " connection%s:", s->connections,
	    s->connections == 1 ? "" : "s");
	for (i = 0; i < FLOW_CLASS_COUNT; i++)
		printf("%s %" PRIu64 " %s", i ? "," : "", s->by_class[i],
		    flow_class_name((enum flow_class)i));
	printf("; %" PRIu64 " partial, %" PRIu64 " half-closed\n",
	    s->partial, s->half_close);
	printf("closed by orig %" PRIu64 ", by resp %" PRIu64 "\n",
	    s->closed_by_orig, s->closed_by_resp);
	printf("%" PRIu64 " frames: %" PRIu64 " TCP, %" PRIu64 " not TCP, %"
	    PRIu64 " not IP, %" PRIu64 " fragments, %" PRIu64 " truncated, %"
	    PRIu64 " malformed\n", run.frames, run.pkt_status[PKT_TCP],
	    run.pkt_status[PKT_NOT_TCP], run.pkt_status[PKT_NOT_IP],
	    run.pkt_status[PKT_FRAGMENT], run.pkt_status[PKT_TRUNCATED],
	    run.pkt_status[PKT_MALFORMED]);
	if (unacked)
		printf("unacknowledged bytes are not necessarily lost (the"
		    " receiver may still read them); data an application"
		    " never sent is not on the wire at all\n");
	if (expect_report == NULL && cfg.nexpects)
		printf("all %zu expectation%s held\n", cfg.nexpects,
		    cfg.nexpects == 1 ? "" : "s");
	if (fflush(stdout) == EOF && !run.out_failed) {
		run.out_failed = true;
		if (errno != EPIPE)
			warn("stdout");
	}
}

/* Evaluate expectations, print the summary; returns the exit code. */
static int
finish(int code)
{
	char *report = NULL, *all = NULL;
	size_t i, len = 0;
	bool ok = true;

	flow_table_flush(run.table);
	for (i = 0; i < cfg.nexpects; i++) {
		char *r = NULL;

		if (!expect_finish(cfg.expects[i], &r))
			ok = false;
		if (r) {
			size_t n = strlen(r);
			char *na = realloc(all, len + n + 1);

			if (na) {
				all = na;
				memcpy(all + len, r, n + 1);
				len += n;
			}
			free(r);
		}
	}
	report = all;
	if (!ok && code == 0)
		code = EXIT_EXPECT;
	print_summary(flow_table_summary(run.table), code, report);
	if (report) {
		/* one line per broken assertion, on stderr for CI logs */
		char *line = report, *nl;

		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			warnx("%s", line);
			line = nl + 1;
		}
	}
	free(report);
	return code;
}

/* A clock step back by more than this starts another capture. */
#define NEW_CAPTURE_US 1000000

static void
on_segment(const struct pkt_tcp *seg, void *arg)
{
	(void)arg;
	/*
	 * Files given out of time order (or unrelated captures) are separate
	 * captures: end the earlier one rather than clamp the later one's
	 * packets to its clock. Small steps back (reordered capture queues)
	 * stay in one capture.
	 */
	if (run.have_ts && seg->ts_us + NEW_CAPTURE_US < run.last_ts) {
		flow_table_flush(run.table);
		run.last_ts = seg->ts_us;
	} else if (!run.have_ts || seg->ts_us > run.last_ts) {
		run.last_ts = seg->ts_us;
	}
	run.have_ts = true;
	if (flow_table_add(run.table, seg) < 0)
		errx(1, "out of memory tracking connections");
}

static int
run_files(int argc, char **argv)
{
	struct reader_input *in = calloc((size_t)argc, sizeof(*in));
	struct reader_stats st;
	char perr[PCAP_ERRBUF_SIZE];
	int i, code = 0, rc;

	if (in == NULL)
		err(1, "calloc");
	/* Open everything first: a missing file fails before any output. */
	for (i = 0; i < argc; i++) {
		int dlt;

		in[i].path = argv[i];
		in[i].p = pcap_open_offline(argv[i], perr);
		if (in[i].p == NULL) {
			if (strcmp(argv[i], "-") != 0 && access(argv[i],
			    R_OK) < 0)
				warn("%s", argv[i]);
			else
				warnx("%s: %s", argv[i], perr);
			exit(EXIT_INPUT);
		}
		dlt = pcap_datalink(in[i].p);
		if (!pkt_link_supported(dlt)) {
			warnx("%s: link type %d (%s) is not supported: finrst"
			    " reads Ethernet, Linux cooked (SLL, SLL2), BSD"
			    " loopback/NULL and raw IP captures", argv[i],
			    dlt, link_name(dlt));
			exit(EXIT_INPUT);
		}
		if (cfg.filter) {
			struct bpf_program prog;

			if (pcap_compile(in[i].p, &prog, cfg.filter, 1,
			    PCAP_NETMASK_UNKNOWN) < 0) {
				warnx("-f: %s", pcap_geterr(in[i].p));
				exit(EXIT_USAGE);
			}
			if (pcap_setfilter(in[i].p, &prog) < 0) {
				warnx("%s: filter: %s", argv[i],
				    pcap_geterr(in[i].p));
				exit(EXIT_INPUT);
			}
			pcap_freecode(&prog);
		}
	}
	memset(&st, 0, sizeof(st));
	st.files = run.files;
	rc = reader_run(in, argc, cfg.verbose, on_segment, NULL, &run.stop,
	    &st);
	if (rc == -2)
		errx(1, "out of memory");
	run.frames = st.frames;
	memcpy(run.pkt_status, st.status, sizeof(run.pkt_status));
	if (rc < 0) {
		set_error("%s", st.error);
		code = EXIT_INPUT;
	}
	code = finish(code);
	if (code == EXIT_INPUT)
		warnx("%s", run.error);
	for (i = 0; i < argc; i++)
		if (in[i].p)
			pcap_close(in[i].p);
	free(in);
	return run.out_failed && code == 0 ? 1 : code;
}

static void
live_frame(void *arg, int linktype, int64_t ts_us, uint32_t len,
    const uint8_t *frame, uint32_t caplen)
{
	(void)arg;
	(void)len;
	pthread_mutex_lock(&run.lock);
	feed_frame(linktype, ts_us, frame, caplen);
	pthread_mutex_unlock(&run.lock);
}

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static int
run_live(void)
{
	struct capture_opts o = {
		.iface = cfg.iface, .filter = cfg.filter,
		.snaplen = cfg.snaplen,
	};
	struct sigaction sa;
	char ebuf[ERRBUF_LEN];
	enum capture_err why;
	struct capture *c;
	int code;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	c = capture_open(&o, live_frame, NULL, &why, ebuf);
	if (c == NULL) {
		warnx("%s", ebuf);	/* "capture on IFACE: why" */
		return why == CAPTURE_ERR_FILTER ? EXIT_USAGE : EXIT_INPUT;
	}
	if (!pkt_link_supported(capture_linktype(c))) {
		warnx("%s: link type %d (%s) is not supported", cfg.iface,
		    capture_linktype(c), link_name(capture_linktype(c)));
		capture_close(c);
		return EXIT_INPUT;
	}
	if (capture_start(c, ebuf) < 0) {
		warnx("%s: %s", cfg.iface, ebuf);
		capture_close(c);
		return EXIT_INPUT;
	}
	json_array_append_new(run.files, json_pack("{s:s, s:s}", "interface",
	    cfg.iface, "link", link_name(capture_linktype(c))));
	if (cfg.verbose) {
		fprintf(stderr, "finrst: capturing on %s (%s)%s%s\n",
		    cfg.iface, link_name(capture_linktype(c)),
		    cfg.filter ? ", filter: " : "",
		    cfg.filter ? cfg.filter : "");
		fflush(stderr);
	}
	while (!stop_signal && !run.out_failed) {
		struct timeval tv;
		struct timespec nap = { 0, 200 * 1000 * 1000 };

		nanosleep(&nap, NULL);
		gettimeofday(&tv, NULL);
		/* Settle connections whose grace ran out while quiet. */
		pthread_mutex_lock(&run.lock);
		flow_table_advance(run.table, (int64_t)tv.tv_sec * 1000000 +
		    tv.tv_usec);
		pthread_mutex_unlock(&run.lock);
	}
	capture_stop(c, 0, 0, ebuf);
	capture_close(c);
	code = finish(0);
	return run.out_failed && code == 0 ? 1 : code;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "expect", required_argument, NULL, 'e' },
		{ "filter", required_argument, NULL, 'f' },
		{ "interface", required_argument, NULL, 'i' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "ladder", optional_argument, NULL, 'L' },
		{ "grace", required_argument, NULL, 'G' },
		{ "idle", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char ebuf[ERRBUF_LEN];
	struct flow_config fc;
	int ch, code;
	int64_t v;

	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":je:f:hi:qs:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'j':
			cfg.json = true;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'e': {
			char perr[256];
			struct expect *e = expect_parse(optarg, perr,
			    sizeof(perr));
			struct expect **ne;

			if (e == NULL) {
				warnx("--expect '%s': %s", optarg, perr);
				exit(EXIT_USAGE);
			}
			ne = realloc(cfg.expects, (cfg.nexpects + 1) *
			    sizeof(*ne));
			if (ne == NULL)
				err(1, "realloc");
			cfg.expects = ne;
			cfg.expects[cfg.nexpects++] = e;
			break;
		}
		case 'f':
			cfg.filter = optarg;
			break;
		case 'i':
			cfg.iface = optarg;
			break;
		case 's':
			if (num_parse_i64(optarg, 64, 262144, "-s", &v,
			    ebuf) < 0)
				errx(EXIT_USAGE, "%s", ebuf);
			cfg.snaplen = (int)v;
			break;
		case 'L':
			if (optarg == NULL) {
				cfg.ladder = DEFAULT_LADDER;
				break;
			}
			if (num_parse_i64(optarg, 1, 10000, "--ladder", &v,
			    ebuf) < 0)
				errx(EXIT_USAGE, "%s", ebuf);
			cfg.ladder = (unsigned int)v;
			break;
		case 'G':
			if (num_parse_secs_ms(optarg, 86400 * 1000, "--grace",
			    &cfg.grace_ms, ebuf) < 0)
				errx(EXIT_USAGE, "%s", ebuf);
			break;
		case 'I':
			if (num_parse_secs_ms(optarg, 86400LL * 1000 * 365,
			    "--idle", &cfg.idle_ms, ebuf) < 0)
				errx(EXIT_USAGE, "%s", ebuf);
			break;
		case 'h':
			usage();
			break;
		case ':':
			warnx("%s needs an argument", argv[optind - 1]);
			usage();
			break;
		default:
			if (optopt != 0 && strchr("jqvh", optopt) == NULL &&
			    argv[optind - 1][1] != '-')
				warnx("unknown option -%c", optopt);
			else
				warnx("unknown option %s", argv[optind - 1]);
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (cfg.iface != NULL && argc > 0) {
		warnx("-i reads a live interface: give no FILE");
		usage();
	}
	if (cfg.iface == NULL && argc == 0) {
		warnx("no capture file given (use - for stdin)");
		usage();
	}
	if (cfg.snaplen && cfg.iface == NULL) {
		warnx("-s applies to live capture (-i) only");
		usage();
	}

	memset(&fc, 0, sizeof(fc));
	fc.grace_us = cfg.grace_ms < 0 ? -1 : cfg.grace_ms * 1000;
	fc.idle_us = cfg.idle_ms * 1000;
	fc.ladder = cfg.ladder;
	run.table = flow_table_new(&fc, on_report, NULL);
	run.files = json_array();
	if (run.table == NULL || run.files == NULL)
		errx(1, "out of memory");
	if (cfg.iface != NULL)
		setvbuf(stdout, NULL, _IOLBF, 0);

	code = cfg.iface ? run_live() : run_files(argc, argv);

	flow_table_free(run.table);
	json_decref(run.files);
	while (cfg.nexpects > 0)
		expect_free(cfg.expects[--cfg.nexpects]);
	free(cfg.expects);
	return code;
}
