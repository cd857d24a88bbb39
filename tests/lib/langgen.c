/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "langgen.h"

#include "../../lib/lang/lang-int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t size, n;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->buf + o->n, o->size - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->size - o->n)
		o->full = true;
	else
		o->n += (size_t)k;
}

static uint32_t rnd(struct langgen *g)
{
	return framegen_rand(&g->rng);
}

static uint32_t pick(struct langgen *g, uint32_t n)
{
	return rnd(g) % n;
}

#define ONE_OF(g, a) ((a)[pick(g, sizeof(a) / sizeof((a)[0]))])

void langgen_init(struct langgen *g, uint64_t seed, bool *seen)
{
	memset(g, 0, sizeof(*g));
	framegen_init(&g->rng, seed);
	g->seen = seen;
}

static bool leaf(const struct builtin *b)
{
	for (int i = 0; i < b->nargs; i++)
		if (b->args[i] == LT_FUN || b->args[i] == LT_PRED || b->args[i] == LT_PROP)
			return false;
	return true;
}

/* a catalogue function of result type t (only those without function
 * arguments when leaf_only) */
static int draw(struct langgen *g, enum lt t, bool leaf_only)
{
	int cand[256], n = 0;

	for (int i = 0; i < pfq_nbuiltins && n < 256; i++)
		if (pfq_builtins[i].result == t && (!leaf_only || leaf(&pfq_builtins[i])))
			cand[n++] = i;
	return n ? cand[pick(g, (uint32_t)n)] : -1;
}

static void gen(struct langgen *g, struct out *o, enum lt t);

static const char *addr(struct langgen *g)
{
	static const char *a[] = { "10.0.0.1", "10.0.0.2", "192.168.0.13", "192.168.1.9",
				   "8.8.8.8", "10.1.2.3", "255.255.255.255", "224.0.0.1" };
	return ONE_OF(g, a);
}

/* the scalar argument i of function b, within what its checks accept */
static void scalar(struct langgen *g, struct out *o, const struct builtin *b, int i)
{
	const char *nm = b->name;

	switch (b->args[i]) {
	case LT_INT:
		if (!strcmp(nm, "steer_to"))
			put(o, "%u", pick(g, 8));
		else if (!strcmp(nm, "has_vid"))
			put(o, "%d", ONE_OF(g, ((const int[]){ 0, 1, 7, 42, 100, 4095 })));
		else if (!strncmp(nm, "bloom", 5) && i == 0)
			put(o, "%d", ONE_OF(g, ((const int[]){ 1, 8, 64, 256, 1024, 4096, 65536 })));
		else if (!strcmp(nm, "steer_local_net") && i == 2) /* subnetwork >= network */
			put(o, "%d", g->last + (int)pick(g, (uint32_t)(33 - g->last)));
		else if (!strncmp(nm, "bloom", 5) || !strcmp(nm, "steer_gtp_usr") ||
			 !strcmp(nm, "steer_local_net"))
			put(o, "%d", g->last = ONE_OF(g, ((const int[]){ 0, 8, 16, 24, 32 })));
		else
			put(o, "%u", pick(g, 64)); /* classes, counters */
		break;
	case LT_W8:
		put(o, "%d", ONE_OF(g, ((const int[]){ 1, 6, 17, 47, 58, 255 })));
		break;
	case LT_W16:
		put(o, "%d", ONE_OF(g, ((const int[]){ 53, 80, 443, 2123, 2152, 5060, 5061,
							 0x0800, 0x86dd, 0x0806, 0x8100, 0 })));
		break;
	case LT_W32:
		if (!strncmp(nm, "steer_field", 11) || !strcmp(nm, "double_steer_field")) {
			if (i == b->nargs - 1)
				put(o, "%u", 1 + pick(g, 4));
			else
				put(o, "%d", ONE_OF(g, ((const int[]){ 0, 6, 12, 14, 23, 26, 30, 34,
									 36, 200 })));
		} else {
			put(o, "%u", ONE_OF(g, ((const uint32_t[]){ 0, 1, 3, 7, 42, 0xffffffffu })));
		}
		break;
	case LT_W64:
		put(o, "%llu", ONE_OF(g, ((const unsigned long long[]){ 0, 1, 10, 20, 64, 255,
									 1024, 0x3fff, 5000000000ull })));
		break;
	case LT_STR:
		put(o, "\"message %u\"", pick(g, 100));
		break;
	case LT_DEV:
		put(o, "\"%s\"", ONE_OF(g, ((const char *[]){ "eth1", "eth2", "lo" })));
		break;
	case LT_MAC:
		put(o, "\"02:00:00:00:00:%02x\"", pick(g, 4));
		break;
	case LT_IPV4:
		put(o, "\"%s\"", !strncmp(nm, "steer_", 6) ?
		    ONE_OF(g, ((const char *[]){ "10.0.0.0", "192.168.0.0" })) : addr(g));
		break;
	case LT_CIDR:
		if (pick(g, 3) == 0)
			put(o, "(CIDR (\"%s\", %d))", addr(g), ONE_OF(g, ((const int[]){ 8, 16, 32 })));
		else
			put(o, "\"%s/%d\"", addr(g), ONE_OF(g, ((const int[]){ 0, 8, 16, 24, 32 })));
		break;
	case LT_LIST_INT: {
		int n = 1 + (int)pick(g, 4);

		put(o, "[");
		for (int k = 0; k < n; k++)
			put(o, "%s%d", k ? ", " : "", ONE_OF(g, ((const int[]){ -1, 0, 1, 13, 42, 4095 })));
		put(o, "]");
		break;
	}
	case LT_LIST_DEV:
		put(o, "%s", ONE_OF(g, ((const char *[]){ "[\"lo\"]", "[\"eth1\", \"eth2\"]",
							  "[\"lo\", \"eth1\", \"eth2\"]" })));
		break;
	case LT_LIST_IPV4: {
		int n = 1 + (int)pick(g, 3);

		put(o, "[");
		for (int k = 0; k < n; k++)
			put(o, "%s\"%s\"", k ? ", " : "", addr(g));
		put(o, "]");
		break;
	}
	default:
		put(o, "?");
		break;
	}
}

