/* SPDX-License-Identifier: BSD-2-Clause */
/* tcpfault: reproduce abrupt TCP closes for real, captured and judged. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "cases.h"
#include "checkclient.h"
#include "checkserver.h"
#include "httphead.h"
#include "clock.h"
#include "modes.h"
#include "errbuf.h"
#include "numparse.h"
#include "output.h"
#include "peer.h"
#include "proxy.h"
#include "run.h"
#include "sock.h"
#include "stop.h"
#include "symptoms.h"
#include "term.h"
#include "timeline.h"
#include "usage.h"
#include "vanish.h"
#include "version.h"

struct selection {
	const struct fault_case *fc;
	const struct case_variant *var;
};

static pid_t runner_pid = -1;

/* The synopsis (as the man page has it), and the options -h adds. */
static const char synopsis[] =
	"usage: tcpfault list\n"
	"       tcpfault explain CASE | SYMPTOM\n"
	"       tcpfault run [-v] [--json] [--repeat N] [--pcap DIR]\n"
	"                [--vanish auto|filter|nft] [--no-capture]\n"
	"                CASE[/VARIANT]... | --all\n"
	"       tcpfault client BEHAVIOUR --connect HOST:PORT [options]\n"
	"       tcpfault server BEHAVIOUR --listen [HOST:]PORT [options]\n"
	"       tcpfault proxy [--api [HOST:]PORT] [--config FILE] "
	"[options]\n"
	"       tcpfault proxy --listen [HOST:]PORT --target HOST:PORT\n"
	"                --fault FAULT [options]\n"
	"       tcpfault check-client [options] -- CMD [ARG...]\n"
	"       tcpfault check-server HOST:PORT [--request FILE | "
	"--http PATH]\n"
	"                [options]\n"
	"       tcpfault -h | --help | --version\n";

static const char help[] =
	"\n"
	"  list          the failure cases, one line each\n"
	"  explain       a case: what each side does and what "
	"Linux shows;\n"
	"                a symptom (ECONNRESET, curl 56): its "
	"cases\n"
	"  run           run cases on loopback, capture, and "
	"check\n"
	"  client        play a misbehaving client against a "
	"server\n"
	"  server        play a misbehaving server against a "
	"client\n"
	"  proxy         relay clients to servers through "
	"toxics, Toxiproxy's API\n"
	"  check-client  run your client against each server "
	"fault: a report\n"
	"  check-server  run each client fault against your "
	"server: a report\n"
	"\n"
	"tcpfault client|server -h lists the behaviours; "
	"man tcpfault says more.\n";

USAGE_DEFINE(synopsis, help)

static void
list_valid_cases(FILE *fp)
{
	fprintf(fp, "valid cases:");
	for (size_t i = 0; fault_cases[i] != NULL; i++)
		fprintf(fp, " %s", fault_cases[i]->id);
	fprintf(fp, "\n");
}

static const struct fault_case *
find_or_die(const char *id)
{
	const struct fault_case *fc = case_find(id);

	if (fc == NULL) {
		warnx("unknown case '%s'", id);
		list_valid_cases(stderr);
		exit(2);
	}
	return fc;
}

