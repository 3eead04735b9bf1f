/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for flow_html: the report's parts, the SVG files, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "flow.h"
#include "flow_html.h"
#include "pktdecode.h"

static char dir[] = "/tmp/t_flow_html.XXXXXX";

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static size_t
count(const char *s, const char *piece)
{
	size_t n = 0;

	while ((s = strstr(s, piece)) != NULL) {
		n++;
		s++;
	}
	return n;
}

static void
conn(struct flow_result *r, struct flow_step *st, uint64_t id,
    enum flow_class c)
{
	memset(r, 0, sizeof(*r));
	memset(st, 0, 2 * sizeof(*st));
	r->id = id;
	r->family = AF_INET;
	r->orig_addr[0] = 192;
	r->resp_addr[0] = 10;
	r->orig_port = (uint16_t)(1000 + id);
	r->resp_port = 443;
	r->ts_us = 5000000;
	r->last_ts_us = 5004000;
	r->teardown = c;
	r->closed_by = FLOW_SIDE_ORIG;
	st[0].ts_us = 5000000;
	st[0].from = FLOW_SIDE_ORIG;
	st[0].flags = PKT_SYN;
	st[0].wscale = -1;
	st[1].ts_us = 5004000;
	st[1].from = FLOW_SIDE_RESP;
	st[1].flags = c == FLOW_FIN ? PKT_FIN | PKT_ACK : PKT_RST | PKT_ACK;
	st[1].ack = 1;
	st[1].wscale = -1;
	r->steps = st;
	r->nsteps = 2;
}

/*
 * Three connections, one ending fin: two diagrams (with --all-pictures
 * three), three rows, the chart's counts, one SVG file per diagram.
 */
static void
test_report(void **state)
{
	struct flow_html_opts o = { NULL, NULL, false, "a<b>.pcap" };
	struct flow_summary sum;
	struct flow_result r;
	struct flow_step st[2];
	char path[256], svgs[128], ebuf[ERRBUF_LEN], *html;
	struct flow_html *h;
	struct stat sb;
	int all;

	(void)state;
	for (all = 0; all < 2; all++) {
		snprintf(path, sizeof(path), "%s/r%d.html", dir, all);
		snprintf(svgs, sizeof(svgs), "%s/svg%d", dir, all);
		o.html = path;
		o.svg_dir = svgs;
		o.all = all;
		h = flow_html_open(&o, ebuf);
		assert_non_null(h);
		memset(&sum, 0, sizeof(sum));
		conn(&r, st, 1, FLOW_FIN);
		assert_int_equal(flow_html_add(h, &r, ebuf), 0);
		conn(&r, st, 2, FLOW_RST);
		r.notes = FLOW_NOTE_ORIG_UNACKED;
		r.orig.unacked = 5;
		assert_int_equal(flow_html_add(h, &r, ebuf), 0);
		conn(&r, st, 3, FLOW_REFUSED);
		assert_int_equal(flow_html_add(h, &r, ebuf), 0);
		sum.connections = 3;
		sum.by_class[FLOW_FIN] = 1;
		sum.by_class[FLOW_RST] = 1;
		sum.by_class[FLOW_REFUSED] = 1;
		assert_int_equal(flow_html_close(h, &sum, ebuf), 0);

		html = slurp(path);
		assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
		assert_string_equal(html + strlen(html) - 15,
		    "</body></html>\n");
		assert_int_equal(count(html, "<svg class=\"seq\" viewBox=\"0 0"
		    " 960 386\""), all ? 3 : 2);
		assert_int_equal(count(html, "<section class=\"pic\""),
		    all ? 3 : 2);
		assert_int_equal(count(html, "<tr class=\"k-"), 3);
		assert_non_null(strstr(html, "<title>finrst: a&lt;b&gt;.pcap"
		    "</title>"));
		assert_non_null(strstr(html, ">How 3 connections ended<"));
		assert_non_null(strstr(html, ">1 (33.3%)</text>"));
		assert_non_null(strstr(html, "<a href=\"#c2\">2</a>"));
		assert_non_null(strstr(html, ">5 bytes from orig never "
		    "acknowledged by resp (unacknowledged, not necessarily "
		    "lost)</p>"));
		assert_null(strstr(html, "http"));
		assert_null(strstr(html, " src="));
		free(html);
		snprintf(path, sizeof(path), "%s/conn-000002.svg", svgs);
		assert_int_equal(stat(path, &sb), 0);
		snprintf(path, sizeof(path), "%s/conn-000001.svg", svgs);
		assert_int_equal(stat(path, &sb) == 0, all);
	}
}

/* Paths that cannot be written fail at open, naming the path. */
static void
test_open_errors(void **state)
{
	struct flow_html_opts o = { NULL, NULL, false, NULL };
	char path[128], ebuf[ERRBUF_LEN];
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/dir/r.html", dir);
	o.html = path;
	assert_null(flow_html_open(&o, ebuf));
	assert_non_null(strstr(ebuf, "r.html: No such file or directory"));
	/* an SVG "directory" that is a file */
	snprintf(path, sizeof(path), "%s/plain", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	o.html = NULL;
	o.svg_dir = path;
	assert_null(flow_html_open(&o, ebuf));
	assert_non_null(strstr(ebuf, "plain: Not a directory"));
	assert_int_equal(flow_html_close(NULL, NULL, ebuf), 0);
}

/* The tests share one scratch directory, removed at the end. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_open_errors),
	};
	char cmd[160];
	int failed;

	if (mkdtemp(dir) == NULL)
		return 1;
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? failed : 1;
}