static void arg(struct langgen *g, struct out *o, const struct builtin *b, int i)
{
	enum lt t = b->args[i];

	if (t == LT_FUN || t == LT_PRED || t == LT_PROP)
		gen(g, o, t);
	else
		scalar(g, o, b, i);
}

/* a use of definition k (its parameter drawn) */
static void use_def(struct langgen *g, struct out *o, int k)
{
	switch (g->kind[k]) {
	case 'p':
	case 'g':
		put(o, "(%s ", g->defs[k]);
		gen(g, o, g->kind[k] == 'p' ? LT_PRED : LT_FUN);
		put(o, ")");
		break;
	case 'n':
		put(o, "(%s %u)", g->defs[k], pick(g, 64));
		break;
	default:
		put(o, "%s", g->defs[k]);
		break;
	}
}

static void call(struct langgen *g, struct out *o, int fid)
{
	const struct builtin *b = &pfq_builtins[fid];

	if (g->seen)
		g->seen[fid] = true;
	/* operators infix; any_bit and all_bit now and then between backquotes */
	bool op = !isalpha((unsigned char)b->name[0]);

	if (op || ((!strcmp(b->name, "any_bit") || !strcmp(b->name, "all_bit")) && pick(g, 2))) {
		put(o, "(");
		arg(g, o, b, 0);
		put(o, op ? " %s " : " `%s` ", b->name);
		arg(g, o, b, 1);
		put(o, ")");
		return;
	}
	if (!strcmp(b->name, "conditional") && pick(g, 2)) {
		put(o, "(if ");
		arg(g, o, b, 0);
		put(o, " then ");
		arg(g, o, b, 1);
		put(o, " else ");
		arg(g, o, b, 2);
		put(o, ")");
		return;
	}
	put(o, b->nargs ? "(%s" : "%s", b->name);
	for (int i = 0; i < b->nargs; i++) {
		/* now and then the last argument after `$` */
		put(o, i == b->nargs - 1 && i && pick(g, 8) == 0 ? " $ " : " ");
		arg(g, o, b, i);
	}
	if (b->nargs)
		put(o, ")");
}

