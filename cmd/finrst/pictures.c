/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst --html, --svg: the pictures' glue, and the ladder beside them. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "pictures.h"

struct flow_html *
pictures_open(const char *html, const char *svg_dir, bool all, int nfiles,
    char **files, const char *iface)
{
	struct flow_html_opts o = { html, svg_dir, all, NULL };
	char ebuf[ERRBUF_LEN], *title = NULL;
	struct flow_html *h;
	size_t len = 0;
	int i;

	if (html == NULL && svg_dir == NULL)
		return NULL;
	if (iface != NULL) {
		if (asprintf(&title, "live capture on %s", iface) < 0)
			err(1, "asprintf");
	} else {
		for (i = 0; i < nfiles; i++)
			len += strlen(files[i]) + 1;
		if ((title = malloc(len + 1)) == NULL)
			err(1, "malloc");
		title[0] = '\0';
		for (i = 0; i < nfiles; i++) {
			if (i > 0)
				strcat(title, " ");
			strcat(title, files[i]);
		}
	}
	o.title = title;
	h = flow_html_open(&o, ebuf);
	free(title);
	if (h == NULL)
		errx(1, "%s", ebuf);
	return h;
}

void
pictures_add(struct flow_html *h, const struct flow_result *r)
{
	char ebuf[ERRBUF_LEN];

	if (h != NULL && flow_html_add(h, r, ebuf) < 0)
		errx(1, "%s", ebuf);
}

int
pictures_close(struct flow_html *h, const struct flow_summary *s)
{
	char ebuf[ERRBUF_LEN];

	if (flow_html_close(h, s, ebuf) < 0) {
		warnx("%s", ebuf);
		return -1;
	}
	return 0;
}

const struct flow_result *
ladder_view(const struct flow_result *r, unsigned int n,
    struct flow_result *view, struct flow_step *steps)
{
	size_t head = r->nsteps < FLOW_LADDER_HEAD ? r->nsteps :
	    FLOW_LADDER_HEAD;
	size_t tail = r->nsteps - head;

	if (tail <= n)
		return r;
	*view = *r;
	memcpy(steps, r->steps, head * sizeof(*steps));
	memcpy(steps + head, r->steps + r->nsteps - n, n * sizeof(*steps));
	view->steps = steps;
	view->nsteps = head + n;
	view->steps_skipped = r->steps_skipped + (tail - n);
	return view;
}
