/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Groups: join and leave with the original's policies, the life cycle of a
 * member socket, and what a member does now and then for its group (reaping
 * dead processes, taking copies when the group needs them). The registry
 * (registry.c) records the group; its kernel objects (group_kernel.c) do the
 * work per packet.
 */
#include "group.h"
#include "vault.h"
#include "../shared.h"

#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* a join that makes the group copy to several members waits this long for
 * every member to take copies (members do it when they next look after
 * the group, every GROUP_WAKE) */
#define COPIES_WAIT_MS 2000
/* how often a member looks after its group */
#define MAINTAIN_NS 200000000ull

/* the calls without a socket say why they failed where the open calls do */
const char *pfq_groups_error(void)
{
	return pfq_error(NULL);
}

static int check_gid(pfq_t *q, int gid)
{
	if (gid < 0 || gid >= PFQ_MAX_GROUPS)
		return pfq_seterr(q, EINVAL, "group id %d out of range (0..%d)", gid,
				  PFQ_MAX_GROUPS - 1);
	return 0;
}

static uint64_t netns_of(pfq_t *q)
{
	if (!q->netns)
		q->netns = registry_netns_of_socket(q->fd);
	return q->netns;
}

/* ---- one locked look at a group ---- */

/* Lock group gid's record (exclusive) and read it. A damaged record is
 * reset when no process takes part in the group any more. */
static int begin(struct gsession *s, uint64_t netns, int gid, bool create, bool try,
		 int ref_fd, char *err, size_t errlen)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->k = gk_get(netns, gid, create, err, errlen);
	if (!s->k)
		return -errno;
	s->g = malloc(sizeof(*s->g));
	if (!s->g) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->k->mu);
	s->k->ref_fd = ref_fd;
	rc = reg_lock(&s->k->f, true, try);
	/* the group ended while we waited and its file went (end()): the
	 * group's file is a new one now, or none */
	for (int tries = 0; !rc && reg_unlinked(&s->k->f) && s->k->slot < 0 && s->k->refs == 0;
	     tries++) {
		reg_unlock(&s->k->f);
		reg_close(&s->k->f);
		rc = tries < 16 ? reg_open(netns, gid, create, &s->k->f, err, errlen) : -EAGAIN;
		if (rc < 0) {
			/* a gk with no file is of no use to anyone (refs is 0) */
			pthread_mutex_unlock(&s->k->mu);
			gk_release(s->k);
			s->k = NULL;
			free(s->g);
			s->g = NULL;
			if (rc == -EAGAIN)
				snprintf(err, errlen, "group %d: its registry keeps being removed",
					 gid);
			return rc;
		}
		rc = reg_lock(&s->k->f, true, try);
	}
	if (rc < 0) {
		pthread_mutex_unlock(&s->k->mu);
		free(s->g);
		s->g = NULL;
		snprintf(err, errlen, "group %d: cannot lock its registry: %s", gid, strerror(-rc));
		return rc;
	}
	rc = reg_read(&s->k->f, s->g);
	if (!rc && s->k->last && s->g->used && s->g->vault[0] == s->k->last->vault[0] &&
	    s->g->gen < s->k->last->gen) {
		/* repaired by a process whose copy was older than ours: ours */
		*s->g = *s->k->last;
		s->dirty = true;
	} else if (rc == -EBADMSG && s->k->last) {
		/* damaged (cut, overwritten): our copy of the last record we saw
		 * is what the kernel runs, or was a moment ago */
		*s->g = *s->k->last;
		s->dirty = true;
		rc = 0;
	} else if (rc == -EBADMSG) {
		bool alive = false;

		for (int i = 0; i < REG_MAX_PROCS && !alive; i++)
			alive = i != s->k->slot && reg_alive(&s->k->f, i);
		if (!alive) {
			/* no one takes part: start over */
			memset(s->g, 0, sizeof(*s->g));
			s->dirty = true;
			rc = 0;
		}
	}
	if (rc < 0) {
		reg_unlock(&s->k->f);
		pthread_mutex_unlock(&s->k->mu);
		free(s->g);
		s->g = NULL;
		snprintf(err, errlen, "the registry of group %d is damaged%s", gid,
			 rc == -EBADMSG ? " (its processes repair it when they next look after "
			 "the group)" : "");
		return rc;
	}
	return 0;
}

/* Does a live process take part in the group? (Not: its file can go. The
 * kernel objects of a group whose processes all died went with them.) */
static bool taken_part(const struct gsession *s)
{
	if (s->k->slot >= 0 || s->k->refs > 0)
		return true;
	for (int i = 0; s->g->used && i < REG_MAX_PROCS; i++)
		if (s->g->proc[i].pid && reg_alive(&s->k->f, i))
			return true;
	return false;
}

