/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PFQ/lang lexer and parser: source text to a syntax tree.
 *
 * A program is a single expression, or a module of definitions
 * (`name params = expr`, each starting in column 1, continued on indented
 * lines) with `main`. `import` lines and type signatures (`name :: T`) are
 * accepted and skipped.
 */
#include "lang-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind { T_EOF, T_IDENT, T_INT, T_STR, T_OP, T_TICK, T_LP, T_RP, T_LB, T_RB, T_COMMA };

struct tok {
	enum tok_kind k;
	int line, col;
	char *text;     /* IDENT, STR, OP, TICK */
	uint64_t ival;
	bool neg;
};

struct lexer {
	const char *s;
	size_t i;
	int line, col;
	struct tok *toks;
	int n, cap;
	struct pfq_lang_diag *diag;
	bool failed;
};

static const char *known_modules[] = {
	"Network.PFQ", "Network.PFQ.Lang", "Network.PFQ.Lang.Default",
	"Network.PFQ.Lang.Experimental", "Network.PFQ.Lang.Prelude", "Network.PFQ.Types",
	"Prelude", "Data.Bits", "Data.Monoid", NULL };

void diag_set(struct pfq_lang_diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	if (!d || d->msg[0])
		return; /* keep the first error */
	d->line = line;
	d->col = col;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

static void warn(struct pfq_lang_diag *d, int line, const char *fmt, const char *arg)
{
	size_t l;

	if (!d)
		return;
	l = strlen(d->warnings);
	if (l + 2 >= sizeof(d->warnings))
		return;
	l += (size_t)snprintf(d->warnings + l, sizeof(d->warnings) - l, "line %d: ", line);
	if (l < sizeof(d->warnings))
		snprintf(d->warnings + l, sizeof(d->warnings) - l, fmt, arg);
	l = strlen(d->warnings);
	if (l + 1 < sizeof(d->warnings))
		strcat(d->warnings, "\n");
}

static int peekc(struct lexer *L, size_t k)
{
	return (unsigned char)L->s[L->i + k];
}

static void adv(struct lexer *L)
{
	if (L->s[L->i] == '\n') {
		L->line++;
		L->col = 1;
	} else {
		L->col++;
	}
	L->i++;
}

static struct tok *push(struct lexer *L, enum tok_kind k, int line, int col)
{
	if (L->n == L->cap) {
		int cap = L->cap ? L->cap * 2 : 64;
		struct tok *t = realloc(L->toks, (size_t)cap * sizeof(*t));

		if (!t) {
			diag_set(L->diag, line, col, "out of memory");
			L->failed = true;
			return NULL;
		}
		L->toks = t;
		L->cap = cap;
	}
	struct tok *t = &L->toks[L->n++];

	memset(t, 0, sizeof(*t));
	t->k = k;
	t->line = line;
	t->col = col;
	return t;
}

static bool is_sym(int c)
{
	return c && strchr(".|^&<>=/$:-!+*~%", c) != NULL;
}

static bool ends_atom(const struct lexer *L)
{
	if (L->n == 0)
		return false;
	enum tok_kind k = L->toks[L->n - 1].k;

	return k == T_IDENT || k == T_INT || k == T_STR || k == T_RP || k == T_RB;
}

static char *dup_range(const char *s, size_t n)
{
	char *r = malloc(n + 1);

	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* room for element n of array p (elements of size bytes) appended one at a
 * time: p itself, or p grown (NULL when out of memory; p is left as it was).
 * The room doubles at each power of two, so that a list of a hundred
 * thousand items is not copied a hundred thousand times. */
static void *grown(void *p, int n, size_t size)
{
	if (n & (n - 1))
		return p; /* not a power of two: there is room */
	return realloc(p, (size_t)(n ? 2 * n : 1) * size);
}

/* skip blanks and comments ("--" to end of line, nested "{- -}") */
static void skip_space(struct lexer *L)
{
	for (;;) {
		int c = peekc(L, 0);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			adv(L);
		} else if (c == '-' && peekc(L, 1) == '-' && !is_sym(peekc(L, 2))) {
			while (peekc(L, 0) && peekc(L, 0) != '\n')
				adv(L);
		} else if (c == '-' && peekc(L, 1) == '-' && peekc(L, 2) == '-') {
			while (peekc(L, 0) && peekc(L, 0) != '\n')
				adv(L);
		} else if (c == '{' && peekc(L, 1) == '-') {
			int depth = 0, line = L->line, col = L->col;

			do {
				if (!peekc(L, 0)) {
					diag_set(L->diag, line, col, "unterminated block comment '{-'");
					L->failed = true;
					return;
				}
				if (peekc(L, 0) == '{' && peekc(L, 1) == '-') {
					depth++;
					adv(L);
				} else if (peekc(L, 0) == '-' && peekc(L, 1) == '}') {
					depth--;
					adv(L);
				}
				adv(L);
			} while (depth > 0);
		} else {
			return;
		}
	}
}

/* "import M" at the start of a line: check the module name, skip the line */
static bool lex_import(struct lexer *L)
{
	if (L->col != 1 || strncmp(L->s + L->i, "import", 6) != 0 ||
	    !isspace((unsigned char)L->s[L->i + 6]))
		return false;
	int line = L->line;
	size_t start;

	for (int k = 0; k < 6; k++)
		adv(L);
	while (peekc(L, 0) == ' ' || peekc(L, 0) == '\t')
		adv(L);
	if (strncmp(L->s + L->i, "qualified", 9) == 0 && isspace((unsigned char)L->s[L->i + 9])) {
		for (int k = 0; k < 9; k++)
			adv(L);
		while (peekc(L, 0) == ' ' || peekc(L, 0) == '\t')
			adv(L);
	}
	start = L->i;
	while (peekc(L, 0) && !isspace(peekc(L, 0)))
		adv(L);
	char *mod = dup_range(L->s + start, L->i - start);
	bool known = false;

	for (int k = 0; mod && known_modules[k]; k++)
		known |= strcmp(mod, known_modules[k]) == 0;
	if (mod && !known)
		warn(L->diag, line, "unknown module '%s' in import (ignored)", mod);
	free(mod);
	while (peekc(L, 0) && peekc(L, 0) != '\n')
		adv(L);
	return true;
}

static bool lex_number(struct lexer *L, bool neg, int line, int col)
{
	uint64_t v = 0;
	int base = 10, digits = 0;
	bool overflow = false;

	if (peekc(L, 0) == '0' && (peekc(L, 1) == 'x' || peekc(L, 1) == 'X')) {
		base = 16;
		adv(L);
		adv(L);
	}
	for (;;) {
		int c = peekc(L, 0), d;

		if (c == '_' && digits) {
			adv(L);
			continue;
		}
		if (isdigit(c))
			d = c - '0';
		else if (base == 16 && isxdigit(c))
			d = tolower(c) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			overflow = true;
		v = v * (uint64_t)base + (uint64_t)d;
		digits++;
		adv(L);
	}
	if (!digits || isalpha(peekc(L, 0))) {
		diag_set(L->diag, line, col, "malformed number");
		return false;
	}
	if (overflow) {
		diag_set(L->diag, line, col, "number too large (max 18446744073709551615)");
		return false;
	}
	struct tok *t = push(L, T_INT, line, col);

	if (!t)
		return false;
	t->ival = neg ? (uint64_t)(-(int64_t)v) : v;
	t->neg = neg && v != 0;
	if (neg && v > (uint64_t)INT64_MAX + 1) {
		diag_set(L->diag, line, col, "number too small");
		return false;
	}
	return true;
}

static bool lex_string(struct lexer *L, int line, int col)
{
	char buf[1024];
	size_t n = 0;

	adv(L); /* opening quote */
	for (;;) {
		int c = peekc(L, 0);

		if (!c || c == '\n') {
			diag_set(L->diag, line, col, "unterminated string literal");
			return false;
		}
		adv(L);
		if (c == '"')
			break;
		if (c == '\\') {
			int e = peekc(L, 0);

			if (!e) {
				diag_set(L->diag, line, col, "unterminated string literal");
				return false;
			}
			adv(L);
			c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
		}
		if (n + 1 >= sizeof(buf)) {
			diag_set(L->diag, line, col, "string literal longer than %zu bytes",
				 sizeof(buf) - 1);
			return false;
		}
		buf[n++] = (char)c;
	}
	struct tok *t = push(L, T_STR, line, col);

	if (!t)
		return false;
	t->text = dup_range(buf, n);
	return t->text != NULL;
}

static bool lex(struct lexer *L)
{
	for (;;) {
		skip_space(L);
		if (L->failed)
			return false;
		if (lex_import(L))
			continue;
		int c = peekc(L, 0), line = L->line, col = L->col;
		size_t start = L->i;

		if (!c) {
			return push(L, T_EOF, line, col) != NULL;
		} else if (isalpha(c) || c == '_') {
			while (isalnum(peekc(L, 0)) || peekc(L, 0) == '_' || peekc(L, 0) == '\'')
				adv(L);
			struct tok *t = push(L, T_IDENT, line, col);

			if (!t || !(t->text = dup_range(L->s + start, L->i - start)))
				return false;
		} else if (isdigit(c)) {
			if (!lex_number(L, false, line, col))
				return false;
		} else if (c == '-' && isdigit(peekc(L, 1)) && !ends_atom(L)) {
			adv(L);
			if (!lex_number(L, true, line, col))
				return false;
		} else if (c == '"') {
			if (!lex_string(L, line, col))
				return false;
		} else if (c == '`') {
			adv(L);
			while (isalnum(peekc(L, 0)) || peekc(L, 0) == '_')
				adv(L);
			if (peekc(L, 0) != '`' || L->i == start + 1) {
				diag_set(L->diag, line, col, "expected `name` (a function name between backquotes)");
				return false;
			}
			struct tok *t = push(L, T_TICK, line, col);

			if (!t || !(t->text = dup_range(L->s + start + 1, L->i - start - 1)))
				return false;
			adv(L);
		} else if (strchr("()[],", c)) {
			adv(L);
			if (!push(L, c == '(' ? T_LP : c == ')' ? T_RP : c == '[' ? T_LB :
				      c == ']' ? T_RB : T_COMMA, line, col))
				return false;
		} else if (is_sym(c)) {
			while (is_sym(peekc(L, 0)))
				adv(L);
			struct tok *t = push(L, T_OP, line, col);

			if (!t || !(t->text = dup_range(L->s + start, L->i - start)))
				return false;
		} else {
			diag_set(L->diag, line, col, "unexpected character '%c'",
				 isprint(c) ? c : '?');
			return false;
		}
	}
}

/* ---------------- parser ---------------- */

struct parser {
	struct tok *t;
	int i, end; /* tokens [i, end) form the current declaration */
	struct pfq_lang_diag *diag;
	int depth;
};

/* parse_expr calls nested (one per parenthesis, `$`, if, list): between
 * two, parse_binary recurses once per precedence level at most */
#define MAX_DEPTH LANG_MAX_DEPTH

static struct tok *cur(struct parser *P)
{
	static struct tok eof = { .k = T_EOF };

	if (P->i >= P->end) {
		eof.line = P->t[P->end].line;
		eof.col = P->t[P->end].col;
		return &eof;
	}
	return &P->t[P->i];
}

static const char *describe(const struct tok *t)
{
	static char buf[96];

	switch (t->k) {
	case T_EOF: return "end of input";
	case T_IDENT: snprintf(buf, sizeof(buf), "'%s'", t->text); return buf;
	case T_INT: return "a number";
	case T_STR: return "a string";
	case T_OP: snprintf(buf, sizeof(buf), "operator '%s'", t->text); return buf;
	case T_TICK: snprintf(buf, sizeof(buf), "`%s`", t->text); return buf;
	case T_LP: return "'('";
	case T_RP: return "')'";
	case T_LB: return "'['";
	case T_RB: return "']'";
	case T_COMMA: return "','";
	}
	return "?";
}

static struct ast *mk(enum ast_kind k, const struct tok *t)
{
	struct ast *a = calloc(1, sizeof(*a));

	if (a) {
		a->kind = k;
		a->line = t->line;
		a->col = t->col;
		a->height = 1;
	}
	return a;
}

void ast_free(struct ast *a)
{
	if (!a)
		return;
	free(a->name);
	ast_free(a->a);
	ast_free(a->b);
	ast_free(a->c);
	for (int i = 0; i < a->nitems; i++)
		ast_free(a->items[i]);
	free(a->items);
	free(a);
}

static struct ast *mk_var(const struct tok *t, const char *name)
{
	struct ast *a = mk(A_VAR, t);

	if (a && !(a->name = strdup(name))) {
		free(a);
		return NULL;
	}
	return a;
}

/* a node of P is one level above its highest child: refuse it (and what
 * it holds) past LANG_MAX_DEPTH, before any stage recurses over it */
static struct ast *bounded(struct parser *P, struct ast *a)
{
	if (a && a->height > LANG_MAX_DEPTH) {
		diag_set(P->diag, a->line, a->col, "expression nested too deeply (more than %d "
			 "levels)", LANG_MAX_DEPTH);
		ast_free(a);
		return NULL;
	}
	return a;
}

static int higher(const struct ast *a, const struct ast *b)
{
	int ha = a ? a->height : 0, hb = b ? b->height : 0;

	return 1 + (ha > hb ? ha : hb);
}

static struct ast *mk_app(struct parser *P, const struct tok *t, struct ast *f, struct ast *x)
{
	struct ast *a = mk(A_APP, t);

	if (!a || !f || !x) {
		free(a);
		ast_free(f);
		ast_free(x);
		return NULL;
	}
	a->a = f;
	a->b = x;
	a->height = higher(f, x);
	return bounded(P, a);
}

static bool is_kw(const struct tok *t, const char *kw)
{
	return t->k == T_IDENT && strcmp(t->text, kw) == 0;
}

static bool expect(struct parser *P, enum tok_kind k, const char *what)
{
	if (cur(P)->k != k) {
		diag_set(P->diag, cur(P)->line, cur(P)->col, "expected %s, found %s", what,
			 describe(cur(P)));
		return false;
	}
	P->i++;
	return true;
}

static struct ast *parse_expr(struct parser *P);

static bool starts_atom(const struct tok *t)
{
	return (t->k == T_IDENT && !is_kw(t, "then") && !is_kw(t, "else")) ||
	       t->k == T_INT || t->k == T_STR || t->k == T_LP || t->k == T_LB;
}

static struct ast *parse_atom(struct parser *P)
{
	struct tok *t = cur(P);
	struct ast *a;

	switch (t->k) {
	case T_INT:
		P->i++;
		a = mk(A_INT, t);
		if (a) {
			a->ival = t->ival;
			a->neg = t->neg;
		}
		return a;
	case T_STR:
		P->i++;
		a = mk(A_STR, t);
		if (a && !(a->name = strdup(t->text))) {
			free(a);
			return NULL;
		}
		return a;
	case T_LP:
		P->i++;
		if (cur(P)->k == T_OP && P->i + 1 < P->end && P->t[P->i + 1].k == T_RP) {
			/* (op): the operator as a prefix function */
			a = mk_var(cur(P), cur(P)->text);
			P->i += 2;
			return a;
		}
		a = parse_expr(P);
		if (a && !expect(P, T_RP, "')'")) {
			ast_free(a);
			return NULL;
		}
		return a;
	case T_LB: {
		P->i++;
		a = mk(A_LIST, t);
		if (!a)
			return NULL;
		while (cur(P)->k != T_RB) {
			if (a->nitems && !expect(P, T_COMMA, "',' or ']' in list"))
				goto bad_list;
			struct ast *it = parse_expr(P), **items;

			items = it ? grown(a->items, a->nitems, sizeof(*items)) : NULL;
			if (!items) {
				if (it)
					diag_set(P->diag, 0, 0, "out of memory");
				ast_free(it);
				goto bad_list;
			}
			a->items = items;
			a->items[a->nitems++] = it;
			if (it->height >= a->height)
				a->height = it->height + 1;
		}
		P->i++;
		return bounded(P, a);
bad_list:
		ast_free(a);
		return NULL;
	}
	case T_IDENT:
		if (is_kw(t, "CIDR")) {
			/* CIDR ("a.b.c.d", n) */
			P->i++;
			a = mk(A_CIDR, t);
			if (!a)
				return NULL;
			if (!expect(P, T_LP, "'(' after CIDR") || cur(P)->k != T_STR) {
				diag_set(P->diag, cur(P)->line, cur(P)->col,
					 "expected CIDR (\"address\", prefix), found %s", describe(cur(P)));
				ast_free(a);
				return NULL;
			}
			a->a = parse_atom(P);
			if (!a->a || !expect(P, T_COMMA, "',' in CIDR (address, prefix)") ||
			    cur(P)->k != T_INT) {
				diag_set(P->diag, cur(P)->line, cur(P)->col,
					 "expected a prefix length in CIDR, found %s", describe(cur(P)));
				ast_free(a);
				return NULL;
			}
			a->b = parse_atom(P);
			if (!a->b || !expect(P, T_RP, "')' closing CIDR")) {
				ast_free(a);
				return NULL;
			}
			a->height = 2;
			return a;
		}
		P->i++;
		return mk_var(t, t->text);
	default:
		diag_set(P->diag, t->line, t->col, "expected an expression, found %s", describe(t));
		return NULL;
	}
}

/* application: atom atom* ; `if` extends as far right as possible */
static struct ast *parse_app(struct parser *P)
{
	struct tok *t = cur(P);

	if (is_kw(t, "if")) {
		struct ast *a = mk(A_IF, t);

		P->i++;
		if (!a)
			return NULL;
		a->a = parse_expr(P);
		if (!a->a || !(is_kw(cur(P), "then") || (diag_set(P->diag, cur(P)->line,
			cur(P)->col, "expected 'then', found %s", describe(cur(P))), 0))) {
			ast_free(a);
			return NULL;
		}
		P->i++;
		a->b = parse_expr(P);
		if (!a->b || !(is_kw(cur(P), "else") || (diag_set(P->diag, cur(P)->line,
			cur(P)->col, "expected 'else', found %s", describe(cur(P))), 0))) {
			ast_free(a);
			return NULL;
		}
		P->i++;
		a->c = parse_expr(P);
		if (!a->c) {
			ast_free(a);
			return NULL;
		}
		a->height = 1 + (a->a->height > a->b->height ? a->a->height : a->b->height);
		if (a->c->height >= a->height)
			a->height = a->c->height + 1;
		return bounded(P, a);
	}
	struct ast *f = parse_atom(P);

	while (f && starts_atom(cur(P))) {
		struct tok *at = cur(P);

		f = mk_app(P, at, f, parse_atom(P));
	}
	return f;
}

struct opinfo {
	const char *op;
	int prec;
	char assoc;          /* 'l', 'r', 'n', or 'c': associative, see parse_chain */
	const char *name;    /* builtin it stands for */
	bool swap;           /* number on the left: swap the operands */
};

static const struct opinfo ops[] = {
	{ ">->", 1, 'c', ">->", false },
	{ ".||.", 5, 'c', ".||.", false },
	{ ".^^.", 6, 'l', ".^^.", false }, /* (its code has its second operand twice) */
	{ ".&&.", 7, 'c', ".&&.", false },
	{ ".<", 4, 'n', ".<", false }, { ".<=", 4, 'n', ".<=", false },
	{ ".==", 4, 'n', ".==", false }, { "./=", 4, 'n', "./=", false },
	{ ".>", 4, 'n', ".>", false }, { ".>=", 4, 'n', ".>=", false },
	/* "42 <. ip_ttl" reads as ip_ttl > 42: the dot marks the property */
	{ "<.", 4, 'n', ".>", true }, { "<=.", 4, 'n', ".>=", true },
	{ "==.", 4, 'n', ".==", true }, { "/=.", 4, 'n', "./=", true },
	{ ">.", 4, 'n', ".<", true }, { ">=.", 4, 'n', ".<=", true },
};

static const struct opinfo *find_op(const struct tok *t)
{
	static struct opinfo tick;

	if (t->k == T_TICK) {
		tick = (struct opinfo){ t->text, 4, 'n', t->text, false };
		return &tick;
	}
	if (t->k != T_OP)
		return NULL;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, t->text) == 0)
			return &ops[i];
	return NULL;
}

