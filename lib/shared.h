/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by every part of the library (lib/core, lib/lang,
 * lib/bpf): the one error formatter and the check of a caller's opts
 * struct. Internal: not installed.
 */
#ifndef PFQ_SHARED_H
#define PFQ_SHARED_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Format an error message into buf (n bytes; nothing is written when buf is
 * NULL or n is 0), set errno to e (when e > 0) and return -e: every failing
 * path of the library reports through this, so that `return pfq_errf(...)`
 * gives the caller both the negative errno and the text.
 */
int pfq_errf(char *buf, size_t n, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int pfq_verrf(char *buf, size_t n, int e, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* CLOCK_MONOTONIC in nanoseconds */
static inline uint64_t pfq_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* rc, with errno set to -rc when rc is negative (libbpf_err's job): what a
 * public call returns, so that a caller may read either */
static inline int pfq_err(int rc)
{
	if (rc < 0)
		errno = -rc;
	return rc;
}

/*
 * A caller's options struct as this library knows it (libbpf's way): the
 * struct starts with `size_t sz`, sizeof the struct as the caller's header
 * had it. out (known bytes, this library's sizeof) is zeroed, then takes the
 * caller's first min(sz, known) bytes: the fields an older caller does not
 * have read as 0. Returns 0; -EINVAL when in is NULL or sz is below min_sz
 * (the fields every caller has); -E2BIG when sz is larger than known and a
 * byte past known is not 0 (a newer caller set a field this library cannot
 * honour). out is all zero on failure.
 */
int pfq_opts_take(const void *in, void *out, size_t known, size_t min_sz);

/* the sz field of an opts struct (its first member) */
static inline size_t pfq_opts_sz(const void *opts)
{
	return opts ? *(const size_t *)opts : 0;
}

#endif /* PFQ_SHARED_H */
