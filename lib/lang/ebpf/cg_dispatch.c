/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group flavour's tail: after the computation, pick the receiving
 * members exactly as pfq_lang_dispatch (dispatch.c) does, from the group's
 * member table, and answer caplen when this member is one of them.
 *
 * Registers: r7 scratch (decision), r9 = member table, r8 = class mask.
 */
#include "cg-int.h"

#include <linux/bpf.h>
#include <stddef.h>

#define MT(f) ((int16_t)offsetof(struct pfq_member_table, f))
#define MEM(i, f) ((int16_t)(offsetof(struct pfq_member_table, m) + \
			     (i) * sizeof(struct pfq_member) + offsetof(struct pfq_member, f)))

/* r0 = mix(r0), 32 bits (pfq_lang_hash_mix) */
static void mix(struct cg *cg)
{
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_0));
	E(BI_ALU32_IMM(BPF_LSH, BPF_REG_1, 4));
	E(BI_ALU32_IMM(BPF_XOR, BPF_REG_0, (int32_t)0xdeadbeef));
	E(BI_ALU32_REG(BPF_ADD, BPF_REG_0, BPF_REG_1));
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_0));
	E(BI_ALU32_IMM(BPF_RSH, BPF_REG_1, 10));
	E(BI_ALU32_REG(BPF_XOR, BPF_REG_0, BPF_REG_1));
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_0));
	E(BI_ALU32_IMM(BPF_LSH, BPF_REG_1, 7));
	E(BI_ALU32_REG(BPF_ADD, BPF_REG_0, BPF_REG_1));
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_0));
	E(BI_ALU32_IMM(BPF_RSH, BPF_REG_1, 13));
	E(BI_ALU32_REG(BPF_XOR, BPF_REG_0, BPF_REG_1));
}

/* r0 = fold(r0, r5) with r5 >= 1 (pfq_lang_fold) */
static void fold(struct cg *cg)
{
	int done = emit_label(&cg->e), modulo = emit_label(&cg->e), zero = emit_label(&cg->e);
	int notpow2 = emit_label(&cg->e);

	emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_5, 1, zero);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_5));
	E(BI_ALU32_IMM(BPF_SUB, BPF_REG_1, 1));
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_1));
	E(BI_ALU32_REG(BPF_AND, BPF_REG_2, BPF_REG_5));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 0, notpow2);
	E(BI_ALU32_REG(BPF_AND, BPF_REG_0, BPF_REG_1));
	emit_ja(&cg->e, done);
	emit_bind(&cg->e, notpow2);
	emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_5, 7, modulo); /* 3, 5, 6, 7 */
	/* p = next power of two >= W (W <= 64 * 16) */
	E(BI_MOV_IMM(BPF_REG_1, 1));
	for (int k = 0; k < 11; k++) {
		int skip = emit_label(&cg->e);

		emit_jmp_reg(&cg->e, BPF_JGE, BPF_REG_1, BPF_REG_5, skip);
		E(BI_ALU32_IMM(BPF_LSH, BPF_REG_1, 1));
		emit_bind(&cg->e, skip);
	}
	E(BI_ALU32_IMM(BPF_SUB, BPF_REG_1, 1));
	E(BI_ALU32_REG(BPF_AND, BPF_REG_1, BPF_REG_0));
	emit_jmp_reg(&cg->e, BPF_JGE, BPF_REG_1, BPF_REG_5, modulo);
	E(BI_MOV_REG(BPF_REG_0, BPF_REG_1));
	emit_ja(&cg->e, done);
	emit_bind(&cg->e, modulo);
	E(BI_ALU32_REG(BPF_MOD, BPF_REG_0, BPF_REG_5));
	emit_ja(&cg->e, done);
	emit_bind(&cg->e, zero);
	E(BI_MOV_IMM(BPF_REG_0, 0));
	emit_bind(&cg->e, done);
}

/* r2 = this member's id: compiled in, or from the control block where the
 * member's own filter put it (the shared group program) */
static void load_self(struct cg *cg, uint32_t self)
{
	if (cg->group) {
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6,
			 (int16_t)(offsetof(struct __sk_buff, cb) + 4 * PFQ_CB_MEMBER)));
		return;
	}
	E(BI_MOV_IMM(BPF_REG_2, 0));
	E(BI_ALU32_IMM(BPF_MOV, BPF_REG_2, (int32_t)self));
}

/* jump to next when member i is not eligible (clobbers r2) */
static void if_not_eligible(struct cg *cg, int i, int next)
{
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_9, MEM(i, class_mask)));
	E(BI_ALU_REG(BPF_AND, BPF_REG_2, BPF_REG_8));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, next);
}

/* the member picked by the hash in scratch field hoff: jump to yes when it
 * is self, else fall through */
