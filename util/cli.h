/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Option arguments of the command-line tools, parsed with the strict parsers
 * of parse.h inside a getopt_long loop. A bad argument is reported on stderr
 * naming the tool, the option and what was expected:
 *
 *   pfq-dump: invalid value '0' for --snaplen: expected a number in 1..262144
 *
 * and the helper returns -1; the tool then exits with status 2 (bad usage).
 */
#ifndef PFQ_UTIL_CLI_H
#define PFQ_UTIL_CLI_H

#include "parse.h"

#include <getopt.h>

struct cli {
	const char *prog;          /* the tool, for messages: "pfq-dump" */
	const struct option *opts; /* its getopt_long table, for option names */
};

/* How messages name option c (a getopt_long return value): "--snaplen", or
 * "-x" when the table has no long form; buf holds at least 32 bytes. */
const char *cli_opt_name(const struct cli *cli, int c, char *buf, size_t n);

/* Report a bad argument arg of option c: "PROG: invalid value 'ARG' for
 * --NAME: " and the rest from fmt. Returns -1. */
int cli_bad_value(const struct cli *cli, int c, const char *arg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* arg as a number in lo..hi (parse_long/parse_ulong, no blanks): 0, or -1
 * after reporting it. */
int cli_long(const struct cli *cli, int c, const char *arg, long lo, long hi, long *out);
int cli_ulong(const struct cli *cli, int c, const char *arg, unsigned long lo, unsigned long hi,
	      unsigned long *out);

/* arg one of names (NULL-terminated): 0 with its index in *idx, or -1
 * after reporting "expected A, B or C". */
int cli_choice(const struct cli *cli, int c, const char *arg, const char *const *names, int *idx);

#endif
