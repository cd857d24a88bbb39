/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The groups pfqd holds: created or adopted, updated in place, released. */
#include "group.h"

#include "join.h"
#include "log.h"

#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* add "what: why" to err (several failures: "; " between them) */
static int failed(char *err, size_t n, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int failed(char *err, size_t n, int rc, const char *fmt, ...)
{
	size_t used = strlen(err);
	va_list ap;

	if (used && used + 2 < n) {
		strcpy(err + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	if (used < n)
		vsnprintf(err + used, n - used, fmt, ap);
	va_end(ap);
	return rc < 0 ? rc : -EIO;
}

/* ---- the parts of a group ---- */

static int set_computation(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n)
{
	int rc = pfq_set_group_computation_from_string(l->q, g->gid, g->computation);
	char *dup = NULL, *fdup = NULL;

	if (rc < 0)
		return failed(err, n, rc, "computation: %s", pfq_error(l->q));
	if ((g->computation && !(dup = strdup(g->computation))) ||
	    (g->computation_file && !(fdup = strdup(g->computation_file)))) {
		free(dup);
		return failed(err, n, -ENOMEM, "out of memory");
	}
	free(l->cfg.computation);
	free(l->cfg.computation_file);
	l->cfg.computation = dup;
	l->cfg.computation_file = fdup;
	return 0;
}

static int set_filter(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n)
{
	struct pfqd_group tmp = { 0 };
	int rc;

	if (g->filter) {
		/* struct bpf_insn and struct sock_filter are the same layout */
		struct sock_fprog f = { .len = (unsigned short)g->fprog.bf_len,
					.filter = (struct sock_filter *)g->fprog.bf_insns };

		rc = pfq_group_fprog(l->q, g->gid, &f);
	} else {
		rc = pfq_group_fprog_reset(l->q, g->gid);
	}
	if (rc < 0)
		return failed(err, n, rc, "filter: %s", pfq_error(l->q));
	/* keep a copy of the new filter (text and program) */
	tmp.filter = g->filter;
	tmp.fprog = g->fprog;
	{
		struct pfqd_group copy;

		if (pfqd_group_copy(&copy, &tmp) < 0)
			return failed(err, n, -ENOMEM, "out of memory");
		free(l->cfg.filter);
		pcap_freecode(&l->cfg.fprog);
		l->cfg.filter = copy.filter;
		l->cfg.fprog = copy.fprog;
	}
	return 0;
}

static bool has_vlan(const struct pfqd_group *g, int v)
{
	for (int i = 0; i < g->nvlans; i++)
		if (g->vlans[i] == v)
			return true;
	return false;
}

/*
 * The VLAN filter to g's. libpfq keeps the ids only while the filter is on
 * (it drops a change of the table made while it is off), so it is turned on
 * first; when the table is not known (a group adopted), it is cleared and
 * filled again.
 */
static int set_vlans(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n)
{
	pfq_t *q = l->q;
	int gid = g->gid, rc = 0;
	bool clear = !l->vlan_known || !l->cfg.vlan_on;

	if (!g->vlan_on) {
		if (l->cfg.vlan_on || !l->vlan_known)
			rc = pfq_vlan_filters_enable(q, gid, 0);
		if (rc < 0)
			return failed(err, n, rc, "vlan: %s", pfq_error(q));
		l->cfg.vlan_on = false;
		l->cfg.nvlans = 0;
		l->vlan_known = true;
		return 0;
	}
	if (clear || has_vlan(&l->cfg, PFQ_VLAN_ANYTAG) != has_vlan(g, PFQ_VLAN_ANYTAG)) {
		/* (clearing "any tag" clears every tagged id) */
		l->vlan_known = false;
		rc = pfq_vlan_filters_enable(q, gid, 1);
		if (rc >= 0 && !has_vlan(g, PFQ_VLAN_ANYTAG))
			rc = pfq_vlan_reset_filter(q, gid, PFQ_VLAN_ANYTAG);
		if (rc >= 0 && !has_vlan(g, PFQ_VLAN_UNTAG))
			rc = pfq_vlan_reset_filter(q, gid, PFQ_VLAN_UNTAG);
		for (int i = 0; rc >= 0 && i < g->nvlans; i++)
			rc = pfq_vlan_set_filter(q, gid, g->vlans[i]);
	} else {
		for (int i = 0; rc >= 0 && i < l->cfg.nvlans; i++)
			if (!has_vlan(g, l->cfg.vlans[i]))
				rc = pfq_vlan_reset_filter(q, gid, l->cfg.vlans[i]);
		for (int i = 0; rc >= 0 && i < g->nvlans; i++)
			if (!has_vlan(&l->cfg, g->vlans[i]))
				rc = pfq_vlan_set_filter(q, gid, g->vlans[i]);
	}
	if (rc < 0) {
		l->vlan_known = false;
		return failed(err, n, rc, "vlan: %s", pfq_error(q));
	}
	l->cfg.vlan_on = true;
	l->cfg.nvlans = g->nvlans;
	memcpy(l->cfg.vlans, g->vlans, sizeof(g->vlans));
	l->vlan_known = true;
	return 0;
}

static int find_dev(const struct parse_dev *devs, int n, const char *name, int queue)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(devs[i].name, name) && devs[i].queue == queue)
			return i;
	return -1;
}

/* the device index of an input now (0: 'any', or no such device) */
static unsigned input_ifindex(const struct parse_dev *d)
{
	return strcmp(d->name, PFQ_ANY_DEVICE) ? if_nametoindex(d->name) : 0;
}

/* input i out of l's books (the last takes its place) */
static void forget_input(struct pfqd_live *l, int i)
{
	struct pfqd_group *c = &l->cfg;

	c->ninputs--;
	c->inputs[i] = c->inputs[c->ninputs];
	l->in_ifindex[i] = l->in_ifindex[c->ninputs];
}

/* bind what g adds, then unbind what it drops (so members miss nothing
 * that stays); cfg follows each step */
static int set_inputs(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n)
{
	struct pfqd_group *c = &l->cfg;
	int rc = 0;

	for (int i = 0; i < g->ninputs; i++) {
		const struct parse_dev *d = &g->inputs[i];
		int r;

		if (find_dev(c->inputs, c->ninputs, d->name, d->queue) >= 0)
			continue;
		r = pfq_bind_group(l->q, g->gid, d->name, d->queue);
		if (r < 0) {
			rc = failed(err, n, r, "input %s: %s", d->name, pfq_error(l->q));
			continue;
		}
		if (c->ninputs < PFQD_MAX_INPUTS) {
			l->in_ifindex[c->ninputs] = input_ifindex(d);
			c->inputs[c->ninputs++] = *d;
		}
	}
	for (int i = 0; i < c->ninputs; i++) {
		const struct parse_dev *d = &c->inputs[i];
		int r;

		if (find_dev(g->inputs, g->ninputs, d->name, d->queue) >= 0)
			continue;
		r = pfq_unbind_group(l->q, g->gid, d->name, d->queue);
		if (r < 0 && r != -ENOENT && r != -ENODEV) {
			rc = failed(err, n, r, "input %s: %s", d->name, pfq_error(l->q));
			continue;
		}
		forget_input(l, i--);
	}
	return rc;
}

bool live_inputs_moved(const struct pfqd_live *l)
{
	for (int i = 0; i < l->cfg.ninputs; i++)
		if (input_ifindex(&l->cfg.inputs[i]) != l->in_ifindex[i])
			return true;
	return false;
}

/* Inputs whose device went or came back under another index are taken out
 * (their bindings name an index that is no more, or another device's),
 * so that set_inputs binds them again: a device back is captured again, one
 * still gone is reported and tried at the next reload. */
static void drop_moved_inputs(struct pfqd_live *l)
{
	for (int i = 0; i < l->cfg.ninputs; i++) {
		const struct parse_dev *d = &l->cfg.inputs[i];

		char renamed[IF_NAMESIZE];
		const char *name = d->name;
		int r;

		if (input_ifindex(d) == l->in_ifindex[i])
			continue;
		/* the binding names the old index: the device renamed, if that
		 * index is still there (unbinding by the name would find the
		 * new device, and leave the old binding where pfqd forgot it) */
		if (l->in_ifindex[i] && if_indextoname(l->in_ifindex[i], renamed))
			name = renamed;
		r = pfq_unbind_group(l->q, l->cfg.gid, name, d->queue);
		if (r < 0 && r != -ENOENT && r != -ENODEV) {
			log_err("group %d: input %s: its device went or was made again, and its "
				"binding cannot be taken out: %s", l->cfg.gid, d->name, pfq_error(l->q));
			continue;
		}
		log_info("group %d: input %s: its device went or was made again: bound anew if "
			 "it is there", l->cfg.gid, d->name);
		forget_input(l, i--);
	}
}

static bool same_output(const struct pfqd_output *a, const struct pfqd_output *b)
{
	return !strcmp(a->dev.name, b->dev.name) && a->dev.queue == b->dev.queue &&
	       a->class_mask == b->class_mask && a->weight == b->weight;
}

/* outputs g no longer has (or has changed) closed, new ones opened */
static int set_outputs(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n)
{
	struct pfqd_group *c = &l->cfg;
	int rc = 0;

	for (int i = 0; i < c->noutputs; i++) {
		int k;

		for (k = 0; k < g->noutputs && !same_output(&c->outputs[i], &g->outputs[k]); k++)
			;
		if (k < g->noutputs)
			continue;
		output_close(&l->out[i]);
		c->noutputs--;
		c->outputs[i] = c->outputs[c->noutputs];
		l->out[i] = l->out[c->noutputs];
		l->out[c->noutputs] = NULL;
		i--;
	}
	for (int k = 0; k < g->noutputs; k++) {
		char why[256] = "";
		int i, r;

		for (i = 0; i < c->noutputs && !same_output(&c->outputs[i], &g->outputs[k]); i++)
			;
		if (i < c->noutputs)
			continue;
		r = output_open(&l->out[c->noutputs], g->gid, g->policy, &g->outputs[k], why,
				sizeof(why));
		if (r < 0) {
			rc = failed(err, n, r, "%s", why);
			continue;
		}
		c->outputs[c->noutputs++] = g->outputs[k];
	}
	return rc;
}

static void set_names(struct pfqd_live *l, const struct pfqd_group *g)
{
	struct pfqd_group tmp = { 0 }, copy;

	tmp.nusers = g->nusers;
	tmp.ngroups = g->ngroups;
	memcpy(tmp.users, g->users, sizeof(g->users));
	memcpy(tmp.groups, g->groups, sizeof(g->groups));
	if (pfqd_group_copy(&copy, &tmp) < 0)
		return; /* (kept as they were; the next reload tries again) */
	for (int i = 0; i < l->cfg.nusers; i++)
		free(l->cfg.users[i]);
	for (int i = 0; i < l->cfg.ngroups; i++)
		free(l->cfg.groups[i]);
	l->cfg.nusers = copy.nusers;
	l->cfg.ngroups = copy.ngroups;
	memcpy(l->cfg.users, copy.users, sizeof(copy.users));
	memcpy(l->cfg.groups, copy.groups, sizeof(copy.groups));
}

/* ---- a group as a whole ---- */

/* what the registry says group gid is now (adopted after a restart) */
static bool existing(int gid, struct pfq_group_info *out)
{
	struct pfq_group_info *all = calloc(PFQ_MAX_GROUPS, sizeof(*all));
	int n = all ? pfq_groups_info(all, PFQ_MAX_GROUPS, sizeof(*all)) : -1;
	bool found = false;

	for (int i = 0; i < n && i < PFQ_MAX_GROUPS; i++)
		if (all[i].gid == gid) {
			*out = all[i];
			found = true;
		}
	free(all);
	return found;
}

/* the pid of another pfqd alive that holds the group of info (its
 * control-class member: a process running the executable this one runs),
 * or 0. Adopting its group, a second pfqd (another control socket)
 * rewrote it behind the first one's back, which went on reporting its own
 * settings. A pfqd that died holds nothing (a zombie has no executable):
 * its group is adopted after a restart. */
static pid_t other_pfqd(const struct pfq_group_info *info)
{
	struct stat self, other;
	char path[64];

	if (stat("/proc/self/exe", &self) < 0)
		return 0;
	for (int i = 0; i < info->nmembers && i < (int)(sizeof(info->members) / sizeof(info->members[0])); i++) {
		const struct pfq_member_info *m = &info->members[i];

		if (!(m->class_mask & PFQ_CLASS_CONTROL) || m->pid <= 0 || m->pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)m->pid);
		if (stat(path, &other) == 0 && other.st_dev == self.st_dev &&
		    other.st_ino == self.st_ino)
			return m->pid;
	}
	return 0;
}