/* commit when changed, unlock */
static int end(struct gsession *s)
{
	int rc = 0;

	if (!s->g)
		return 0;
	if (s->dirty) {
		s->g->gen++;
		rc = reg_write(&s->k->f, s->g);
	}
	/* what we leave behind, to repair the record with should it be damaged */
	if (!rc && s->k->refs > 0) {
		if (!s->k->last)
			s->k->last = malloc(sizeof(*s->k->last));
		if (s->k->last)
			*s->k->last = *s->g;
	}
	s->k->nparked = s->g->nparked;
	s->k->nzombies = 0;
	for (uint32_t i = 0; i < s->g->nparked && i < REG_MAX_PARKED; i++)
		s->k->nzombies += s->g->parked[i].zombie != 0;
	s->k->procs[0] = s->k->procs[1] = 0;
	for (int i = 0; i < REG_MAX_PROCS; i++)
		if (s->g->proc[i].pid)
			s->k->procs[i / 64] |= 1ull << (i % 64);
	if (!rc && !taken_part(s))
		reg_unlink(&s->k->f);
	reg_unlock(&s->k->f);
	pthread_mutex_unlock(&s->k->mu);
	free(s->g);
	s->g = NULL;
	return rc;
}

/* A handle a forked child inherited: the group membership is its
 * parent's (the registry names the parent's process; the child's copy of
 * this library forgot the parent's holds, gk_get). The child may read
 * through it, but not change the group: closing it there left the group
 * in the parent's name (the parent then read nothing, silently). */
static bool inherited(const pfq_t *q)
{
	return q->pid != getpid();
}

static int not_ours(pfq_t *q)
{
	return pfq_seterr(q, EPERM, "the socket's group membership belongs to process %d, which "
			  "opened it (this process inherited the socket across a fork)",
			  (int)q->pid);
}

/* the group of socket q (a member), locked */
int gs_begin_member(struct gsession *s, pfq_t *q, bool try)
{
	char err[256];
	int rc;

	if (inherited(q)) {
		memset(s, 0, sizeof(*s));
		return not_ours(q);
	}
	rc = begin(s, netns_of(q), q->gid, false, try, q->fd, err, sizeof(err));

	if (rc < 0)
		return rc == -EAGAIN ? rc : pfq_seterr(q, -rc, "%s", err);
	rc = gk_attach(s->k, s->g, err, sizeof(err));
	if (rc < 0) {
		end(s);
		return pfq_seterr(q, -rc, "%s", err);
	}
	s->dirty |= rc > 0;
	return 0;
}

/* ---- policies ---- */

static const char *policy_name(int p)
{
	static const char *const names[] = { "undefined", "private", "restricted", "shared" };

	return p >= 0 && p <= 3 ? names[p] : "?";
}

static bool same_proc_as_owner(const struct gsession *s)
{
	return s->g->owner_proc >= 0 && s->g->owner_proc == s->k->slot;
}

