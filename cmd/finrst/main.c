/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst: how every TCP connection in a capture ended, and who ended it. */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "clock.h"
#include "errbuf.h"
#include "expect.h"
#include "flow.h"
#include "flow_out.h"
#include "flow_svg.h"
#include "numparse.h"
#include "pktdecode.h"
#include "pipeline.h"
#include "pictures.h"
#include "stop.h"
#include "term.h"
#include "timeline.h"
#include "usage.h"
#include "version.h"

#define EXIT_EXPECT	1
#define EXIT_USAGE	2
#define EXIT_INPUT	3

#define DEFAULT_LADDER	8

/* The options, parsed once in main() and read-only below it. */
struct config {
	bool json;
	bool quiet;
	bool verbose;
	unsigned int ladder;	/* 0: no ladder */
	const char *iface;
	const char *filter;
	int64_t grace_ms;	/* -1: the library's default */
	int64_t idle_ms;
	int snaplen;
	struct pkt_config decode;	/* tunnels: on or off, UDP ports */
	const char *zeek;	/* conn.log path, "-": stdout; NULL: none */
	bool zeek_json;		/* Zeek's JSON log rather than its TSV */
	bool per_file;		/* each file its own capture */
	const char *html;	/* --html FILE */
	const char *svg_dir;	/* --svg DIR */
	bool all_pictures;
	struct expect **expects;	/* evaluated as connections come */
	size_t nexpects;
};

/* One run: what the report callback and the summary need. */
struct run {
	const struct config *cfg;
	struct pipeline *pl;
	bool header_done;
	int columns;		/* narrow table for this width, else 0 */
	char said[512];		/* say(): the summary line being built */
	bool out_failed;
	char error[512];	/* first input error, for the JSON summary */
	json_t *files;
	FILE *zeek;		/* the conn.log being written, or NULL */
	struct flow_html *pics;	/* --html, --svg */
	struct flow_step *ladder_steps;	/* --ladder below the pictures' */
	atomic_bool stop;	/* stdout is gone: stop reading */
};

/*
 * The summary's prose on stdout: as is on a wide screen; on a narrow one
 * each line is held until its newline and then broken at blanks.
 */
static void
say(struct run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct run *run, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	va_start(ap, fmt);
	if (!run->columns) {
		vprintf(fmt, ap);
		va_end(ap);
		return;
	}
	vsnprintf(run->said + strlen(run->said), sizeof(run->said) -
	    strlen(run->said), fmt, ap);
	va_end(ap);
	while ((nl = strchr(run->said, '\n')) != NULL) {
		char out[sizeof(run->said) + 64];

		*nl = '\0';
		term_wrap(out, sizeof(out), run->said, 0, 2, run->columns);
		printf("%s\n", out);
		memmove(run->said, nl + 1, strlen(nl + 1) + 1);
	}
}

/* r's table line(s), wide or narrow for columns, on stdout. */
static void
table_line(const struct flow_result *r, int columns)
{
	char line[1024], *big;
	int n = columns ? flow_result_line_narrow(r, columns, line,
	    sizeof(line)) : flow_result_line(r, line, sizeof(line));

	if (n < 0)
		errx(1, "out of memory");
	if (n < (int)sizeof(line)) {
		printf("%s\n", line);
		return;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL)
		errx(1, "out of memory");
	if (columns)
		n = flow_result_line_narrow(r, columns, big, (size_t)n + 1);
	else
		flow_result_line(r, big, (size_t)n + 1);
	if (n < 0)
		errx(1, "out of memory");
	printf("%s\n", big);
	free(big);
}

/* The synopsis (as the man page has it), and the options -h adds. */
static const char synopsis[] =
	"usage: finrst [-jqv] [-e EXPR] [-f BPF] [--ladder[=N]] "
	"[--grace SECS]\n"
	"              [--idle SECS] [--no-tunnels] "
	"[--tunnel-port KIND=PORTS]\n"
	"              [--zeek FILE | --zeek-json FILE] [--per-file]\n"
	"              [--html FILE] [--svg DIR] [--all-pictures] "
	"FILE|DIR...\n"
	"       finrst [-jqv] [-e EXPR] [-f BPF] [--ladder[=N]] "
	"[--grace SECS]\n"
	"              [--idle SECS] [--no-tunnels] "
	"[--tunnel-port KIND=PORTS]\n"
	"              [--zeek FILE | --zeek-json FILE] [--html FILE] "
	"[--svg DIR]\n"
	"              [--all-pictures] [-s SNAPLEN] -i IFACE\n"
	"       finrst -h | --help | --version\n";

