/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jsonout.h"

#include <stdlib.h>
#include <string.h>

json_t *jsonout_text(const char *s)
{
	json_t *j;
	char *copy;
	size_t n;

	if (!s)
		s = "";
	j = json_string(s);
	if (j)
		return j;
	/* not UTF-8: keep the ASCII, replace everything else */
	n = strlen(s);
	copy = malloc(n + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < n; i++)
		copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	copy[n] = '\0';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *jsonout_u64(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

int jsonout_line(json_t *obj, FILE *f, int real_digits)
{
	int rc = -1;

	if (obj && json_dumpf(obj, f, JSON_COMPACT | JSON_PRESERVE_ORDER |
			      JSON_REAL_PRECISION(real_digits)) == 0 && fputc('\n', f) != EOF)
		rc = 0;
	json_decref(obj);
	return rc;
}
