/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Type checking: the syntax tree becomes a tree of catalogue nodes with typed
 * arguments. User definitions are expanded at their call sites (they are
 * macros with parameters); every argument is checked against the signature,
 * numbers against their range, strings against what they name.
 */
#include "impl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* functions in the expanded program: a definition that uses its parameter
 * twice doubles its argument at each call, so nesting such calls grows the
 * program exponentially; far more than any real computation needs */
#define MAX_NODES 20000
/* syntax nodes copied while expanding definitions: a definition can double
 * its argument before any function is made of it (f x = g (x >-> x)) */
#define MAX_COPIES 1000000

struct tc {
	struct pfq_lang_program *prog;
	struct ast **defs; /* sorted by name */
	int ndefs;
	struct pfq_lang_diag *diag;
	int depth;         /* tc_expr calls nested: functions, and definitions expanded */
	long copies;       /* syntax nodes copied so far */
};

static struct node *tc_expr(struct tc *T, struct ast *e, enum lt want);

static int by_name(const void *key, const void *def)
{
	return strcmp(key, (*(struct ast *const *)def)->name);
}

/* the index of definition name, or -1 */
static int def_index(struct tc *T, const char *name)
{
	struct ast **d = T->ndefs ? bsearch(name, T->defs, (size_t)T->ndefs, sizeof(*T->defs),
					   by_name) : NULL;

	return d ? (int)(d - T->defs) : -1;
}

static struct ast *find_def(struct tc *T, const char *name)
{
	int k = def_index(T, name);

	return k < 0 ? NULL : T->defs[k];
}

static struct node *new_node(struct tc *T, int fid, const struct ast *at)
{
	struct pfq_lang_program *p = T->prog;
	struct node *n;

	if (p->nnodes == p->capnodes) {
		int cap = p->capnodes ? p->capnodes * 2 : 32;
		struct node **nn = realloc(p->nodes, (size_t)cap * sizeof(*nn));

		if (!nn)
			return NULL;
		p->nodes = nn;
		p->capnodes = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->fid = fid;
	n->type = pfq_builtins[fid].result;
	n->line = at->line;
	n->col = at->col;
	n->nargs = pfq_builtins[fid].nargs;
	n->id = p->nnodes;
	p->nodes[p->nnodes++] = n;
	return n;
}

static void free_arg(struct arg *a)
{
	free(a->s);
	free(a->ints);
	for (int i = 0; i < a->nstrs; i++)
		free(a->strs[i]);
	free(a->strs);
	free(a->ips);
}

void node_free_all(struct pfq_lang_program *p)
{
	for (int i = 0; i < p->nnodes; i++) {
		struct node *n = p->nodes[i];

		for (int k = 0; k < n->nargs; k++)
			free_arg(&n->args[k]);
		if (n->extra)
			bloom_free(n->extra);
		free(n);
	}
	free(p->nodes);
	p->nodes = NULL;
	p->nnodes = p->capnodes = 0;
}

static const char *describe(struct tc *T, const struct ast *e)
{
	static _Thread_local char buf[128];

	switch (e->kind) {
	case A_INT: return "a number";
	case A_STR: return "a string";
	case A_LIST: return "a list";
	case A_CIDR: return "a CIDR";
	case A_IF: return "an if-then-else (a NetFunction)";
	case A_APP:
	case A_VAR: {
		const struct ast *h = e;

		while (h->kind == A_APP)
			h = h->a;
		if (h->kind != A_VAR)
			return "an application";
		int fid = builtin_find(h->name);

		if (find_def(T, h->name))
			snprintf(buf, sizeof(buf), "'%s'", h->name);
		else if (fid >= 0)
			snprintf(buf, sizeof(buf), "'%s' (a %s)", h->name,
				 lt_name(pfq_builtins[fid].result));
		else
			snprintf(buf, sizeof(buf), "'%s'", h->name);
		return buf;
	}
	}
	return "?";
}

/* copy of e with the parameters of def replaced by args; NULL when out of
 * memory, too large or nested too deeply (T->diag says which) */
static struct ast *subst(struct tc *T, const struct ast *e, const struct ast *def,
			 struct ast **args)
{
	struct ast *r;
	bool ok = true;

