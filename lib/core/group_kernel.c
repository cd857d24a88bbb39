/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel objects of a group: a one-slot program array holding the group
 * program, the member table, the per-CPU stats and counters. They are made
 * by the first joiner and opened by id by the other processes; every
 * process keeps its own fds (which also keeps the objects alive while it
 * has members in the group).
 */
#include "group.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <unistd.h>

/* this process's fds, per (registry, gid), valid for the ids recorded */
static struct gk_fds {
	const struct registry *r;
	int gid;
	uint32_t ids[GK_NOBJ];
	int fds[GK_NOBJ];
} fdcache[64];

static const char *const obj_names[GK_NOBJ] = {
	"pfq_gprog", "pfq_members", "pfq_gstats", "pfq_gcounters", "pfq_glogs", "pfq_glogctl",
};

static uint32_t *ids_of(struct reg_group *g)
{
	return &g->prog_array_id; /* prog_array_id, members_id, ... logctl_id */
}

static void close_fds(struct gk_fds *c)
{
	for (int k = 0; k < GK_NOBJ; k++)
		if (c->fds[k] > 0)
			close(c->fds[k]);
	memset(c, 0, sizeof(*c));
}

static struct gk_fds *slot(const struct registry *r, int gid)
{
	struct gk_fds *free_slot = NULL;

	for (size_t i = 0; i < sizeof(fdcache) / sizeof(fdcache[0]); i++) {
		if (fdcache[i].r == r && fdcache[i].gid == gid)
			return &fdcache[i];
		if (!fdcache[i].r && !free_slot)
			free_slot = &fdcache[i];
	}
	if (!free_slot) {
		free_slot = &fdcache[0];
		close_fds(free_slot);
	}
	free_slot->r = r;
	free_slot->gid = gid;
	return free_slot;
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? 0 : info.id;
}

int gk_create(struct registry *r, int gid, char *err, size_t errlen)
{
	struct reg_group *g = &r->g[gid];
	struct gk_fds *c = slot(r, gid);
	uint32_t *ids = ids_of(g);

	close_fds(c);
	c->r = r;
	c->gid = gid;
	c->fds[GK_PROGS] = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, obj_names[GK_PROGS], 4, 4, 1,
					  NULL);
	c->fds[GK_MEMBERS] = pfq_lang_members_map_create();
	c->fds[GK_STATS] = pfq_lang_group_stats_map_create();
	c->fds[GK_COUNTERS] = pfq_lang_group_counters_map_create();
	c->fds[GK_LOGS] = pfq_lang_group_logs_map_create();
	c->fds[GK_LOGCTL] = pfq_lang_group_logctl_map_create();
	for (int k = 0; k < GK_NOBJ; k++) {
		if (c->fds[k] < 0) {
			int e = c->fds[k] == -1 ? errno : -c->fds[k];

			c->fds[k] = 0;
			close_fds(c);
			snprintf(err, errlen, "cannot create the group's BPF maps: %s", strerror(e));
			return -e;
		}
		ids[k] = map_id(c->fds[k]);
		c->ids[k] = ids[k];
	}
	return 0;
}

int gk_fds(struct registry *r, int gid, int fds[GK_NOBJ], char *err, size_t errlen)
{
	struct reg_group *g = &r->g[gid];
	struct gk_fds *c = slot(r, gid);
	uint32_t *ids = ids_of(g);

	if (memcmp(c->ids, ids, sizeof(c->ids)) != 0) {
		/* not opened yet, or the group was made anew since */
		close_fds(c);
		c->r = r;
		c->gid = gid;
		for (int k = 0; k < GK_NOBJ; k++) {
			struct bpf_map_info info;
			uint32_t len = sizeof(info);
			int fd = bpf_map_get_fd_by_id(ids[k]);

			memset(&info, 0, sizeof(info));
			if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
			    strncmp(info.name, obj_names[k], sizeof(info.name)) != 0) {
				int e = fd < 0 ? errno : ESTALE;

				if (fd >= 0)
					close(fd);
				close_fds(c);
				snprintf(err, errlen, "group %d: its BPF map %u is gone (%s)", gid,
					 ids[k], strerror(e));
				return -e;
			}
			c->fds[k] = fd;
			c->ids[k] = ids[k];
		}
	}
	memcpy(fds, c->fds, sizeof(c->fds));
	return 0;
}

