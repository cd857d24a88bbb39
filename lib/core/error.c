/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error text: per socket, and per thread for the calls that have no socket. */
#include "pfq-int.h"
#include "../shared.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char open_err[PFQ_ERRBUF] = "no error";

/* Record an error on q (or on the thread when q is NULL), set errno and
 * return -err (err may be given either way round). */
int pfq_seterr(pfq_t *q, int err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pfq_verrf(q ? q->err : open_err, PFQ_ERRBUF, err < 0 ? -err : err, fmt, ap);
	va_end(ap);
	return rc;
}

void pfq_clearerr(pfq_t *q)
{
	snprintf(q ? q->err : open_err, PFQ_ERRBUF, "no error");
}

const char *pfq_error(const pfq_t *q)
{
	return q ? q->err : open_err;
}