static struct ast *parse_binary(struct parser *P, int min_prec);

/* the operands items[lo, hi) of a chain, joined by the operators at the
 * token indexes at[] (at[k] precedes items[k]) into a balanced tree */
static struct ast *balance(struct parser *P, const struct opinfo *op, struct ast **items,
			   const int *at, int lo, int hi)
{
	if (hi - lo == 1)
		return items[lo];
	int mid = lo + (hi - lo) / 2;
	struct ast *l = balance(P, op, items, at, lo, mid);
	struct ast *r = balance(P, op, items, at, mid, hi);
	const struct tok *t = &P->t[at[mid]];

	return mk_app(P, t, mk_app(P, t, mk_var(t, op->name), l), r);
}

/*
 * A run of one associative operator (a .||. b .||. c ..., the same for .&&.
 * and >->) becomes a balanced tree with its operands in their order: the
 * meaning is the same whichever way it is grouped (the left operand is
 * evaluated first, the right one only when needed), and a long list of
 * alternatives (a thousand addresses) nests 10 levels deep instead of a
 * thousand.
 */
static struct ast *parse_chain(struct parser *P, const struct opinfo *op, struct ast *first)
{
	struct ast **items = NULL;
	int *at = NULL, n = 0, cap = 0;
	struct ast *r = NULL;
	bool oom = false;

