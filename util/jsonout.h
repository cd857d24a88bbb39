/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON output of the tools (pfq-stat --json, pfq-lang run --json), built
 * with jansson: the tools make the objects, these helpers turn text that
 * may not be UTF-8 into a JSON string and print one compact object a line.
 */
#ifndef PFQ_UTIL_JSONOUT_H
#define PFQ_UTIL_JSONOUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* A JSON string of s (NULL: ""); bytes that are not valid UTF-8 become '?'
 * so that text from the kernel or the user never makes invalid JSON.
 * NULL only when out of memory. */
json_t *jsonout_text(const char *s);

/* A JSON number of v: an integer up to INT64_MAX (jansson's integers are
 * signed 64-bit), a real above it (exact for 2^63 alone, the control class
 * bit of a class mask; lower bits beside it are rounded). */
json_t *jsonout_u64(uint64_t v);

/* Print obj compactly ({"a":1,"b":[2]}, keys in insertion order), reals
 * with at most real_digits significant digits (17: exact), and a newline on
 * f, then release obj. 0, or -1 when obj is NULL (out of memory) or when the
 * write failed. */
int jsonout_line(json_t *obj, FILE *f, int real_digits);

#endif
