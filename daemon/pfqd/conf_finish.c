/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * After the last line: computations type-checked, filters compiled (both
 * without privileges), then what needs the system: devices of this network
 * namespace, users and unix groups.
 */
#include "conf_int.h"

#include <pfq/lang.h>
#include <pfq/pfq.h>

#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COMPUTATION (16 * 1024 - 1) /* what a group's registry record keeps */
#define MAX_FILTER 4096                 /* instructions of a group's BPF filter */

/* path relative to the directory of the configuration file */
static char *beside(const char *conf, const char *path)
{
	const char *slash = strrchr(conf, '/');
	char *r = NULL;

	if (path[0] == '/' || !slash)
		return strdup(path);
	if (asprintf(&r, "%.*s/%s", (int)(slash - conf), conf, path) < 0)
		return NULL;
	return r;
}

static void computation(struct cp *p, struct pfqd_group *g, struct cp_group *x)
{
	struct pfqd_pos at = g->computation_pos;
	struct pfq_lang_diag diag;
	pfq_lang_program *prog;

	if (g->computation_file && g->computation) {
		cp_error_at(p, x->compfile_pos.line, x->compfile_pos.col, "group %d: computation "
			    "and computation_file both given (line %d)", g->gid, at.line);
		return;
	}
	if (g->computation_file) {
		char *path = beside(p->path, g->computation_file);

		at = x->compfile_pos;
		g->computation_pos = at;
		if (!path) {
			cp_error_at(p, at.line, at.col, "out of memory");
			return;
		}
		prog = pfq_lang_compile_file(path, &diag);
		if (!prog) {
			if (diag.line)
				cp_error_at(p, at.line, at.col, "group %d: computation_file: %s:%d:%d: %s",
					    g->gid, path, diag.line, diag.col, diag.msg);
			else
				cp_error_at(p, at.line, at.col, "group %d: computation_file: %s: %s",
					    g->gid, path, diag.msg);
			free(path);
			return;
		}
		pfq_lang_free(prog);
		/* the text itself: a reload sees a changed file */
		{
			FILE *f = fopen(path, "re");
			size_t n = 0;
			char *buf = malloc(MAX_COMPUTATION + 2);

			if (f && buf)
				n = fread(buf, 1, MAX_COMPUTATION + 1, f);
			if (f)
				fclose(f);
			if (!buf || n > MAX_COMPUTATION) {
				cp_error_at(p, at.line, at.col, "group %d: computation_file: %s: %s",
					    g->gid, path, buf ? "larger than 16 KiB" : "out of memory");
				free(buf);
				free(path);
				return;
			}
			buf[n] = '\0';
			g->computation = buf;
		}
		free(path);
		return;
	}
	if (!g->computation)
		return;
	if (!g->computation[strspn(g->computation, " \t\n")]) {
		cp_error_at(p, at.line, at.col, "group %d: empty computation", g->gid);
		return;
	}
	if (strlen(g->computation) > MAX_COMPUTATION) {
		cp_error_at(p, at.line, at.col, "group %d: computation longer than 16 KiB", g->gid);
		return;
	}
	prog = pfq_lang_compile(g->computation, &diag);
	if (prog) {
		pfq_lang_free(prog);
		return;
	}
	if (diag.line >= 1 && diag.line <= x->ncomp) {
		/* back to where that line of the computation is in the file */
		struct pfqd_pos f = x->comp_frag[diag.line - 1];

		cp_error_at(p, f.line, f.col + (diag.col > 0 ? diag.col - 1 : 0), "group %d: "
			    "computation: %s", g->gid, diag.msg);
	} else {
		cp_error_at(p, at.line, at.col, "group %d: computation: %s", g->gid, diag.msg);
	}
}

