/* SPDX-License-Identifier: BSD-2-Clause */
/* Pictures of classified connections: one HTML report, SVG files. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "errbuf.h"
#include "flow_html.h"
#include "flow_out.h"
#include "flow_svg.h"

#define CHART_BAR_W	520	/* the widest bar */
#define CHART_ROW_H	22
/*
 * The table comes in tables of CHUNK_ROWS rows of ROW_H pixels, with
 * fixed column widths, each skipped by the browser until scrolled to
 * (content-visibility): one table of 10,000 rows takes seconds to lay
 * out, these take milliseconds.
 */
#define CHUNK_ROWS	200
#define ROW_H		23
#define FIRST_PICS	20	/* diagrams drawn before the page is up */

struct flow_html {
	FILE *out;		/* the report, written at close */
	char *html;		/* its path, for messages */
	char *svg_dir;
	bool all;
	char *title;
	FILE *rows;		/* table rows, waiting */
	FILE *pics;		/* diagrams, waiting */
	struct buf *b;		/* one row or diagram at a time */
	uint64_t nrows, npics;
	char error[ERRBUF_LEN];	/* the first failure; sticks */
};

/* The page's own style; the diagrams' follows it (flow_svg_css()). */
static const char page_css[] =
    "body{font:14px sans-serif;margin:1em 2em;color:#222}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:1.5em}"
    "table{border-collapse:collapse;font-size:12px;table-layout:fixed}"
    "th,td{padding:2px 6px;border-bottom:1px solid #e4e4e4;height:18px;"
    "line-height:18px;text-align:left;white-space:nowrap;"
    "overflow:hidden;text-overflow:ellipsis}"
    "td.n{text-align:right}"
    "#conns table.head{position:sticky;top:0;z-index:2}"
    "th{background:#eee;cursor:pointer}"
    "td.notes:hover{white-space:normal;overflow:visible}"
    ".pic{content-visibility:auto;contain-intrinsic-size:auto 410px;"
    "min-height:386px;margin:0 0 1.5em}"
    ".pic p{margin:.2em 0 0 64px;font-size:12px;color:#555}"
    ".legend{position:sticky;top:0;background:#fff;z-index:1}"
    ".chart text{font:12px sans-serif;fill:#222}"
    ".k-fin{fill:#2ca02c}.k-fin-rst{fill:#ff7f0e}.k-rst{fill:#d62728}"
    ".k-refused{fill:#9467bd}.k-no-answer{fill:#8c564b}"
    ".k-vanished{fill:#e377c2}.k-open{fill:#7f7f7f}"
    "tr.k-rst td.k,tr.k-vanished td.k,tr.k-fin-rst td.k{color:#b22222;"
    "font-weight:bold}";

/*
 * Sorting the table: a click on a column's heading sorts by it, a second
 * click reverses. Then the diagrams: each waits as the text of a
 * <script type="image/svg+xml"> (which the browser only scans for its
 * end: parsing 5,000 diagrams into SVG elements up front takes seconds);
 * the first FIRST become SVG at once, the others as they are scrolled
 * near, all of them before printing. No '<' or '&' in it, so it stays
 * well-formed XML too.
 */
static const char page_js[] =
    "//<![CDATA[\n"
    "document.querySelectorAll('#conns th').forEach(function (th, i) {\n"
    "  th.addEventListener('click', function () {\n"
    "    var tbs = document.querySelectorAll('#conns .rows tbody');\n"
    "    var rows = Array.prototype.slice.call(\n"
    "      document.querySelectorAll('#conns .rows tr'));\n"
    "    var num = th.hasAttribute('data-n');\n"
    "    var dir = th.getAttribute('data-dir') === 'a' ? -1 : 1;\n"
    "    th.setAttribute('data-dir', dir > 0 ? 'a' : 'd');\n"
    "    rows.sort(function (a, b) {\n"
    "      var x = a.cells[i].textContent, y = b.cells[i].textContent;\n"
    "      if (num) return dir * (parseFloat(x) - parseFloat(y));\n"
    "      return dir * x.localeCompare(y);\n"
    "    });\n"
    "    tbs.forEach(function (tb, k) {\n"
    "      var f = document.createDocumentFragment();\n"
    "      rows.slice(k * CHUNK, (k + 1) * CHUNK).forEach(function (r) {\n"
    "        f.appendChild(r);\n"
    "      });\n"
    "      tb.appendChild(f);\n"
    "    });\n"
    "  });\n"
    "});\n"
    "var waiting = document.querySelectorAll('script.svg'), next = 0;\n"
    "function show(s) {\n"
    "  if (s.parentNode) {\n"
    "    s.insertAdjacentHTML('afterend', s.textContent);\n"
    "    s.remove();\n"
    "  }\n"
    "}\n"
    "function fill(n) {\n"
    "  for (var end = next + n; end > next; next++)\n"
    "    if (waiting.length > next) show(waiting[next]);\n"
    "}\n"
    "if ('IntersectionObserver' in window) {\n"
    "  var io = new IntersectionObserver(function (es) {\n"
    "    es.forEach(function (e) {\n"
    "      if (e.isIntersecting) {\n"
    "        var s = e.target.querySelector('script.svg');\n"
    "        if (s) show(s);\n"
    "        io.unobserve(e.target);\n"
    "      }\n"
    "    });\n"
    "  }, { rootMargin: '1500px' });\n"
    "  waiting.forEach(function (s) { io.observe(s.parentNode); });\n"
    "  fill(FIRST);\n"
    "} else {\n"
    "  fill(waiting.length);\n"
    "}\n"
    "addEventListener('beforeprint', function () {\n"
    "  fill(waiting.length);\n"
    "});\n"
    "//]]>\n";