	if (def && e->kind == A_VAR)
		for (int i = 0; i < def->nitems; i++)
			if (strcmp(def->items[i]->name, e->name) == 0)
				return subst(T, args[i], NULL, NULL);
	if (++T->copies > MAX_COPIES) {
		diag_set(T->diag, e->line, e->col, "program too large: over %d syntax nodes copied "
			 "while expanding definitions", MAX_COPIES);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		diag_set(T->diag, 0, 0, "out of memory");
		return NULL;
	}
	*r = *e;
	r->a = r->b = r->c = NULL;
	r->items = NULL;
	r->nitems = 0;
	r->height = 1;
	r->name = e->name ? strdup(e->name) : NULL;
	if (e->name && !r->name)
		ok = false;
	struct ast **kids[3] = { &r->a, &r->b, &r->c };
	const struct ast *from[3] = { e->a, e->b, e->c };

	for (int k = 0; ok && k < 3; k++)
		if (from[k] && !(*kids[k] = subst(T, from[k], def, args)))
			ok = false;
	if (ok && e->nitems) {
		r->items = calloc((size_t)e->nitems, sizeof(*r->items));
		ok = r->items != NULL;
		for (int i = 0; ok && i < e->nitems; i++, r->nitems++)
			ok = (r->items[i] = subst(T, e->items[i], def, args)) != NULL;
	}
	for (int k = 0; ok && k < 3; k++)
		if (*kids[k] && (*kids[k])->height >= r->height)
			r->height = (*kids[k])->height + 1;
	for (int i = 0; ok && i < r->nitems; i++)
		if (r->items[i]->height >= r->height)
			r->height = r->items[i]->height + 1;
	if (!ok || r->height > LANG_MAX_DEPTH) {
		if (ok)
			diag_set(T->diag, e->line, e->col, "program nested too deeply once definitions "
				 "are expanded (more than %d levels)", LANG_MAX_DEPTH);
		else
			diag_set(T->diag, 0, 0, "out of memory"); /* (unless said already) */
		ast_free(r);
		return NULL;
	}
	return r;
}

/* the head of an application spine and its arguments, in order */
static const struct ast *spine(const struct ast *e, struct ast **args, int *nargs)
{
	int n = 0;
	const struct ast *h = e;

	while (h->kind == A_APP) {
		n++;
		h = h->a;
	}
	*nargs = n;
	for (const struct ast *x = e; x->kind == A_APP; x = x->a)
		args[--n] = x->b;
	return h;
}

static bool parse_ipv4(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ip = a.s_addr;
	return true;
}

static bool parse_cidr_text(const char *s, struct cidr *c)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	long prefix = 32;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	if (slash) {
		char *end;

		buf[slash - s] = '\0';
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || prefix < 0 || prefix > 32)
			return false;
	}
	if (!parse_ipv4(buf, &c->addr))
		return false;
	c->prefix = (int)prefix;
	c->mask = htonl(prefix ? ~0u << (32 - prefix) : 0);
	c->addr &= c->mask;
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &extra) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) || !isprint((unsigned char)s[i]))
			return false;
	return true;
}

/* literal behind a name defined without parameters (n = 53) */
static const struct ast *resolve_const(struct tc *T, const struct ast *e)
{
	for (int k = 0; k < LANG_MAX_DEPTH && e->kind == A_VAR; k++) {
		const struct ast *d = find_def(T, e->name);

		if (!d || d->nitems)
			break;
		e = d->a;
	}
	return e;
}

struct argctx {
	const char *fname;
	int index; /* 1-based */
};

/* (not inlined: its buffer stays out of tc_arg's frame, which is on the
 * stack once per level of the program) */