	for (;;) {
		if (n == cap) {
			int ncap = cap ? 2 * cap : 8;
			struct ast **ni = realloc(items, (size_t)ncap * sizeof(*ni));
			int *na = ni ? realloc(at, (size_t)ncap * sizeof(*na)) : NULL;

			if (ni)
				items = ni;
			if (na)
				at = na;
			if (!ni || !na) {
				oom = true;
				break;
			}
			cap = ncap;
		}
		if (!n) {
			items[n++] = first;
			first = NULL;
			continue;
		}
		if (cur(P)->k != T_OP || strcmp(cur(P)->text, op->op) != 0) {
			r = balance(P, op, items, at, 0, n);
			oom = !r;
			n = 0; /* balance took them */
			break;
		}
		at[n] = P->i++;
		items[n] = parse_binary(P, op->prec + 1);
		if (!items[n])
			break;
		n++;
	}
	if (oom)
		diag_set(P->diag, 0, 0, "out of memory"); /* (unless there is an error already) */
	ast_free(first);
	for (int k = 0; k < n; k++)
		ast_free(items[k]);
	free(items);
	free(at);
	return r;
}

/* precedence climbing over the binary operators */
static struct ast *parse_binary(struct parser *P, int min_prec)
{
	struct ast *lhs = parse_app(P);

