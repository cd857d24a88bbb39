/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keys of the configuration and their values. */
#include "conf_int.h"

#include <pfq/pfq.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

/* ---- lists: "a, b, c" (a trailing ',' may end a line that goes on) ---- */

typedef void (*item_fn)(struct cp *p, const char *item, size_t off);

static void each_item(struct cp *p, const char *val, item_fn fn)
{
	size_t i = 0;

	if (!*val) {
		cp_error(p, 0, "empty list");
		return;
	}
	for (;;) {
		size_t a = i, b;
		char item[256];

		while (val[a] == ' ' || val[a] == '\t')
			a++;
		for (b = a; val[b] && val[b] != ','; b++)
			;
		i = b;
		while (b > a && (val[b - 1] == ' ' || val[b - 1] == '\t'))
			b--;
		if (b == a) {
			if (val[i]) /* (at the end: after a ',' ending the line) */
				cp_error(p, a, "empty entry in the list");
		} else if (b - a >= sizeof(item)) {
			cp_error(p, a, "entry longer than %zu characters", sizeof(item) - 1);
		} else {
			memcpy(item, val + a, b - a);
			item[b - a] = '\0';
			fn(p, item, a);
		}
		if (!val[i] || !val[i + 1])
			return;
		i++;
	}
}

/* ---- the [pfqd] section ---- */

static void set_str(struct cp *p, char **dst, const char *val)
{
	char *d = cp_strdup(p, val);

	if (d) {
		free(*dst);
		*dst = d;
	}
}