static __attribute__((noinline, format(printf, 4, 5))) bool
argerr(struct tc *T, const struct ast *e, const struct argctx *ac, const char *fmt, ...)
{
	char m[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	diag_set(T->diag, e->line, e->col, "argument %d of '%s': %s", ac->index, ac->fname, m);
	return false;
}

#define ARGERR(T, e, ac, ...) return argerr(T, e, ac, __VA_ARGS__)

static bool number(struct tc *T, const struct ast *e, enum lt type, struct arg *a,
		   const struct argctx *ac)
{
	static const struct { enum lt t; uint64_t max; } words[] = {
		{ LT_W8, 0xff }, { LT_W16, 0xffff }, { LT_W32, 0xffffffffu }, { LT_W64, UINT64_MAX } };

	if (e->kind == A_APP) {
		const struct ast *h = e;

		while (h->kind == A_APP)
			h = h->a;
		if (h->kind == A_VAR && (!strcmp(h->name, ".&&.") || !strcmp(h->name, ".||.") ||
					 !strcmp(h->name, ".^^.")))
			ARGERR(T, e, ac, "expected a %s, found a '%s' expression: comparisons bind "
			       "looser than .&&. .||. .^^., so add parentheses, e.g. "
			       "'(ip_ttl .> 1) .&&. is_udp'", lt_name(type), h->name);
	}
	if (e->kind != A_INT)
		ARGERR(T, e, ac, "expected a %s, found %s", lt_name(type), describe(T, e));
	if (type == LT_INT) {
		int64_t v = (int64_t)e->ival;

		if ((!e->neg && e->ival > INT32_MAX) || v < INT32_MIN)
			ARGERR(T, e, ac, "Int out of range (%d..%d)", INT32_MIN, INT32_MAX);
		a->i = v;
		a->u = (uint64_t)v;
		return true;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].t == type) {
			if (e->neg || e->ival > words[i].max)
				ARGERR(T, e, ac, "%s out of range (0..%llu), found %s%llu", lt_name(type),
				       (unsigned long long)words[i].max, e->neg ? "-" : "",
				       (unsigned long long)(e->neg ? -(int64_t)e->ival : (int64_t)e->ival));
			a->u = e->ival;
			a->i = (int64_t)e->ival;
			return true;
		}
	return false;
}

/* an argument that is not a function (numbers, strings, lists); not
 * inlined, as argerr */
static __attribute__((noinline)) bool tc_scalar(struct tc *T, struct ast *e0, enum lt type,
						struct arg *a, const struct argctx *ac)
{
	const struct ast *e = resolve_const(T, e0);

	a->type = type;
	switch (type) {
	case LT_INT: case LT_W8: case LT_W16: case LT_W32: case LT_W64:
		return number(T, e, type, a, ac);
	case LT_STR: case LT_DEV: case LT_MAC: case LT_IPV4:
		if (e->kind != A_STR)
			ARGERR(T, e, ac, "expected a %s, found %s", lt_name(type), describe(T, e));
		if (type == LT_DEV && !valid_ifname(e->name))
			ARGERR(T, e, ac, "'%s' is not a valid device name", e->name);
		if (type == LT_MAC && !parse_mac(e->name, a->mac))
			ARGERR(T, e, ac, "'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", e->name);
		if (type == LT_IPV4 && !parse_ipv4(e->name, &a->ip))
			ARGERR(T, e, ac, "'%s' is not an IPv4 address", e->name);
		a->s = strdup(e->name);
		return a->s != NULL;
	case LT_CIDR:
		if (e->kind == A_STR) {
			if (!parse_cidr_text(e->name, &a->cidr))
				ARGERR(T, e, ac, "'%s' is not a CIDR (\"a.b.c.d/n\", n in 0..32)", e->name);
			return true;
		}
		if (e->kind == A_CIDR) {
			char text[80];

			if (e->b->neg || e->b->ival > 32)
				ARGERR(T, e->b, ac, "CIDR prefix must be in 0..32");
			snprintf(text, sizeof(text), "%s/%llu", e->a->name, (unsigned long long)e->b->ival);
			if (!parse_cidr_text(text, &a->cidr))
				ARGERR(T, e, ac, "'%s' is not an IPv4 address", e->a->name);
			return true;
		}
		ARGERR(T, e, ac, "expected a CIDR, found %s", describe(T, e));
	case LT_LIST_INT: case LT_LIST_DEV: case LT_LIST_IPV4: {
		enum lt el = type == LT_LIST_INT ? LT_INT : type == LT_LIST_DEV ? LT_DEV : LT_IPV4;

		if (e->kind != A_LIST)
			ARGERR(T, e, ac, "expected a list %s, found %s", lt_name(type), describe(T, e));
		if (e->nitems > 4096)
			ARGERR(T, e, ac, "list longer than 4096 elements");
		if (type == LT_LIST_INT)
			a->ints = calloc((size_t)e->nitems + 1, sizeof(*a->ints));
		else if (type == LT_LIST_DEV)
			a->strs = calloc((size_t)e->nitems + 1, sizeof(*a->strs));
		else
			a->ips = calloc((size_t)e->nitems + 1, sizeof(*a->ips));
		if (!a->ints && !a->strs && !a->ips)
			ARGERR(T, e, ac, "out of memory");
		for (int i = 0; i < e->nitems; i++) {
			struct arg x = { 0 };

			if (!tc_scalar(T, e->items[i], el, &x, ac)) {
				free_arg(&x);
				return false;
			}
			if (type == LT_LIST_INT)
				a->ints[a->nints++] = x.i;
			else if (type == LT_LIST_DEV)
				a->strs[a->nstrs++] = x.s, x.s = NULL;
			else
				a->ips[a->nips++] = x.ip;
			free_arg(&x);
		}
		return true;
	}
	default:
		return false;
	}
}