	while (lhs) {
		struct tok *t = cur(P);
		const struct opinfo *op = find_op(t);

		if (!op) {
			if (t->k == T_OP && strcmp(t->text, "$") != 0 && strcmp(t->text, "=") != 0 &&
			    strcmp(t->text, "::") != 0) {
				diag_set(P->diag, t->line, t->col, "unknown operator '%s' (operators: "
					 ">-> .||. .^^. .&&. .< .<= .== ./= .> .>= <. <=. ==. /=. >. >=. $)",
					 t->text);
				ast_free(lhs);
				return NULL;
			}
			break;
		}
		if (op->prec < min_prec)
			break;
		if (op->assoc == 'c') {
			lhs = parse_chain(P, op, lhs);
			continue;
		}
		P->i++;
		struct ast *rhs = parse_binary(P, op->assoc == 'r' ? op->prec : op->prec + 1);

		if (!rhs) {
			ast_free(lhs);
			return NULL;
		}
		struct ast *fn = mk_var(t, op->name);

		lhs = op->swap ? mk_app(P, t, mk_app(P, t, fn, rhs), lhs) :
				 mk_app(P, t, mk_app(P, t, fn, lhs), rhs);
		if (lhs && op->assoc == 'n') {
			const struct opinfo *next = find_op(cur(P));

			if (next && next->prec == op->prec) {
				diag_set(P->diag, cur(P)->line, cur(P)->col,
					 "'%s' cannot follow '%s' without parentheses (non-associative)",
					 next->op, op->op);
				ast_free(lhs);
				return NULL;
			}
		}
	}
	return lhs;
}

