/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PFQ/lang internals: types, syntax tree, the function catalogue. */
#ifndef PFQ_LANG_INT_H
#define PFQ_LANG_INT_H

#include <pfq/lang.h>

#include <stdbool.h>
#include <stdint.h>

/* ---- types ---- */
enum lt {
	LT_NONE = 0,
	LT_FUN,   /* NetFunction: Qbuff -> Action Qbuff */
	LT_PRED,  /* NetPredicate */
	LT_PROP,  /* NetProperty */
	LT_INT,   /* CInt */
	LT_W8, LT_W16, LT_W32, LT_W64,
	LT_STR,   /* free text (log_msg) */
	LT_DEV,   /* device name */
	LT_MAC,   /* "aa:bb:cc:dd:ee:ff" */
	LT_IPV4,  /* "a.b.c.d" */
	LT_CIDR,  /* "a.b.c.d/n" or CIDR ("a.b.c.d", n) */
	LT_LIST_INT,
	LT_LIST_DEV,
	LT_LIST_IPV4,
};

const char *lt_name(enum lt t);

/* ---- syntax tree (before and after type checking) ---- */
enum ast_kind {
	A_VAR,   /* name (function, definition or parameter) */
	A_APP,   /* fn arg */
	A_INT,
	A_STR,
	A_LIST,
	A_CIDR,  /* CIDR ("addr", n) */
	A_IF,    /* if p then f else g */
};

/* Nesting of a program: its syntax tree, and its functions once the
 * definitions are expanded, are at most this deep. Every stage (parser,
 * type checker, interpreter, both code generators, dumps) recurses over
 * them, within one 1 MB stack (tested in a thread of that size). Chains
 * of .||. .&&. >-> nest only log2(n) deep (parse.c). */
#define LANG_MAX_DEPTH 500

struct ast {
	enum ast_kind kind;
	int line, col;
	int height;          /* 1 + the height of the highest child */
	char *name;          /* A_VAR, A_STR (text) */
	uint64_t ival;       /* A_INT (two's complement when neg) */
	bool neg;            /* A_INT literal was negative */
	struct ast *a, *b, *c; /* A_APP: a=fn b=arg; A_IF: a,b,c; A_CIDR: a=str b=int */
	struct ast **items;  /* A_LIST */
	int nitems;
};

/* ---- typed program (what the interpreter and code generators run) ---- */
struct cidr {
	uint32_t addr; /* network order, already masked */
	uint32_t mask; /* network order */
	int prefix;
};

struct bloom {
	uint32_t mbits; /* power of two */
	uint32_t mask;  /* host-order prefix mask */
	uint8_t *bits;
};

struct node;

/* an argument after type checking */
struct arg {
	enum lt type;
	struct node *fn;    /* LT_FUN / LT_PRED / LT_PROP */
	uint64_t u;         /* numbers */
	int64_t i;          /* LT_INT */
	char *s;            /* LT_STR, LT_DEV, LT_MAC (text) */
	uint8_t mac[6];
	uint32_t ip;        /* LT_IPV4, network order */
	struct cidr cidr;
	int64_t *ints; int nints;     /* LT_LIST_INT */
	char **strs; int nstrs;       /* LT_LIST_DEV */
	uint32_t *ips; int nips;      /* LT_LIST_IPV4 */
};

#define MAX_ARGS 8

struct node {
	int fid;             /* index in the catalogue */
	enum lt type;        /* result type */
	int line, col;
	int nargs;
	struct arg args[MAX_ARGS];
	void *extra;         /* per-function data (bloom table, vlan set) */
	int id;              /* numbering for dumps and code generation */
};

/* ---- the catalogue ---- */
struct pctx;
typedef void (*fun_impl)(struct pctx *c, const struct node *n);
typedef bool (*pred_impl)(struct pctx *c, const struct node *n);
typedef bool (*prop_impl)(struct pctx *c, const struct node *n, uint64_t *v);
/* extra validation after the arguments are typed; returns an error text */
typedef const char *(*check_impl)(struct node *n);

struct builtin {
	const char *name;
	enum lt result;
	int nargs;
	enum lt args[MAX_ARGS];
	fun_impl fun;
	pred_impl pred;
	prop_impl prop;
	check_impl check;
	const char *doc;
};

extern const struct builtin pfq_builtins[];
extern const int pfq_nbuiltins;
int builtin_find(const char *name);
const char *builtin_suggest(const char *name);

struct pfq_lang_program {
	struct node *main;
	struct node **nodes; /* all nodes, for freeing and dumping */
	int nnodes, capnodes;
};

/* parse.c */
struct ast *lang_parse(const char *src, struct pfq_lang_diag *diag,
		       struct ast ***defs, int *ndefs);
void ast_free(struct ast *a);

/* typecheck.c */
struct node *lang_typecheck(struct pfq_lang_program *p, struct ast *main,
			    struct ast **defs, int ndefs, struct pfq_lang_diag *diag);
void node_free_all(struct pfq_lang_program *p);

/* diagnostics */
void diag_set(struct pfq_lang_diag *d, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
