/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PFQ/lang internals: types, syntax tree, the function catalogue. */
#ifndef PFQ_LANG_INT_H
#define PFQ_LANG_INT_H

#include <pfq/lang.h>
#include "../shared.h"

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

/* every builtin's id: its row in pfq_builtins (builtins.def) */
enum builtin_id {
#define B(id) B_##id,
#include "builtins.def"
#undef B
	B_COUNT
};

/* the IP header fields a function reads (LF_*), so that only those are
 * decoded */
#define LF_PROTO 1u  /* protocol / next header */
#define LF_FRAG 2u   /* fragment flags and offset */
#define LF_ADDR 4u   /* addresses */
#define LF_MISC 8u   /* TOS, total length, id, TTL */
#define LF_PORTS 16u /* TCP/UDP ports */
#define LF_TRANSPORT (LF_PROTO | LF_FRAG)           /* is the transport header there */
#define LF_FLOW (LF_PROTO | LF_FRAG | LF_ADDR | LF_PORTS) /* and what a flow is */

/* what a function does besides deciding the fate (FX_*) */
#define FX_TC 1u         /* forwarding or the host stack: needs the TC program */
#define FX_MARK 2u       /* reads the packet mark */
#define FX_STATE 4u      /* reads the computation state */
#define FX_LOG 8u        /* writes to the log */
#define FX_NO_FAST 16u   /* reads bytes the eBPF fast decoding does not keep (MAC
			  * addresses, fields at any offset, EtherTypes by name) */
#define FX_PER_PACKET 32u /* steers packets, not flows: no flow memory */
#define FX_TWICE 64u     /* compiles an argument twice (xor): where a too large
			  * program's size comes from */
#define FX_STEER 128u    /* steers (or drops) */
#define FX_BROADCAST 256u /* ... or may broadcast (a broadcast address, SIP) */
#define FX_DOUBLE 512u   /* ... or may double-steer */

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
	fun_impl fun;       /* the interpreter's entry, by result type */
	pred_impl pred;
	prop_impl prop;
	check_impl check;
	const char *doc;
	/* facts for the back ends */
	uint8_t depth;      /* how deep it looks: 0, 2 (Ethernet, VLAN), 3 (IP), 4 (transport) */
	uint8_t fields;     /* LF_*: the IP header fields it reads (depth 3 and 4) */
	uint16_t fx;        /* FX_* */
	uint16_t twin;      /* a filter: the predicate of the same meaning (0: none) */
	uint32_t konst;     /* a constant of the function (is_eth_*: the EtherType) */
};

extern const struct builtin pfq_builtins[B_COUNT];
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