static void
variant_names(const struct fault_case *fc, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t v = 0; fc->variants[v].name != NULL; v++) {
		if (strcmp(fc->variants[v].name, "-") == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    off ? "," : "", fc->variants[v].name);
		if (off >= len)
			break;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

static int
cmd_list(void)
{
	char vars[128], why[256];

	printf("%-14s %-28s %s\n", "CASE", "VARIANTS", "WHAT");
	for (size_t i = 0; fault_cases[i] != NULL; i++) {
		variant_names(fault_cases[i], vars, sizeof(vars));
		printf("%-14s %-28s %s\n", fault_cases[i]->id, vars,
		    fault_cases[i]->title);
	}
	printf("\nvanish methods on this machine:");
	for (enum vanish_method m = VANISH_FILTER; m <= VANISH_NFT; m++) {
		bool ok = vanish_probe(m, why, sizeof(why)) == 0;

		printf(" %s (%s)%s", vanish_name(m), ok ? "allowed" : why,
		    m == VANISH_NFT ? "" : ",");
	}
	printf("\n");
	return 0;
}

/* Print text wrapped at 72 columns: first line at col, the rest at 4. */
static void
para(int col, const char *text)
{
	const int width = 72, indent = 4;
	const char *p = text;
	bool first = true;

	while (*p != '\0') {
		const char *w = p;
		int n;

		while (*w != '\0' && *w != ' ')
			w++;
		n = (int)(w - p);
		if (!first && col + 1 + n > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			putchar(' ');
			col++;
		}
		printf("%.*s", n, p);
		col += n;
		first = false;
		p = w;
		while (*p == ' ')
			p++;
	}
	printf("\n");
}

/* A label on its own line, then the text indented by 4. */
static void
wrap(const char *label, const char *text)
{
	printf("%s\n    ", label);
	para(4, text);
}

/* explain SYMPTOM: its cause, the cases that produce it, how to see it. */
static int
explain_symptom(const char *text)
{
	const struct symptom *sy = symptom_find(text);
	char cases[256], *save = NULL, cmd[300] = "tcpfault run";

	if (sy == NULL) {
		warnx("unknown case or symptom '%s'", text);
		list_valid_cases(stderr);
		symptom_list(stderr);
		exit(2);
	}
	printf("%s\n\n", sy->name);
	wrap("Cause:", sy->cause);
	printf("Cases that produce it:\n");
	snprintf(cases, sizeof(cases), "%s", sy->cases);
	for (char *t = strtok_r(cases, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save)) {
		char id[64];
		const struct fault_case *fc;

		snprintf(id, sizeof(id), "%.*s", (int)strcspn(t, "/"), t);
		fc = case_find(id);
		printf("    %-26s %s\n", t, fc != NULL ? fc->title : "");
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s",
		    t);
	}
	printf("Reproduce:\n    %s\n", cmd);
	if (sy->check != NULL)
		wrap("Against your own program:", sy->check);
	return 0;
}

static int
cmd_explain(int argc, char **argv)
{
	const struct fault_case *fc;
	char label[64];

	if (argc != 1)
		usage();
	fc = case_find(argv[0]);
	if (fc == NULL)
		return explain_symptom(argv[0]);
	printf("%s: %s\n\n", fc->id, fc->title);
	wrap(fc->id[0] == 'C' ? "The server:" : "The client:",
	    fc->id[0] == 'C' ? fc->server_does : fc->client_does);
	wrap(fc->id[0] == 'C' ? "The client:" : "The server:",
	    fc->id[0] == 'C' ? fc->client_does : fc->server_does);
	printf("\n");
	for (size_t v = 0; fc->variants[v].name != NULL; v++) {
		const struct case_variant *var = &fc->variants[v];

		if (strcmp(var->name, "-") == 0) {
			wrap("Expected on Linux:", var->expect);
			continue;
		}
		snprintf(label, sizeof(label), "Variant %s:", var->name);
		printf("%s ", label);
		para((int)strlen(label) + 1, var->what);
		printf("    Expected: ");
		para(14, var->expect);
	}
	printf("\n");
	wrap("Why:", fc->explain);
	wrap("How to avoid the damage:", fc->avoid);
	if (fc->flags & CASE_VANISH)
		wrap("Vanish:", "the client's socket gets a drop-all socket "
		    "filter (or, with --vanish nft, nftables drops its port "
		    "inside a private network namespace): no FIN, no RST, no "
		    "ACK. The capture must show that it sent nothing after "
		    "vanishing.");
	return 0;
}

/* A stop signal is passed on to the runner, which reaps its sides. */
static void
stop_runner(int sig)
{
	(void)sig;
	if (runner_pid > 0)
		kill(runner_pid, SIGTERM);
}

