/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* is stderr the journal's stream (systemd sets JOURNAL_STREAM=dev:ino)? */
static bool to_journal(void)
{
	static int known = -1;

	if (known < 0) {
		const char *js = getenv("JOURNAL_STREAM");
		unsigned long long dev, ino;
		struct stat st;

		known = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
			(unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	}
	return known;
}

void pfqd_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error", "warning",
					     "notice", "info", "debug" };
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (level < 0 || level > 7)
		level = LOG_INFO;
	/* one write per line, so that lines of concurrent writers do not mix */
	if (to_journal())
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "%s: %s\n", names[level], line);
	fflush(stderr);
}
