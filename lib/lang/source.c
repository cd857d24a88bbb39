/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "source.h"
#include "../shared.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* NULL, with the message in err and errno e */
#define fail(e, err, errlen, ...) (pfq_errf(err, errlen, e, __VA_ARGS__), (char *)NULL)

char *lang_read_source(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	int e;

	if (!path)
		return fail(EINVAL, err, errlen, "no file name");
	/* A FIFO without a writer would block the open for good: opened
	 * without waiting, then read as usual (with no writer, it is empty) */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return fail(errno, err, errlen, "cannot read '%s': %s", path, strerror(errno));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "r");
	if (!f) {
		e = errno;
		close(fd);
		return fail(e, err, errlen, "cannot read '%s': %s", path, strerror(e));
	}
	buf = malloc(max + 2);
	if (!buf) {
		fclose(f);
		return fail(ENOMEM, err, errlen, "out of memory");
	}
	n = fread(buf, 1, max + 1, f);
	/* a directory opens, and then fails to read (EISDIR): not "empty" */
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e || n > max || memchr(buf, '\0', n) || !n) {
		free(buf);
		if (e)
			return fail(e, err, errlen, "cannot read '%s': %s", path, strerror(e));
		if (n > max)
			return fail(E2BIG, err, errlen, "'%s' is longer than %zu bytes", path, max);
		if (n)
			return fail(EINVAL, err, errlen, "'%s' is not a text file (a NUL byte)", path);
		return fail(EINVAL, err, errlen, "'%s' is empty", path);
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}
