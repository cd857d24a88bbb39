/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group's configuration: bindings, computation, BPF and VLAN filters.
 * Every change is recorded in the registry and compiled into a new group
 * program, which replaces the old one for all members at once. A change the
 * compiler or the kernel refuses leaves the group as it was.
 */
#include "group.h"

#include "../bpf/cbpf.h"
#include "../lang/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*change_fn)(pfq_t *q, struct reg_group *g, int gid, const void *arg);

/*
 * Apply a change to group gid (q must be a member) and install it, as a
 * transaction: the new configuration is worked out and its programs
 * compiled and verified with no lock held (that can take seconds, and no
 * member's reading waits for it); then, under the lock, it is recorded as
 * pending, installed, and committed. A process killed in between leaves
 * it pending: the next change of the group installs it again. Someone
 * else's change in between: worked out again on top of it.
 */
static int change(pfq_t *q, int gid, change_fn fn, const void *arg, const char *what)
{
	struct reg_group *next = malloc(sizeof(*next));
	struct gsession s;
	char err[256] = "";
	int rc = 0;

	if (!next)
		return pfq_seterr(q, ENOMEM, "out of memory");
	if (gid < 0 || gid >= PFQ_MAX_GROUPS)
		rc = pfq_seterr(q, EINVAL, "%s: group id %d out of range (0..%d)", what, gid,
				PFQ_MAX_GROUPS - 1);
	else if (q->gid != gid)
		rc = pfq_seterr(q, EACCES, "%s: the socket is not a member of group %d", what,
				gid);
	for (int attempt = 0; !rc && attempt < 8; attempt++) {
		struct gk_progs *progs;
		uint32_t cfg_gen;
		bool pending;

		rc = gs_begin_member(&s, q, false);
		if (rc)
			break;
		*next = *s.g;
		cfg_gen = s.g->cfg_gen;
		pending = s.g->pending;
		rc = fn(q, next, gid, arg);
		gs_finish(&s);
		if (rc < 0 || (rc == 1 && !pending)) {
			rc = rc < 0 ? rc : 0; /* 1: nothing to do */
			break;
		}
		progs = gk_compile(q->gk, next, err, sizeof(err));
		if (!progs) {
			rc = pfq_seterr(q, errno ? errno : EINVAL, "%s", err);
			break;
		}
		rc = gs_begin_member(&s, q, false);
		if (rc) {
			gk_progs_free(progs);
			break;
		}
		if (s.g->cfg_gen != cfg_gen) {
			/* changed meanwhile: again, on top of that */
			gs_finish(&s);
			gk_progs_free(progs);
			rc = 0;
			continue;
		}
		/* the same change on the record as it is now (fn is a function
		 * of the configuration, which has not changed) */
		*next = *s.g; /* the group as it was */
		fn(q, s.g, gid, arg);
		s.g->pending = 1;
		s.g->cfg_gen++;
		rc = reg_write(&s.k->f, s.g);
		if (!rc)
			rc = gk_install(s.k, s.g, progs, err, sizeof(err));
		gk_progs_free(progs);
		if (rc < 0) {
			/* the kernel may be half changed: install the old one again */
			char err2[256];

			*s.g = *next;
			gk_reinstall(s.k, s.g, err2, sizeof(err2));
		}
		if (!rc) {
			s.g->pending = 0;
			rc = gk_push_table(s.k, s.g, err, sizeof(err));
		}
		s.dirty = true;
		gs_finish(&s);
		if (rc < 0)
			pfq_seterr(q, -rc, "%s", err);
		break;
	}
	free(next);
	if (!rc)
		pfq_clearerr(q);
	return rc;
}

/* ---- bindings ---- */

struct bind_arg {
	const char *dev;
	int queue;
	bool on;
};

/* the group's bindings to devices that went (pfq_prune_vanished): out;
 * true when one of them was bound by the name dev */
static bool prune_vanished(pfq_t *q, struct reg_group *g, const char *dev)
{
	bool named = false;

	for (uint32_t i = 0; i < g->nbind && i < PFQ_GROUP_MAX_BINDINGS;) {
		if (pfq_dev_vanished(q->fd, g->bind[i].ifindex)) {
			named |= dev && strncmp(g->bind_dev[i], dev, 16) == 0;
			g->nbind--;
			g->bind[i] = g->bind[g->nbind];
			memcpy(g->bind_dev[i], g->bind_dev[g->nbind], 16);
		} else {
			i++;
		}
	}
	return named;
}

