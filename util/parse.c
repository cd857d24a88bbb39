/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* The sign and magnitude of the number s: 0, -EINVAL (not a number) or
 * -ERANGE (a number too large for an unsigned long). The digits are read
 * to the end before a verdict, so that "99999999999999999999x" is not a
 * number rather than a large one. */
static int scan(const char *s, unsigned int flags, bool sign_ok, bool *neg, unsigned long *mag)
{
	unsigned long v = 0;
	bool big = false;
	int base = 10, n = 0;

	if (flags & PARSE_BLANKS)
		while (isspace((unsigned char)*s))
			s++;
	*neg = false;
	if (sign_ok && (*s == '+' || *s == '-'))
		*neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; hexval((unsigned char)*s) < base; s++, n++) {
		unsigned long d = (unsigned long)hexval((unsigned char)*s);

		if (v > (ULONG_MAX - d) / (unsigned long)base)
			big = true;
		else
			v = v * (unsigned long)base + d;
	}
	if (flags & PARSE_BLANKS)
		while (isspace((unsigned char)*s))
			s++;
	if (n == 0 || *s)
		return -EINVAL;
	if (big)
		return -ERANGE;
	*mag = v;
	return 0;
}

int parse_long(const char *s, long lo, long hi, unsigned int flags, long *out)
{
	unsigned long mag;
	bool neg;
	long v;
	int rc = scan(s, flags, true, &neg, &mag);

	if (rc < 0)
		return rc;
	if (mag > (unsigned long)LONG_MAX + neg)
		return -ERANGE;
	/* down to -(LONG_MAX + 1) without overflowing on the way */
	v = !neg ? (long)mag : mag ? -(long)(mag - 1) - 1 : 0;
	if (v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned int flags,
		unsigned long *out)
{
	unsigned long v;
	bool neg;
	int rc = scan(s, flags, false, &neg, &v);

	if (rc < 0)
		return rc;
	if (v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_ifname_valid(const char *s, size_t n)
{
	if (n == 0 || n >= PARSE_IFNAMSIZ)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '@' || s[i] == ':' || isspace((unsigned char)s[i]) ||
		    !isprint((unsigned char)s[i]))
			return 0;
	return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

static int say(char *msg, size_t n, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int say(char *msg, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	if (msg && n) {
		va_start(ap, fmt);
		vsnprintf(msg, n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* DEV or DEV@QUEUE, the n bytes at s (an empty DEV is an invalid name) */
static int parse_dev(const char *s, size_t n, struct parse_dev *d, char *msg, size_t msglen)
{
	const char *at = memchr(s, '@', n);

	d->queue = -1;
	if (at) {
		size_t qn = n - (size_t)(at - s) - 1;
		char q[32];
		long v;

		if (qn == 0)
			return say(msg, msglen, -EINVAL, "missing queue after '@'");
		/* a longer one is no number in range (or a silly one) */
		snprintf(q, sizeof(q), "%.*s", (int)(qn < sizeof(q) ? qn : sizeof(q) - 1), at + 1);
		if (qn >= sizeof(q) || parse_long(q, 0, PARSE_QUEUE_MAX, 0, &v) < 0)
			return say(msg, msglen, -EINVAL, "queue '%s%s' is not a number in 0..%d", q,
				   qn >= sizeof(q) ? "..." : "", PARSE_QUEUE_MAX);
		d->queue = (int)v;
		n = (size_t)(at - s);
	}
	if (!parse_ifname_valid(s, n))
		return say(msg, msglen, -EINVAL, "'%.*s' is not a valid device name",
			   (int)(n < 64 ? n : 64), s);
	memcpy(d->name, s, n);
	d->name[n] = '\0';
	return 0;
}

int parse_dev_list(const char *list, struct parse_dev *devs, int max, char *msg, size_t msglen)
{
	int ndevs = 0;

	if (!*list)
		return 0;
	for (;;) {
		const char *end = strchr(list, ':');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		struct parse_dev d;
		int rc;

		rc = parse_dev(list, n, &d, msg, msglen);
		if (rc < 0)
			return rc;
		for (int i = 0; i < ndevs; i++)
			if (!strcmp(devs[i].name, d.name) && devs[i].queue == d.queue)
				return d.queue < 0 ?
				       say(msg, msglen, -EINVAL, "device '%s' listed twice", d.name) :
				       say(msg, msglen, -EINVAL, "device '%s@%d' listed twice", d.name,
					   d.queue);
		if (ndevs == max)
			return say(msg, msglen, -E2BIG, "more than %d devices", max);
		devs[ndevs++] = d;
		if (!end)
			return ndevs;
		list = end + 1;
		if (!*list)
			return say(msg, msglen, -EINVAL, "empty device name at the end");
	}
}

char *parse_read_fd(int fd, size_t max, size_t *len)
{
	char *buf = malloc(max + 2);
	size_t n = 0;

	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	while (n <= max) {
		ssize_t k = read(fd, buf + n, max + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}
