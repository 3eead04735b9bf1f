/* SPDX-License-Identifier: BSD-2-Clause */
/* Caller-supplied error buffers: format one line, keep errno intact. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "errbuf.h"

void
errbuf_set(char *errbuf, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (errbuf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, ERRBUF_LEN, fmt, ap);
	va_end(ap);
	errno = saved;
}