static bool tc_arg(struct tc *T, struct ast *e0, enum lt type, struct arg *a,
		   const struct argctx *ac)
{
	if (type != LT_FUN && type != LT_PRED && type != LT_PROP)
		return tc_scalar(T, e0, type, a, ac);
	a->type = type;
	if (e0->kind == A_INT || e0->kind == A_STR || e0->kind == A_LIST || e0->kind == A_CIDR)
		ARGERR(T, e0, ac, "expected a %s, found %s", lt_name(type), describe(T, e0));
	a->fn = tc_expr(T, e0, type);
	return a->fn != NULL;
}

static void type_mismatch(struct tc *T, const struct ast *e, enum lt want, enum lt got,
			  const char *name)
{
	const char *hint = "";

	if (want == LT_FUN && got == LT_PRED)
		hint = " (a predicate becomes a function with 'filter p' or 'when p f')";
	else if (want == LT_PRED && got == LT_PROP)
		hint = " (compare a property: 'p .< n', 'p .== n', ...)";
	else if (want == LT_PRED && got == LT_FUN)
		hint = " (use the predicate form, e.g. 'is_tcp' instead of 'tcp')";
	diag_set(T->diag, e->line, e->col, "expected a %s, found '%s' (a %s)%s", lt_name(want),
		 name, lt_name(got), hint);
}

/* (not inlined, as argerr) */
static __attribute__((noinline)) void arity_error(struct tc *T, const struct ast *head,
						  const struct builtin *b, int nargs)
{
	char sig[256] = "";

	for (int i = 0; i < b->nargs; i++) {
		strncat(sig, i ? ", " : "", sizeof(sig) - strlen(sig) - 1);
		strncat(sig, lt_name(b->args[i]), sizeof(sig) - strlen(sig) - 1);
	}
	diag_set(T->diag, head->line, head->col, "'%s' takes %d argument%s%s%s%s, given %d",
		 b->name, b->nargs, b->nargs == 1 ? "" : "s", b->nargs ? " (" : "", sig,
		 b->nargs ? ")" : "", nargs);
}

static struct node *tc_builtin(struct tc *T, const struct ast *head, int fid,
			       struct ast **args, int nargs, enum lt want)
{
	const struct builtin *b = &pfq_builtins[fid];
	struct node *n;

	if (b->result != want) {
		type_mismatch(T, head, want, b->result, b->name);
		return NULL;
	}
	if (nargs != b->nargs) {
		arity_error(T, head, b, nargs);
		return NULL;
	}
	if (T->prog->nnodes >= MAX_NODES) {
		diag_set(T->diag, head->line, head->col,
			 "program too large: over %d functions (a definition counts at each use)",
			 MAX_NODES);
		return NULL;
	}
	n = new_node(T, fid, head);
	if (!n) {
		diag_set(T->diag, 0, 0, "out of memory");
		return NULL;
	}
	for (int i = 0; i < nargs; i++) {
		struct argctx ac = { b->name, i + 1 };

		if (!tc_arg(T, args[i], b->args[i], &n->args[i], &ac))
			return NULL;
	}
	if (b->check) {
		const char *err = b->check(n);

		if (err) {
			diag_set(T->diag, head->line, head->col, "'%s': %s", b->name, err);
			return NULL;
		}
	}
	return n;
}

/* def applied to args (at least its parameters): its body with them in
 * place, applied to the arguments beyond (f x = ...; f 1 2) */
static struct ast *expand(struct tc *T, const struct ast *head, const struct ast *def,
			  struct ast **args, int nargs)
{
	struct ast *body = subst(T, def->a, def, args);

