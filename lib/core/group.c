/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Groups: join and leave with the original's policies, and the life cycle
 * of a member socket. The registry (registry.c) records the group; its
 * kernel objects (group_kernel.c) do the work per packet.
 */
#include "group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* the socket whose registry is locked: its namespace is the group's */
static __thread int cur_fd = -1;

int pfq_group_cur_fd(void)
{
	return cur_fd;
}

/* free group gid: its TC programs, this process's fds, the entry */
void pfq_group_free(struct registry *r, int gid)
{
	gk_tc_clear(r, gid);
	gk_forget(r, gid);
	reg_free_group(&r->g[gid]);
}

static void on_changed(struct registry *r, int gid)
{
	struct reg_group *g = &r->g[gid];
	char err[256];

	if (!reg_count_members(g) && !reg_count_holders(g))
		pfq_group_free(r, gid);
	else
		gk_push_members(r, gid, err, sizeof(err));
}

/* Lock the registry and drop what dead processes left behind. */
struct registry *pfq_group_lock(pfq_t *q)
{
	char err[256];
	struct registry *r;

	/* the socket's namespace, wherever the calling thread is now */
	if (!q->netns)
		q->netns = registry_netns_of_socket(q->fd);
	r = registry_lock(q->netns, err, sizeof(err));
	if (!r) {
		pfq_seterr(q, errno, "%s", err);
		return NULL;
	}
	cur_fd = q->fd;
	registry_reap(r, on_changed);
	return r;
}

static int check_gid(pfq_t *q, int gid)
{
	if (gid < 0 || gid >= PFQ_MAX_GROUPS)
		return pfq_seterr(q, EINVAL, "group id %d out of range (0..%d)", gid,
				  PFQ_MAX_GROUPS - 1);
	return 0;
}

static const char *policy_name(int p)
{
	static const char *const names[] = { "undefined", "private", "restricted", "shared" };

	return p >= 0 && p <= 3 ? names[p] : "?";
}

/* May q join group g asking for policy? (the original's matrix) */
static int join_access(pfq_t *q, const struct reg_group *g, int gid, int policy)
{
	struct reg_proc self = registry_self();

	switch (g->policy) {
	case PFQ_POLICY_PRIVATE:
		if (q->member_id && q->member_id == g->owner_id)
			return 0;
		return pfq_seterr(q, EACCES, "group %d is private to socket %u of process %d",
				  gid, g->owner_id, g->owner.pid);
	case PFQ_POLICY_RESTRICTED:
		if (policy == PFQ_POLICY_RESTRICTED && registry_same_proc(&self, &g->owner))
			return 0;
		return pfq_seterr(q, EACCES, "group %d is restricted to process %d%s", gid,
				  g->owner.pid, policy == PFQ_POLICY_RESTRICTED ? "" :
				  " (and is joined with PFQ_POLICY_RESTRICTED)");
	case PFQ_POLICY_SHARED:
		if (policy == PFQ_POLICY_SHARED || policy == PFQ_POLICY_UNDEFINED)
			return 0;
		return pfq_seterr(q, EACCES, "group %d is shared: join it with "
				  "PFQ_POLICY_SHARED, not %s", gid, policy_name(policy));
	default:
		return 0;
	}
}

/* May q read the stats and counters of group g? */
static int read_access(pfq_t *q, const struct reg_group *g, int gid)
{
	struct reg_proc self = registry_self();

	if (!g->used)
		return pfq_seterr(q, ENOENT, "group %d does not exist", gid);
	if (g->policy == PFQ_POLICY_PRIVATE && !(q->member_id && q->member_id == g->owner_id))
		return pfq_seterr(q, EACCES, "group %d is private to another socket", gid);
	if (g->policy == PFQ_POLICY_RESTRICTED && !registry_same_proc(&self, &g->owner))
		return pfq_seterr(q, EACCES, "group %d is restricted to process %d", gid,
				  g->owner.pid);
	return 0;
}

