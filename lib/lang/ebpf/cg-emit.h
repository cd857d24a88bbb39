/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The eBPF emitters of the catalogue's functions, one per builtin id:
 * cg_preds.c (predicates and properties), cg_funs.c (functions); the table
 * that collects them is in cg_emitters.c. A function updates the decision in
 * place (and may jump to done when it is finished early); a predicate jumps
 * to yes or no; a property leaves its value in r0, or jumps to absent.
 */
#ifndef PFQ_LANG_CG_EMIT_H
#define PFQ_LANG_CG_EMIT_H

#include "cg-int.h"

struct cg_emitter {
	void (*fun)(struct cg *cg, const struct node *n, int done);
	void (*pred)(struct cg *cg, const struct node *n, int yes, int no);
	void (*prop)(struct cg *cg, const struct node *n, int absent);
};

/* Register the emitter of builtin B_<id> (at the end of an emitter file). A
 * builtin of builtins.def without one does not link. */
#define CG_FUN(id, fn) const struct cg_emitter cg_emit_##id = { .fun = fn };
#define CG_PRED(id, fn) const struct cg_emitter cg_emit_##id = { .pred = fn };
#define CG_PROP(id, fn) const struct cg_emitter cg_emit_##id = { .prop = fn };

/* predicate id (not necessarily n's own: a filter's twin) over node n */
void cg_pred_as(struct cg *cg, const struct node *n, int id, int yes, int no);

/* building blocks of cg_preds.c the functions use too */
void cg_field_eq(struct cg *cg, int16_t f, int32_t v, int yes, int no);
void cg_is_flow(struct cg *cg, int yes, int no);
void cg_is_broadcast(struct cg *cg, int yes, int no);
void cg_is_ip_bcast(struct cg *cg, int yes, int no);
/* r0 = VLAN id (0 when untagged) */
void cg_vid(struct cg *cg);
/* jump to label when r(reg) == v, for any 32-bit v */
void cg_jeq_u32(struct cg *cg, int reg, uint32_t v, int label);
/* r0 = 0 none, 1 RTP, 2 RTCP, 3 SIP (voip.c) */
void cg_voip_kind(struct cg *cg);
/* r0 = 0 none, 1 GTP-C, 2 GTP-U (voip.c) */
void cg_gtp_kind(struct cg *cg);

/* shorthands of the emitter files */
#define A(i) (&n->args[i])
#define L() emit_label(&cg->e)
#define BIND(l) emit_bind(&cg->e, l)
#define JI(op, r, imm, l) emit_jmp_imm(&cg->e, op, r, imm, l)
#define JR(op, r, s, l) emit_jmp_reg(&cg->e, op, r, s, l)
#define JA(l) emit_ja(&cg->e, l)

#endif