static struct ast *parse_expr(struct parser *P)
{
	struct ast *lhs;

	if (++P->depth > MAX_DEPTH) {
		diag_set(P->diag, cur(P)->line, cur(P)->col, "expression nested too deeply (more "
			 "than %d levels)", LANG_MAX_DEPTH);
		return NULL;
	}
	lhs = parse_binary(P, 0);
	/* f $ x: application with the lowest precedence, right-associative */
	if (lhs && cur(P)->k == T_OP && strcmp(cur(P)->text, "$") == 0) {
		struct tok *t = cur(P);

		P->i++;
		lhs = mk_app(P, t, lhs, parse_expr(P));
	}
	P->depth--;
	return lhs;
}

/* does the declaration at [i, end) look like "name params = ..."? */
static int def_eq_index(const struct parser *P, int i, int end)
{
	if (i >= end || P->t[i].k != T_IDENT)
		return -1;
	for (int k = i + 1; k < end; k++) {
		if (P->t[k].k == T_OP && strcmp(P->t[k].text, "=") == 0)
			return k;
		if (P->t[k].k != T_IDENT)
			return -1;
	}
	return -1;
}

static bool is_signature(const struct parser *P, int i, int end)
{
	return i + 1 < end && P->t[i].k == T_IDENT && P->t[i + 1].k == T_OP &&
	       strcmp(P->t[i + 1].text, "::") == 0;
}