static void add_holder(struct reg_group *g)
{
	struct reg_proc self = registry_self();
	int free_slot = -1;

	for (int i = 0; i < REG_MAX_HOLDERS; i++) {
		if (registry_same_proc(&g->holders[i], &self))
			return;
		if (g->holders[i].pid <= 0 && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
		g->holders[free_slot] = self;
}

/* a fresh group: record it, make its kernel objects, install "copy" */
static int init_group(pfq_t *q, struct registry *r, int gid, int policy)
{
	struct reg_group *g = &r->g[gid];
	char err[256];
	int rc;

	reg_free_group(g);
	g->used = 1;
	g->policy = policy;
	if (policy != PFQ_POLICY_UNDEFINED) {
		g->owner_id = q->member_id;
		g->owner = registry_self();
	}
	rc = gk_create(r, gid, err, sizeof(err));
	if (!rc)
		rc = gk_push_members(r, gid, err, sizeof(err));
	if (!rc)
		rc = gk_push_program(r, gid, err, sizeof(err));
	if (rc) {
		pfq_group_free(r, gid);
		return pfq_seterr(q, -rc, "%s", err);
	}
	return 0;
}

static int join_locked(pfq_t *q, struct registry *r, int gid, uint64_t class_mask, int policy)
{
	struct reg_group *g;
	int slot = -1, rc, fds[GK_NOBJ];
	char err[256];

	if (gid == PFQ_ANY_GROUP) {
		for (gid = 0; gid < PFQ_MAX_GROUPS && r->g[gid].used; gid++)
			;
		if (gid == PFQ_MAX_GROUPS)
			return pfq_seterr(q, EBUSY, "no free group (all %d in use)", PFQ_MAX_GROUPS);
	}
	g = &r->g[gid];
	if (policy != PFQ_POLICY_UNDEFINED && !q->member_id) {
		q->member_id = r->next_id++;
		if (!r->next_id)
			r->next_id = 1;
	}
	if (!g->used) {
		rc = init_group(q, r, gid, policy);
		if (rc)
			return rc;
	} else {
		rc = join_access(q, g, gid, policy);
		if (rc)
			return rc;
	}
	if (policy == PFQ_POLICY_UNDEFINED) {
		add_holder(g);
		g->gen++;
		return gid;
	}
	if (g->policy == PFQ_POLICY_UNDEFINED) {
		/* the first real joiner fixes the policy */
		g->policy = policy;
		g->owner_id = q->member_id;
		g->owner = registry_self();
	}
	slot = reg_find_member(g, q->member_id);
	if (slot >= 0) {
		/* joined again: more classes */
		g->m[slot].class_mask |= class_mask;
		g->gen++;
		rc = gk_push_members(r, gid, err, sizeof(err));
		return rc ? pfq_seterr(q, -rc, "%s", err) : gid;
	}
	for (int i = 0; i < REG_MAX_MEMBERS && slot < 0; i++)
		if (!g->m[i].id)
			slot = i;
	if (slot < 0)
		return pfq_seterr(q, ENOSPC, "group %d is full (%d members)", gid,
				  REG_MAX_MEMBERS);
	rc = gk_fds(r, gid, fds, err, sizeof(err));
	if (rc)
		return pfq_seterr(q, -rc, "%s", err);
	q->group_progs_fd = dup(fds[GK_PROGS]);
	if (q->group_progs_fd < 0)
		return pfq_seterr(q, errno, "dup: %s", strerror(errno));
	g->m[slot].id = q->member_id;
	g->m[slot].class_mask = class_mask;
	g->m[slot].weight = (uint32_t)q->weight;
	g->m[slot].proc = registry_self();
	g->m[slot].active = 0; /* until its filter is attached */
	g->gen++;
	q->gid = gid;
	return gid;
}

int pfq_join_group(pfq_t *q, int gid, unsigned long long class_mask, int policy)
{
	PFQ_NEED(q);
	struct registry *r;
	int rc;

	if (class_mask == 0)
		return pfq_seterr(q, EINVAL, "join: empty class mask");
	if (policy < PFQ_POLICY_UNDEFINED || policy > PFQ_POLICY_SHARED)
		return pfq_seterr(q, EINVAL, "join: policy %d invalid (0..3)", policy);
	if (gid != PFQ_ANY_GROUP && check_gid(q, gid) < 0)
		return -EINVAL;
	if (q->gid >= 0 && gid != q->gid && policy != PFQ_POLICY_UNDEFINED)
		return pfq_seterr(q, EBUSY, "join: the socket is a member of group %d "
				  "(a socket joins one group; leave it first)", q->gid);
	r = pfq_group_lock(q);
	if (!r)
		return -errno;
	rc = join_locked(q, r, gid, class_mask, policy);
	registry_unlock(r);
	if (rc < 0 || policy == PFQ_POLICY_UNDEFINED)
		return rc;
	/* its filter first, then its share */
	if (q->enabled) {
		int err = pfq_attach_update(q);

		if (!err)
			err = pfq_group_activate(q, true);
		if (err) {
			pfq_leave_group(q, rc);
			return err;
		}
	}
	pfq_clearerr(q);
	return rc;
}

int pfq_leave_group(pfq_t *q, int gid)
{
	PFQ_NEED(q);
	struct registry *r;
	struct reg_group *g;
	struct reg_proc self = registry_self();
	bool held = false;
	char err[256];

	if (check_gid(q, gid) < 0)
		return -EINVAL;
	r = pfq_group_lock(q);
	if (!r)
		return -errno;
	g = &r->g[gid];
	if (q->gid == gid) {
		int slot = reg_find_member(g, q->member_id);

		if (slot >= 0)
			memset(&g->m[slot], 0, sizeof(g->m[slot]));
	} else {
		for (int i = 0; i < REG_MAX_HOLDERS; i++)
			if (g->used && registry_same_proc(&g->holders[i], &self)) {
				memset(&g->holders[i], 0, sizeof(g->holders[i]));
				held = true;
			}
		if (!held) {
			registry_unlock(r);
			return pfq_seterr(q, ENOENT, "leave: not a member of group %d", gid);
		}
	}
	g->gen++;
	if (g->used && !reg_count_members(g) && !reg_count_holders(g)) {
		pfq_group_free(r, gid);
	} else if (g->used) {
		gk_push_members(r, gid, err, sizeof(err));
	}
	registry_unlock(r);
	if (q->gid == gid) {
		q->gid = -1;
		if (q->group_progs_fd >= 0)
			close(q->group_progs_fd);
		q->group_progs_fd = -1;
		pfq_attach_update(q);
	}
	return 0;
}

int pfq_groups_mask(const pfq_t *q, unsigned long long *mask)
{
	if (!q || !mask)
		return pfq_seterr((pfq_t *)q, EINVAL, "pfq_groups_mask: NULL argument");
	*mask = q->gid >= 0 ? 1ull << q->gid : 0;
	return 0;
}

int pfq_group_id(const pfq_t *q)
{
	PFQ_NEED(q);
	return q->gid;
}

int pfq_group_activate(pfq_t *q, bool on)
{
	struct registry *r;
	int slot, rc = 0;
	char err[256];

	if (q->gid < 0)
		return 0;
	r = pfq_group_lock(q);
	if (!r)
		return -errno;
	slot = reg_find_member(&r->g[q->gid], q->member_id);
	if (slot >= 0) {
		r->g[q->gid].m[slot].active = on;
		r->g[q->gid].m[slot].weight = (uint32_t)q->weight;
		r->g[q->gid].gen++;
		rc = gk_push_members(r, q->gid, err, sizeof(err));
		if (rc)
			pfq_seterr(q, -rc, "%s", err);
	}
	registry_unlock(r);
	return rc;
}

void pfq_group_close(pfq_t *q)
{
	if (q->gid >= 0)
		pfq_leave_group(q, q->gid);
}

void pfq_group_maintain(pfq_t *q)
{
	struct timespec ts;
	uint64_t now;
	struct registry *r;

	if (q->gid < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* a dead member loses its share within this period */
	if (now - q->maintain_ns < 200000000ull)
		return;
	q->maintain_ns = now;
	pfq_stats_collect(q);
	r = pfq_group_lock(q);
	if (r) {
		int slot = reg_find_member(&r->g[q->gid], q->member_id);

		/* publish the socket's stats for pfq-stat */
		if (slot >= 0) {
			r->g[q->gid].m[slot].recv = q->acc.recv;
			r->g[q->gid].m[slot].lost = q->acc.lost;
		}
		registry_unlock(r);
	}
}

/* ---- stats for tools ---- */

static _Thread_local char groups_err[256];

const char *pfq_groups_error(void)
{
	return groups_err;
}

void pfq_groups_seterr(const char *msg)
{
	snprintf(groups_err, sizeof(groups_err), "%s", msg);
}

/* the stats and counters of group gid, from its maps; either may be NULL
 * (left as they are when the maps cannot be read) */
static void read_numbers(struct registry *r, int gid, struct pfq_stats *st,
			 struct pfq_counters *c)
{
	struct pfq_group_kstats ks;
	int fds[GK_NOBJ];
	char err[256];

	if (gk_fds(r, gid, fds, err, sizeof(err)) < 0)
		return;
	if (st && pfq_lang_group_stats_read(fds[GK_STATS], &ks) == 0) {
		st->recv = ks.recv;
		st->drop = ks.drop;
		st->frwd = ks.frwd;
		st->kern = ks.kern;
	}
	if (c)
		pfq_lang_group_counters_read(fds[GK_COUNTERS], c->counter);
}

static void fill_info(struct registry *r, int gid, struct pfq_group_info *o)
{
	const struct reg_group *g = &r->g[gid];

	memset(o, 0, sizeof(*o));
	o->gid = gid;
	o->policy = g->policy;
	o->owner_pid = g->owner.pid;
	for (int i = 0; i < REG_MAX_MEMBERS; i++) {
		const struct reg_member *m = &g->m[i];

		if (!m->id)
			continue;
		o->members[o->nmembers].id = m->id;
		o->members[o->nmembers].pid = m->proc.pid;
		o->members[o->nmembers].class_mask = m->class_mask;
		o->members[o->nmembers].weight = (int32_t)m->weight;
		o->members[o->nmembers].active = (int32_t)m->active;
		o->members[o->nmembers].recv = m->recv;
		o->members[o->nmembers].lost = m->lost;
		o->nmembers++;
	}
	o->nbind = (int)g->nbind;
	for (int i = 0; i < o->nbind; i++) {
		snprintf(o->bind[i].dev, sizeof(o->bind[i].dev), "%s", g->bind_dev[i]);
		o->bind[i].queue = g->bind[i].queue;
	}
	snprintf(o->computation, sizeof(o->computation), "%.*s", (int)g->source_len, g->source);
	o->has_fprog = (int)g->fprog_len;
	o->vlan_on = (int)g->vlan_on;
	read_numbers(r, gid, &o->stats, &o->counters);
}

int pfq_groups_info(struct pfq_group_info *out, int max)
{
	char err[256];
	struct registry *r = registry_lock(registry_netns_of_thread(), err, sizeof(err));
	int n = 0;

	if (!r) {
		snprintf(groups_err, sizeof(groups_err), "%s", err);
		return -errno;
	}
	cur_fd = -1; /* the calling thread's namespace */
	registry_reap(r, on_changed);
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++) {
		if (!r->g[gid].used)
			continue;
		if (out && n < max)
			fill_info(r, gid, &out[n]);
		n++;
	}
	registry_unlock(r);
	return n;
}

/* group gid's stats or counters for q, after the policy's read check */
static int group_numbers(pfq_t *q, int gid, struct pfq_stats *st, struct pfq_counters *c,
			 const char *what)
{
	struct registry *r;
	int rc;

	if (!st && !c)
		return pfq_seterr(q, EINVAL, "%s: NULL argument", what);
	if (check_gid(q, gid) < 0)
		return -EINVAL;
	r = pfq_group_lock(q);
	if (!r)
		return -errno;
	rc = read_access(q, &r->g[gid], gid);
	if (!rc) {
		if (st)
			memset(st, 0, sizeof(*st));
		if (c)
			memset(c, 0, sizeof(*c));
		read_numbers(r, gid, st, c);
	}
	registry_unlock(r);
	return rc;
}

int pfq_get_group_stats(pfq_t *q, int gid, struct pfq_stats *stats)
{
	PFQ_NEED(q);
	return group_numbers(q, gid, stats, NULL, "pfq_get_group_stats");
}

int pfq_get_group_counters(pfq_t *q, int gid, struct pfq_counters *counters)
{
	PFQ_NEED(q);
	return group_numbers(q, gid, NULL, counters, "pfq_get_group_counters");
}