static void key_control(struct cp *p, const char *val)
{
	if (val[0] != '/')
		cp_error(p, 0, "control: '%s' is not an absolute path", val);
	else if (strlen(val) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		cp_error(p, 0, "control: path longer than %zu characters",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	else
		set_str(p, &p->c->control, val);
}

static void key_control_mode(struct cp *p, const char *val)
{
	unsigned m = 0;
	size_t i;

	for (i = 0; val[i] >= '0' && val[i] <= '7' && i < 5; i++)
		m = m * 8 + (unsigned)(val[i] - '0');
	if (i == 0 || val[i] || m > 0777)
		cp_error(p, 0, "control_mode: '%s' is not an octal mode in 0..0777 (e.g. 0660)", val);
	else
		p->c->control_mode = (mode_t)m;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	if (strspn(s, "0123456789") == n)
		return pfqd_id_in_range(s); /* a numeric id */
	if (!(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '_' || s[i] == '-' || s[i] == '.' || (s[i] == '$' && i == n - 1)))
			return false;
	return true;
}

/* why a number is no id: out of range (else "") */
static const char *id_range_hint(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) ? " (ids are 0..4294967294)" : "";
}

static void key_control_group(struct cp *p, const char *val)
{
	if (!valid_name(val))
		cp_error(p, 0, "control_group: '%s' is not a group name or number%s", val,
			 id_range_hint(val));
	else {
		set_str(p, &p->c->control_group, val);
		p->c->control_group_pos = (struct pfqd_pos){ p->line, p->val_col };
	}
}

/* ADDR:PORT, ADDR an IPv4 address or [IPv6] */
static void key_metrics(struct cp *p, const char *val)
{
	const char *colon = strrchr(val, ':');
	char addr[64];
	unsigned char buf[16];
	long port;
	size_t n;

	if (!colon || colon == val) {
		cp_error(p, 0, "metrics: '%s' is not ADDRESS:PORT", val);
		return;
	}
	n = (size_t)(colon - val);
	if (val[0] == '[') {
		if (n < 3 || val[n - 1] != ']' || n - 2 >= sizeof(addr)) {
			cp_error(p, 0, "metrics: '%s' is not [IPV6]:PORT", val);
			return;
		}
		snprintf(addr, sizeof(addr), "%.*s", (int)(n - 2), val + 1);
		if (inet_pton(AF_INET6, addr, buf) != 1) {
			cp_error(p, 1, "metrics: '%s' is not an IPv6 address", addr);
			return;
		}
	} else {
		snprintf(addr, sizeof(addr), "%.*s", (int)(n < sizeof(addr) ? n : sizeof(addr) - 1),
			 val);
		if (n >= sizeof(addr) || inet_pton(AF_INET, addr, buf) != 1) {
			cp_error(p, 0, "metrics: '%s' is not an IPv4 address (an IPv6 one is "
				 "written in brackets)", addr);
			return;
		}
	}
	if (parse_long(colon + 1, 1, 65535, 0, &port) < 0) {
		cp_error(p, n + 1, "metrics: port '%s' is not a number in 1..65535", colon + 1);
		return;
	}
	set_str(p, &p->c->metrics, val);
	p->c->metrics_pos = (struct pfqd_pos){ p->line, p->val_col };
}

static int yes_no(const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

static void bool_key(struct cp *p, const char *key, const char *val, bool *dst)
{
	int b = yes_no(val);

	if (b < 0)
		cp_error(p, 0, "%s: '%s' is not yes or no", key, val);
	else
		*dst = b;
}

static void key_metrics_remote(struct cp *p, const char *val)
{
	bool_key(p, "metrics_remote", val, &p->c->metrics_remote);
}

static void key_require_guard(struct cp *p, const char *val)
{
	bool_key(p, "require_guard", val, &p->c->require_guard);
}

/* ---- the [group N] sections ---- */

static void key_policy(struct cp *p, const char *val)
{
	if (!strcasecmp(val, "shared"))
		p->g->policy = PFQ_POLICY_SHARED;
	else if (!strcasecmp(val, "restricted"))
		p->g->policy = PFQ_POLICY_RESTRICTED;
	else if (!strcasecmp(val, "private") || !strcasecmp(val, "undefined"))
		cp_error(p, 0, "policy: '%s' is not for a group pfqd holds for others (shared or "
			 "restricted)", val);
	else
		cp_error(p, 0, "policy: '%s' is not shared or restricted", val);
}

/* dev or dev@queue alone, through the tools' device parser */
static int one_dev(struct cp *p, const char *key, const char *s, size_t off, struct parse_dev *d)
{
	char msg[160];

	if (strchr(s, ':')) {
		cp_error(p, off, "%s: '%s': devices are separated by ','", key, s);
		return -1;
	}
	if (parse_dev_list(s, d, 1, msg, sizeof(msg)) != 1) {
		cp_error(p, off, "%s: %s", key, msg);
		return -1;
	}
	if (!strcmp(d->name, PFQ_ANY_DEVICE) && d->queue >= 0) {
		cp_error(p, off, "%s: '%s': the device 'any' has no queues", key, s);
		return -1;
	}
	return 0;
}

static void input_item(struct cp *p, const char *s, size_t off)
{
	struct pfqd_group *g = p->g;
	struct parse_dev d;

	if (one_dev(p, "input", s, off, &d) < 0)
		return;
	for (int i = 0; i < g->ninputs; i++)
		if (!strcmp(g->inputs[i].name, d.name) && g->inputs[i].queue == d.queue) {
			cp_error(p, off, "input: '%s' listed twice", s);
			return;
		}
	if (g->ninputs == PFQD_MAX_INPUTS) {
		cp_error(p, off, "input: more than %d inputs", PFQD_MAX_INPUTS);
		return;
	}
	g->input_pos[g->ninputs] = (struct pfqd_pos){ p->line, p->val_col + (int)off };
	g->inputs[g->ninputs++] = d;
}

/* "dev[@queue] [class=MASK] [weight=W]" */
static void key_output(struct cp *p, const char *val)
{
	struct pfqd_group *g = p->g;
	struct pfqd_output o = { .class_mask = PFQ_CLASS_DEFAULT, .weight = 1 };
	bool have_class = false, have_weight = false;
	size_t i = 0;
	char tok[256];

	o.pos = (struct pfqd_pos){ p->line, p->val_col };
	for (int n = 0; val[i]; n++) {
		size_t a = i, len;

		while (val[i] && !isspace((unsigned char)val[i]))
			i++;
		len = i - a;
		snprintf(tok, sizeof(tok), "%.*s", (int)(len < sizeof(tok) ? len : sizeof(tok) - 1),
			 val + a);
		while (isspace((unsigned char)val[i]))
			i++;
		if (n == 0) {
			if (one_dev(p, "output", tok, a, &o.dev) < 0)
				return;
			if (!strcmp(o.dev.name, PFQ_ANY_DEVICE)) {
				cp_error(p, a, "output: an egress endpoint is one device, not 'any'");
				return;
			}
			continue;
		}
		if (!strncasecmp(tok, "class=", 6)) {
			unsigned long m;

			if (have_class) {
				cp_error(p, a, "output: class given twice");
				return;
			}
			if (parse_ulong(tok + 6, 1, PFQ_CLASS_ANY, 0, &m) < 0) {
				cp_error(p, a + 6, "output: class '%s' is not a class mask in "
					 "0x1..0x%llx", tok + 6, (unsigned long long)PFQ_CLASS_ANY);
				return;
			}
			o.class_mask = m;
			have_class = true;
		} else if (!strncasecmp(tok, "weight=", 7)) {
			long w;

			if (have_weight) {
				cp_error(p, a, "output: weight given twice");
				return;
			}
			if (parse_long(tok + 7, 1, PFQ_WEIGHT_MAX, 0, &w) < 0) {
				cp_error(p, a + 7, "output: weight '%s' is not a number in 1..%d",
					 tok + 7, PFQ_WEIGHT_MAX);
				return;
			}
			o.weight = (int)w;
			have_weight = true;
		} else {
			cp_error(p, a, "output: unknown option '%s' (class=MASK, weight=N; a hardware "
				 "queue is written dev@N)", tok);
			return;
		}
	}
	if (!o.dev.name[0]) {
		cp_error(p, 0, "output: empty value (expected 'dev[@queue] [class=MASK] "
			 "[weight=N]')");
		return;
	}
	for (int k = 0; k < g->noutputs; k++)
		if (!strcmp(g->outputs[k].dev.name, o.dev.name) &&
		    g->outputs[k].dev.queue == o.dev.queue) {
			cp_error(p, 0, "output: '%s' given twice (first at line %d)", o.dev.name,
				 g->outputs[k].pos.line);
			return;
		}
	if (g->noutputs == PFQD_MAX_OUTPUTS) {
		cp_error(p, 0, "output: more than %d outputs", PFQD_MAX_OUTPUTS);
		return;
	}
	g->outputs[g->noutputs++] = o;
}

static void vlan_item(struct cp *p, const char *s, size_t off)
{
	struct pfqd_group *g = p->g;
	long v;
	int k;

	if (!strcasecmp(s, "untagged") || !strcasecmp(s, "untag"))
		v = PFQ_VLAN_UNTAG;
	else if (!strcasecmp(s, "any") || !strcasecmp(s, "anytag"))
		v = PFQ_VLAN_ANYTAG;
	else if (parse_long(s, -1, 4095, 0, &v) < 0) {
		cp_error(p, off, "vlan: '%s' is not a VLAN id (1..4095, untagged or 0, any or -1)",
			 s);
		return;
	}
	for (k = 0; k < g->nvlans && g->vlans[k] < v; k++)
		;
	if (k < g->nvlans && g->vlans[k] == v) {
		cp_error(p, off, "vlan: '%s' listed twice", s);
		return;
	}
	if (g->nvlans == (int)(sizeof(g->vlans) / sizeof(g->vlans[0]))) {
		cp_error(p, off, "vlan: more than %zu VLAN ids", sizeof(g->vlans) / sizeof(g->vlans[0]));
		return;
	}
	memmove(&g->vlans[k + 1], &g->vlans[k], (size_t)(g->nvlans - k) * sizeof(int));
	g->vlans[k] = (int)v;
	g->nvlans++;
	g->vlan_on = true;
}

static void name_item(struct cp *p, const char *s, size_t off, bool user)
{
	struct pfqd_group *g = p->g;
	char **names = user ? g->users : g->groups;
	struct pfqd_pos *pos = user ? g->user_pos : g->group_pos;
	int *n = user ? &g->nusers : &g->ngroups;
	const char *key = user ? "allow_users" : "allow_groups";

	if (!valid_name(s)) {
		cp_error(p, off, "%s: '%s' is not a %s name or number%s", key, s,
			 user ? "user" : "group", id_range_hint(s));
		return;
	}
	for (int k = 0; k < *n; k++)
		if (!strcmp(names[k], s)) {
			cp_error(p, off, "%s: '%s' listed twice", key, s);
			return;
		}
	if (*n == PFQD_MAX_NAMES) {
		cp_error(p, off, "%s: more than %d names", key, PFQD_MAX_NAMES);
		return;
	}
	names[*n] = cp_strdup(p, s);
	if (names[*n]) {
		pos[*n] = (struct pfqd_pos){ p->line, p->val_col + (int)off };
		(*n)++;
	}
}

static void user_item(struct cp *p, const char *s, size_t off)
{
	name_item(p, s, off, true);
}

static void group_item(struct cp *p, const char *s, size_t off)
{
	name_item(p, s, off, false);
}

/* text over several lines: joined with sep */
static void append(struct cp *p, char **dst, const char *val, const char *sep, bool first)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(val);
	char *s = realloc(*dst, a + strlen(sep) + b + 1);

	if (!s) {
		cp_error(p, 0, "out of memory");
		return;
	}
	if (!first) {
		strcpy(s + a, sep);
		a += strlen(sep);
	}
	memcpy(s + a, val, b + 1);
	*dst = s;
}

static void key_computation(struct cp *p, const char *val)
{
	struct cp_group *x = p->gx;

	if (x->ncomp == CP_MAX_FRAGS) {
		cp_error(p, 0, "computation: more than %d lines", CP_MAX_FRAGS);
		return;
	}
	if (x->ncomp == 0)
		p->g->computation_pos = (struct pfqd_pos){ p->line, p->val_col };
	x->comp_frag[x->ncomp++] = (struct pfqd_pos){ p->line, p->val_col };
	append(p, &p->g->computation, val, "\n", x->ncomp == 1);
}

static void key_computation_file(struct cp *p, const char *val)
{
	if (!*val)
		cp_error(p, 0, "computation_file: empty path");
	else {
		set_str(p, &p->g->computation_file, val);
		p->gx->compfile_pos = (struct pfqd_pos){ p->line, p->val_col };
	}
}

static void key_filter(struct cp *p, const char *val)
{
	if (p->gx->nfilter++ == 0)
		p->g->filter_pos = (struct pfqd_pos){ p->line, p->val_col };
	append(p, &p->g->filter, val, " ", p->gx->nfilter == 1);
}

/* ---- dispatch ---- */

enum { K_ONE = 0, K_REPEAT = 1, K_LIST = 2, K_TEXT = 4 };

struct key {
	const char *name;
	int kind;
	void (*one)(struct cp *p, const char *val);
	item_fn item;
};

static const struct key pfqd_keys[] = {
	{ "control", K_ONE, key_control, NULL },
	{ "control_mode", K_ONE, key_control_mode, NULL },
	{ "control_group", K_ONE, key_control_group, NULL },
	{ "metrics", K_ONE, key_metrics, NULL },
	{ "metrics_remote", K_ONE, key_metrics_remote, NULL },
	{ "require_guard", K_ONE, key_require_guard, NULL },
};

static const struct key group_keys[] = {
	{ "policy", K_ONE, key_policy, NULL },
	{ "input", K_LIST, NULL, input_item },
	{ "output", K_REPEAT, key_output, NULL },
	{ "computation", K_TEXT, key_computation, NULL },
	{ "computation_file", K_ONE, key_computation_file, NULL },
	{ "filter", K_TEXT, key_filter, NULL },
	{ "vlan", K_LIST, NULL, vlan_item },
	{ "allow_users", K_LIST, NULL, user_item },
	{ "allow_groups", K_LIST, NULL, group_item },
};

static void one_key(struct cp *p, const struct key *keys, size_t n, unsigned long long *seen,
		    const char *where, const char *key, const char *val, bool cont)
{
	size_t i;

	if (!*key) {
		cp_error_at(p, p->line, p->key_col, "missing key before '='");
		return;
	}
	for (i = 0; i < n && strcasecmp(keys[i].name, key); i++)
		;
	if (i == n) {
		char list[256] = "";

		for (size_t k = 0; k < n; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 k ? ", " : "", keys[k].name);
		cp_error_at(p, p->line, p->key_col, "unknown key '%s' in %s (%s)", key, where, list);
		return;
	}
	if (cont && !(keys[i].kind & (K_LIST | K_TEXT))) {
		cp_error(p, 0, "%s takes one line (this indented line continues it)", keys[i].name);
		return;
	}
	if (!cont && (*seen & (1ull << i)) && !(keys[i].kind & K_REPEAT)) {
		cp_error_at(p, p->line, p->key_col, "%s given twice in %s", keys[i].name, where);
		return;
	}
	*seen |= 1ull << i;
	if (keys[i].kind & K_LIST)
		each_item(p, val, keys[i].item);
	else if (!*val && !(keys[i].kind & K_TEXT))
		cp_error(p, 0, "%s: empty value", keys[i].name);
	else
		keys[i].one(p, val);
}

void cp_pfqd_key(struct cp *p, const char *key, const char *val, bool cont)
{
	one_key(p, pfqd_keys, sizeof(pfqd_keys) / sizeof(pfqd_keys[0]), &p->pfqd_seen, "[pfqd]",
		key, val, cont);
}

void cp_group_key(struct cp *p, const char *key, const char *val, bool cont)
{
	char where[32];

	snprintf(where, sizeof(where), "[group %d]", p->g->gid);
	one_key(p, group_keys, sizeof(group_keys) / sizeof(group_keys[0]), &p->gx->seen, where,
		key, val, cont);
}