static const char help[] =
	"\n"
	"  -e, --expect EXPR   assert for CI, e.g. 'all fin', "
	"'no vanished'\n"
	"  -f, --filter BPF    read only what the filter takes\n"
	"  -i, --interface IF  capture live until SIGINT\n"
	"  -j, --json          JSON Lines: one object per "
	"connection, then a summary\n"
	"  -q, --quiet         print nothing; the exit status "
	"tells\n"
	"  -v, --verbose       say what is read\n"
	"  --ladder[=N]        draw each connection's last N "
	"packets\n"
	"  --no-tunnels        do not look inside tunnels\n"
	"  --tunnel-port KIND=PORTS  UDP ports of a tunnel, "
	"e.g. vxlan=4789,8472\n"
	"  --per-file          each FILE its own capture "
	"(default: one timeline)\n"
	"  --zeek FILE         also write Zeek's conn.log (TSV; "
	"- for stdout)\n"
	"  --zeek-json FILE    the same as Zeek's JSON log\n"
	"  --html FILE         write a report with a diagram of "
	"each connection\n"
	"                      that did not end fin\n"
	"  --svg DIR           write the diagrams as "
	"DIR/conn-ID.svg\n"
	"  --all-pictures      draw every connection, fin too\n"
	"\n"
	"Exit status: 0 ok, 1 an expectation failed, 2 usage, "
	"3 unreadable input.\n"
	"man finrst says more.\n";

USAGE_DEFINE(synopsis, help)

/*
 * stdout is gone (a closed pipe): stop quietly, as head(1) expects. Live
 * capture flushes every line; reading files, stdio's buffer does.
 */
static void
out_check(struct run *run)
{
	if (!run->out_failed && (ferror(stdout) ||
	    (run->cfg->iface != NULL && fflush(stdout) == EOF))) {
		run->out_failed = true;
		atomic_store(&run->stop, true);
		if (errno != EPIPE)
			warn("stdout");
	}
}

static void
out_json(struct run *run, json_t *o)
{
	if (jsonl_write_opts(stdout, o, JSON_REAL_PRECISION(15),
	    run->cfg->iface != NULL) < 0)
		out_check(run);
}

/* True when the conn.log goes to stdout: then nothing else does. */
static bool
zeek_on_stdout(const struct config *cfg)
{
	return cfg->zeek != NULL && strcmp(cfg->zeek, "-") == 0;
}

/* A write to the conn.log failed: say so once, stop reading. */
static void
zeek_check(struct run *run)
{
	if (run->zeek == stdout) {
		out_check(run);
		return;
	}
	if (!run->out_failed && ferror(run->zeek)) {
		run->out_failed = true;
		atomic_store(&run->stop, true);
		warnx("--zeek %s: write failed", run->cfg->zeek);
	}
}

/* One connection into the conn.log. */
static void
zeek_write(struct run *run, const struct flow_result *r)
{
	char line[1024];
	int n = flow_zeeklog_line(r, run->cfg->zeek_json, line,
	    sizeof(line) - 1);

	if (n >= (int)sizeof(line) - 1) {
		char *big = malloc((size_t)n + 2);

		if (big == NULL)
			errx(1, "out of memory");
		flow_zeeklog_line(r, run->cfg->zeek_json, big,
		    (size_t)n + 1);
		big[n] = '\n';
		fwrite(big, 1, (size_t)n + 1, run->zeek);
		free(big);
	} else {
		line[n] = '\n';
		fwrite(line, 1, (size_t)n + 1, run->zeek);
	}
	if (run->cfg->iface != NULL)
		fflush(run->zeek);
	zeek_check(run);
}

