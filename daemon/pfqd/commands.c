/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket's commands: one JSON object a line in, one a line out
 * (jansson both ways). {"cmd":"status"}, {"cmd":"stats","gid":N},
 * {"cmd":"counters","gid":N}, {"cmd":"reload"} (root or pfqd's user),
 * {"cmd":"join",...} (join.c: answered with descriptors); errors are
 * {"ok":false,"error":"..."}.
 */
#include "control.h"
#include "guard.h"
#include "join.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t control_framing(const char *buf, size_t n)
{
	const char *nl = memchr(buf, '\n', n);

	return nl ? (size_t)(nl - buf) + 1 : 0;
}

static void answer(struct client *c, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s) {
		server_reply(c, s, strlen(s));
		server_reply(c, "\n", 1);
	} else {
		static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}\n";

		server_reply(c, oom, sizeof(oom) - 1);
	}
	free(s);
	json_decref(o);
}

static json_t *error(const char *msg)
{
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *dev_array(const struct parse_dev *d, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:i}", "dev", d[i].name, "queue", d[i].queue));
	return a;
}

static json_t *names(char *const *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* the members of group gid, from the n groups of all (read once for a
 * status: read per group, 64 groups took 0.6 s) */
static json_t *members(const struct pfq_group_info *all, int n, int gid)
{
	json_t *a = json_array();

	for (int i = 0; i < n && i < PFQ_MAX_GROUPS; i++) {
		if (all[i].gid != gid)
			continue;
		for (int k = 0; k < all[i].nmembers; k++) {
			const struct pfq_member_info *m = &all[i].members[k];
			char mask[32];

			snprintf(mask, sizeof(mask), "0x%llx", (unsigned long long)m->class_mask);
			json_array_append_new(a, json_pack("{s:I,s:i,s:s,s:i,s:b,s:I,s:I,s:o}", "id",
				(json_int_t)m->id, "pid", m->pid, "class_mask", mask, "weight",
				m->weight, "active", m->active, "recv", (json_int_t)m->recv, "lost",
				(json_int_t)m->lost, "egress", all[i].egress[k].ifindex ?
				json_pack("{s:s,s:i}", "dev", all[i].egress[k].dev, "queue",
					  (int)all[i].egress[k].queue) : json_null()));
		}
	}
	return a;
}

static json_t *group_status(const struct pfqd_live *l, const struct pfq_group_info *all, int n)
{
	const struct pfqd_group *g = &l->cfg;
	json_t *outs = json_array(), *vl = json_array();

	for (int i = 0; i < g->noutputs; i++) {
		char mask[32];

		snprintf(mask, sizeof(mask), "0x%llx", g->outputs[i].class_mask);
		json_array_append_new(outs, json_pack("{s:s,s:i,s:s,s:i}", "dev",
			g->outputs[i].dev.name, "queue", g->outputs[i].dev.queue, "class_mask", mask,
			"weight", g->outputs[i].weight));
	}
	for (int i = 0; i < g->nvlans; i++)
		json_array_append_new(vl, json_integer(g->vlans[i]));
	return json_pack("{s:i,s:s,s:i,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o}", "gid", g->gid,
		"policy", pfqd_policy_name(g->policy), "socket", pfq_id(l->q), "inputs",
		dev_array(g->inputs, g->ninputs), "outputs", outs, "computation",
		str_or_null(g->computation), "computation_file", str_or_null(g->computation_file),
		"filter", str_or_null(g->filter), "vlan_filters", g->vlan_on, "vlans", vl,
		"allow_users", names(g->users, g->nusers), "allow_groups",
		names(g->groups, g->ngroups), "members", members(all, n, g->gid));
}

/* the guard of the handed-out sockets: {"active":true}, or why not */
static json_t *guard_status(void)
{
	if (guard_active())
		return json_pack("{s:b}", "active", 1);
	return json_pack("{s:b,s:s}", "active", 0, "error", guard_error());
}

static json_t *status(struct pfqd_ctx *ctx)
{
	struct pfqd_state *s = ctx->state;
	struct timespec now;
	json_t *groups = json_array();

	struct pfq_group_info *all = calloc(PFQ_MAX_GROUPS, sizeof(*all));
	int n = all ? pfq_groups_info(all, PFQ_MAX_GROUPS, sizeof(*all)) : -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int gid = 0; gid < PFQ_MAX_GROUPS; gid++)
		if (s->live[gid])
			json_array_append_new(groups, group_status(s->live[gid], all, n));
	free(all);
	return json_pack("{s:b,s:i,s:s,s:I,s:i,s:s,s:o,s:o}", "ok", 1, "pid", (int)getpid(),
		"config", ctx->config_path, "uptime", (json_int_t)(now.tv_sec - s->started.tv_sec),
		"reloads", (int)s->reloads, "version", pfq_string_version(), "guard", guard_status(),
		"groups", groups);
}

