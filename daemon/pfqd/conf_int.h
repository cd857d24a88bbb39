/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside the configuration parser: its state and the calls its files share. */
#ifndef PFQD_CONF_INT_H
#define PFQD_CONF_INT_H

#include "conf.h"

#define CP_MAX_FRAGS 64 /* lines of one computation or filter */

enum cp_section { SEC_NONE, SEC_PFQD, SEC_GROUP, SEC_BAD };

/* per group, what only the parser needs */
struct cp_group {
	unsigned long long seen; /* keys met (bit: index in the key table) */
	int ncomp, nfilter;
	struct pfqd_pos comp_frag[CP_MAX_FRAGS]; /* where each line of the computation starts */
	struct pfqd_pos compfile_pos;
};

struct cp {
	struct pfqd_conf *c;
	const char *path;
	int flags;
	/* the reader */
	const char *cur;
	int line;
	char raw[PFQD_MAX_LINE + 2]; /* the last line read, as in the file */
	bool expect;                 /* inih should hand that line to the handler */
	bool handled;                /* it did */
	bool skip;                   /* an error on the line was said: ignore it */
	bool cont;                   /* the line continues the previous key */
	bool have_prev;              /* a key was met in this section (for continuations) */
	bool prev_bad;               /* that key's line was an error */
	int key_col, val_col;        /* columns of the key and of the value */
	/* the section */
	enum cp_section sec;
	bool seen_pfqd;
	unsigned long long pfqd_seen;
	struct pfqd_group *g;
	struct cp_group *gx;
	struct cp_group *gxs; /* parallel to c->groups */
	pcap_t *dead;         /* for pcap_compile */
};

/* an error at (line, col) of the file */
void cp_error_at(struct cp *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* an error at byte off of the current value */
void cp_error(struct cp *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* a copy of s, or NULL after saying "out of memory" */
char *cp_strdup(struct cp *p, const char *s);

/* conf_keys.c: one key of a section; cont: a continuation line */
void cp_pfqd_key(struct cp *p, const char *key, const char *val, bool cont);
void cp_group_key(struct cp *p, const char *key, const char *val, bool cont);
/* conf_finish.c: after the last line: compile, and look things up */
void cp_finish_pfqd(struct cp *p);
void cp_finish_group(struct cp *p, struct pfqd_group *g, struct cp_group *gx);
void cp_check_system(struct cp *p);

#endif