	for (int i = def->nitems; body && i < nargs; i++) {
		struct ast *app = calloc(1, sizeof(*app));
		struct ast *arg = subst(T, args[i], NULL, NULL);

		if (!app || !arg) {
			if (!app)
				diag_set(T->diag, 0, 0, "out of memory");
			free(app);
			ast_free(arg);
			ast_free(body);
			return NULL;
		}
		app->kind = A_APP;
		app->line = head->line;
		app->col = head->col;
		app->a = body;
		app->b = arg;
		app->height = 1 + (body->height > arg->height ? body->height : arg->height);
		body = app;
		if (body->height > LANG_MAX_DEPTH) {
			diag_set(T->diag, head->line, head->col, "program nested too deeply once "
				 "definitions are expanded (more than %d levels)", LANG_MAX_DEPTH);
			ast_free(body);
			return NULL;
		}
	}
	return body;
}

/* (the frames of tc_expr, tc_builtin and tc_arg are on the stack once per
 * level of the program: nothing big in them) */
static struct node *tc_expr(struct tc *T, struct ast *e, enum lt want)
{
	struct ast **args = NULL;
	const struct ast *head;
	struct node *n = NULL;
	int nargs, count = 0;

	if (++T->depth > LANG_MAX_DEPTH) {
		diag_set(T->diag, e->line, e->col, "program nested too deeply (more than %d levels, "
			 "counting the definitions being expanded)", LANG_MAX_DEPTH);
		goto out;
	}
	if (e->kind == A_IF) {
		struct ast *parts[3] = { e->a, e->b, e->c };

		n = tc_builtin(T, e, B_CONDITIONAL, parts, 3, want);
		goto out;
	}
	if (e->kind != A_VAR && e->kind != A_APP) {
		diag_set(T->diag, e->line, e->col, "expected a %s, found %s", lt_name(want),
			 describe(T, e));
		goto out;
	}
	for (const struct ast *x = e; x->kind == A_APP; x = x->a)
		count++;
	if (count > 64) {
		diag_set(T->diag, e->line, e->col, "too many arguments");
		goto out;
	}
	args = malloc((size_t)(count + 1) * sizeof(*args));
	if (!args) {
		diag_set(T->diag, 0, 0, "out of memory");
		goto out;
	}
	head = spine(e, args, &nargs);
	if (head->kind != A_VAR) {
		diag_set(T->diag, head->line, head->col, "%s cannot be applied to arguments",
			 describe(T, head));
		goto out;
	}
	struct ast *def = find_def(T, head->name);

	if (def) {
		if (nargs < def->nitems) {
			diag_set(T->diag, head->line, head->col, "'%s' takes %d argument%s, given %d",
				 def->name, def->nitems, def->nitems == 1 ? "" : "s", nargs);
			goto out;
		}
		/* (no definition is recursive: lang_typecheck made sure) */
		struct ast *body = expand(T, head, def, args, nargs);

		free(args);
		args = NULL;
		if (body) {
			n = tc_expr(T, body, want);
			ast_free(body);
		}
	} else {
		int fid = builtin_find(head->name);

		if (fid < 0) {
			const char *sg = builtin_suggest(head->name);

			diag_set(T->diag, head->line, head->col, "unknown function '%s'%s%s%s",
				 head->name, sg ? " (did you mean '" : "", sg ? sg : "", sg ? "'?)" : "");
			goto out;
		}
		n = tc_builtin(T, head, fid, args, nargs, want);
	}
out:
	free(args);
	T->depth--;
	return n;
}

/* ---- recursion: a definition that uses itself, through others or not ---- */

struct refs {
	int *to; /* definitions used by each definition, as indexes */
	int n, cap;
};

/* the definitions e names (but the parameters of def, which hide them) */
static bool collect(struct tc *T, const struct ast *e, const struct ast *def, struct refs *r)
{
	if (!e)
		return true;
	if (e->kind == A_VAR) {
		for (int i = 0; i < def->nitems; i++)
			if (!strcmp(def->items[i]->name, e->name))
				return true;
		int k = def_index(T, e->name);

		if (k < 0)
			return true;
		if (r->n == r->cap) {
			int cap = r->cap ? 2 * r->cap : 8, *to = realloc(r->to, (size_t)cap * sizeof(*to));

			if (!to)
				return false;
			r->to = to;
			r->cap = cap;
		}
		r->to[r->n++] = k;
		return true;
	}
	if (!collect(T, e->a, def, r) || !collect(T, e->b, def, r) || !collect(T, e->c, def, r))
		return false;
	for (int i = 0; i < e->nitems; i++)
		if (!collect(T, e->items[i], def, r))
			return false;
	return true;
}

