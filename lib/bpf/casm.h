/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A classic BPF instruction buffer with forward labels, for the generators
 * that attach classic filters (SO_ATTACH_FILTER, whose packet loads the
 * kernel inlines). Conditional jumps name a label for each outcome; at the
 * end, a target further than a classic jump can reach (255 instructions)
 * gets an unconditional "ja" trampoline right after the jump.
 */
#ifndef PFQ_BPF_CASM_H
#define PFQ_BPF_CASM_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#define CASM_NEXT (-1) /* "the next instruction" as a jump target */
#define CASM_MAX_BUFFER 65536 /* instructions a buffer takes before it fails */

struct casm_insn {
	uint16_t code;
	int jt, jf;   /* labels (or CASM_NEXT) of conditional jumps; ja: jt */
	uint32_t k;
};

struct casm {
	struct casm_insn *v;
	int n, cap;
	int *label_pos; /* index of the instruction a label is bound to, -1 unbound */
	int nlabels, caplabels;
	bool oom; /* out of memory or over CASM_MAX_BUFFER: casm_finish fails */
};

void casm_init(struct casm *a);
void casm_free(struct casm *a);
/* any non-jump instruction */
void casm_op(struct casm *a, uint16_t code, uint32_t k);
/* a conditional jump (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET with BPF_K or
 * BPF_X) to label jt when true, jf when false */
void casm_jmp(struct casm *a, uint16_t op, uint32_t k, int jt, int jf);
void casm_ja(struct casm *a, int label);
int casm_label(struct casm *a);
void casm_bind(struct casm *a, int label);
/* Resolve the jumps: a malloc'ed program and its length, or NULL when a
 * label is unbound or behind its jump, memory ran out, or the program is
 * longer than max instructions. */
struct sock_filter *casm_finish(struct casm *a, int max, int *len);

/* shorthands */
#define CASM_LD_ABS(a, size, off) casm_op(a, BPF_LD | (size) | BPF_ABS, (uint32_t)(off))
#define CASM_LD_IND(a, size, off) casm_op(a, BPF_LD | (size) | BPF_IND, (uint32_t)(off))
#define CASM_LD_ANC(a, what) casm_op(a, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + (what)))
#define CASM_LD_LEN(a) casm_op(a, BPF_LD | BPF_W | BPF_LEN, 0)
#define CASM_LD_IMM(a, v) casm_op(a, BPF_LD | BPF_IMM, (uint32_t)(v))
#define CASM_LD_MEM(a, m) casm_op(a, BPF_LD | BPF_MEM, (uint32_t)(m))
#define CASM_LDX_IMM(a, v) casm_op(a, BPF_LDX | BPF_W | BPF_IMM, (uint32_t)(v))
#define CASM_LDX_MEM(a, m) casm_op(a, BPF_LDX | BPF_W | BPF_MEM, (uint32_t)(m))
#define CASM_ST(a, m) casm_op(a, BPF_ST, (uint32_t)(m))
#define CASM_STX(a, m) casm_op(a, BPF_STX, (uint32_t)(m))
#define CASM_ALU(a, op, v) casm_op(a, BPF_ALU | (op) | BPF_K, (uint32_t)(v))
#define CASM_ALU_X(a, op) casm_op(a, BPF_ALU | (op) | BPF_X, 0)
#define CASM_TAX(a) casm_op(a, BPF_MISC | BPF_TAX, 0)
#define CASM_TXA(a) casm_op(a, BPF_MISC | BPF_TXA, 0)
#define CASM_RET(a, v) casm_op(a, BPF_RET | BPF_K, (uint32_t)(v))
#define CASM_RET_A(a) casm_op(a, BPF_RET | BPF_A, 0)

#endif
