/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error text: per socket, and per thread for the calls that have no socket. */
#include "pfq-int.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char open_err[PFQ_ERRBUF] = "no error";

/* Record an error on q (or on the thread when q is NULL) and return -err. */
int pfq_seterr(pfq_t *q, int err, const char *fmt, ...)
{
	char *buf = q ? q->err : open_err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PFQ_ERRBUF, fmt, ap);
	va_end(ap);
	return err > 0 ? -err : err;
}

void pfq_clearerr(pfq_t *q)
{
	snprintf(q ? q->err : open_err, PFQ_ERRBUF, "no error");
}

const char *pfq_error(const pfq_t *q)
{
	return q ? q->err : open_err;
}