/* The TSV header, or (at_end) its #close line; JSON logs have none. */
static void
zeek_frame(struct run *run, bool at_end)
{
	char buf[2048];
	int n;

	if (run->zeek == NULL || run->cfg->zeek_json || run->out_failed)
		return;
	n = at_end ? flow_zeeklog_footer(clock_wall_us(), buf, sizeof(buf)) :
	    flow_zeeklog_header(clock_wall_us(), buf, sizeof(buf));
	fwrite(buf, 1, (size_t)n < sizeof(buf) ? (size_t)n : 0, run->zeek);
	if (fflush(run->zeek) == EOF)
		zeek_check(run);
}

static void
on_report(const struct flow_result *r, void *arg)
{
	struct run *run = arg;
	const struct config *cfg = run->cfg;
	struct flow_result view;
	size_t i;

	for (i = 0; i < cfg->nexpects; i++)
		expect_feed(cfg->expects[i], r);
	if (run->zeek != NULL && !run->out_failed)
		zeek_write(run, r);
	pictures_add(run->pics, r);
	if (cfg->quiet || run->out_failed || zeek_on_stdout(cfg))
		return;
	if (run->ladder_steps != NULL)
		r = ladder_view(r, cfg->ladder, &view, run->ladder_steps);
	if (cfg->json && cfg->ladder) {
		json_t *o = flow_result_json(r);

		if (o == NULL)
			errx(1, "out of memory");
		json_object_set_new(o, "ladder", flow_result_ladder_json(r));
		json_object_set_new(o, "ladder_skipped",
		    json_integer((json_int_t)r->steps_skipped));
		out_json(run, o);
		return;
	}
	if (cfg->json) {
		/* the same bytes as jansson's, without building the tree */
		char buf[4096];
		int n = flow_result_json_text(r, buf, sizeof(buf) - 1);

		if (n >= (int)sizeof(buf) - 1) {
			json_t *o = flow_result_json(r);

			if (o == NULL)
				errx(1, "out of memory");
			out_json(run, o);
			return;
		}
		buf[n] = '\n';
		if (fwrite(buf, 1, (size_t)n + 1, stdout) != (size_t)n + 1)
			out_check(run);
		else if (cfg->iface != NULL)
			out_check(run);
		return;
	}
	if (!run->header_done) {
		char hdr[256];

		if (run->columns)
			flow_line_header_narrow(run->columns, hdr,
			    sizeof(hdr));
		printf("%s\n", run->columns ? hdr : flow_line_header());
		run->header_done = true;
	}
	table_line(r, run->columns);
	if (cfg->ladder) {
		char *l = flow_result_ladder(r);

		if (l == NULL)
			errx(1, "out of memory");
		printf("%s\n", l);
		free(l);
	}
	out_check(run);
}