void gk_forget(const struct registry *r, int gid)
{
	for (size_t i = 0; i < sizeof(fdcache) / sizeof(fdcache[0]); i++)
		if (fdcache[i].r == r && fdcache[i].gid == gid)
			close_fds(&fdcache[i]);
}

int gk_push_members(struct registry *r, int gid, char *err, size_t errlen)
{
	struct reg_group *g = &r->g[gid];
	struct pfq_member_table t;
	int fds[GK_NOBJ], rc = gk_fds(r, gid, fds, err, errlen);

	if (rc < 0) {
		g->dirty = 1;
		return rc;
	}
	memset(&t, 0, sizeof(t));
	/* the leader (side effects) is the first active member */
	for (int i = 0; i < REG_MAX_MEMBERS; i++) {
		const struct reg_member *m = &g->m[i];

		if (!m->id || !m->active)
			continue;
		if (!t.n)
			t.leader = m->id;
		t.m[t.n].id = m->id;
		t.m[t.n].class_mask = m->class_mask;
		t.m[t.n].weight = m->weight;
		t.n++;
	}
	rc = pfq_lang_members_map_update(fds[GK_MEMBERS], &t);
	/* the next process that can will do it (registry_reap) */
	g->dirty = rc < 0;
	if (rc < 0)
		snprintf(err, errlen, "cannot update the group's member table: %s", strerror(-rc));
	return rc;
}

/* forwarding devices are named in the group's namespace, not the thread's */
static int ifindex_in_group_ns(const char *dev, void *user)
{
	int fd = pfq_group_cur_fd();

	(void)user;
	return fd >= 0 ? pfq_dev_ifindex(fd, dev) : (int)if_nametoindex(dev);
}

/* ---- the TC program on the bound devices ---- */

#define TC_HANDLE 1
#define TC_PRIO_BASE 0x5000 /* + gid: one filter per group on a device */

struct tc_op {
	int ifindex, gid, prog_fd; /* prog_fd < 0: detach */
};

static int tc_op(void *arg)
{
	const struct tc_op *o = arg;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = o->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = TC_HANDLE, .priority = TC_PRIO_BASE + (uint32_t)o->gid);
	int rc;

	if (o->prog_fd < 0) {
		rc = bpf_tc_detach(&hook, &to);
		return rc == -ENOENT || rc == -EINVAL || rc == -ENODEV ? 0 : rc;
	}
	/* the clsact qdisc; libbpf would print the kernel's complaint when it
	 * exists already, and a library does not print */
	libbpf_print_fn_t old = libbpf_set_print(NULL);

	rc = bpf_tc_hook_create(&hook);
	libbpf_set_print(old);
	if (rc && rc != -EEXIST)
		return rc;
	to.prog_fd = o->prog_fd;
	to.flags = BPF_TC_F_REPLACE;
	return bpf_tc_attach(&hook, &to);
}

/* run fn in the network namespace of the current group's socket (netlink
 * talks to the namespace of the calling thread) */
static int in_group_ns(int (*fn)(void *), void *arg)
{
	int fd = pfq_group_cur_fd(), target, self, rc;

	if (fd < 0)
		return fn(arg);
	target = ioctl(fd, SIOCGSKNS);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (target < 0 || self < 0 || setns(target, CLONE_NEWNET) < 0) {
		rc = target < 0 || self < 0 ? fn(arg) : -errno;
	} else {
		rc = fn(arg);
		setns(self, CLONE_NEWNET);
	}
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	return rc;
}

int gk_tc_update(struct registry *r, int gid, int tc_prog_fd, char *err, size_t errlen)
{
	struct reg_group *g = &r->g[gid];
	int32_t want[PFQ_GROUP_MAX_BINDINGS];
	uint32_t nwant = 0;

	/* where it must run: every bound device ("any" has no device) */
	for (uint32_t i = 0; tc_prog_fd >= 0 && i < g->nbind; i++) {
		uint32_t k;

		if (g->bind[i].ifindex <= 0)
			continue;
		for (k = 0; k < nwant && want[k] != g->bind[i].ifindex; k++)
			;
		if (k == nwant)
			want[nwant++] = g->bind[i].ifindex;
	}
	for (uint32_t i = 0; i < nwant; i++) {
		struct tc_op o = { want[i], gid, tc_prog_fd };
		int rc = in_group_ns(tc_op, &o);

		if (rc < 0) {
			snprintf(err, errlen, "cannot attach the group's TC program to ifindex %d: %s",
				 want[i], strerror(-rc));
			return rc;
		}
	}
	/* detach where it no longer belongs */
	for (uint32_t i = 0; i < g->tc_n; i++) {
		uint32_t k;

		for (k = 0; k < nwant && want[k] != g->tc_ifindex[i]; k++)
			;
		if (k == nwant) {
			struct tc_op o = { g->tc_ifindex[i], gid, -1 };

			in_group_ns(tc_op, &o);
		}
	}
	g->tc_n = nwant;
	memcpy(g->tc_ifindex, want, sizeof(want[0]) * nwant);
	return 0;
}