static int do_bind(pfq_t *q, struct reg_group *g, int gid, const void *arg)
{
	const struct bind_arg *a = arg;
	struct pfq_binding b;
	bool gone = prune_vanished(q, g, a->dev);
	int rc = pfq_make_binding(q, a->dev, a->queue, &b), i;

	if (rc == -ENODEV && gone && !a->on)
		return 0; /* (the device went, and its binding with it) */
	if (rc)
		return rc;
	for (i = 0; i < (int)g->nbind; i++)
		if (g->bind[i].ifindex == b.ifindex && g->bind[i].queue == b.queue)
			break;
	if (!a->on) {
		if (i == (int)g->nbind && gone)
			return 0; /* (the one of that name went; another came since) */
		if (i == (int)g->nbind)
			return pfq_seterr(q, ENOENT, "unbind: group %d is not bound to '%s' "
					  "queue %d", gid, a->dev, a->queue);
		g->nbind--;
		g->bind[i] = g->bind[g->nbind];
		memcpy(g->bind_dev[i], g->bind_dev[g->nbind], 16);
		return 0;
	}
	if (i < (int)g->nbind)
		return 1;
	if (g->nbind == PFQ_GROUP_MAX_BINDINGS)
		return pfq_seterr(q, ENOSPC, "bind: group %d has %d bindings already", gid,
				  PFQ_GROUP_MAX_BINDINGS);
	g->bind[g->nbind].ifindex = b.ifindex;
	g->bind[g->nbind].queue = b.queue;
	g->bind[g->nbind].raw_queue = b.raw_queue;
	snprintf(g->bind_dev[g->nbind], 16, "%s", a->dev);
	g->nbind++;
	return 0;
}

int pfq_bind_group(pfq_t *q, int gid, const char *dev, int queue)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	struct bind_arg a = { dev, queue, true };

	return change(q, gid, do_bind, &a, "bind");
}

int pfq_unbind_group(pfq_t *q, int gid, const char *dev, int queue)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	struct bind_arg a = { dev, queue, false };

	return change(q, gid, do_bind, &a, "unbind");
}

/* ---- computation ---- */

static int do_source(pfq_t *q, struct reg_group *g, int gid, const void *arg)
{
	const char *src = arg;
	size_t len = src ? strlen(src) : 0;
	struct pfq_lang_diag diag;
	pfq_lang_program *p;

	/* the same computation again (every instance of a pcap group sets
	 * it): nothing to compile or install */
	if (len == g->source_len && (len == 0 || memcmp(g->source, src, len) == 0))
		return 1;
	if (len == 0) {
		g->source_len = 0;
		g->source[0] = '\0';
		return 0;
	}
	if (len >= REG_MAX_SOURCE)
		return pfq_seterr(q, E2BIG, "group %d computation: %zu bytes (max %d)", gid, len,
				  REG_MAX_SOURCE - 1);
	p = pfq_lang_compile(src, &diag);
	if (!p) {
		if (diag.line)
			return pfq_seterr(q, EINVAL, "group %d computation: %d:%d: %s", gid,
					  diag.line, diag.col, diag.msg);
		return pfq_seterr(q, EINVAL, "group %d computation: %s", gid, diag.msg);
	}
	pfq_lang_free(p);
	memcpy(g->source, src, len + 1);
	g->source_len = (uint32_t)len;
	return 0;
}

/* ---- egress endpoints ---- */

/* the member's row says what the socket is (q->egress_*) */
static int do_egress(pfq_t *q, struct reg_group *g, int gid, const void *arg)
{
	int row = reg_find_member(g, (uint32_t)q->id);

	(void)arg;
	if (row < 0)
		return pfq_seterr(q, ENOENT, "egress: group %d no longer has this socket", gid);
	if (g->m[row].egress_ifindex == q->egress_ifindex &&
	    g->m[row].egress_queue == q->egress_queue)
		return 1;
	g->m[row].egress_ifindex = q->egress_ifindex;
	g->m[row].egress_queue = q->egress_queue;
	return 0;
}

