/* SPDX-License-Identifier: BSD-2-Clause */
/* How wide the reader's screen is, and text broken to fit it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "term.h"

int
term_columns(int fd)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env != NULL && *env >= '0' && *env <= '9') {
		char *end;
		long v;

		errno = 0;
		v = strtol(env, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 1 && v <= 10000)
			return (int)v;
	}
	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

int
term_narrow(int columns)
{
	return columns > 0 && columns < TERM_WIDE_COLUMNS;
}

/* Copy n bytes of s to buf at *need, as far as len allows. */
static void
put(char *buf, size_t len, size_t *need, const char *s, size_t n)
{
	if (*need < len) {
		size_t room = len - 1 - *need;

		memcpy(buf + *need, s, n < room ? n : room);
	}
	*need += n;
}

int
term_wrap(char *buf, size_t len, const char *text, int col, int indent,
    int width)
{
	size_t need = 0;
	int at = col;
	int used = col > indent;	/* the line holds more than its indent */

	while (*text != '\0') {
		size_t gap = strspn(text, " ");
		size_t w = strcspn(text + gap, " ");

		if (w == 0)
			break;		/* trailing blanks */
		if (width > 0 && used && at + (int)(gap + w) > width) {
			put(buf, len, &need, "\n", 1);
			for (int i = 0; i < indent; i++)
				put(buf, len, &need, " ", 1);
			at = indent;
		} else {
			put(buf, len, &need, text, gap);
			at += (int)gap;
		}
		put(buf, len, &need, text + gap, w);
		at += (int)w;
		used = 1;
		text += gap + w;
	}
	if (len > 0)
		buf[need < len ? need : len - 1] = '\0';
	return (int)need;
}