static void
print_summary(struct run *run, int exit_code, const char *expect_report)
{
	const struct config *cfg = run->cfg;
	const struct flow_summary *s = pipeline_summary(run->pl);
	const struct pipeline_stats *ps = pipeline_stats(run->pl);
	size_t i;
	uint64_t unacked = s->with_note[0] + s->with_note[1];

	if (cfg->json) {
		json_t *o = flow_summary_json(s), *pk;

		if (o == NULL)
			errx(1, "out of memory");
		pk = json_pack("{s:I}", "frames", (json_int_t)ps->frames);
		for (i = 0; pk && i < PKT_STATUS_COUNT; i++)
			json_object_set_new(pk, pkt_status_name(
			    (enum pkt_status)i), json_integer(
			    (json_int_t)ps->status[i]));
		json_object_set_new(o, "packets", pk);
		json_object_set_new(o, "files", json_incref(run->files));
		if (cfg->nexpects) {
			json_t *ex = json_array();

			for (i = 0; ex && i < cfg->nexpects; i++) {
				json_t *one = expect_json(cfg->expects[i]);

				json_array_extend(ex, one);
				json_decref(one);
			}
			json_object_set_new(o, "expect", ex);
		}
		json_object_set_new(o, "exit", json_integer(exit_code));
		if (run->error[0])
			json_object_set_new(o, "error",
			    json_string(run->error));
		out_json(run, o);
		if (fflush(stdout) == EOF)
			out_check(run);
		return;
	}
	if (run->out_failed || zeek_on_stdout(cfg))
		return;
	if (!cfg->quiet && run->header_done && !cfg->ladder)
		printf("\n");
	say(run, "%" PRIu64 " connection%s:", s->connections,
	    s->connections == 1 ? "" : "s");
	for (i = 0; i < FLOW_CLASS_COUNT; i++)
		say(run, "%s %" PRIu64 " %s", i ? "," : "", s->by_class[i],
		    flow_class_name((enum flow_class)i));
	say(run, "; %" PRIu64 " partial, %" PRIu64 " half-closed\n",
	    s->partial, s->half_close);
	say(run, "closed by orig %" PRIu64 ", by resp %" PRIu64 "\n",
	    s->closed_by_orig, s->closed_by_resp);
	say(run, "%" PRIu64 " frames: %" PRIu64 " TCP, %" PRIu64 " not TCP, %"
	    PRIu64 " not IP, %" PRIu64 " fragments, %" PRIu64 " truncated, %"
	    PRIu64 " malformed\n", ps->frames, ps->status[PKT_TCP],
	    ps->status[PKT_NOT_TCP], ps->status[PKT_NOT_IP],
	    ps->status[PKT_FRAGMENT], ps->status[PKT_TRUNCATED],
	    ps->status[PKT_MALFORMED]);
	if (unacked)
		say(run, "unacknowledged bytes are not necessarily lost (the"
		    " receiver may still read them); data an application"
		    " never sent is not on the wire at all\n");
	if (expect_report == NULL && cfg->nexpects)
		say(run, "all %zu expectation%s held\n", cfg->nexpects,
		    cfg->nexpects == 1 ? "" : "s");
	if (fflush(stdout) == EOF && !run->out_failed) {
		run->out_failed = true;
		if (errno != EPIPE)
			warn("stdout");
	}
}

/*
 * What the decoder could not use, on stderr (stdout's summary keeps its
 * shape): tunnels nested too deep, fragments reassembly gave up on.
 */
static void
decode_notes(const struct run *run)
{
	const struct pipeline_stats *ps = pipeline_stats(run->pl);
	const struct ipfrag_stats *fs = &ps->frag;

	if (run->cfg->quiet)
		return;
	if (ps->status[PKT_TOO_DEEP])
		warnx("%" PRIu64 " frame%s nested more than %d tunnels deep:"
		    " not decoded", ps->status[PKT_TOO_DEEP],
		    ps->status[PKT_TOO_DEEP] == 1 ? "" : "s",
		    PKT_MAX_TUNNELS);
	if (fs->conflicts || fs->timed_out || fs->evicted || fs->invalid)
		warnx("IP fragments: %" PRIu64 " datagram%s reassembled; "
		    "dropped %" PRIu64 " whose overlapping fragments "
		    "disagreed, %" PRIu64 " incomplete after 30 s, %" PRIu64
		    " over the memory cap; %" PRIu64 " fragment%s unusable",
		    fs->reassembled, fs->reassembled == 1 ? "" : "s",
		    fs->conflicts, fs->timed_out, fs->evicted, fs->invalid,
		    fs->invalid == 1 ? "" : "s");
}

