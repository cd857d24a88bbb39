/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group pfqd holds: one socket joined with PFQ_CLASS_CONTROL (never a
 * receiver) that binds the inputs and sets the computation and the filters,
 * and one socket per output (an egress endpoint). cfg is what is applied:
 * a step that fails leaves its part as it was, so the next reload's diff
 * tries it again.
 */
#ifndef PFQD_GROUP_H
#define PFQD_GROUP_H

#include "conf.h"

#include <pfq/pfq.h>

struct pfqd_join;

struct pfqd_live {
	struct pfqd_group cfg;
	pfq_t *q;
	pfq_t *out[PFQD_MAX_OUTPUTS]; /* parallel to cfg.outputs */
	bool vlan_known; /* cfg's VLAN ids are the group's table */
	/* the index each of cfg.inputs had when it was bound (0: any) */
	unsigned in_ifindex[PFQD_MAX_INPUTS];
	/* members made for clients of the control socket (join.c) */
	struct pfqd_join *joins;
	int njoins, joins_cap;
};

/* Join (or adopt, after a restart: a group that exists keeps its members)
 * and set group g up. 0, or -errno with the reason in err (and everything
 * released). */
int live_create(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n);
/* Has a device of l's inputs gone, or come back under another index
 * (deleted and made again: its binding names the old one)? */
bool live_inputs_moved(const struct pfqd_live *l);
/* Bring l to g in place (same gid and policy), on the sockets it has. 0, or
 * -errno with the reasons in err (what failed keeps its old setting). */
int live_update(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n);
/* End the clients' members, close the outputs, then the control socket. */
void live_release(struct pfqd_live *l);

/* output.c: open the egress endpoint o of group gid; 0 or -errno with err */
int output_open(pfq_t **out, int gid, int policy, const struct pfqd_output *o, char *err,
		size_t n);
void output_close(pfq_t **out);

#endif