static struct ast *parse_whole(struct parser *P, int from, int to)
{
	struct ast *a;

	P->i = from;
	P->end = to;
	a = parse_expr(P);
	if (a && P->i < P->end) {
		diag_set(P->diag, cur(P)->line, cur(P)->col, "unexpected %s after the expression",
			 describe(cur(P)));
		ast_free(a);
		return NULL;
	}
	return a;
}

/* definitions by name, then by place */
static int def_order(const void *x, const void *y)
{
	const struct ast *a = *(struct ast *const *)x, *b = *(struct ast *const *)y;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->line != b->line ? (a->line < b->line ? -1 : 1) : (a->col > b->col) - (a->col < b->col);
}

/*
 * Parse a program. Returns main's expression; *defs gets the definitions,
 * sorted by name, as A_VAR nodes named after the definition, with ->items =
 * parameters (A_VAR) and ->a = body.
 */
struct ast *lang_parse(const char *src, struct pfq_lang_diag *diag,
		       struct ast ***defs_out, int *ndefs_out)
{
	struct lexer L = { .s = src, .line = 1, .col = 1, .diag = diag };
	struct parser P = { .diag = diag };
	struct ast *main_expr = NULL, **defs = NULL;
	int ndefs = 0, ntok;

	*defs_out = NULL;
	*ndefs_out = 0;
	if (!lex(&L))
		goto out;
	ntok = L.n - 1; /* without EOF */
	P.t = L.toks;
	if (ntok == 0) {
		diag_set(diag, 1, 1, "empty program (expected an expression or 'main = ...')");
		goto out;
	}
	/* expression program unless the first declaration is a definition */
	int first = 0;

