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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* this process's fds, per (registry, gid), valid for the ids recorded */
static struct gk_fds {
	const struct registry *r;
	int gid;
	uint32_t ids[GK_NOBJ];
	int fds[GK_NOBJ];
} fdcache[64];

static const char *const obj_names[GK_NOBJ] = {
	"pfq_gprog", "pfq_members", "pfq_gstats", "pfq_gcounters",
};

static uint32_t *ids_of(struct reg_group *g)
{
	return &g->prog_array_id; /* prog_array_id, members_id, stats_id, counters_id */
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

int gk_push_program(struct registry *r, int gid, char *err, size_t errlen)
{
	struct reg_group *g = &r->g[gid];
	struct pfq_lang_group_spec *spec = calloc(1, sizeof(*spec));
	struct pfq_lang_diag diag;
	pfq_lang_program *prog = NULL;
	pfq_lang_bpf *b = NULL;
	static __thread char log[1 << 16];
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
	spec->nbind = (int)g->nbind;
	memcpy(spec->bind, g->bind, sizeof(spec->bind));
	if (g->fprog_len) {
		spec->fprog_insns = g->fprog;
		spec->fprog_len = g->fprog_len;
	}
	spec->vlan_on = (int)g->vlan_on;
	memcpy(spec->vlan_vids, g->vlan_vids, sizeof(spec->vlan_vids));
	{
		struct pfq_lang_bpf_opts o = { .sz = sizeof(o), .group = spec, .log = log,
					       .log_size = sizeof(log) };

		b = pfq_lang_bpf_load(prog, &o, &diag);
	}
	if (!b) {
		/* the verifier's last words say why */
		size_t ll = strlen(log);
		const char *tail = ll > 160 ? log + ll - 160 : log;

		snprintf(err, errlen, "group %d program: %s%s%s", gid, diag.msg,
			 *tail ? ": ..." : "", tail);
		rc = -EINVAL;
		goto out;
	}
	pfd = pfq_lang_bpf_prog_fd(b);
	/* one element replaced: every member runs the old program or the new */
	if (bpf_map_update_elem(fds[GK_PROGS], &key, &pfd, BPF_ANY) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot install the group program: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	pfq_lang_bpf_free(b); /* the program array keeps the program */
	pfq_lang_free(prog);
	free(spec);
	return rc;
}