static void steer_pick(struct cg *cg, int16_t hoff, uint32_t self, int yes)
{
	int none = emit_label(&cg->e), end1 = emit_label(&cg->e);

	/* pass 1: r5 = total weight of the eligible members */
	E(BI_MOV_IMM(BPF_REG_5, 0));
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_9, MT(n)));
	for (int i = 0; i < PFQ_MAX_MEMBERS; i++) {
		int next = emit_label(&cg->e);

		emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_4, i, end1);
		if_not_eligible(cg, i, next);
		E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_9, MEM(i, weight)));
		E(BI_ALU32_REG(BPF_ADD, BPF_REG_5, BPF_REG_3));
		emit_bind(&cg->e, next);
	}
	emit_bind(&cg->e, end1);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_5, 0, none);
	E(BI_LDX(BPF_W, BPF_REG_0, BPF_REG_7, hoff));
	mix(cg);
	fold(cg);
	/* pass 2: walk the cumulated weights to the entry r0 */
	E(BI_MOV_IMM(BPF_REG_5, 0));
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_9, MT(n)));
	for (int i = 0; i < PFQ_MAX_MEMBERS; i++) {
		int next = emit_label(&cg->e);

		emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_4, i, none);
		if_not_eligible(cg, i, next);
		E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_9, MEM(i, weight)));
		E(BI_ALU32_REG(BPF_ADD, BPF_REG_5, BPF_REG_3));
		emit_jmp_reg(&cg->e, BPF_JGE, BPF_REG_0, BPF_REG_5, next);
		/* picked: member i */
		E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_9, MEM(i, id)));
		load_self(cg, self);
		emit_jmp_reg(&cg->e, BPF_JEQ, BPF_REG_3, BPF_REG_2, yes);
		emit_ja(&cg->e, none);
		emit_bind(&cg->e, next);
	}
	emit_bind(&cg->e, none);
}

void cg_member_table(struct cg *cg, int map_fd, int none)
{
	cg_lookup(cg, map_fd, false, none);
	cg_lookup(cg, -1, true, none); /* in the inner map r0 points to */
}

void cg_dispatch(struct cg *cg, int map_fd, uint32_t self, uint32_t caplen, int exit_label)
{
	int accept = emit_label(&cg->e), reject = emit_label(&cg->e);
	int copy = emit_label(&cg->e), steer = emit_label(&cg->e), dsteer = emit_label(&cg->e);
	int steer_to = emit_label(&cg->e);

	if (cg->group) {
		/* looked up once, by the group program's entry */
		E(BI_LDX(BPF_DW, BPF_REG_0, BPF_REG_10, CG_TABLE_SLOT));
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0, reject);
	} else {
		cg_member_table(cg, map_fd, reject);
	}
	E(BI_MOV_REG(BPF_REG_9, BPF_REG_0));
	E(BI_LDX(BPF_DW, BPF_REG_8, BPF_REG_7, SC(class_mask)));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, SC(fate)));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_COPY, copy);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_STEER, steer);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_DOUBLE_STEER, dsteer);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_STEER_TO, steer_to);
	emit_ja(&cg->e, reject);

	/* copy: self, if its classes meet the mask */
	emit_bind(&cg->e, copy);
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_9, MT(n)));
	for (int i = 0; i < PFQ_MAX_MEMBERS; i++) {
		int next = emit_label(&cg->e);

		emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_4, i, reject);
		E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_9, MEM(i, id)));
		load_self(cg, self);
		emit_jmp_reg(&cg->e, BPF_JNE, BPF_REG_3, BPF_REG_2, next);
		if_not_eligible(cg, i, next);
		emit_ja(&cg->e, accept);
		emit_bind(&cg->e, next);
	}
	emit_ja(&cg->e, reject);

	emit_bind(&cg->e, steer);
	steer_pick(cg, SC(hash0), self, accept);
	emit_ja(&cg->e, reject);

	emit_bind(&cg->e, dsteer);
	steer_pick(cg, SC(hash0), self, accept);
	steer_pick(cg, SC(hash1), self, accept);
	emit_ja(&cg->e, reject);

	/* steer to member n */
	emit_bind(&cg->e, steer_to);
	E(BI_LDX(BPF_W, BPF_REG_1, BPF_REG_7, SC(hash0)));
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_9, MT(n)));
	emit_jmp_reg(&cg->e, BPF_JGE, BPF_REG_1, BPF_REG_4, reject);
	emit_jmp_imm(&cg->e, BPF_JGE, BPF_REG_1, PFQ_MAX_MEMBERS, reject);
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_1, 4)); /* sizeof(struct pfq_member) */
	E(BI_ALU_REG(BPF_ADD, BPF_REG_1, BPF_REG_9));
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, MEM(0, class_mask)));
	E(BI_ALU_REG(BPF_AND, BPF_REG_2, BPF_REG_8));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, reject);
	E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_1, MEM(0, id)));
	load_self(cg, self);
	emit_jmp_reg(&cg->e, BPF_JEQ, BPF_REG_3, BPF_REG_2, accept);

	emit_bind(&cg->e, reject);
	E(BI_MOV_IMM(BPF_REG_0, 0));
	emit_ja(&cg->e, exit_label);
	emit_bind(&cg->e, accept);
	if (cg->group) {
		cg_group_accept(cg, exit_label);
		return;
	}
	E(BI_ALU32_IMM(BPF_MOV, BPF_REG_0, (int32_t)caplen));
	emit_ja(&cg->e, exit_label);
}
