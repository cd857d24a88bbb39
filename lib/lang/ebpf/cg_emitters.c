/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every builtin's eBPF emitter, by id (builtins.def): the table the code
 * generator dispatches through. Each emitter file registers its own
 * (CG_FUN, CG_PRED, CG_PROP); a builtin that has none does not link.
 */
#include "cg-emit.h"

#include <stdarg.h>
#include <stdio.h>

#define B(id) extern const struct cg_emitter cg_emit_##id;
#include "../builtins.def"
#undef B

static const struct cg_emitter *const emitters[B_COUNT] = {
#define B(id) [B_##id] = &cg_emit_##id,
#include "../builtins.def"
#undef B
};

int cg_error(struct cg *cg, const char *fmt, ...)
{
	va_list ap;

	if (cg->err[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(cg->err, sizeof(cg->err), fmt, ap);
	va_end(ap);
	return -1;
}

int cg_emitters_check(char *err, size_t errlen)
{
	for (int id = 0; id < B_COUNT; id++) {
		const struct builtin *b = &pfq_builtins[id];
		const struct cg_emitter *e = emitters[id];
		bool ok = b->result == LT_FUN ? e->fun && !e->pred && !e->prop :
			  b->result == LT_PRED ? e->pred && !e->fun && !e->prop :
						 e->prop && !e->fun && !e->pred;

		if (!ok || (b->twin && (b->result != LT_FUN || !emitters[b->twin]->pred))) {
			snprintf(err, errlen, "'%s' (id %d): its eBPF emitter is not a %s", b->name,
				 id, lt_name(b->result));
			return -1;
		}
	}
	return 0;
}

/* the instructions each function of the program (with what it calls)
 * accounts for, to name the largest part of a program too large */
static void count(struct cg *cg, const struct node *n, int from)
{
	if (cg->node_insns)
		cg->node_insns[n->id] += cg->e.n - from;
	/* stopped at the limit: the outermost function that compiles an
	 * argument twice is where the size comes from */
	if (cg->e.oom && (pfq_builtins[n->fid].fx & FX_TWICE))
		cg->too_large_at = n;
}

void cg_fun(struct cg *cg, const struct node *n)
{
	int from = cg->e.n;

	if (!cg->e.oom) {
		int done = L();

		emitters[n->fid]->fun(cg, n, done);
		BIND(done);
	}
	count(cg, n, from);
}

void cg_pred_as(struct cg *cg, const struct node *n, int id, int yes, int no)
{
	/* too large (xor compiles its second operand twice): give up fast */
	if (!cg->e.oom)
		emitters[id]->pred(cg, n, yes, no);
}

void cg_pred(struct cg *cg, const struct node *n, int yes, int no)
{
	int from = cg->e.n;

	cg_pred_as(cg, n, n->fid, yes, no);
	count(cg, n, from);
}

void cg_prop(struct cg *cg, const struct node *n, int absent)
{
	emitters[n->fid]->prop(cg, n, absent);
}