int pfq_group_egress_set(pfq_t *q)
{
	/* a change like any other: the group's TC program (compiled for the
	 * members the record has) must send to the new endpoint first */
	int rc = change(q, q->gid, do_egress, NULL, "egress");

	/* a socket that took the group's copies takes them no more */
	return rc ? rc : pfq_group_own_part(q);
}

int pfq_set_group_computation_from_string(pfq_t *q, int gid, const char *src)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	return change(q, gid, do_source, src, "computation");
}

int pfq_set_group_computation_from_file(pfq_t *q, int gid, const char *path)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	char err[PFQ_ERRBUF];
	size_t n;
	char *buf = lang_read_source(path, REG_MAX_SOURCE - 1, &n, err, sizeof(err));
	int rc;

	if (!buf)
		return pfq_seterr(q, errno, "computation: %s", err);
	rc = pfq_set_group_computation_from_string(q, gid, buf);
	free(buf);
	return rc;
}

/* ---- BPF filter ---- */

static int do_fprog(pfq_t *q, struct reg_group *g, int gid, const void *arg)
{
	const struct sock_fprog *f = arg;

	if (!f) {
		if (!g->fprog_len)
			return 1;
		g->fprog_len = 0;
		return 0;
	}
	char why[128];

	if (f->len > REG_MAX_FPROG)
		return pfq_seterr(q, EINVAL, "group %d BPF filter: %u instructions (1..%d)", gid,
				  f->len, REG_MAX_FPROG);
	if (cbpf_check(f, why, sizeof(why)) < 0)
		return pfq_seterr(q, EINVAL, "group %d BPF filter: %s", gid, why);
	if (g->fprog_len == f->len &&
	    memcmp(g->fprog, f->filter, f->len * sizeof(struct sock_filter)) == 0)
		return 1; /* the same filter again */
	memcpy(g->fprog, f->filter, f->len * sizeof(struct sock_filter));
	g->fprog_len = f->len;
	return 0;
}

int pfq_group_fprog(pfq_t *q, int gid, const struct sock_fprog *prog)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	return change(q, gid, do_fprog, prog, "BPF filter");
}

int pfq_group_fprog_reset(pfq_t *q, int gid)
{
	return pfq_group_fprog(q, gid, NULL);
}

/* ---- VLAN filters ---- */

struct vlan_arg {
	int what; /* 0: enable toggle, 1: set, 2: reset */
	int value;
};

static int do_vlan(pfq_t *q, struct reg_group *g, int gid, const void *arg)
{
	const struct vlan_arg *a = arg;
	int lo, hi;

	if (a->what == 0) {
		g->vlan_on = a->value != 0;
		return 0;
	}
	if (a->value < PFQ_VLAN_ANYTAG || a->value > 4095)
		return pfq_seterr(q, EINVAL, "VLAN filter: id %d out of range (-1 any tag, 0 "
				  "untagged, 1..4095)", a->value);
	/* as the original: ids are set while the filter is on (a change that
	 * is not in force would otherwise be lost without a word) */
	if (!g->vlan_on)
		return pfq_seterr(q, EPERM, "VLAN filter of group %d is off: turn it on first "
				  "(pfq_vlan_filters_enable)", gid);
	lo = a->value == PFQ_VLAN_ANYTAG ? 1 : a->value;
	hi = a->value == PFQ_VLAN_ANYTAG ? 4095 : a->value;
	for (int v = lo; v <= hi; v++) {
		if (a->what == 1)
			g->vlan_vids[v / 8] |= (uint8_t)(1u << (v % 8));
		else
			g->vlan_vids[v / 8] &= (uint8_t)~(1u << (v % 8));
	}
	return 0;
}

int pfq_vlan_filters_enable(pfq_t *q, int gid, int on)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	struct vlan_arg a = { 0, on };

	return change(q, gid, do_vlan, &a, "VLAN filters");
}

int pfq_vlan_set_filter(pfq_t *q, int gid, int vid)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	struct vlan_arg a = { 1, vid };

	return change(q, gid, do_vlan, &a, "VLAN filter");
}

int pfq_vlan_reset_filter(pfq_t *q, int gid, int vid)
{
	PFQ_NEED(q);
	PFQ_NOT_IMPORTED(q);
	struct vlan_arg a = { 2, vid };

	return change(q, gid, do_vlan, &a, "VLAN filter");
}
