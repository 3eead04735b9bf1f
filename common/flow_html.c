/* SPDX-License-Identifier: BSD-2-Clause */
/* Pictures of classified connections: one HTML report, SVG files. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

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
/*
 * Bytes are what a browser spends most on: reading 18 MB of diagrams as
 * text took it longer than 2 s; then laying out the rows on the first
 * screen. So only the first PLAIN_ROWS rows and the first PLAIN_PICS
 * diagrams are plain markup; the rest come in packed blocks (a chunk of
 * rows, PICS_BLOCK diagrams): their markup deflated (zlib, a fifth of the
 * size) and base64'd into an inert <script>, which the page's script
 * unpacks (DecompressionStream) and inserts as each block nears the
 * window. A block stands in at ROW_H per row, PIC_H per diagram.
 */
#define PLAIN_ROWS	100
#define PLAIN_PICS	20
#define PICS_BLOCK	50
#define PIC_H		410
#define IDLE_BLOCKS	40	/* unpacked in the background (see page_js) */
/*
 * deflate's level: the page's bytes matter more than finrst's time; 6
 * makes 8% fewer than 4 for about 0.2 s more on 10,000 connections.
 */
#define ZLEVEL		6

struct flow_html {
	FILE *out;		/* the report, written at close */
	char *html;		/* its path, for messages */
	char *svg_dir;
	bool all;
	char *title;
	FILE *rows;		/* table rows, waiting */
	FILE *pics;		/* diagrams, waiting */
	struct buf *b;		/* one row or diagram at a time */
	struct buf *zrows;	/* the chunk of rows being packed */
	struct buf *zpics;	/* the block of diagrams being packed */
	struct buf *zids;	/* their ids, space-separated */
	unsigned zpics_n;	/* diagrams in zpics */
	bool plain_open;	/* the plain chunk of rows is not closed */
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
 * The packed blocks (see PLAIN_PICS): each is unpacked and inserted when
 * it comes within 1500 px of the window (IntersectionObserver), when a
 * link points into it, and all rows before the table is sorted. Once
 * the page is up, the first IDLE_BLOCKS blocks are unpacked one at a time
 * while the browser is idle, so that printing (which cannot wait) can
 * insert them; more would keep a browser busy for seconds.
 * Sorting the table: a click on a column's heading sorts by it, a second
 * click reverses. No '<' in it; in CDATA, so it stays well-formed XML too.
 */
static const char page_js[] =
    "//<![CDATA[\n"
    "var blocks = document.querySelectorAll('div.z');\n"
    "var packed = 'DecompressionStream' in window;\n"
    "function unpack(d) {\n"
    "  if (!d.unpacked) {\n"
    "    var bin = atob(d.querySelector('script.z').textContent);\n"
    "    var u = new Uint8Array(bin.length);\n"
    "    for (var i = 0; bin.length > i; i++) u[i] = bin.charCodeAt(i);\n"
    "    var s = new ReadableStream({ start: function (c) {\n"
    "      c.enqueue(u);\n"
    "      c.close();\n"
    "    } });\n"
    "    d.unpacked = new Response(s.pipeThrough(\n"
    "      new DecompressionStream('deflate'))).text().then(function (t) {\n"
    "      d.html = t;\n"
    "    });\n"
    "  }\n"
    "  return d.unpacked;\n"
    "}\n"
    "function show(d) {\n"
    "  if (typeof d.html !== 'string') return;\n"
    "  d.querySelector('script.z').remove();\n"
    "  d.insertAdjacentHTML('beforeend', d.html);\n"
    "  d.html = null;\n"
    "  d.classList.remove('z');\n"
    "  d.style.height = '';\n"
    "}\n"
    "function expand(d) {\n"
    "  if (!packed) return Promise.resolve();\n"
    "  return unpack(d).then(function () { show(d); });\n"
    "}\n"
    "function openAll(sel) {\n"
    "  return Promise.all(Array.prototype.map.call(\n"
    "    document.querySelectorAll(sel), expand));\n"
    "}\n"
    "function reveal(id) {\n"
    "  var n = ' ' + id.slice(1) + ' ';\n"
    "  if (document.getElementById(id)) return false;\n"
    "  for (var i = 0; blocks.length > i; i++) {\n"
    "    var ids = blocks[i].getAttribute('data-ids');\n"
    "    if (ids && (' ' + ids + ' ').indexOf(n) >= 0) {\n"
    "      expand(blocks[i]).then(function () {\n"
    "        if (location.hash === '#' + id) location.hash = '';\n"
    "        location.hash = id;\n"
    "      });\n"
    "      return true;\n"
    "    }\n"
    "  }\n"
    "  return false;\n"
    "}\n"
    "function follow(e) {\n"
    "  var a = e.target.closest ? e.target.closest('a') : null;\n"
    "  if (a && a.hash && reveal(a.hash.slice(1))) e.preventDefault();\n"
    "}\n"
    "document.getElementById('conns').addEventListener('click', follow);\n"
    "if (location.hash) reveal(location.hash.slice(1));\n"
    "if (packed && 'IntersectionObserver' in window) {\n"
    "  var io = new IntersectionObserver(function (es) {\n"
    "    es.forEach(function (e) {\n"
    "      if (e.isIntersecting) {\n"
    "        io.unobserve(e.target);\n"
    "        expand(e.target);\n"
    "      }\n"
    "    });\n"
    "  }, { rootMargin: '1500px' });\n"
    "  blocks.forEach(function (d) { io.observe(d); });\n"
    "} else {\n"
    "  openAll('div.z');\n"
    "}\n"
    "addEventListener('load', function () {\n"
    "  var k = 0, idle = window.requestIdleCallback ||\n"
    "    function (f) { setTimeout(f, 50); };\n"
    "  function next() {\n"
    "    if (packed && IDLE > k && blocks.length > k)\n"
    "      unpack(blocks[k++]).then(function () { idle(next); });\n"
    "  }\n"
    "  idle(next);\n"
    "});\n"
    "addEventListener('beforeprint', function () { blocks.forEach(show); });\n"
    "function sort(th, i) {\n"
    "  var tbs = document.querySelectorAll('#conns .rows tbody');\n"
    "  var rows = Array.prototype.slice.call(\n"
    "    document.querySelectorAll('#conns .rows tr'));\n"
    "  var num = th.hasAttribute('data-n');\n"
    "  var dir = th.getAttribute('data-dir') === 'a' ? -1 : 1;\n"
    "  th.setAttribute('data-dir', dir > 0 ? 'a' : 'd');\n"
    "  rows.sort(function (a, b) {\n"
    "    var x = a.cells[i].textContent, y = b.cells[i].textContent;\n"
    "    if (num) return dir * (parseFloat(x) - parseFloat(y));\n"
    "    return dir * x.localeCompare(y);\n"
    "  });\n"
    "  var at = 0, ns = Array.prototype.map.call(tbs, function (tb) {\n"
    "    return tb.rows.length;\n"
    "  });\n"
    "  tbs.forEach(function (tb, k) {\n"
    "    var f = document.createDocumentFragment();\n"
    "    rows.slice(at, at + ns[k]).forEach(function (r) {\n"
    "      f.appendChild(r);\n"
    "    });\n"
    "    at += ns[k];\n"
    "    tb.appendChild(f);\n"
    "  });\n"
    "}\n"
    "document.querySelectorAll('#conns th').forEach(function (th, i) {\n"
    "  th.addEventListener('click', function () {\n"
    "    openAll('div.rows.z').then(function () { sort(th, i); });\n"
    "  });\n"
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
	buf_free(h->zrows);
	buf_free(h->zpics);
	buf_free(h->zids);
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
	h->zrows = buf_new(65536);
	h->zpics = buf_new(65536);
	h->zids = buf_new(512);
	h->plain_open = true;
	if (oom || h->b == NULL || h->zrows == NULL || h->zpics == NULL ||
	    h->zids == NULL) {
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

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Write a packed block to fp: the open tag (head, n bytes, that of a
 * <div>), then content deflated (zlib format) and in base64 as the text
 * of an inert <script class="z">, then the ends. Base64 holds no '<' or
 * '&': the file stays well-formed XML. Empties content.
 */
static int
pack(struct flow_html *h, FILE *fp, const void *head, size_t n,
    struct buf *content, char *errbuf)
{
	uLongf zn = compressBound(buf_len(content));
	unsigned char *z = malloc(zn);
	char *t = NULL;
	size_t i, tn = 0;
	unsigned v;
	int rc = 0;

	if (z == NULL || (t = malloc((zn + 2) / 3 * 4)) == NULL) {
		free(z);
		return fail(h, errbuf, "out of memory");
	}
	if (compress2(z, &zn, buf_data(content), buf_len(content), ZLEVEL) !=
	    Z_OK) {
		free(z);
		free(t);
		return fail(h, errbuf, "out of memory");
	}
	for (i = 0; i + 2 < zn; i += 3) {
		v = (unsigned)z[i] << 16 | (unsigned)z[i + 1] << 8 | z[i + 2];
		t[tn++] = b64[v >> 18];
		t[tn++] = b64[v >> 12 & 63];
		t[tn++] = b64[v >> 6 & 63];
		t[tn++] = b64[v & 63];
	}
	if (i < zn) {
		v = (unsigned)z[i] << 16 |
		    (i + 1 < zn ? (unsigned)z[i + 1] << 8 : 0);
		t[tn++] = b64[v >> 18];
		t[tn++] = b64[v >> 12 & 63];
		t[tn++] = i + 1 < zn ? b64[v >> 6 & 63] : '=';
		t[tn++] = '=';
	}
	if (fwrite(head, 1, n, fp) != n ||
	    fputs("<script type=\"application/x-deflate\" class=\"z\">",
	    fp) == EOF || fwrite(t, 1, tn, fp) != tn ||
	    fputs("</script></div>\n", fp) == EOF)
		rc = fail(h, errbuf, "temporary file: %s", strerror(errno));
	free(z);
	free(t);
	b_clear(content);
	return rc;
}

/* Pack the chunk of n rows waiting in zrows into the rows' file. */
static int
pack_rows(struct flow_html *h, unsigned n, char *errbuf)
{
	char head[80];
	int len;

	if (b_str(h->zrows, "</tbody></table>") < 0)
		return fail(h, errbuf, "out of memory");
	len = snprintf(head, sizeof(head), "<div class=\"rows z\" "
	    "style=\"height:%upx\">", n * ROW_H);
	return pack(h, h->rows, head, (size_t)len, h->zrows, errbuf);
}

/* Pack the diagrams waiting in zpics into the diagrams' file. */
static int
pack_pics(struct flow_html *h, char *errbuf)
{
	int rc;

	b_clear(h->b);
	if (b_str(h->b, "<div class=\"pics z\" data-ids=\"") < 0 ||
	    buf_append(h->b, buf_data(h->zids), buf_len(h->zids)) < 0 ||
	    buf_printf(h->b, "\" style=\"height:%upx\">",
	    h->zpics_n * PIC_H) < 0)
		return fail(h, errbuf, "out of memory");
	rc = pack(h, h->pics, buf_data(h->b), buf_len(h->b), h->zpics,
	    errbuf);
	b_clear(h->zids);
	h->zpics_n = 0;
	return rc;
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
	if (row(h->b, r, pictured) < 0)
		return fail(h, errbuf, "out of memory");
	if (h->nrows < PLAIN_ROWS) {
		if (write_b(h, h->rows, "temporary file", errbuf) < 0)
			return -1;
	} else {
		if (h->plain_open) {
			b_clear(h->zrows);
			if (b_chunk(h->zrows, true, false) < 0 ||
			    b_str(h->zrows, "<noscript><p>The other rows "
			    "and diagrams need JavaScript.</p></noscript>\n")
			    < 0)
				return fail(h, errbuf, "out of memory");
			if (fwrite(buf_data(h->zrows), 1, buf_len(h->zrows),
			    h->rows) != buf_len(h->zrows))
				return fail(h, errbuf, "temporary file: %s",
				    strerror(errno));
			b_clear(h->zrows);
			h->plain_open = false;
		}
		if ((buf_len(h->zrows) == 0 &&
		    (b_str(h->zrows, "<table>") < 0 ||
		    b_colgroup(h->zrows) < 0 ||
		    b_str(h->zrows, "<tbody>\n") < 0)) ||
		    buf_append(h->zrows, buf_data(h->b), buf_len(h->b)) < 0)
			return fail(h, errbuf, "out of memory");
		if ((h->nrows + 1 - PLAIN_ROWS) % CHUNK_ROWS == 0 &&
		    pack_rows(h, CHUNK_ROWS, errbuf) < 0)
			return -1;
	}
	h->nrows++;
	if (!pictured)
		return 0;
	b_clear(h->b);
	if (buf_printf(h->b, "<section class=\"pic\" id=\"c%" PRIu64 "\">",
	    r->id) < 0 || flow_svg_write(h->b, r, 0) < 0 ||
	    (r->notes != 0 && b_notes(h->b, r, "notes", "p") < 0) ||
	    b_str(h->b, "</section>\n") < 0)
		return fail(h, errbuf, "out of memory");
	if (h->npics < PLAIN_PICS) {
		if (write_b(h, h->pics, "temporary file", errbuf) < 0)
			return -1;
	} else {
		if (buf_append(h->zpics, buf_data(h->b), buf_len(h->b)) < 0 ||
		    buf_printf(h->zids, "%s%" PRIu64, h->zpics_n ? " " : "",
		    r->id) < 0)
			return fail(h, errbuf, "out of memory");
		if (++h->zpics_n == PICS_BLOCK && pack_pics(h, errbuf) < 0)
			return -1;
	}
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

	if (h->plain_open)
		rc |= b_chunk(b, true, false);
	rc |= buf_printf(b, "</div>\n<h2 id=\"diagrams\" data-n=\"%" PRIu64
	    "\">Time-sequence diagrams</h2>\n<p>%" PRIu64 " connection%s %s: "
	    "sequence number against time, each direction in its own panel. "
	    "Each diagram draws the handshake and the last %d packets.</p>\n"
	    "<div class=\"legend\">", h->npics, h->npics,
	    h->npics == 1 ? "" : "s", h->all ? "(all)" : "that did not end fin",
	    FLOW_SVG_STEPS);
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
		/* the last blocks, not full */
		if ((buf_len(h->zrows) > 0 && pack_rows(h, (unsigned)
		    ((h->nrows - PLAIN_ROWS) % CHUNK_ROWS), errbuf) < 0) ||
		    (h->zpics_n > 0 && pack_pics(h, errbuf) < 0))
			rc = -1;
		b_clear(h->b);
		if (rc == 0 && head(h, s) < 0)
			rc = fail(h, errbuf, "out of memory");
		if (rc == 0 && (write_b(h, h->out, h->html, errbuf) < 0 ||
		    copy(h, h->rows, errbuf) < 0))
			rc = -1;
		b_clear(h->b);
		if (rc == 0 && middle(h) < 0)
			rc = fail(h, errbuf, "out of memory");
		if (rc == 0 && (write_b(h, h->out, h->html, errbuf) < 0 ||
		    copy(h, h->pics, errbuf) < 0))
			rc = -1;
		if (rc == 0 && fprintf(h->out, "<script>\nvar IDLE = %d;\n"
		    "%s</script>\n</body></html>\n", IDLE_BLOCKS, page_js) < 0)
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