/*
 * Run one case in a runner process (private namespaces and the capture
 * thread stay there); it writes its result as one JSON line to a pipe.
 */
static json_t *
run_in_child(const struct selection *sel, const struct run_opts *opts,
    int iter)
{
	char *text = NULL;
	size_t cap = 0, len = 0;
	json_error_t jerr;
	json_t *res;
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd) == -1)
		err(1, "pipe");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		json_t *r;
		char *out;
		size_t olen, off = 0;

		close(pfd[0]);
		r = run_one(sel->fc, sel->var, opts, iter);
		out = r != NULL ? json_dumps(r, JSON_COMPACT) : NULL;
		if (out == NULL)
			_exit(3);
		olen = strlen(out);
		while (off < olen) {
			ssize_t n = write(pfd[1], out + off, olen - off);

			if (n <= 0)
				_exit(3);
			off += (size_t)n;
		}
		_exit(0);
	}
	runner_pid = pid;
	close(pfd[1]);
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *p = realloc(text, cap ? cap * 2 : 65536);

			if (p == NULL)
				err(1, "malloc");
			text = p;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(pfd[0], text + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	runner_pid = -1;
	if (stop_requested() != 0 ||
	    (WIFEXITED(status) && WEXITSTATUS(status) > 128)) {
		int sig = stop_requested() != 0 ? stop_requested() :
		    WEXITSTATUS(status) - 128;

		free(text);
		fprintf(stderr, "tcpfault: interrupted; every side was "
		    "reaped\n");
		exit(STOP_EXIT(sig));
	}
	res = NULL;
	if (text != NULL) {
		text[len] = '\0';
		res = json_loads(text, 0, &jerr);
	}
	free(text);
	if (res == NULL) {
		char why[128];

		snprintf(why, sizeof(why), "the runner died (%s %d)",
		    WIFSIGNALED(status) ? "signal" : "exit status",
		    WIFSIGNALED(status) ? WTERMSIG(status) :
		    WEXITSTATUS(status));
		res = json_pack("{s:s,s:s?,s:s,s:s,s:s}", "case", sel->fc->id,
		    "variant", strcmp(sel->var->name, "-") == 0 ? NULL :
		    sel->var->name, "verdict", "unexpected", "reason", why,
		    "expected", sel->var->expect);
	}
	return res;
}

static void
add_case(struct selection **sel, size_t *n, const struct fault_case *fc,
    const char *variant)
{
	for (size_t v = 0; fc->variants[v].name != NULL; v++) {
		if (variant != NULL && strcmp(fc->variants[v].name,
		    variant) != 0)
			continue;
		*sel = reallocarray(*sel, *n + 1, sizeof(**sel));
		if (*sel == NULL)
			err(1, "malloc");
		(*sel)[(*n)++] = (struct selection){ fc, &fc->variants[v] };
	}
}

