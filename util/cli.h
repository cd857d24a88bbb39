/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the command-line tools. */
#ifndef PFQ_UTIL_CLI_H
#define PFQ_UTIL_CLI_H

/* Parse a whole decimal (or 0x hex) number in lo..hi; 0 or -1. */
int cli_parse_long(const char *s, long lo, long hi, long *out);

#endif