/* Evaluate expectations, print the summary; returns the exit code. */
static int
finish(struct run *run, int code)
{
	const struct config *cfg = run->cfg;
	char *report = NULL, *all = NULL;
	size_t i, len = 0;
	bool ok = true;

	pipeline_flush(run->pl);
	zeek_frame(run, true);
	if (pictures_close(run->pics, pipeline_summary(run->pl)) < 0 &&
	    code == 0)
		code = 1;
	run->pics = NULL;
	for (i = 0; i < cfg->nexpects; i++) {
		char *r = NULL;

		if (!expect_finish(cfg->expects[i], &r))
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
	print_summary(run, code, report);
	decode_notes(run);
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

/* -v: say which file is being read, as it starts (the reading thread). */
static void
on_file(const struct pipeline_file *f, void *arg)
{
	(void)arg;
	fprintf(stderr, "finrst: reading %s (%s)\n", f->path,
	    pipeline_link_name(f->linktype));
}

/* Keep regular files (and links to them) whose names do not start '.'. */
static int
visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * The files to read: each argument, a directory standing for the files
 * in it (not its subdirectories), by name; the order does not matter to
 * the merge, only to --per-file. Exits 3 when a directory cannot be read
 * or holds no file.
 */
static char **
expand_dirs(int argc, char **argv, int *nout)
{
	char **out = NULL;
	int i, n = 0, cap = 0;

	for (i = 0; i < argc; i++) {
		struct dirent **names;
		struct stat st;
		int k, m, before = n;

		if (strcmp(argv[i], "-") == 0 || stat(argv[i], &st) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			m = -1;
			names = NULL;
		} else if ((m = scandir(argv[i], &names, visible,
		    alphasort)) < 0) {
			warn("%s", argv[i]);
			exit(EXIT_INPUT);
		}
		for (k = 0; k < (m < 0 ? 1 : m); k++) {
			char *path;

			if (m < 0) {
				path = strdup(argv[i]);
			} else if (asprintf(&path, "%s%s%s", argv[i],
			    argv[i][strlen(argv[i]) - 1] == '/' ? "" : "/",
			    names[k]->d_name) < 0) {
				path = NULL;
			}
			if (m >= 0)
				free(names[k]);
			if (path == NULL)
				err(1, "out of memory");
			if (m >= 0 && (stat(path, &st) < 0 ||
			    !S_ISREG(st.st_mode))) {
				free(path);
				continue;
			}
			if (n == cap) {
				char **na;

				cap = cap ? cap * 2 : 16;
				na = realloc(out, (size_t)cap * sizeof(*na));
				if (na == NULL)
					err(1, "out of memory");
				out = na;
			}
			out[n++] = path;
		}
		if (m >= 0)
			free(names);
		if (m >= 0 && n == before) {
			warnx("%s: a directory with no capture file in it",
			    argv[i]);
			exit(EXIT_INPUT);
		}
	}
	*nout = n;
	return out;
}

static int
run_files(struct run *run, int argc, char **argv)
{
	const struct config *cfg = run->cfg;
	struct pipeline_file *in = calloc((size_t)argc, sizeof(*in));
	char ebuf[ERRBUF_LEN];
	enum pipeline_file_err why;
	int i, code = 0, rc;

	if (in == NULL)
		err(1, "calloc");
	/* Open everything first: a missing file fails before any output. */
	for (i = 0; i < argc; i++) {
		if (pipeline_file_open(&in[i], argv[i], cfg->filter, &why,
		    ebuf) == 0)
			continue;
		switch (why) {
		case PIPELINE_FILE_LINK:
			warnx("%s: finrst reads Ethernet, Linux cooked (SLL,"
			    " SLL2), BSD loopback/NULL and raw IP captures",
			    ebuf);
			exit(EXIT_INPUT);
		case PIPELINE_FILE_FILTER:
			warnx("-f: %s", ebuf);
			exit(EXIT_USAGE);
		default:
			warnx("%s", ebuf);
			exit(EXIT_INPUT);
		}
	}
	/*
	 * Checked: the pipeline opens each again when its turn comes (not
	 * stdin: what was read of it is gone).
	 */
	for (i = 0; argc > 1 && i < argc; i++)
		if (strcmp(in[i].path, "-") != 0)
			pipeline_file_close(&in[i]);
	if (!cfg->per_file) {
		rc = pipeline_read_files(run->pl, in, argc,
		    cfg->verbose ? on_file : NULL, NULL, &run->stop);
	} else {
		/* one after another, each ended before the next begins */
		for (rc = 0, i = 0; i < argc && rc == 0 &&
		    !atomic_load(&run->stop); i++) {
			if (!cfg->quiet && !cfg->json &&
			    !zeek_on_stdout(cfg) && argc > 1)
				printf("%s%s:\n", i ? "\n" : "", in[i].path);
			run->header_done = false;
			rc = pipeline_read_files(run->pl, &in[i], 1,
			    cfg->verbose ? on_file : NULL, NULL, &run->stop);
			pipeline_flush(run->pl);
		}
	}
	if (pipeline_failed(run->pl))
		errx(1, "out of memory tracking connections");
	if (rc == -2)
		errx(1, "out of memory");
	for (i = 0; i < argc; i++)
		if (in[i].ended)
			json_array_append_new(run->files, json_pack(
			    "{s:s, s:s, s:I}", "path", in[i].path, "link",
			    pipeline_link_name(in[i].linktype), "packets",
			    (json_int_t)in[i].packets));
	if (rc < 0) {
		snprintf(run->error, sizeof(run->error), "%s",
		    pipeline_error(run->pl));
		code = EXIT_INPUT;
	}
	code = finish(run, code);
	if (code == EXIT_INPUT)
		warnx("%s", run->error);
	for (i = 0; i < argc; i++)
		pipeline_file_close(&in[i]);
	free(in);
	return run->out_failed && code == 0 ? 1 : code;
}

static int
run_live(struct run *run)
{
	const struct config *cfg = run->cfg;
	struct capture_opts o = {
		.iface = cfg->iface, .filter = cfg->filter,
		.snaplen = cfg->snaplen,
	};
	char ebuf[ERRBUF_LEN];
	enum capture_err why;
	struct capture *c;
	int code;

	if (stop_catch(NULL, ebuf) < 0)
		errx(1, "%s", ebuf);
	c = pipeline_capture_open(run->pl, &o, &why, ebuf);
	if (c == NULL) {
		warnx("%s", ebuf);	/* "capture on IFACE: why" */
		return why == CAPTURE_ERR_FILTER ? EXIT_USAGE : EXIT_INPUT;
	}
	if (!pkt_link_supported(capture_linktype(c))) {
		warnx("%s: link type %d (%s) is not supported", cfg->iface,
		    capture_linktype(c),
		    pipeline_link_name(capture_linktype(c)));
		capture_close(c);
		return EXIT_INPUT;
	}
	if (capture_start(c, ebuf) < 0) {
		warnx("%s: %s", cfg->iface, ebuf);
		capture_close(c);
		return EXIT_INPUT;
	}
	json_array_append_new(run->files, json_pack("{s:s, s:s}",
	    "interface", cfg->iface, "link",
	    pipeline_link_name(capture_linktype(c))));
	if (cfg->verbose) {
		fprintf(stderr, "finrst: capturing on %s (%s)%s%s\n",
		    cfg->iface, pipeline_link_name(capture_linktype(c)),
		    cfg->filter ? ", filter: " : "",
		    cfg->filter ? cfg->filter : "");
		fflush(stderr);
	}
	while (!stop_requested() && !run->out_failed) {
		struct timespec nap = { 0, 200 * 1000 * 1000 };

		nanosleep(&nap, NULL);
		if (pipeline_failed(run->pl))
			errx(1, "out of memory tracking connections");
		/* Settle connections whose grace ran out while quiet. */
		pipeline_advance(run->pl, clock_wall_us());
	}
	capture_stop(c, 0, 0, ebuf);
	capture_close(c);
	code = finish(run, 0);
	if (run->out_failed && code == 0)
		code = 1;
	/* Stopped by a signal: the suite's 128 + signo, after the results. */
	return stop_requested() != 0 ? STOP_EXIT(stop_requested()) : code;
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
		{ "no-tunnels", no_argument, NULL, 'T' },
		{ "tunnel-port", required_argument, NULL, 'P' },
		{ "zeek", required_argument, NULL, 'Z' },
		{ "zeek-json", required_argument, NULL, 'z' },
		{ "per-file", no_argument, NULL, 'F' },
		{ "html", required_argument, NULL, 'H' },
		{ "svg", required_argument, NULL, 'S' },
		{ "all-pictures", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct config cfg = { .grace_ms = -1 };
	struct run run = { .cfg = &cfg };
	char ebuf[ERRBUF_LEN];
	struct flow_config fc;
	int ch, code;
	int64_t v;

	signal(SIGPIPE, SIG_IGN);
	if (term_narrow(term_columns(STDOUT_FILENO)))
		run.columns = term_columns(STDOUT_FILENO);
	pkt_config_init(&cfg.decode);
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
		case 'T':
			cfg.decode.tunnels = false;
			break;
		case 'P':
			if (pkt_config_ports(&cfg.decode, optarg, ebuf) < 0)
				errx(EXIT_USAGE, "--tunnel-port: %s", ebuf);
			break;
		case 'F':
			cfg.per_file = true;
			break;
		case 'Z':
		case 'z':
			if (cfg.zeek != NULL) {
				warnx("give --zeek or --zeek-json once");
				usage();
			}
			cfg.zeek = optarg;
			cfg.zeek_json = ch == 'z';
			break;
		case 'H':
			cfg.html = optarg;
			break;
		case 'S':
			cfg.svg_dir = optarg;
			break;
		case 'A':
			cfg.all_pictures = true;
			break;
		case 'h':
			exit(usage_print(stdout, synopsis, help));
		case 'V':
			printf("finrst teardown %s\n", teardown_version());
			return 0;
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
	if (cfg.per_file && cfg.iface != NULL) {
		warnx("--per-file reads files: not with -i");
		usage();
	}
	if (zeek_on_stdout(&cfg) && (cfg.json || cfg.ladder)) {
		warnx("--zeek%s - takes stdout: no -j or --ladder with it",
		    cfg.zeek_json ? "-json" : "");
		usage();
	}
	if (cfg.all_pictures && cfg.html == NULL && cfg.svg_dir == NULL) {
		warnx("--all-pictures needs --html or --svg");
		usage();
	}

	memset(&fc, 0, sizeof(fc));
	fc.grace_us = cfg.grace_ms < 0 ? -1 : cfg.grace_ms * 1000;
	fc.idle_us = cfg.idle_ms * 1000;
	fc.ladder = cfg.ladder;
	if (cfg.html != NULL || cfg.svg_dir != NULL) {
		/* the pictures' record; the ladder shows its own part */
		if (cfg.ladder > 0 && cfg.ladder < FLOW_SVG_STEPS &&
		    (run.ladder_steps = calloc(FLOW_LADDER_HEAD + cfg.ladder,
		    sizeof(*run.ladder_steps))) == NULL)
			err(1, "calloc");
		if (fc.ladder < FLOW_SVG_STEPS)
			fc.ladder = FLOW_SVG_STEPS;
		run.pics = pictures_open(cfg.html, cfg.svg_dir,
		    cfg.all_pictures, argc, argv, cfg.iface);
	}
	run.pl = pipeline_new(&fc, on_report, &run);
	run.files = json_array();
	if (run.pl == NULL || run.files == NULL)
		errx(1, "out of memory");
	pipeline_decode_config(run.pl, &cfg.decode);
	if (cfg.iface != NULL)
		setvbuf(stdout, NULL, _IOLBF, 0);
	if (zeek_on_stdout(&cfg))
		run.zeek = stdout;
	else if (cfg.zeek != NULL && (run.zeek = fopen(cfg.zeek, "w")) ==
	    NULL)
		err(1, "--zeek%s %s", cfg.zeek_json ? "-json" : "", cfg.zeek);
	zeek_frame(&run, false);

	if (cfg.iface != NULL) {
		code = run_live(&run);
	} else {
		int nfiles, i;
		char **files = expand_dirs(argc, argv, &nfiles);

		code = run_files(&run, nfiles, files);
		for (i = 0; i < nfiles; i++)
			free(files[i]);
		free(files);
	}

	if (run.zeek != NULL && run.zeek != stdout && fclose(run.zeek) == EOF) {
		warn("--zeek %s", cfg.zeek);
		if (code == 0)
			code = 1;
	}
	pipeline_free(run.pl);
	free(run.ladder_steps);
	json_decref(run.files);
	while (cfg.nexpects > 0)
		expect_free(cfg.expects[--cfg.nexpects]);
	free(cfg.expects);
	return code;
}