static int
mkdir_p(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "pcap", required_argument, NULL, 'P' },
		{ "vanish", required_argument, NULL, 'V' },
		{ "no-capture", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts opts = { .repeat = 1, .vanish = VANISH_AUTO };
	char errbuf[ERRBUF_LEN], names[1024];
	struct selection *sel = NULL;
	size_t nsel = 0, total = 0, expected = 0, unexpected = 0, skipped = 0;
	int columns = 0;
	bool all = false, warned_capture = false, any_vanish = false;
	json_t *unexp = json_array();
	int64_t v, t0;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			exit(usage_print(stdout, synopsis, help));
		case 'a':
			all = true;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'r':
			if (num_parse_i64(optarg, 1, 10000, "--repeat", &v,
			    errbuf) == -1)
				errx(2, "%s", errbuf);
			opts.repeat = (int)v;
			break;
		case 'P':
			opts.pcap_dir = optarg;
			break;
		case 'V':
			if (vanish_parse(optarg, &opts.vanish) == -1)
				errx(2, "--vanish: unknown method '%s' "
				    "(auto, filter, nft)", optarg);
			break;
		case 'N':
			opts.no_capture = true;
			break;
		case 'v':
			opts.verbose = true;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (all && argc > 0)
		errx(2, "--all and a list of cases exclude each other");
	if (!all && argc == 0) {
		warnx("run: name the cases or use --all");
		list_valid_cases(stderr);
		exit(2);
	}
	for (size_t i = 0; all && fault_cases[i] != NULL; i++)
		add_case(&sel, &nsel, fault_cases[i], NULL);
	for (int i = 0; i < argc; i++) {
		char id[64], *slash;
		const struct fault_case *fc;
		size_t before = nsel;

		snprintf(id, sizeof(id), "%s", argv[i]);
		slash = strchr(id, '/');
		if (slash != NULL)
			*slash++ = '\0';
		fc = find_or_die(id);
		add_case(&sel, &nsel, fc, slash);
		if (nsel == before) {
			char vars[128];

			variant_names(fc, vars, sizeof(vars));
			errx(2, "unknown variant '%s' of %s (valid: %s)", slash,
			    fc->id, vars);
		}
	}
	if (opts.pcap_dir != NULL && mkdir_p(opts.pcap_dir) == -1)
		err(1, "--pcap: create %s", opts.pcap_dir);
	for (size_t i = 0; i < nsel; i++)
		any_vanish = any_vanish || (sel[i].fc->flags & CASE_VANISH);
	if (any_vanish)
		opts.vanish = vanish_choose(opts.vanish, opts.vanish_why,
		    sizeof(opts.vanish_why));
	if (stop_catch(stop_runner, errbuf) == -1)
		errx(1, "%s", errbuf);
	if (term_narrow(term_columns(STDOUT_FILENO)))
		columns = term_columns(STDOUT_FILENO);
	if (!opts.json)
		out_table_header(columns);
	t0 = clock_mono_ms();
	for (int it = 0; it < opts.repeat; it++) {
		for (size_t i = 0; i < nsel; i++) {
			json_t *res = run_in_child(&sel[i], &opts, it);
			const char *verdict = json_string_value(
			    json_object_get(res, "verdict"));
			const char *cap = json_string_value(
			    json_object_get(res, "capture"));

			total++;
			if (strcmp(verdict, "expected") == 0)
				expected++;
			else if (strcmp(verdict, "skipped") == 0)
				skipped++;
			else
				unexpected++;
			if (cap != NULL && strcmp(cap, "ok") != 0 &&
			    !warned_capture) {
				warnx("capture skipped: %s; the runs go on "
				    "without wire", cap);
				warned_capture = true;
			}
			if (strcmp(verdict, "unexpected") == 0)
				json_array_append_new(unexp, json_pack(
				    "{s:O,s:O?,s:O?,s:i}", "case",
				    json_object_get(res, "case"), "variant",
				    json_object_get(res, "variant"), "reason",
				    json_object_get(res, "reason"), "iteration",
				    it + 1));
			if (opts.json) {
				if (jsonl_write(stdout, res) == -1)
					err(1, "stdout");
				continue;
			}
			out_table_row(res, columns);
			if (opts.verbose)
				out_timelines(res);
			fflush(stdout);
			json_decref(res);
		}
	}
	out_unexpected_names(unexp, opts.repeat > 1, names, sizeof(names));
	if (!opts.json) {
		size_t i;
		json_t *res;

		json_array_foreach(unexp, i, res) {
			const char *var = json_string_value(
			    json_object_get(res, "variant"));

			printf("\n%s%s%s: unexpected: %s\n",
			    json_string_value(json_object_get(res, "case")),
			    var ? "/" : "", var ? var : "",
			    json_string_value(json_object_get(res, "reason")));
		}
		printf("\n%zu/%zu case runs behaved as expected", expected,
		    total);
		if (skipped > 0)
			printf(", %zu skipped", skipped);
		if (unexpected > 0)
			printf(", %zu UNEXPECTED: %s", unexpected, names);
		printf(" (%.1f s)\n", (double)(clock_mono_ms() - t0) / 1000.0);
	} else if (unexpected > 0) {
		fprintf(stderr, "tcpfault: %zu of %zu case runs did not behave "
		    "as expected: %s\n", unexpected, total, names);
	}
	json_decref(unexp);
	free(sel);
	return unexpected > 0 ? 1 : 0;
}