/* May q join group g asking for policy? (the original's matrix) */
static int join_access(pfq_t *q, const struct gsession *s, int gid, int policy)
{
	const struct reg_group *g = s->g;
	int owner_pid = g->owner_proc >= 0 ? g->proc[g->owner_proc].pid : 0;

	switch (g->policy) {
	case PFQ_POLICY_PRIVATE:
		if (q->id && (uint32_t)q->id == g->owner_id)
			return 0;
		return pfq_seterr(q, EACCES, "group %d is private to socket %u of process %d",
				  gid, g->owner_id, owner_pid);
	case PFQ_POLICY_RESTRICTED:
		if (policy == PFQ_POLICY_RESTRICTED && same_proc_as_owner(s))
			return 0;
		return pfq_seterr(q, EACCES, "group %d is restricted to process %d%s", gid,
				  owner_pid, policy == PFQ_POLICY_RESTRICTED ? "" :
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
static int read_access(pfq_t *q, const struct gsession *s, int gid)
{
	const struct reg_group *g = s->g;

	if (!g->used)
		return pfq_seterr(q, ENOENT, "group %d does not exist", gid);
	if (g->policy == PFQ_POLICY_PRIVATE && !(q->id && (uint32_t)q->id == g->owner_id))
		return pfq_seterr(q, EACCES, "group %d is private to another socket", gid);
	if (g->policy == PFQ_POLICY_RESTRICTED && !same_proc_as_owner(s))
		return pfq_seterr(q, EACCES, "group %d is restricted to process %d", gid,
				  g->owner_proc >= 0 ? g->proc[g->owner_proc].pid : 0);
	return 0;
}

/* ---- join ---- */

/* the session's process takes its proc slot (and its hold) out; with no
 * process left the record is emptied */
static void proc_out(struct gsession *s)
{
	struct reg_group *g = s->g;
	int slot = s->k->slot;

	if (slot >= 0) {
		memset(&g->proc[slot], 0, sizeof(g->proc[slot]));
		if (g->owner_proc == slot)
			g->owner_proc = -1;
		/* free for the next joiner as soon as the record says so */
		reg_alive_drop(&s->k->f, slot);
		s->k->slot = -1;
	}
	if (!reg_count_procs(g))
		memset(g, 0, sizeof(*g));
	s->dirty = true;
}

/* end the session; forget the hold when this process has none left */
int gs_finish(struct gsession *s)
{
	struct gk *k = s->k;
	int rc;

	if (k && k->refs == 0 && s->g && k->slot >= 0)
		proc_out(s);
	rc = end(s);
	if (k && k->refs == 0)
		gk_release(k);
	return rc;
}

/* is group gid in use (a record with a live process)? */
static bool in_use(uint64_t netns, int gid)
{
	struct gsession s;
	char err[256];
	bool used = false;

	if (begin(&s, netns, gid, false, false, -1, err, sizeof(err)) < 0)
		return false;
	for (int i = 0; s.g->used && i < REG_MAX_PROCS && !used; i++)
		used = s.g->proc[i].pid && (i == s.k->slot || reg_alive(&s.k->f, i));
	s.dirty = false;
	gs_finish(&s);
	return used;
}

/* the first free gid, or -errno */
static int free_gid(pfq_t *q)
{
	char err[256];
	uint64_t gids;
	int rc = reg_list(netns_of(q), &gids, err, sizeof(err));

	if (rc < 0)
		return pfq_seterr(q, -rc, "%s", err);
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		if (!(gids >> gid & 1) || !in_use(netns_of(q), gid))
			return gid;
	return pfq_seterr(q, EBUSY, "no free group (all %d in use)", PFQ_MAX_GROUPS);
}

static int join_locked(pfq_t *q, struct gsession *s, int gid, uint64_t class_mask, int policy)
{
	struct reg_group *g = s->g;
	struct gk *k = s->k;
	char err[256];
	int slot, rc;
	bool fresh;

	rc = gk_attach(k, g, err, sizeof(err));
	s->dirty = true;
	if (rc < 0)
		return pfq_seterr(q, -rc, "%s", err);
	fresh = reg_count_procs(g) == 0;
	if (fresh) {
		g->policy = policy;
		g->owner_proc = -1;
		/* its programs: no computation, copy to the default class */
		rc = gk_reinstall(k, g, err, sizeof(err));
		if (!rc)
			rc = gk_push_table(k, g, err, sizeof(err));
		if (rc < 0)
			return pfq_seterr(q, -rc, "%s", err);
	} else {
		rc = join_access(q, s, gid, policy);
		if (rc)
			return rc;
	}
	if (policy == PFQ_POLICY_UNDEFINED && (q->holds & (1ull << gid)) && k->slot >= 0 &&
	    g->proc[k->slot].holder)
		return gid; /* held by this socket already */
	rc = gk_proc_add(k, g, policy == PFQ_POLICY_UNDEFINED, err, sizeof(err));
	if (rc < 0)
		return pfq_seterr(q, -rc, "%s", err);
	if (policy == PFQ_POLICY_UNDEFINED) {
		k->refs++;
		return gid;
	}
	if (fresh || g->policy == PFQ_POLICY_UNDEFINED) {
		/* the first real joiner fixes the policy and owns the group */
		g->policy = policy;
		g->owner_id = (uint32_t)q->id;
		g->owner_proc = k->slot;
	}
	slot = reg_find_member(g, (uint32_t)q->id);
	if (slot >= 0) {
		/* joined again: more classes */
		g->m[slot].class_mask |= class_mask;
		rc = gk_push_table(k, g, err, sizeof(err));
		return rc ? pfq_seterr(q, -rc, "%s", err) : gid;
	}
	for (int i = 0; i < REG_MAX_MEMBERS && slot < 0; i++)
		if (!g->m[i].id)
			slot = i;
	if (slot < 0)
		return pfq_seterr(q, ENOSPC, "group %d is full (%d members)", gid, REG_MAX_MEMBERS);
	rc = pfq_member_fsock_open(q);
	if (rc)
		return rc;
	q->group_progs_fd = dup(k->maps[GK_PROGS]);
	if (q->group_progs_fd < 0) {
		rc = pfq_seterr(q, errno, "dup: %s", strerror(errno));
		pfq_member_fsock_close(q);
		return rc;
	}
	memset(&g->m[slot], 0, sizeof(g->m[slot]));
	g->m[slot].id = (uint32_t)q->id;
	g->m[slot].class_mask = class_mask;
	g->m[slot].weight = (uint32_t)q->weight;
	g->m[slot].proc = k->slot;
	g->m[slot].dirs = (uint32_t)q->dirs;
	g->m[slot].pos = -1;
	k->refs++;
	q->gk = k;
	q->gid = gid;
	q->member_id = (uint32_t)q->id; /* what the member filter tells the group program */
	return gid;
}

static int leave(pfq_t *q, int gid);

int pfq_join_group(pfq_t *q, int gid, unsigned long long class_mask, int policy)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	struct gsession s;
	char err[256];
	int rc;

	if (inherited(q))
		return not_ours(q);
	if (class_mask == 0)
		return pfq_seterr(q, EINVAL, "join: empty class mask");
	if (policy < PFQ_POLICY_UNDEFINED || policy > PFQ_POLICY_SHARED)
		return pfq_seterr(q, EINVAL, "join: policy %d invalid (0..3)", policy);
	if (gid != PFQ_ANY_GROUP && check_gid(q, gid) < 0)
		return -EINVAL;
	if (q->gid >= 0 && gid != q->gid && policy != PFQ_POLICY_UNDEFINED)
		return pfq_seterr(q, EBUSY, "join: the socket is a member of group %d "
				  "(a socket joins one group; leave it first)", q->gid);
	if (gid == PFQ_ANY_GROUP) {
		gid = free_gid(q);
		if (gid < 0)
			return gid;
	}
	rc = begin(&s, netns_of(q), gid, true, false, q->fd, err, sizeof(err));
	if (rc < 0)
		return pfq_seterr(q, -rc, "%s", err);
	rc = join_locked(q, &s, gid, class_mask, policy);
	gs_finish(&s);
	if (rc >= 0 && policy == PFQ_POLICY_UNDEFINED)
		q->holds |= 1ull << rc;
	if (rc < 0 || policy == PFQ_POLICY_UNDEFINED)
		return rc;
	/* an egress endpoint sends from now on */
	if (q->egress_ifindex) {
		int e = pfq_group_egress_set(q);

		if (e) {
			char why[PFQ_ERRBUF];

			snprintf(why, sizeof(why), "%s", pfq_error(q));
			leave(q, rc);
			return pfq_seterr(q, -e, "join: %s", why);
		}
	}
	/* its filter first, then its share */
	if (q->enabled) {
		int e = pfq_attach_update(q);

		if (!e)
			e = pfq_group_activate(q, true);
		if (e) {
			leave(q, rc);
			return e;
		}
	}
	pfq_clearerr(q);
	return rc;
}

/* ---- leave ---- */

/* q leaves its group (under the lock): out of the table, then its fanout
 * socket closed in order. An exported socket its importer still holds
 * stays in the fanout whatever we close, and would leave it whenever the
 * importer closes it, moving another socket behind the group's back: it is
 * parked instead, kept at its position (and in the vault, so that it
 * never leaves on its own) with no row, so nothing is steered to it, until
 * a later look finds no other holder (gk_unpark) or the group ends. */
static void member_out(pfq_t *q, struct gsession *s)
{
	struct reg_group *g = s->g;
	int row = reg_find_member(g, (uint32_t)q->id);
	char err[256];

	if (row >= 0) {
		struct reg_member m = g->m[row];

		memset(&g->m[row], 0, sizeof(g->m[row]));
		gk_push_table(s->k, g, err, sizeof(err));
		if (q->in_fanout && m.pos > 0) {
			bool park = q->exported && pfq_socket_held_elsewhere(q->gfd);
			void *map = q->gring.map;
			size_t map_len = q->gring.map_len;
			/* unmapped first: a mapping holds the socket open. A
			 * parked one keeps our mapping of its ring (the vault
			 * holds it open anyway): the kernel then refuses its
			 * holder a new ring (EBUSY), which would take the socket
			 * out of the fanout and put it back at the end, where
			 * another member's share goes */
			int fd = pfq_member_fsock_detach(q, park);

			if (park) {
				gk_park(g, m.id, m.fsock, m.fsock_ino, m.ring_4k, false);
				pfq_parked_map_keep(s->k->netns, s->k->gid, m.fsock, map, map_len);
				close(fd); /* parked: see below */
			} else {
				gk_close_pos(s->k, g, m.pos, m.fsock, m.exported, fd, err,
					     sizeof(err));
			}
		}
	}
	pfq_member_fsock_close(q);
	if (q->group_progs_fd >= 0)
		close(q->group_progs_fd);
	q->group_progs_fd = -1;
	q->copies = false;
	q->gid = -1;
	q->gk = NULL;
	q->member_id = 0;
	s->k->refs--;
	s->dirty = true;
}

static int leave(pfq_t *q, int gid)
{
	struct gsession s;
	char err[256];
	int rc;

	if (inherited(q))
		return not_ours(q);
	if (check_gid(q, gid) < 0)
		return -EINVAL;
	rc = begin(&s, netns_of(q), gid, false, false, q->fd, err, sizeof(err));
	if (rc < 0)
		return pfq_seterr(q, -rc, "leave: %s", err);
	rc = gk_attach(s.k, s.g, err, sizeof(err));
	if (rc < 0) {
		gs_finish(&s);
		return pfq_seterr(q, -rc, "leave: %s", err);
	}
	s.dirty = true;
	if (q->gid == gid) {
		member_out(q, &s);
	} else if ((q->holds & (1ull << gid)) && s.k->slot >= 0 && s.g->proc[s.k->slot].holder) {
		/* (the process holds it while one of its sockets does) */
		s.g->proc[s.k->slot].holder--;
		s.k->refs--;
		q->holds &= ~(1ull << gid);
	} else {
		gs_finish(&s);
		return pfq_seterr(q, ENOENT, "leave: not a member of group %d", gid);
	}
	gs_finish(&s);
	pfq_attach_update(q);
	return 0;
}

int pfq_leave_group(pfq_t *q, int gid)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	/* (pfq_close makes an exported member leave) */
	if (q->exported && gid == q->gid)
		PFQ_NOT_EXPORTED(q);
	return leave(q, gid);
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

/* ---- a member's life ---- */

/* this member's part of the group, as the group wants it (under the lock):
 * its copies hooked or not; the members mode once all take them */
static int own_part(pfq_t *q, struct gsession *s, char *err, size_t errlen)
{
	struct reg_group *g = s->g;
	int row = reg_find_member(g, (uint32_t)q->id), rc;
	bool want;

	if (row < 0)
		return 0;
	/* an egress endpoint's packets are sent by the TC program */
	want = g->want_copies && g->m[row].active && !g->m[row].egress_ifindex;
	if (want != q->copies) {
		rc = pfq_member_copies(q, want);
		if (rc)
			return rc;
		g->m[row].copies = q->copies;
		s->dirty = true;
	}
	/* all of them take copies: the members deliver */
	if (g->want_copies && g->mode != PFQ_GROUP_MODE_MEMBERS) {
		bool ready = true;

		for (int i = 0; i < REG_MAX_MEMBERS; i++)
			ready &= !(g->m[i].id && g->m[i].active && !g->m[i].egress_ifindex) ||
				 g->m[i].copies;
		if (ready) {
			rc = gk_push_table(s->k, g, err, errlen);
			if (rc)
				return rc;
			s->dirty = true;
		}
	}
	return 0;
}

int pfq_group_activate(pfq_t *q, bool on)
{
	struct gsession s;
	char err[256] = "";
	int row, rc, filter_rc = 0;

	if (q->gid < 0)
		return 0;
	rc = gs_begin_member(&s, q, false);
	if (rc < 0)
		return rc;
	row = reg_find_member(s.g, (uint32_t)q->id);
	if (row < 0) {
		gs_finish(&s);
		return pfq_seterr(q, ENOENT, "group %d no longer has this socket", q->gid);
	}
	if (on && !q->in_fanout) {
		/* the first enable: the fanout socket's ring, then its place */
		rc = pfq_member_fsock_ring(q);
		if (!rc) {
			rc = gk_fanout_join(s.k, s.g, q->gfd, (uint32_t)q->id, err, sizeof(err));
			if (rc)
				pfq_seterr(q, -rc, "%s", err);
		}
		s.dirty = true; /* the fanout's positions, the vault */
		if (rc) {
			gs_finish(&s);
			return rc;
		}
		q->in_fanout = true;
		s.g->m[row].pos = (int32_t)s.g->npos - 1;
		s.g->m[row].fsock = sock_cookie(q->gfd);
	}
	/* in its place (the table names it only below): the socket may take
	 * packets now; if it cannot, the row stays inactive (and the next
	 * enable tries again) */
	if (on && q->in_fanout && !q->fsock_open) {
		filter_rc = pfq_member_fsock_open_filter(q);
		if (filter_rc)
			on = false;
	}
	s.g->m[row].active = on;
	s.g->m[row].weight = (uint32_t)q->weight;
	s.g->m[row].dirs = (uint32_t)q->dirs;
	s.dirty = true;
	rc = gk_push_table(s.k, s.g, err, sizeof(err));
	if (!rc)
		rc = own_part(q, &s, err, sizeof(err));
	if (rc && err[0])
		pfq_seterr(q, -rc, "%s", err);
	if (!rc && filter_rc) {
		rc = filter_rc;
		pfq_seterr(q, -rc, "cannot open the group socket's filter: %s", strerror(-rc));
	}
	bool wait = !rc && on && s.g->want_copies && s.g->mode != PFQ_GROUP_MODE_MEMBERS;

	gs_finish(&s);
	/* copies to several members start when every member takes them */
	for (int ms = 0; wait && ms < COPIES_WAIT_MS; ms += 10) {
		usleep(10000);
		if (gs_begin_member(&s, q, false) < 0)
			break;
		wait = s.g->want_copies && s.g->mode != PFQ_GROUP_MODE_MEMBERS;
		own_part(q, &s, err, sizeof(err));
		wait &= s.g->mode != PFQ_GROUP_MODE_MEMBERS;
		gs_finish(&s);
	}
	return rc;
}

/*
 * One locked change of q's row: edit (NULL: none) changes it and says
 * whether it did; a changed row is pushed to the member table; with own,
 * q then takes its part as the group makes it now (its copies). Errors
 * are set on q, prefixed by what.
 */
static int row_change(pfq_t *q, bool (*edit)(pfq_t *q, struct reg_member *m), bool own,
		      const char *what)
{
	struct gsession s;
	char err[256] = "";
	int row, rc = gs_begin_member(&s, q, false);

	if (rc < 0)
		return rc;
	row = reg_find_member(s.g, (uint32_t)q->id);
	if (edit && row >= 0 && edit(q, &s.g->m[row])) {
		s.dirty = true;
		rc = gk_push_table(s.k, s.g, err, sizeof(err));
	} else if (edit) {
		own = false; /* nothing changed */
	}
	if (!rc && own)
		rc = own_part(q, &s, err, sizeof(err));
	if (rc && err[0])
		pfq_seterr(q, -rc, "%s%s", what, err);
	gs_finish(&s);
	return rc;
}

static bool take_settings(pfq_t *q, struct reg_member *m)
{
	m->weight = (uint32_t)q->weight;
	m->dirs = (uint32_t)q->dirs;
	return true;
}

int pfq_group_refresh_row(pfq_t *q)
{
	return row_change(q, take_settings, false, "");
}

int pfq_group_own_part(pfq_t *q)
{
	return row_change(q, NULL, true, "egress: ");
}

void pfq_group_close(pfq_t *q)
{
	if (inherited(q)) {
		q->gk = NULL; /* (the child's copy of it is gone) */
		q->gid = -1;
		return;
	}
	if (q->gid >= 0)
		leave(q, q->gid);
	/* the holds it took go with it, as the original freed an empty group
	 * at the next close (kept for the process, they outlived every socket
	 * and made "no free group" for the whole namespace) */
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		if (q->holds & (1ull << gid))
			leave(q, gid);
	q->holds = 0;
}

/* has anything happened in the group since this socket last looked (a
 * commit)? cheap: a header read. Per socket, not per process: a commit
 * another socket of the process looked at may ask something of this one
 * (take the copies). */
static bool news(pfq_t *q)
{
	return reg_seq(&q->gk->f) != q->seen_seq;
}

void pfq_group_maintain(pfq_t *q)
{
	struct gsession s;
	char err[256];
	uint64_t now;
	int row;

	if (q->gid < 0 || !q->gk || inherited(q))
		return;
	now = pfq_now_ns();
	/* a dead member's share moves within this period */
	if (now - q->maintain_ns < MAINTAIN_NS)
		return;
	q->maintain_ns = now;
	pfq_stats_collect(q);
	/* publish the socket's stats for pfq-stat (no lock: its own row) */
	if (!news(q) && !gk_any_dead(q->gk) && !gk_unpark_due(q->gk))
		goto publish;
	/* never wait: someone else's change must not stall our reading */
	if (gs_begin_member(&s, q, true) < 0)
		return;
	own_part(q, &s, err, sizeof(err));
	gs_finish(&s);
	q->seen_seq = reg_seq(&q->gk->f);
publish:
	row = -1;
	{
		struct reg_group *g = malloc(sizeof(*g));

		if (g && reg_read(&q->gk->f, g) == 0)
			row = reg_find_member(g, (uint32_t)q->id);
		free(g);
	}
	reg_stats_put(&q->gk->f, row, (uint32_t)q->id, q->acc.recv, q->acc.lost);
}

/* ---- reading a group from outside (tools, stats) ---- */

int pfq_group_peek(uint64_t netns, int gid, struct reg_group *g, int fds[GK_NMAPS], char *err,
		   size_t errlen)
{
	struct reg_file f;
	bool alive = false;
	int rc;

	for (int i = 0; i < GK_NMAPS && fds; i++)
		fds[i] = -1;
	rc = reg_open(netns, gid, false, &f, err, errlen);
	if (rc < 0)
		return rc;
	/* a commit may swap slots under us: the checksum tells, read again */
	for (int tries = 0; tries < 20; tries++) {
		rc = reg_read(&f, g);
		if (rc != -EBADMSG)
			break;
		usleep(1000);
	}
	for (int i = 0; !rc && g->used && i < REG_MAX_PROCS && !alive; i++)
		alive = g->proc[i].pid && reg_alive(&f, i);
	reg_close(&f);
	if (rc < 0) {
		snprintf(err, errlen, "the registry of group %d is damaged", gid);
		return rc;
	}
	if (!g->used || !alive) {
		/* the file of a group whose processes were killed, or whose last
		 * one could not remove it (a tcpdump that dropped root): a
		 * locked look removes it (end()) */
		in_use(netns, gid);
		snprintf(err, errlen, "group %d does not exist", gid);
		return -ENOENT;
	}
	for (int i = 0; i < GK_NMAPS && fds; i++) {
		/* what a reader from outside needs: the numbers and the log
		 * (never the program array: see map_by_id in group_kernel.c) */
		if (i != GK_STATS && i != GK_COUNTERS && i != GK_LOGS && i != GK_LOGCTL)
			continue;
		fds[i] = gk_map_fd(g->map_id[i], i);
		if (fds[i] < 0) {
			rc = fds[i];
			snprintf(err, errlen, "group %d: cannot open its BPF map %u: %s", gid,
				 g->map_id[i], strerror(-rc));
			for (int k = 0; k < i; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			fds[i] = -1;
			return rc;
		}
	}
	return 0;
}

static void close_maps(int fds[GK_NMAPS])
{
	for (int i = 0; i < GK_NMAPS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* the stats and counters of a group, from its maps; either may be NULL */
static void read_numbers(const int fds[GK_NMAPS], struct pfq_stats *st, struct pfq_counters *c)
{
	struct pfq_group_kstats ks;

	if (st && pfq_lang_group_stats_read(fds[GK_STATS], &ks) == 0) {
		st->recv = ks.recv;
		st->drop = ks.drop;
		st->frwd = ks.frwd;
		st->kern = ks.kern;
		st->disc = ks.disc;
	}
	if (c)
		pfq_lang_group_counters_read(fds[GK_COUNTERS], c->counter);
}

static void fill_info(const struct reg_group *g, uint64_t netns, int gid, const int fds[GK_NMAPS],
		      struct pfq_group_info *o)
{
	struct reg_file f;
	char err[64];
	bool have_f = reg_open(netns, gid, false, &f, err, sizeof(err)) == 0;

	memset(o, 0, sizeof(*o));
	o->gid = gid;
	o->policy = g->policy;
	o->owner_pid = g->owner_proc >= 0 && g->owner_proc < REG_MAX_PROCS ?
			       g->proc[g->owner_proc].pid : 0;
	for (int i = 0; i < REG_MAX_MEMBERS; i++) {
		const struct reg_member *m = &g->m[i];
		struct pfq_member_info *mi = &o->members[o->nmembers];
		struct reg_mstats ms;

		if (!m->id)
			continue;
		mi->id = m->id;
		mi->pid = m->proc >= 0 && m->proc < REG_MAX_PROCS ? g->proc[m->proc].pid : 0;
		mi->class_mask = m->class_mask;
		mi->weight = (int32_t)m->weight;
		mi->active = (int32_t)m->active;
		if (have_f && reg_stats_get(&f, i, &ms) == 0 && ms.id == m->id) {
			mi->recv = ms.recv;
			mi->lost = ms.lost;
		}
		if (m->egress_ifindex) {
			o->egress[o->nmembers].ifindex = m->egress_ifindex;
			o->egress[o->nmembers].queue = m->egress_queue;
			if (!if_indextoname((unsigned)m->egress_ifindex, o->egress[o->nmembers].dev))
				o->egress[o->nmembers].dev[0] = '\0';
		}
		o->nmembers++;
	}
	if (have_f)
		reg_close(&f);
	o->nbind = (int)g->nbind;
	for (int i = 0; i < o->nbind && i < 32; i++) {
		snprintf(o->bind[i].dev, sizeof(o->bind[i].dev), "%s", g->bind_dev[i]);
		o->bind[i].queue = g->bind[i].queue;
	}
	snprintf(o->computation, sizeof(o->computation), "%.*s", (int)g->source_len, g->source);
	o->has_fprog = (int)g->fprog_len;
	o->vlan_on = (int)g->vlan_on;
	read_numbers(fds, &o->stats, &o->counters);
}

/* the struct pfq_group_info of the first header that took its size: every
 * caller knows at least these fields */
#define PFQ_GROUP_INFO_SZ_MIN (offsetof(struct pfq_group_info, counters) + sizeof(struct pfq_counters))

int pfq_groups_info(struct pfq_group_info *out, size_t max, size_t sz)
{
	uint64_t netns = registry_netns_of_thread(), gids;
	struct reg_group *g;
	struct pfq_group_info *one;
	char err[256];
	int n = 0, rc;

	if (sz < PFQ_GROUP_INFO_SZ_MIN)
		return pfq_seterr(NULL, EINVAL, "pfq_groups_info: sz %zu is below %zu: set it to "
				  "sizeof(struct pfq_group_info)", sz, (size_t)PFQ_GROUP_INFO_SZ_MIN);
	if (!out && max)
		return pfq_seterr(NULL, EINVAL, "pfq_groups_info: NULL buffer of %zu entries", max);
	/* (the entries are written at out + i * sz: the buffer must be one) */
	if (max > SIZE_MAX / sz)
		return pfq_seterr(NULL, EINVAL, "pfq_groups_info: %zu entries of %zu bytes do not "
				  "fit in memory", max, sz);
	g = malloc(sizeof(*g));
	one = malloc(sizeof(*one));
	if (!g || !one) {
		free(g);
		free(one);
		return pfq_seterr(NULL, ENOMEM, "out of memory");
	}
	rc = reg_list(netns, &gids, err, sizeof(err));
	if (rc < 0) {
		free(g);
		free(one);
		return pfq_seterr(NULL, rc, "%s", err);
	}
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++) {
		int fds[GK_NMAPS];

		if (!(gids >> gid & 1) || pfq_group_peek(netns, gid, g, fds, err, sizeof(err)) < 0)
			continue;
		if ((size_t)n < max) {
			/* entry n of the caller's array of sz-byte entries: the
			 * fields it knows; a newer caller's unknown tail zeroed */
			unsigned char *dst = (unsigned char *)out + (size_t)n * sz;

			memset(one, 0, sizeof(*one));
			fill_info(g, netns, gid, fds, one);
			memcpy(dst, one, sz < sizeof(*one) ? sz : sizeof(*one));
			if (sz > sizeof(*one))
				memset(dst + sizeof(*one), 0, sz - sizeof(*one));
		}
		close_maps(fds);
		n++;
	}
	free(g);
	free(one);
	return n;
}

/* group gid's stats or counters for q, after the policy's read check */
static int group_numbers(pfq_t *q, int gid, struct pfq_stats *st, struct pfq_counters *c,
			 const char *what)
{
	struct gsession s;
	char err[256];
	int fds[GK_NMAPS], rc;

	if (!st && !c)
		return pfq_seterr(q, EINVAL, "%s: NULL argument", what);
	if (check_gid(q, gid) < 0)
		return -EINVAL;
	rc = begin(&s, netns_of(q), gid, false, false, q->fd, err, sizeof(err));
	if (rc < 0)
		return pfq_seterr(q, -rc, "%s: %s", what, err);
	rc = read_access(q, &s, gid);
	s.dirty = false;
	gs_finish(&s);
	if (rc)
		return rc;
	{
		struct reg_group *g = malloc(sizeof(*g));

		rc = g ? pfq_group_peek(netns_of(q), gid, g, fds, err, sizeof(err)) : -ENOMEM;
		free(g);
	}
	if (rc < 0)
		return pfq_seterr(q, -rc, "%s: %s", what, err);
	if (st)
		memset(st, 0, sizeof(*st));
	if (c)
		memset(c, 0, sizeof(*c));
	read_numbers(fds, st, c);
	close_maps(fds);
	return 0;
}

int pfq_get_group_stats(pfq_t *q, int gid, struct pfq_stats *stats)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	return group_numbers(q, gid, stats, NULL, "pfq_get_group_stats");
}

int pfq_get_group_counters(pfq_t *q, int gid, struct pfq_counters *counters)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	return group_numbers(q, gid, NULL, counters, "pfq_get_group_counters");
}