static int
fail(struct flow_html *h, char *errbuf, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first failure, and hand it to the caller. */
static int
fail(struct flow_html *h, char *errbuf, const char *fmt, ...)
{
	va_list ap;

	if (h->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(h->error, sizeof(h->error), fmt, ap);
		va_end(ap);
	}
	errbuf_set(errbuf, "%s", h->error);
	return -1;
}

static void
html_free(struct flow_html *h)
{
	if (h->out)
		fclose(h->out);
	if (h->rows)
		fclose(h->rows);
	if (h->pics)
		fclose(h->pics);
	buf_free(h->b);
	free(h->html);
	free(h->svg_dir);
	free(h->title);
	free(h);
}

static char *
dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = true;
	return d;
}

struct flow_html *
flow_html_open(const struct flow_html_opts *o, char *errbuf)
{
	struct flow_html *h = calloc(1, sizeof(*h));
	bool oom = false;
	struct stat st;

	if (h == NULL) {
		errbuf_set(errbuf, "out of memory");
		return NULL;
	}
	h->all = o->all;
	h->html = dup_or_null(o->html, &oom);
	h->svg_dir = dup_or_null(o->svg_dir, &oom);
	h->title = dup_or_null(o->title, &oom);
	h->b = buf_new(16384);
	if (oom || h->b == NULL) {
		errbuf_set(errbuf, "out of memory");
		html_free(h);
		return NULL;
	}
	if (h->svg_dir != NULL && mkdir(h->svg_dir, 0777) < 0 &&
	    (errno != EEXIST || stat(h->svg_dir, &st) < 0 ||
	    !S_ISDIR(st.st_mode))) {
		if (errno == EEXIST)
			errno = ENOTDIR;
		errbuf_set(errbuf, "%s: %s", h->svg_dir, strerror(errno));
		html_free(h);
		return NULL;
	}
	if (h->html == NULL)
		return h;
	if ((h->out = fopen(h->html, "w")) == NULL) {
		errbuf_set(errbuf, "%s: %s", h->html, strerror(errno));
		html_free(h);
		return NULL;
	}
	if ((h->rows = tmpfile()) == NULL || (h->pics = tmpfile()) == NULL) {
		errbuf_set(errbuf, "temporary file for %s: %s", h->html,
		    strerror(errno));
		html_free(h);
		return NULL;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* pieces into h->b */

static void
b_clear(struct buf *b)
{
	buf_consume(b, buf_len(b));
}

static int
b_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* The table's columns; "n" ones sort as numbers. */
static const struct {
	const char *name;
	bool num;
	int width;
} columns[] = {
	{ "id", true, 56 }, { "start (UTC)", false, 150 },
	{ "orig", false, 170 }, { "resp", false, 170 },
	{ "duration (s)", true, 100 }, { "orig bytes", true, 90 },
	{ "resp bytes", true, 90 }, { "teardown", false, 84 },
	{ "closed by", false, 76 }, { "state", false, 56 },
	{ "history", false, 110 }, { "orig unacked", true, 104 },
	{ "resp unacked", true, 104 }, { "notes", false, 520 },
};

static int
b_colgroup(struct buf *b)
{
	size_t i;
	int rc = 0;

	rc |= b_str(b, "<colgroup>");
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		rc |= buf_printf(b, "<col style=\"width:%dpx\"/>",
		    columns[i].width);
	rc |= b_str(b, "</colgroup>");
	return rc;
}

/* Close a chunk of rows and open the next. */
static int
b_chunk(struct buf *b, bool close, bool open)
{
	int rc = 0;

	if (close)
		rc |= b_str(b, "</tbody></table></div>\n");
	if (open) {
		rc |= b_str(b, "<div class=\"rows\"><table>");
		rc |= b_colgroup(b);
		rc |= b_str(b, "<tbody>\n");
	}
	return rc;
}

/* "<td>TEXT</td>", escaped; cls names a class or is NULL. */
static int
b_cell(struct buf *b, const char *cls, const char *text)
{
	int rc = 0;

	if (cls != NULL)
		rc |= buf_printf(b, "<td class=\"%s\">", cls);
	else
		rc |= b_str(b, "<td>");
	rc |= flow_svg_escape(b, text);
	rc |= b_str(b, "</td>");
	return rc;
}

static int
b_num(struct buf *b, uint64_t v)
{
	return buf_printf(b, "<td class=\"n\">%" PRIu64 "</td>", v);
}

/* r's notes as sentences, escaped; malloc'd when they are long. */
static int
b_notes(struct buf *b, const struct flow_result *r, const char *cls,
    const char *tag)
{
	char small[1024], *t = small;
	int n = flow_result_notes_text(r, small, sizeof(small)), rc = 0;

	if (n >= (int)sizeof(small)) {
		if ((t = malloc((size_t)n + 1)) == NULL)
			return -1;
		flow_result_notes_text(r, t, (size_t)n + 1);
	}
	rc |= buf_printf(b, "<%s class=\"%s\">", tag, cls);
	rc |= flow_svg_escape(b, t);
	rc |= buf_printf(b, "</%s>", tag);
	if (t != small)
		free(t);
	return rc;
}

static int
row(struct buf *b, const struct flow_result *r, bool pictured)
{
	char oe[FLOW_ENDPOINT_LEN], re[FLOW_ENDPOINT_LEN], ts[48];
	const char *cls = flow_class_name(r->teardown);
	int64_t d = r->last_ts_us - r->ts_us;
	int rc = 0;

	flow_result_names(r, oe, re, sizeof(oe), ts, sizeof(ts));
	rc |= buf_printf(b, "<tr class=\"k-%s\">", cls);
	if (pictured)
		rc |= buf_printf(b, "<td class=\"n\"><a href=\"#c%" PRIu64
		    "\">%" PRIu64 "</a></td>", r->id, r->id);
	else
		rc |= b_num(b, r->id);
	rc |= b_str(b, "<td title=\"");
	rc |= flow_svg_escape(b, ts);
	rc |= b_str(b, "\">");
	/* the time of day, as the text table shows it */
	rc |= flow_svg_escape(b, strlen(ts) > 11 ? ts + 11 : ts);
	rc |= b_str(b, "</td>");
	rc |= b_cell(b, NULL, oe);
	rc |= b_cell(b, NULL, re);
	rc |= buf_printf(b, "<td class=\"n\">%" PRId64 ".%06" PRId64 "</td>",
	    d / 1000000, (d < 0 ? -d : d) % 1000000);
	rc |= b_num(b, r->orig.bytes);
	rc |= b_num(b, r->resp.bytes);
	rc |= b_cell(b, "k", cls);
	rc |= b_cell(b, NULL, r->closed_by == FLOW_SIDE_NONE ? "-" :
	    flow_side_name(r->closed_by));
	rc |= b_cell(b, NULL, flow_state_name(r->conn_state));
	rc |= b_cell(b, NULL, r->history[0] ? r->history : "-");
	rc |= b_num(b, r->orig.unacked);
	rc |= b_num(b, r->resp.unacked);
	rc |= b_notes(b, r, "notes", "td");
	rc |= b_str(b, "</tr>\n");
	return rc;
}

static int
write_b(struct flow_html *h, FILE *fp, const char *what, char *errbuf)
{
	if (fwrite(buf_data(h->b), 1, buf_len(h->b), fp) != buf_len(h->b))
		return fail(h, errbuf, "%s: %s", what, strerror(errno));
	return 0;
}

/* The diagram of r as a file of its own in the SVG directory. */
static int
svg_file(struct flow_html *h, const struct flow_result *r, char *errbuf)
{
	char *path;
	FILE *fp;
	int rc = 0;

	b_clear(h->b);
	if (flow_svg_write(h->b, r, FLOW_SVG_STANDALONE) < 0)
		return fail(h, errbuf, "out of memory");
	if (asprintf(&path, "%s/conn-%06" PRIu64 ".svg", h->svg_dir,
	    r->id) < 0)
		return fail(h, errbuf, "out of memory");
	if ((fp = fopen(path, "w")) == NULL)
		rc = fail(h, errbuf, "%s: %s", path, strerror(errno));
	else if (write_b(h, fp, path, errbuf) < 0)
		rc = -1;
	if (fp != NULL && fclose(fp) == EOF && rc == 0)
		rc = fail(h, errbuf, "%s: %s", path, strerror(errno));
	free(path);
	return rc;
}

int
flow_html_add(struct flow_html *h, const struct flow_result *r,
    char *errbuf)
{
	bool pictured = h->all || r->teardown != FLOW_FIN;

	if (h->error[0])
		return fail(h, errbuf, "%s", h->error);
	if (pictured && h->svg_dir != NULL && svg_file(h, r, errbuf) < 0)
		return -1;
	if (h->out == NULL)
		return 0;
	b_clear(h->b);
	if ((h->nrows > 0 && h->nrows % CHUNK_ROWS == 0 &&
	    b_chunk(h->b, true, true) < 0) || row(h->b, r, pictured) < 0)
		return fail(h, errbuf, "out of memory");
	if (write_b(h, h->rows, "temporary file", errbuf) < 0)
		return -1;
	h->nrows++;
	if (!pictured)
		return 0;
	b_clear(h->b);
	if (buf_printf(h->b, "<section class=\"pic\" id=\"c%" PRIu64 "\">"
	    "<script type=\"image/svg+xml\" class=\"svg\">", r->id) < 0 ||
	    flow_svg_write(h->b, r, 0) < 0 || b_str(h->b, "</script>") < 0 ||
	    (r->notes != 0 && b_notes(h->b, r, "notes", "p") < 0) ||
	    b_str(h->b, "</section>\n") < 0)
		return fail(h, errbuf, "out of memory");
	if (write_b(h, h->pics, "temporary file", errbuf) < 0)
		return -1;
	h->npics++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the report */

/* The counts by teardown class, as horizontal bars. */
static int
chart(struct buf *b, const struct flow_summary *s)
{
	uint64_t max = 1;
	int i, rc = 0;

	for (i = 0; i < FLOW_CLASS_COUNT; i++)
		if (s->by_class[i] > max)
			max = s->by_class[i];
	rc |= buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 760 %d\" "
	    "width=\"760\" height=\"%d\"><title>connections by teardown "
	    "class</title>", FLOW_CLASS_COUNT * CHART_ROW_H + 4,
	    FLOW_CLASS_COUNT * CHART_ROW_H + 4);
	for (i = 0; i < FLOW_CLASS_COUNT; i++) {
		const char *name = flow_class_name((enum flow_class)i);
		uint64_t n = s->by_class[i];
		int y = i * CHART_ROW_H + 2;
		double w = (double)n * CHART_BAR_W / (double)max;

		if (n > 0 && w < 1)
			w = 1;
		rc |= buf_printf(b, "<text x=\"90\" y=\"%d\" "
		    "text-anchor=\"end\">%s</text><rect class=\"k-%s\" x=\"100\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%d\"/><text x=\"%.1f\" y=\"%d\">"
		    "%" PRIu64 " (%.1f%%)</text>", y + 15, name, name, y, w,
		    CHART_ROW_H - 6, 106 + w, y + 15, n, s->connections ?
		    100.0 * (double)n / (double)s->connections : 0.0);
	}
	rc |= b_str(b, "</svg>\n");
	return rc;
}

static int
head(struct flow_html *h, const struct flow_summary *s)
{
	struct buf *b = h->b;
	size_t i;
	int rc = 0, w;

	rc |= b_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"/><title>finrst: ");
	rc |= flow_svg_escape(b, h->title ? h->title : "connections");
	rc |= b_str(b, "</title>\n<style>");
	rc |= b_str(b, page_css);
	/* a chunk is clipped to its box (content-visibility): as wide as
	 * its columns */
	for (i = 0, w = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		w += columns[i].width;
	rc |= buf_printf(b, "#conns table,.rows{width:%dpx}.rows{"
	    "content-visibility:auto;contain-intrinsic-size:auto %dpx}", w,
	    CHUNK_ROWS * ROW_H);
	rc |= b_str(b, flow_svg_css());
	rc |= buf_printf(b, "</style></head>\n<body>\n<h1>How %" PRIu64
	    " connection%s ended</h1>\n", s->connections,
	    s->connections == 1 ? "" : "s");
	if (h->title) {
		rc |= b_str(b, "<p>");
		rc |= flow_svg_escape(b, h->title);
		rc |= b_str(b, "</p>\n");
	}
	rc |= buf_printf(b, "<p>%" PRIu64 " partial, %" PRIu64 " half-closed;"
	    " closed by orig %" PRIu64 ", by resp %" PRIu64 "; %" PRIu64
	    " TCP segments. Unacknowledged bytes are not necessarily lost:"
	    " the receiver may still read them.</p>\n", s->partial,
	    s->half_close, s->closed_by_orig, s->closed_by_resp,
	    s->segments);
	rc |= b_str(b, "<h2>Teardown classes</h2>\n");
	rc |= chart(b, s);
	rc |= buf_printf(b, "<h2>Connections</h2>\n<p>%" PRIu64 " row%s; "
	    "click a heading to sort, an id to see its diagram.</p>\n"
	    "<div id=\"conns\"><table class=\"head\">", h->nrows,
	    h->nrows == 1 ? "" : "s");
	rc |= b_colgroup(b);
	rc |= b_str(b, "<thead><tr>");
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		rc |= buf_printf(b, "<th%s>%s</th>", columns[i].num ?
		    " data-n=\"1\"" : "", columns[i].name);
	rc |= b_str(b, "</tr></thead></table>\n");
	rc |= b_chunk(b, false, true);
	return rc;
}

static int
middle(struct flow_html *h)
{
	struct buf *b = h->b;
	int rc = 0;

	rc |= b_chunk(b, true, false);
	rc |= buf_printf(b, "</div>\n<h2>Time-sequence diagrams"
	    "</h2>\n<p>%" PRIu64 " connection%s %s: sequence number "
	    "against time, each direction in its own panel. Each diagram "
	    "draws the handshake and the last %d packets.</p>\n"
	    "<div class=\"legend\">", h->npics, h->npics == 1 ? "" : "s",
	    h->all ? "(all)" : "that did not end fin", FLOW_SVG_STEPS);
	rc |= flow_svg_legend(b);
	rc |= b_str(b, "</div>\n");
	return rc;
}

/* Copy a waiting part into the report. */
static int
copy(struct flow_html *h, FILE *from, char *errbuf)
{
	char t[65536];
	size_t n;

	if (fflush(from) == EOF || fseek(from, 0, SEEK_SET) < 0)
		return fail(h, errbuf, "temporary file: %s", strerror(errno));
	while ((n = fread(t, 1, sizeof(t), from)) > 0)
		if (fwrite(t, 1, n, h->out) != n)
			return fail(h, errbuf, "%s: %s", h->html,
			    strerror(errno));
	if (ferror(from))
		return fail(h, errbuf, "temporary file: %s", strerror(errno));
	return 0;
}

int
flow_html_close(struct flow_html *h, const struct flow_summary *s,
    char *errbuf)
{
	int rc = 0;

	if (h == NULL)
		return 0;
	if (h->error[0]) {
		rc = fail(h, errbuf, "%s", h->error);
	} else if (h->out != NULL) {
		b_clear(h->b);
		if (head(h, s) < 0)
			rc = fail(h, errbuf, "out of memory");
		else if (write_b(h, h->out, h->html, errbuf) < 0 ||
		    copy(h, h->rows, errbuf) < 0)
			rc = -1;
		b_clear(h->b);
		if (rc == 0 && middle(h) < 0)
			rc = fail(h, errbuf, "out of memory");
		if (rc == 0 && (write_b(h, h->out, h->html, errbuf) < 0 ||
		    copy(h, h->pics, errbuf) < 0))
			rc = -1;
		if (rc == 0 && fprintf(h->out, "<script>\nvar CHUNK = %d, "
		    "FIRST = %d;\n%s</script>\n</body></html>\n",
		    CHUNK_ROWS, FIRST_PICS, page_js) < 0)
			rc = fail(h, errbuf, "%s: %s", h->html,
			    strerror(errno));
		if (fclose(h->out) == EOF && rc == 0)
			rc = fail(h, errbuf, "%s: %s", h->html,
			    strerror(errno));
		h->out = NULL;
	}
	html_free(h);
	return rc;
}