/* The report options check-client and check-server share. */
struct check_report_opts {
	const char *cases;
	const char *junit;
	bool json;
};

/* One of them (--json 'j', --junit 'J', --cases 'c'): true when taken. */
static bool
check_report_opt(int ch, struct check_report_opts *r)
{
	if (ch == 'j')
		r->json = true;
	else if (ch == 'J')
		r->junit = optarg;
	else if (ch == 'c')
		r->cases = optarg;
	else
		return false;
	return true;
}

static void __attribute__((noreturn))
check_client_usage(FILE *fp, int code)
{
	fprintf(fp, "usage: tcpfault check-client [--http] [--json] "
	    "[--junit FILE] [--cases LIST]\n"
	    "                [--timeout SECS] [--delay SECS] [--slow SECS] "
	    "[--bytes N]\n"
	    "                [--stdin FILE] [--no-capture] -- CMD [ARG...]\n"
	    "{host}, {port} and {addr} in ARGs become the fault server's.\n");
	if (fp == stdout)
		checkclient_list(fp);
	exit(code);
}

static int
cmd_check_client(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "http", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "cases", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "delay", required_argument, NULL, 'd' },
		{ "slow", required_argument, NULL, 's' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "stdin", required_argument, NULL, 'i' },
		{ "no-capture", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct checkclient_opts o = { .bytes = 65536, .timeout_ms = 10000,
	    .delay_ms = 1000, .slow_ms = 3000 };
	struct check_report_opts rep = { NULL, NULL, false };
	char errbuf[ERRBUF_LEN];
	uint64_t v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (check_report_opt(ch, &rep))
			continue;
		switch (ch) {
		case 'H':
			o.http = true;
			break;
		case 't':
			o.timeout_ms = mode_opt_ms(optarg, "--timeout");
			break;
		case 'd':
			o.delay_ms = mode_opt_ms(optarg, "--delay");
			break;
		case 's':
			o.slow_ms = mode_opt_ms(optarg, "--slow");
			break;
		case 'b':
			if (num_parse_size(optarg, 1ull << 30, "--bytes", &v,
			    errbuf) == -1)
				errx(2, "%s", errbuf);
			if (v < 20)
				errx(2, "--bytes: too small: %s (at least 20)",
				    optarg);
			o.bytes = v;
			break;
		case 'i':
			o.stdin_path = optarg;
			break;
		case 'N':
			o.no_capture = true;
			break;
		case 'h':
			check_client_usage(stdout, 0);
		default:
			check_client_usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		warnx("check-client: name the client's command after --");
		check_client_usage(stderr, 2);
	}
	if (o.timeout_ms < 100)
		errx(2, "--timeout: too small: at least 0.1 s");
	o.json = rep.json;
	o.junit = rep.junit;
	if (checkclient_parse_cases(rep.cases, &o.cases, errbuf) == -1) {
		warnx("%s", errbuf);
		checkclient_list(stderr);
		exit(2);
	}
	if (o.stdin_path != NULL && access(o.stdin_path, R_OK) == -1)
		err(2, "--stdin %s", o.stdin_path);
	o.argv = argv;
	mode_catch_stop();
	return checkclient_run(&o);
}

static void __attribute__((noreturn))
check_server_usage(FILE *fp, int code)
{
	fprintf(fp, "usage: tcpfault check-server HOST:PORT [--request FILE | "
	    "--http PATH] [--json]\n"
	    "                [--junit FILE] [--cases LIST] [--wait SECS] "
	    "[--conns N]\n");
	if (fp == stdout)
		checkserver_list(fp);
	exit(code);
}

