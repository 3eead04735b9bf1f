/* SPDX-License-Identifier: BSD-2-Clause */
/* The report card of check-client and check-server: table, JSONL, JUnit. */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "report.h"
#include "stop.h"
#include "timeline.h"

struct report {
	FILE *fp;
	const char *suite;
	const struct report_col *cols;
	bool json;
	json_t *rows;
	int failed;
};

static void
cell(FILE *fp, const char *text, int width)
{
	if (width == 0)
		fprintf(fp, "%s", text);
	else
		fprintf(fp, "%-*.*s ", width, width, text);
}

struct report *
report_new(FILE *fp, const char *suite, const struct report_col *cols,
    bool json)
{
	struct report *rp = calloc(1, sizeof(*rp));

	if (rp == NULL || (rp->rows = json_array()) == NULL) {
		free(rp);
		return NULL;
	}
	rp->fp = fp;
	rp->suite = suite;
	rp->cols = cols;
	rp->json = json;
	if (!json) {
		for (const struct report_col *c = cols; c->key != NULL; c++)
			cell(fp, c->title, c->width);
		fprintf(fp, "\n");
	}
	return rp;
}

int
report_row(struct report *rp, json_t *row)
{
	if (!json_is_true(json_object_get(row, "pass")))
		rp->failed++;
	json_array_append_new(rp->rows, row);
	if (rp->json)
		return jsonl_write(rp->fp, json_incref(row));
	for (const struct report_col *c = rp->cols; c->key != NULL; c++) {
		json_t *v = json_object_get(row, c->key);
		char num[32];
		const char *text = "-";

		if (json_is_string(v) && *json_string_value(v) != '\0')
			text = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
			text = num;
		}
		cell(rp->fp, text, c->width);
	}
	fprintf(rp->fp, "\n");
	fflush(rp->fp);
	return ferror(rp->fp) ? -1 : 0;
}

/* text with XML's five special characters escaped; controls dropped. */
static void
xml_text(FILE *fp, const char *text)
{
	static const char special[] = "<>&\"'";
	static const char *const entity[] = {
		"&lt;", "&gt;", "&amp;", "&quot;", "&apos;",
	};

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		const char *sp = strchr(special, *p);

		if (sp != NULL)
			fputs(entity[sp - special], fp);
		else if (*p >= 0x20 || *p == '\t' || *p == '\n')
			fputc(*p, fp);
	}
}

static const char *
str(json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	return s != NULL ? s : "";
}

int
report_junit(const struct report *rp, const char *path)
{
	FILE *fp = fopen(path, "w");
	size_t i, skipped = 0;
	json_t *row;
	double total = 0;
	int saved;

	if (fp == NULL)
		return -1;
	json_array_foreach(rp->rows, i, row) {
		total += (double)json_integer_value(json_object_get(row,
		    "duration_ms")) / 1000.0;
		skipped += strcmp(str(row, "verdict"), "skipped") == 0;
	}
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<testsuite name=\"tcpfault %s\" tests=\"%zu\" failures=\"%d\" "
	    "skipped=\"%zu\" time=\"%.3f\">\n", rp->suite,
	    json_array_size(rp->rows), rp->failed, skipped, total);
	json_array_foreach(rp->rows, i, row) {
		char *all = json_dumps(row, JSON_COMPACT);

		fprintf(fp, "  <testcase classname=\"tcpfault.%s\" name=\"",
		    rp->suite);
		xml_text(fp, str(row, "case"));
		fprintf(fp, "\" time=\"%.3f\">\n", (double)json_integer_value(
		    json_object_get(row, "duration_ms")) / 1000.0);
		if (strcmp(str(row, "verdict"), "skipped") == 0) {
			fprintf(fp, "    <skipped message=\"");
			xml_text(fp, str(row, "summary"));
			fprintf(fp, "\"/>\n");
		} else if (!json_is_true(json_object_get(row, "pass"))) {
			fprintf(fp, "    <failure type=\"");
			xml_text(fp, str(row, "verdict"));
			fprintf(fp, "\" message=\"");
			xml_text(fp, str(row, "summary"));
			fprintf(fp, "\"/>\n");
		}
		fprintf(fp, "    <system-out>");
		xml_text(fp, all != NULL ? all : "");
		fprintf(fp, "</system-out>\n  </testcase>\n");
		free(all);
	}
	fprintf(fp, "</testsuite>\n");
	if (ferror(fp)) {
		saved = errno;
		fclose(fp);
		errno = saved != 0 ? saved : EIO;
		return -1;
	}
	return fclose(fp) == 0 ? 0 : -1;
}

int
report_finish(struct report *rp, const char *junit, const char *fail_text)
{
	int failed = rp->failed;
	bool json = rp->json;
	FILE *fp = rp->fp;

	if (stop_requested() != 0) {
		report_free(rp);
		fprintf(stderr, "tcpfault: interrupted\n");
		return STOP_EXIT(stop_requested());
	}
	if (junit != NULL && report_junit(rp, junit) == -1)
		err(1, "--junit %s", junit);
	report_free(rp);
	if (failed == 0)
		return 0;
	if (!json)
		fprintf(fp, "\n%d case(s) %s\n", failed, fail_text);
	return 1;
}

void
report_free(struct report *rp)
{
	if (rp == NULL)
		return;
	json_decref(rp->rows);
	free(rp);
}

int
report_cases_parse(const struct report_case *cases, int n, const char *list,
    uint64_t *mask, char *errbuf)
{
	char buf[512], *save = NULL;

	*mask = 0;
	if (list == NULL) {
		*mask = (1ull << n) - 1;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < n; i++)
			if (strcmp(cases[i].name, t) == 0)
				break;
		if (i == n) {
			errbuf_set(errbuf, "--cases: unknown case '%s'", t);
			return -1;
		}
		*mask |= 1ull << i;
	}
	if (*mask == 0) {
		errbuf_set(errbuf, "--cases: name at least one case");
		return -1;
	}
	return 0;
}

void
report_cases_list(FILE *fp, const char *title,
    const struct report_case *cases, int n)
{
	fprintf(fp, "%s:\n", title);
	for (int i = 0; i < n; i++)
		fprintf(fp, "  %-18s %s\n", cases[i].name, cases[i].what);
}