/* the live group the request names, or NULL after answering why */
static const struct pfqd_live *named_group(struct pfqd_ctx *ctx, json_t *req, json_t **err)
{
	json_t *v = json_object_get(req, "gid");
	char msg[128];
	json_int_t gid;

	if (!json_is_integer(v)) {
		*err = error("\"gid\": a group id (a number) is needed");
		return NULL;
	}
	gid = json_integer_value(v);
	if (gid < 0 || gid >= PFQ_MAX_GROUPS || !ctx->state->live[gid]) {
		snprintf(msg, sizeof(msg), "group %lld is not one of pfqd's", (long long)gid);
		*err = error(msg);
		return NULL;
	}
	return ctx->state->live[gid];
}

static json_t *stats(struct pfqd_ctx *ctx, json_t *req)
{
	json_t *err = NULL;
	const struct pfqd_live *l = named_group(ctx, req, &err);
	struct pfq_stats st;

	if (!l)
		return err;
	if (pfq_get_group_stats(l->q, l->cfg.gid, &st) < 0)
		return error(pfq_error(l->q));
	return json_pack("{s:b,s:i,s:{s:I,s:I,s:I,s:I,s:I}}", "ok", 1, "gid", l->cfg.gid, "stats",
		"recv", (json_int_t)st.recv, "drop", (json_int_t)st.drop, "frwd",
		(json_int_t)st.frwd, "disc", (json_int_t)st.disc, "kern", (json_int_t)st.kern);
}

static json_t *counters(struct pfqd_ctx *ctx, json_t *req)
{
	json_t *err = NULL, *a;
	const struct pfqd_live *l = named_group(ctx, req, &err);
	struct pfq_counters cn;

	if (!l)
		return err;
	if (pfq_get_group_counters(l->q, l->cfg.gid, &cn) < 0)
		return error(pfq_error(l->q));
	a = json_array();
	for (int i = 0; i < PFQ_MAX_COUNTERS; i++)
		json_array_append_new(a, json_integer(cn.counter[i]));
	return json_pack("{s:b,s:i,s:o}", "ok", 1, "gid", l->cfg.gid, "counters", a);
}

static json_t *ints(const int *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *reload(struct pfqd_ctx *ctx)
{
	struct pfqd_reload *r = calloc(1, sizeof(*r));
	json_t *o;
	int rc;

	if (!r)
		return error("out of memory");
	rc = ctx->reload(ctx, r);
	if (r->refused)
		o = json_pack("{s:b,s:b,s:s}", "ok", 0, "refused", 1, "error", r->error);
	else
		o = json_pack("{s:b,s:b,s:o,s:o,s:o,s:o}", "ok", rc == 0, "refused", 0, "added",
			ints(r->added, r->nadded), "changed", ints(r->changed, r->nchanged), "removed",
			ints(r->removed, r->nremoved), "unchanged", ints(r->unchanged, r->nunchanged));
	if (o && !r->refused && rc < 0)
		json_object_set_new(o, "error", json_string(r->error));
	free(r);
	return o;
}

/* a reload changes what every member gets: root's, or pfqd's own user's */
static bool may_reload(const struct client *c)
{
	struct join_cred cr;

	return join_peer_cred(c->fd, &cr) == 0 && (cr.uid == 0 || cr.uid == geteuid());
}

void control_request(struct server *s, struct client *c, char *req, size_t len, bool too_long)
{
	struct pfqd_ctx *ctx = s->user;
	json_error_t jerr;
	json_t *in, *cmd;
	const char *name;
	char msg[256];

	if (too_long) {
		snprintf(msg, sizeof(msg), "request longer than %d bytes", SERVER_MAX_IN - 1);
		answer(c, error(msg));
		return;
	}
	while (len && (req[len - 1] == '\n' || req[len - 1] == '\r'))
		req[--len] = '\0';
	if (!len)
		return; /* empty line: nothing asked */
	in = json_loadb(req, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in) {
		snprintf(msg, sizeof(msg), "not JSON: %s (column %d)", jerr.text, jerr.column);
		answer(c, error(msg));
		return;
	}
	cmd = json_object_get(in, "cmd");
	if (!json_is_object(in) || !json_is_string(cmd)) {
		answer(c, error("expected an object with \"cmd\": status, stats, counters, reload "
				"or join"));
		json_decref(in);
		return;
	}
	name = json_string_value(cmd);
	if (!strcmp(name, "status"))
		answer(c, status(ctx));
	else if (!strcmp(name, "stats"))
		answer(c, stats(ctx, in));
	else if (!strcmp(name, "counters"))
		answer(c, counters(ctx, in));
	else if (!strcmp(name, "reload"))
		answer(c, may_reload(c) ? reload(ctx) : error("reload: only root or pfqd's own user "
							       "may reload"));
	else if (!strcmp(name, "join"))
		join_command(ctx->state, c, in);
	else {
		snprintf(msg, sizeof(msg), "unknown command '%.64s' (status, stats, counters, "
			 "reload, join)", name);
		answer(c, error(msg));
	}
	json_decref(in);
}