/* The whole of --request FILE (at most 1 MiB); exits 2 when unreadable. */
static char *
read_request_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	if (fp == NULL)
		err(2, "--request %s", path);
	if (buf == NULL)
		err(1, "malloc");
	*len = fread(buf, 1, 1 << 20, fp);
	if (ferror(fp))
		err(2, "--request %s", path);
	if (!feof(fp))
		errx(2, "--request %s: larger than 1 MiB", path);
	fclose(fp);
	if (*len == 0)
		errx(2, "--request %s: empty", path);
	return buf;
}

static int
cmd_check_server(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "request", required_argument, NULL, 'r' },
		{ "http", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "cases", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		{ "conns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct checkserver_opts o = { .wait_ms = 10000, .conns = 50 };
	struct check_report_opts rep = { NULL, NULL, false };
	const char *request = NULL, *path = NULL;
	char errbuf[ERRBUF_LEN], hostport[300];
	int64_t v;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (check_report_opt(ch, &rep))
			continue;
		switch (ch) {
		case 'r':
			request = optarg;
			break;
		case 'H':
			path = optarg;
			break;
		case 'w':
			o.wait_ms = mode_opt_ms(optarg, "--wait");
			break;
		case 'n':
			if (num_parse_i64(optarg, 1, 1000, "--conns", &v,
			    errbuf) == -1)
				errx(2, "%s", errbuf);
			o.conns = (int)v;
			break;
		case 'h':
			check_server_usage(stdout, 0);
		default:
			check_server_usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		warnx("check-server: name the server as HOST:PORT");
		check_server_usage(stderr, 2);
	}
	if (addr_split(argv[0], o.host, sizeof(o.host), o.port,
	    sizeof(o.port), errbuf) == -1)
		errx(2, "check-server: %s", errbuf);
	if (request != NULL && path != NULL)
		errx(2, "--request and --http exclude each other");
	if (path != NULL && path[0] != '/')
		errx(2, "--http: the path must start with /: %s", path);
	o.json = rep.json;
	o.junit = rep.junit;
	if (checkserver_parse_cases(rep.cases, &o.cases, errbuf) == -1) {
		warnx("%s", errbuf);
		checkserver_list(stderr);
		exit(2);
	}
	if (request != NULL) {
		o.request = read_request_file(request, &o.request_len);
	} else {
		o.http = true;
		o.request = malloc(HTTP_HEAD_MAX);
		if (o.request == NULL)
			err(1, "malloc");
		snprintf(hostport, sizeof(hostport), "%s", argv[0]);
		o.request_len = http_request_head(o.request, HTTP_HEAD_MAX,
		    path != NULL ? path : "/", hostport);
	}
	mode_catch_stop();
	v = checkserver_run(&o);
	free(o.request);
	return (int)v;
}

int
main(int argc, char **argv)
{
	const char *cmd;

	sock_ignore_sigpipe();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		exit(usage_print(stdout, synopsis, help));
	if (strcmp(cmd, "--version") == 0) {
		printf("tcpfault teardown %s\n", teardown_version());
		return 0;
	}
	if (strcmp(cmd, "list") == 0) {
		if (argc != 2)
			usage();
		return cmd_list();
	}
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc - 2, argv + 2);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "client") == 0)
		return peer_client_main(argc - 1, argv + 1);
	if (strcmp(cmd, "server") == 0)
		return peer_server_main(argc - 1, argv + 1);
	if (strcmp(cmd, "proxy") == 0)
		return proxy_main(argc - 1, argv + 1);
	if (strcmp(cmd, "check-client") == 0)
		return cmd_check_client(argc - 1, argv + 1);
	if (strcmp(cmd, "check-server") == 0)
		return cmd_check_server(argc - 1, argv + 1);
	warnx("unknown command '%s' (list, explain, run, client, server, "
	    "proxy, check-client, check-server)", cmd);
	usage();
}