int live_create(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n)
{
	struct pfq_group_info *info = calloc(1, sizeof(*info));
	int rc;

	memset(l, 0, sizeof(*l));
	err[0] = '\0';
	if (!info)
		return failed(err, n, -ENOMEM, "out of memory");
	l->cfg.gid = g->gid;
	l->cfg.policy = g->policy;
	if (existing(g->gid, info) && (rc = (int)other_pfqd(info)) > 0) {
		free(info);
		return failed(err, n, -EBUSY, "held by another pfqd (pid %d)", rc);
	}
	l->q = pfq_open_nogroup(64, 64, 0, 0);
	if (!l->q) {
		free(info);
		return failed(err, n, -errno, "socket: %s", pfq_error(NULL));
	}
	rc = pfq_join_group(l->q, g->gid, PFQ_CLASS_CONTROL, g->policy);
	if (rc < 0) {
		failed(err, n, rc, "join: %s", pfq_error(l->q));
		goto out;
	}
	if (existing(g->gid, info)) {
		/* a group that was there (pfqd restarted while members ran): its
		 * bindings are taken as they are, so that only what differs is
		 * changed; its VLAN table is not known */
		for (int i = 0; i < info->nbind && i < PFQD_MAX_INPUTS; i++) {
			snprintf(l->cfg.inputs[i].name, sizeof(l->cfg.inputs[i].name), "%s",
				 info->bind[i].dev);
			l->cfg.inputs[i].queue = info->bind[i].queue;
			l->in_ifindex[i] = input_ifindex(&l->cfg.inputs[i]);
			l->cfg.ninputs++;
		}
		/* the registry does not say which index a binding names: a device
		 * made again while pfqd was down is bound anew (a binding to the
		 * index that went is dropped by the bind; one that is current
		 * stays as it is) */
		for (int i = 0; i < l->cfg.ninputs; i++) {
			const struct parse_dev *d = &l->cfg.inputs[i];

			if (find_dev(g->inputs, g->ninputs, d->name, d->queue) >= 0 &&
			    pfq_bind_group(l->q, g->gid, d->name, d->queue) < 0)
				forget_input(l, i--); /* (set_inputs says why) */
		}
		l->cfg.vlan_on = info->vlan_on;
		if (info->nmembers > 1)
			log_info("group %d: adopted with %d members", g->gid, info->nmembers - 1);
	}
	l->vlan_known = false;
	/* filters and computation before the bindings: a new group sees no
	 * packet before it is complete */
	rc = set_computation(l, g, err, n);
	if (rc >= 0)
		rc = set_filter(l, g, err, n);
	if (rc >= 0)
		rc = set_vlans(l, g, err, n);
	if (rc >= 0)
		rc = set_inputs(l, g, err, n);
	if (rc >= 0)
		rc = set_outputs(l, g, err, n);
	if (rc >= 0)
		set_names(l, g);
out:
	free(info);
	if (rc < 0)
		live_release(l);
	return rc < 0 ? rc : 0;
}

