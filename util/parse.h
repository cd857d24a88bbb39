/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict parsers shared by the command-line tools (through cli.h) and the
 * pcap configuration (pcap/config.c): whole numbers in a range, and device
 * lists "dev[@queue][:dev[@queue]...]". They never print; a failure returns
 * a negative errno and, where a message helps, says why in a buffer.
 */
#ifndef PFQ_UTIL_PARSE_H
#define PFQ_UTIL_PARSE_H

#include <stddef.h>

/* flags of parse_long/parse_ulong */
#define PARSE_BLANKS 0x1 /* blanks may stand around the number */

/*
 * A whole number in lo..hi: an optional sign ('+' or '-'), then decimal
 * digits or 0x and hex digits (a leading 0 is not octal), nothing else.
 * Returns 0 with *out set; -EINVAL when s is not a number (empty, a stray
 * character, "0x" alone); -ERANGE when it is one outside lo..hi (however
 * large). *out is left alone on failure.
 */
int parse_long(const char *s, long lo, long hi, unsigned int flags, long *out);

/* The same for an unsigned number in lo..hi: no sign at all ("-1" is an
 * error, not ULONG_MAX). */
int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned int flags,
		unsigned long *out);

#define PARSE_IFNAMSIZ 16 /* IFNAMSIZ, without net/if.h */
#define PARSE_QUEUE_MAX 65535

struct parse_dev {
	char name[PARSE_IFNAMSIZ];
	int queue; /* 0..PARSE_QUEUE_MAX, or -1 for every queue */
};

/* Is s (n bytes) a possible network device name: 1..15 printable
 * characters, none of them '/', '@', ':' or a blank, not "." or ".."? */
int parse_ifname_valid(const char *s, size_t n);

/*
 * A ':'-separated list of devices, each DEV or DEV@QUEUE (QUEUE a number in
 * 0..65535), into devs[0..max-1]. An empty string is an empty list. Every
 * name must be valid (parse_ifname_valid), no entry may be empty and none
 * may be listed twice. Returns the number of devices; or -EINVAL (bad
 * entry) / -E2BIG (more than max) with msg saying which entry and why,
 * e.g. "queue 'x' is not a number in 0..65535" (msg does not repeat the
 * list: callers put it in front).
 */
/* Read fd to its end, but at most max + 1 bytes (so that *len > max says
 * "larger than max"), into a new NUL-terminated buffer (the caller frees
 * it). NULL with errno set: ENOMEM, or read's error. fd stays open. */
char *parse_read_fd(int fd, size_t max, size_t *len);
int parse_dev_list(const char *list, struct parse_dev *devs, int max, char *msg, size_t msglen);

#endif