	while (first < ntok && is_signature(&P, first, ntok)) {
		first++;
		while (first < ntok && P.t[first].col != 1)
			first++;
	}
	if (first == ntok || def_eq_index(&P, first, ntok) < 0) {
		main_expr = parse_whole(&P, 0, ntok);
		goto out;
	}
	for (int i = first; i < ntok;) {
		int end = i + 1;

		while (end < ntok && P.t[end].col != 1)
			end++;
		if (is_signature(&P, i, end)) {
			i = end;
			continue;
		}
		int eq = def_eq_index(&P, i, end);

		if (eq < 0) {
			diag_set(diag, P.t[i].line, P.t[i].col,
				 "expected a definition 'name = expression' at the start of the line "
				 "(continuation lines must be indented)");
			goto fail;
		}
		struct ast *d = mk_var(&P.t[i], P.t[i].text), **nd;

		nd = d ? grown(defs, ndefs, sizeof(*defs)) : NULL;
		if (!nd) {
			ast_free(d);
			diag_set(diag, 0, 0, "out of memory");
			goto fail;
		}
		defs = nd;
		defs[ndefs++] = d;
		for (int k = i + 1; k < eq; k++) {
			struct ast **pi = grown(d->items, d->nitems, sizeof(*pi));

			if (!pi) {
				diag_set(diag, 0, 0, "out of memory");
				goto fail;
			}
			d->items = pi;
			d->items[d->nitems] = mk_var(&P.t[k], P.t[k].text);
			if (!d->items[d->nitems]) {
				diag_set(diag, 0, 0, "out of memory");
				goto fail;
			}
			d->nitems++;
		}
		if (eq + 1 >= end) {
			diag_set(diag, P.t[eq].line, P.t[eq].col, "expected an expression after '='");
			goto fail;
		}
		d->a = parse_whole(&P, eq + 1, end);
		if (!d->a)
			goto fail;
		i = end;
	}
	/* sorted by name (the type checker looks them up by halving), so a
	 * name defined twice is two neighbours */
	qsort(defs, (size_t)ndefs, sizeof(*defs), def_order);
	for (int k = 0; k + 1 < ndefs; k++)
		if (strcmp(defs[k]->name, defs[k + 1]->name) == 0) {
			diag_set(diag, defs[k + 1]->line, defs[k + 1]->col, "'%s' is defined twice "
				 "(first on line %d)", defs[k]->name, defs[k]->line);
			goto fail;
		}
	for (int k = 0; k < ndefs; k++)
		if (strcmp(defs[k]->name, "main") == 0) {
			if (defs[k]->nitems) {
				diag_set(diag, defs[k]->line, defs[k]->col, "'main' takes no parameters");
				goto fail;
			}
			main_expr = defs[k]->a;
			defs[k]->a = NULL;
			ast_free(defs[k]);
			memmove(&defs[k], &defs[k + 1], (size_t)(ndefs - k - 1) * sizeof(*defs));
			ndefs--;
			break;
		}
	if (!main_expr) {
		diag_set(diag, 1, 1, "no 'main' definition (a module needs 'main = expression')");
		goto fail;
	}
	*defs_out = defs;
	*ndefs_out = ndefs;
	goto out;
fail:
	for (int k = 0; k < ndefs; k++)
		ast_free(defs[k]);
	free(defs);
	main_expr = NULL;
out:
	for (int k = 0; k < L.n; k++)
		free(L.toks[k].text);
	free(L.toks);
	return main_expr;
}