void gk_tc_clear(struct registry *r, int gid)
{
	char err[256];

	gk_tc_update(r, gid, -1, err, sizeof(err));
}

/* load the group program of spec (socket or TC flavour) */
static pfq_lang_bpf *load_flavour(const pfq_lang_program *prog,
				  const struct pfq_lang_group_spec *spec, int gid, char *err,
				  size_t errlen)
{
	static __thread char log[1 << 16];
	struct pfq_lang_diag diag;
	struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .group = spec, .log = log,
				       .log_size = sizeof(log), .ifindex_of = ifindex_in_group_ns };
	pfq_lang_bpf *b;

	log[0] = '\0';
	b = pfq_lang_bpf_load(prog, &o, &diag);
	if (!b) {
		/* the verifier's last words say why */
		size_t ll = strlen(log);
		const char *tail = ll > 160 ? log + ll - 160 : log;

		snprintf(err, errlen, "group %d %sprogram: %s%s%s", gid, spec->tc ? "TC " : "",
			 diag.msg, *tail ? ": ..." : "", tail);
	}
	return b;
}

int gk_push_program(struct registry *r, int gid, char *err, size_t errlen)
{
	struct reg_group *g = &r->g[gid];
	struct pfq_lang_group_spec *spec = calloc(1, sizeof(*spec));
	struct pfq_lang_diag diag;
	pfq_lang_program *prog = NULL;
	pfq_lang_bpf *b = NULL, *tc = NULL;
	int fds[GK_NOBJ], rc, pfd;
	uint32_t key = 0;

	if (!spec) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = gk_fds(r, gid, fds, err, errlen);
	if (rc < 0)
		goto out;
	/* no computation: copy to the default class */
	prog = pfq_lang_compile(g->source_len ? g->source : "unit", &diag);
	if (!prog) {
		snprintf(err, errlen, "group %d computation: %d:%d: %s", gid, diag.line, diag.col,
			 diag.msg);
		rc = -EINVAL;
		goto out;
	}
	spec->members_map_fd = fds[GK_MEMBERS];
	spec->stats_map_fd = fds[GK_STATS];
	spec->counters_map_fd = fds[GK_COUNTERS];
	spec->logs_map_fd = fds[GK_LOGS];
	spec->logctl_map_fd = fds[GK_LOGCTL];
	spec->nbind = (int)g->nbind;
	memcpy(spec->bind, g->bind, sizeof(spec->bind));
	if (g->fprog_len) {
		spec->fprog_insns = g->fprog;
		spec->fprog_len = g->fprog_len;
	}
	spec->vlan_on = (int)g->vlan_on;
	memcpy(spec->vlan_vids, g->vlan_vids, sizeof(spec->vlan_vids));
	b = load_flavour(prog, spec, gid, err, errlen);
	if (!b) {
		rc = -EINVAL;
		goto out;
	}
	/* forwarding and host-stack decisions: a TC program on the devices */
	if (pfq_lang_needs_tc(prog) && g->nbind) {
		spec->tc = 1;
		tc = load_flavour(prog, spec, gid, err, errlen);
		if (!tc) {
			rc = -EINVAL;
			goto out;
		}
	}
	pfd = pfq_lang_bpf_prog_fd(b);
	/* one element replaced: every member runs the old program or the new */
	if (bpf_map_update_elem(fds[GK_PROGS], &key, &pfd, BPF_ANY) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot install the group program: %s", strerror(errno));
		goto out;
	}
	rc = gk_tc_update(r, gid, tc ? pfq_lang_bpf_prog_fd(tc) : -1, err, errlen);
out:
	pfq_lang_bpf_free(tc); /* the TC filters keep it */
	pfq_lang_bpf_free(b); /* the program array keeps the program */
	pfq_lang_free(prog);
	free(spec);
	return rc;
}