static void filter(struct cp *p, struct pfqd_group *g)
{
	struct pfqd_pos at = g->filter_pos;

	if (!g->filter)
		return;
	if (!g->filter[strspn(g->filter, " \t")]) {
		cp_error_at(p, at.line, at.col, "group %d: empty filter", g->gid);
		return;
	}
	if (pcap_compile(p->dead, &g->fprog, g->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		cp_error_at(p, at.line, at.col, "group %d: filter: %s", g->gid, pcap_geterr(p->dead));
		memset(&g->fprog, 0, sizeof(g->fprog));
		return;
	}
	if (g->fprog.bf_len > MAX_FILTER)
		cp_error_at(p, at.line, at.col, "group %d: filter: %u instructions (at most %d)",
			    g->gid, g->fprog.bf_len, MAX_FILTER);
}

/* the metrics endpoint on a loopback address unless said otherwise */
void cp_finish_pfqd(struct cp *p)
{
	const struct pfqd_conf *c = p->c;
	const char *m = c->metrics;
	bool loopback;

	if (!m || c->metrics_remote)
		return;
	if (m[0] == '[')
		loopback = !strncmp(m, "[::1]:", 6);
	else
		loopback = !strncmp(m, "127.", 4);
	if (!loopback)
		cp_error_at(p, c->metrics_pos.line, c->metrics_pos.col, "metrics: '%s' is not a "
			    "loopback address (metrics_remote = yes serves it elsewhere)", m);
}

void cp_finish_group(struct cp *p, struct pfqd_group *g, struct cp_group *x)
{
	computation(p, g, x);
	filter(p, g);
}

static void device(struct cp *p, const struct pfqd_group *g, const char *key,
		   const struct parse_dev *d, struct pfqd_pos at)
{
	const char *dot = strrchr(d->name, '.');

	if (!strcmp(d->name, PFQ_ANY_DEVICE) || if_nametoindex(d->name) > 0)
		return;
	if (dot && dot[1]) {
		char base[PARSE_IFNAMSIZ];

		snprintf(base, sizeof(base), "%.*s", (int)(dot - d->name), d->name);
		if (if_nametoindex(base) > 0) {
			cp_error_at(p, at.line, at.col, "group %d: %s: no device '%s' in this network "
				    "namespace (a hardware queue is written %s@%s)", g->gid, key,
				    d->name, base, dot + 1);
			return;
		}
	}
	cp_error_at(p, at.line, at.col, "group %d: %s: no device '%s' in this network namespace",
		    g->gid, key, d->name);
}

static bool numeric(const char *s)
{
	return s[strspn(s, "0123456789")] == '\0';
}

void cp_check_system(struct cp *p)
{
	const struct pfqd_conf *c = p->c;

	if (c->control_group && !numeric(c->control_group) && !getgrnam(c->control_group))
		cp_error_at(p, c->control_group_pos.line, c->control_group_pos.col,
			    "control_group: no unix group '%s'", c->control_group);
	for (int i = 0; i < c->ngroups; i++) {
		const struct pfqd_group *g = &c->groups[i];

		for (int k = 0; k < g->ninputs && !(p->flags & PFQD_CONF_DEVICES_MAY_GO); k++)
			device(p, g, "input", &g->inputs[k], g->input_pos[k]);
		for (int k = 0; k < g->noutputs && !(p->flags & PFQD_CONF_DEVICES_MAY_GO); k++)
			device(p, g, "output", &g->outputs[k].dev, g->outputs[k].pos);
		for (int k = 0; k < g->nusers; k++)
			if (!numeric(g->users[k]) && !getpwnam(g->users[k]))
				cp_error_at(p, g->user_pos[k].line, g->user_pos[k].col,
					    "group %d: allow_users: no user '%s'", g->gid, g->users[k]);
		for (int k = 0; k < g->ngroups; k++)
			if (!numeric(g->groups[k]) && !getgrnam(g->groups[k]))
				cp_error_at(p, g->group_pos[k].line, g->group_pos[k].col,
					    "group %d: allow_groups: no unix group '%s'", g->gid,
					    g->groups[k]);
	}
}
