/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by every part of the library (see shared.h). */
#include "shared.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pfq_verrf(char *buf, size_t n, int e, const char *fmt, va_list ap)
{
	if (buf && n)
		vsnprintf(buf, n, fmt, ap);
	if (e > 0)
		errno = e;
	return -e;
}

int pfq_errf(char *buf, size_t n, int e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pfq_verrf(buf, n, e, fmt, ap);
	va_end(ap);
	return rc;
}

int pfq_opts_take(const void *in, void *out, size_t known, size_t min_sz)
{
	const unsigned char *p = in;
	size_t sz = pfq_opts_sz(in);

	memset(out, 0, known);
	if (!in || sz < min_sz || sz < sizeof(size_t))
		return -EINVAL;
	for (size_t i = known; i < sz; i++)
		if (p[i])
			return -E2BIG;
	memcpy(out, in, sz < known ? sz : known);
	return 0;
}