static void gen(struct langgen *g, struct out *o, enum lt t)
{
	bool leaf_only = g->depth <= 0;

	g->depth--;
	if (t == LT_FUN && g->ndefs && pick(g, 6) == 0) {
		use_def(g, o, (int)pick(g, (uint32_t)g->ndefs));
	} else if (t == LT_FUN && !leaf_only && pick(g, 3) == 0) {
		/* the combinators, more often than their share of the catalogue */
		static const char *comb[] = { ">->", "when", "unless", "conditional", "inv",
					      "par", "par3", "par4", "par5", "par6", "par7", "par8",
					      "filter", "kernel_if", "detour_if", "tee", "tap" };

		call(g, o, builtin_find(ONE_OF(g, comb)));
	} else {
		call(g, o, draw(g, t, leaf_only));
	}
	g->depth++;
}

static void def_body(struct langgen *g, struct out *o, char kind)
{
	static const char *pred_forms[] = { "when x %s", "conditional x %s %s",
					    "filter (x .&&. %s) >-> %s", "par (filter x) %s" };
	static const char *fun_forms[] = { "par x %s", "x >-> %s", "inv x >-> %s", "when %s x",
					   "conditional %s x %s" };
	static const char *num_forms[] = { "classify x >-> %s", "inc x >-> %s",
					   "when (has_vid x) %s", "steer_to x", "dec x" };
	const char *form = kind == 'p' ? ONE_OF(g, pred_forms) : kind == 'g' ? ONE_OF(g, fun_forms) :
			   ONE_OF(g, num_forms);

	if (kind == 'f') {
		gen(g, o, LT_FUN);
		return;
	}
	/* fill each %s in turn; "when %s x" and the filter form take a predicate first */
	bool pred_first = !strncmp(form, "when %s", 7) || !strncmp(form, "conditional %s", 14) ||
			  !strncmp(form, "filter (x .&&. %s)", 18);
	int slot = 0;

	for (const char *s = form; *s; s++) {
		if (s[0] == '%' && s[1] == 's') {
			gen(g, o, slot == 0 && pred_first ? LT_PRED : LT_FUN);
			slot++;
			s++;
		} else {
			put(o, "%c", *s);
		}
	}
}

bool langgen_program(struct langgen *g, char *buf, size_t size)
{
	struct out o = { buf, size, 0, false };
	int uses[4] = { 0 };

	g->ndefs = 0;
	if (pick(g, 2)) {
		int n = 1 + (int)pick(g, 3);

		for (int k = 0; k < n; k++) {
			static const char kinds[] = "fpgn";

			g->kind[k] = kinds[pick(g, 4)];
			snprintf(g->defs[k], sizeof(g->defs[k]), "d%d", k);
			put(&o, "%s%s = ", g->defs[k], g->kind[k] == 'f' ? "" : " x");
			g->depth = 2;
			g->ndefs = k; /* a definition may use the earlier ones */
			def_body(g, &o, g->kind[k]);
			put(&o, "\n");
		}
		g->ndefs = n;
		put(&o, "main = ");
	}
	/* main, then each definition used at least twice: the uses drawn
	 * inside main count too (they are found in the text below) */
	size_t main_at = o.n;

	g->depth = 4;
	gen(g, &o, LT_FUN);
	for (int k = 0; k < g->ndefs && !o.full; k++) {
		char name[12];

		snprintf(name, sizeof(name), "%s", g->defs[k]);
		for (const char *s = strstr(buf + main_at, name); s; s = strstr(s + 1, name))
			if (!(s[strlen(name)] >= '0' && s[strlen(name)] <= '9'))
				uses[k]++;
		g->depth = 2;
		while (uses[k]++ < 2) {
			put(&o, " >-> ");
			if (pick(g, 2)) {
				put(&o, "par ");
				use_def(g, &o, k);
				put(&o, " ");
				gen(g, &o, LT_FUN);
			} else {
				use_def(g, &o, k);
			}
		}
	}
	put(&o, "\n");
	return !o.full;
}
