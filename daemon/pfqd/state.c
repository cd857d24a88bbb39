/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "state.h"

#include "join.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(struct pfqd_reload *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pfqd_reload *r, const char *fmt, ...)
{
	size_t used = strlen(r->error);
	va_list ap;

	if (used && used + 1 < sizeof(r->error))
		r->error[used++] = '\n';
	va_start(ap, fmt);
	if (used < sizeof(r->error))
		vsnprintf(r->error + used, sizeof(r->error) - used, fmt, ap);
	va_end(ap);
}

static int create(struct pfqd_state *s, const struct pfqd_group *g, char *err, size_t n)
{
	struct pfqd_live *l = calloc(1, sizeof(*l));
	int rc;

	if (!l) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	rc = live_create(l, g, err, n);
	if (rc < 0) {
		free(l);
		return -1;
	}
	s->live[g->gid] = l;
	return 0;
}

static void release(struct pfqd_state *s, int gid)
{
	if (s->live[gid]) {
		live_release(s->live[gid]);
		free(s->live[gid]);
		s->live[gid] = NULL;
	}
}

int state_start(struct pfqd_state *s, struct pfqd_conf *c)
{
	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	s->conf = *c;
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < s->conf.ngroups; i++) {
		const struct pfqd_group *g = &s->conf.groups[i];
		char err[4096];

		if (create(s, g, err, sizeof(err)) < 0) {
			log_err("group %d: %s", g->gid, err);
			state_stop(s);
			return -1;
		}
		log_info("group %d: %s, %d inputs, %d outputs%s", g->gid,
			 pfqd_policy_name(g->policy), g->ninputs, g->noutputs,
			 g->computation ? ", computation set" : "");
	}
	return 0;
}

int state_reload(struct pfqd_state *s, const char *path, struct pfqd_reload *r)
{
	struct pfqd_conf c;

	memset(r, 0, sizeof(*r));
	if (pfqd_conf_parse_file(&c, path, PFQD_CONF_DEVICES_MAY_GO) < 0) {
		r->refused = true;
		for (int i = 0; i < c.nerrors; i++)
			say(r, "%s", c.errors[i]);
		if (c.nerrors_dropped)
			say(r, "(%d more errors)", c.nerrors_dropped);
		pfqd_conf_free(&c);
		return -1;
	}
	/* a group's policy is the group's: it cannot change under its members */
	for (int i = 0; i < c.ngroups; i++) {
		const struct pfqd_group *g = &c.groups[i];
		const struct pfqd_live *l = s->live[g->gid];

		if (l && l->cfg.policy != g->policy)
			say(r, "%s:%d:%d: group %d: the policy cannot change while the group runs "
			    "(%s now; remove the group, reload, then add it again)", path,
			    g->pos.line, g->pos.col, g->gid, pfqd_policy_name(l->cfg.policy));
	}
	if (r->error[0]) {
		r->refused = true;
		pfqd_conf_free(&c);
		return -1;
	}
	/* removed groups first (their devices may go to new ones), then
	 * changes, then new groups */
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		if (s->live[gid] && !pfqd_conf_group(&c, gid)) {
			release(s, gid);
			r->removed[r->nremoved++] = gid;
			log_info("group %d: released", gid);
		}
	for (int i = 0; i < c.ngroups; i++) {
		const struct pfqd_group *g = &c.groups[i];
		struct pfqd_live *l = s->live[g->gid];
		char err[4096];

		if (!l)
			continue;
		if (pfqd_group_equal(&l->cfg, g) && l->vlan_known && !live_inputs_moved(l)) {
			r->unchanged[r->nunchanged++] = g->gid;
			continue;
		}
		r->changed[r->nchanged++] = g->gid;
		if (live_update(l, g, err, sizeof(err)) < 0) {
			say(r, "group %d: %s", g->gid, err);
			log_err("group %d: update: %s", g->gid, err);
		} else {
			log_info("group %d: updated", g->gid);
		}
	}
	for (int i = 0; i < c.ngroups; i++) {
		const struct pfqd_group *g = &c.groups[i];
		char err[4096];
		bool known = false;

		for (int k = 0; k < r->nchanged; k++)
			known |= r->changed[k] == g->gid;
		for (int k = 0; k < r->nunchanged; k++)
			known |= r->unchanged[k] == g->gid;
		if (known)
			continue;
		r->added[r->nadded++] = g->gid;
		if (create(s, g, err, sizeof(err)) < 0) {
			say(r, "group %d: %s", g->gid, err);
			log_err("group %d: %s", g->gid, err);
		} else {
			log_info("group %d: created", g->gid);
		}
	}
	pfqd_conf_free(&s->conf);
	s->conf = c;
	s->reloads++;
	joins_recheck(s); /* allow_users and allow_groups may have changed */
	return r->error[0] ? -1 : 0;
}

void state_stop(struct pfqd_state *s)
{
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		release(s, gid);
	pfqd_conf_free(&s->conf);
}