int live_update(struct pfqd_live *l, const struct pfqd_group *g, char *err, size_t n)
{
	int rc = 0, r;

	err[0] = '\0';
	if (!pfqd_str_equal(l->cfg.computation, g->computation) &&
	    (r = set_computation(l, g, err, n)) < 0)
		rc = r;
	else if (!pfqd_str_equal(l->cfg.computation_file, g->computation_file)) {
		free(l->cfg.computation_file);
		l->cfg.computation_file = g->computation_file ? strdup(g->computation_file) : NULL;
	}
	if (!pfqd_str_equal(l->cfg.filter, g->filter) && (r = set_filter(l, g, err, n)) < 0)
		rc = r;
	if ((!pfqd_vlans_equal(&l->cfg, g) || !l->vlan_known) && (r = set_vlans(l, g, err, n)) < 0)
		rc = r;
	if (live_inputs_moved(l))
		drop_moved_inputs(l);
	if (!pfqd_inputs_equal(&l->cfg, g) && (r = set_inputs(l, g, err, n)) < 0)
		rc = r;
	if (!pfqd_outputs_equal(&l->cfg, g) && (r = set_outputs(l, g, err, n)) < 0)
		rc = r;
	set_names(l, g);
	return rc;
}

void live_release(struct pfqd_live *l)
{
	joins_release(l, "the group was released");
	for (int i = 0; i < PFQD_MAX_OUTPUTS; i++)
		output_close(&l->out[i]);
	if (l->q)
		pfq_close(l->q);
	l->q = NULL;
	pfqd_group_free(&l->cfg);
}
