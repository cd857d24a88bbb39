/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What pfqd runs: the configuration and its groups; start, reload, stop. */
#ifndef PFQD_STATE_H
#define PFQD_STATE_H

#include "conf.h"
#include "group.h"

#include <pfq/pfq.h>
#include <time.h>

struct pfqd_state {
	struct pfqd_conf conf;                  /* the configuration running */
	struct pfqd_live *live[PFQ_MAX_GROUPS]; /* the groups, by gid */
	struct timespec started;                /* CLOCK_MONOTONIC */
	unsigned reloads;                       /* reloads applied */
};

/* what a reload did */
struct pfqd_reload {
	bool refused;      /* nothing changed (error says why) */
	int nadded, nchanged, nremoved, nunchanged;
	int added[PFQ_MAX_GROUPS], changed[PFQ_MAX_GROUPS], removed[PFQ_MAX_GROUPS],
		unchanged[PFQ_MAX_GROUPS];
	char error[8192];  /* "" when all went well */
};

/* Set up every group of c (s takes c over). 0; or -1 after logging why,
 * with everything released. */
int state_start(struct pfqd_state *s, struct pfqd_conf *c);
/* Read path again and move to it: a bad file changes nothing; unchanged
 * groups are not touched, changed ones are updated in place, removed ones
 * released, new ones created. 0 all done; -1 refused or partly failed (r
 * says which). */
int state_reload(struct pfqd_state *s, const char *path, struct pfqd_reload *r);
/* Release every group (outputs, then the control socket, by gid). */
void state_stop(struct pfqd_state *s);

#endif
