/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *cli_opt_name(const struct cli *cli, int c, char *buf, size_t n)
{
	for (const struct option *o = cli->opts; o && o->name; o++)
		if (!o->flag && o->val == c) {
			snprintf(buf, n, "--%s", o->name);
			return buf;
		}
	snprintf(buf, n, "-%c", c > ' ' && c < 127 ? c : '?');
	return buf;
}

int cli_bad_value(const struct cli *cli, int c, const char *arg, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	fprintf(stderr, "%s: invalid value '%s' for %s: ", cli->prog, arg,
		cli_opt_name(cli, c, name, sizeof(name)));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int cli_long(const struct cli *cli, int c, const char *arg, long lo, long hi, long *out)
{
	if (parse_long(arg, lo, hi, 0, out) < 0)
		return cli_bad_value(cli, c, arg, "expected a number in %ld..%ld", lo, hi);
	return 0;
}

int cli_ulong(const struct cli *cli, int c, const char *arg, unsigned long lo, unsigned long hi,
	      unsigned long *out)
{
	if (parse_ulong(arg, lo, hi, 0, out) < 0)
		return cli_bad_value(cli, c, arg, "expected a number in %lu..%lu", lo, hi);
	return 0;
}

int cli_choice(const struct cli *cli, int c, const char *arg, const char *const *names, int *idx)
{
	char list[256];
	size_t len = 0;
	int n = 0;

	for (; names[n]; n++)
		if (!strcmp(arg, names[n])) {
			*idx = n;
			return 0;
		}
	list[0] = '\0';
	for (int i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
	return cli_bad_value(cli, c, arg, "expected %s", list);
}