/* the cycle stack[from..top] -> stack[from], as "f -> g -> f" */
static void say_cycle(struct tc *T, const int *stack, int from, int top)
{
	const struct ast *d = T->defs[stack[from]];
	char path[300] = "";
	size_t n = 0;

	for (int k = from; k <= top + 1 && n < sizeof(path); k++) {
		const char *nm = T->defs[stack[k <= top ? k : from]]->name;

		if (n + strlen(nm) + 8 >= sizeof(path)) {
			snprintf(path + n, sizeof(path) - n, " -> ...");
			break;
		}
		n += (size_t)snprintf(path + n, sizeof(path) - n, "%s%s", k > from ? " -> " : "", nm);
	}
	diag_set(T->diag, d->line, d->col, "'%s' is recursive (%s): definitions cannot call "
		 "themselves", d->name, path);
}

/* 0, or -1 (T->diag says why): walking the uses of each definition depth
 * first, one met again while its own uses are being walked calls itself */
static int check_recursion(struct tc *T)
{
	int n = T->ndefs, rc = 0;
	struct refs *uses = calloc((size_t)n + 1, sizeof(*uses));
	int *stack = calloc((size_t)n + 1, sizeof(int)), *next = calloc((size_t)n + 1, sizeof(int));
	char *state = calloc((size_t)n + 1, 1); /* 0 not seen, 1 being walked, 2 done */

	if (!uses || !stack || !next || !state)
		rc = -1;
	for (int k = 0; !rc && k < n; k++)
		if (!collect(T, T->defs[k]->a, T->defs[k], &uses[k]))
			rc = -1;
	if (rc)
		diag_set(T->diag, 0, 0, "out of memory");
	for (int root = 0; !rc && root < n; root++) {
		int top = 0;

		if (state[root])
			continue;
		stack[0] = root;
		next[0] = 0;
		state[root] = 1;
		while (top >= 0 && !rc) {
			int k = stack[top];

			if (next[top] == uses[k].n) {
				state[k] = 2;
				top--;
				continue;
			}
			int d = uses[k].to[next[top]++];

			if (state[d] == 1) {
				int from = top;

				while (stack[from] != d)
					from--;
				say_cycle(T, stack, from, top);
				rc = -1;
			} else if (!state[d]) {
				stack[++top] = d;
				next[top] = 0;
				state[d] = 1;
			}
		}
	}
	for (int k = 0; uses && k < n; k++)
		free(uses[k].to);
	free(uses);
	free(stack);
	free(next);
	free(state);
	return rc;
}

struct node *lang_typecheck(struct pfq_lang_program *p, struct ast *main_expr,
			    struct ast **defs, int ndefs, struct pfq_lang_diag *diag)
{
	struct tc T = { .prog = p, .defs = defs, .ndefs = ndefs, .diag = diag };
	const struct ast *e = resolve_const(&T, main_expr);

	if (e->kind == A_VAR || e->kind == A_APP) {
		/* a clearer message for a main that is not a function */
		struct ast *args[64];
		int nargs = 0, count = 0;

		for (const struct ast *x = e; x->kind == A_APP; x = x->a)
			count++;
		if (count <= 64) {
			const struct ast *h = spine(e, args, &nargs);
			int fid = h->kind == A_VAR && !find_def(&T, h->name) ? builtin_find(h->name) : -1;

			if (fid >= 0 && pfq_builtins[fid].result != LT_FUN) {
				diag_set(diag, h->line, h->col, "the program must be a NetFunction, found "
					 "'%s' (a %s)%s", h->name, lt_name(pfq_builtins[fid].result),
					 pfq_builtins[fid].result == LT_PRED ? "; did you mean 'filter (...)'?" : "");
				return NULL;
			}
		}
	}
	if (check_recursion(&T) < 0)
		return NULL;
	return tc_expr(&T, main_expr, LT_FUN);
}
