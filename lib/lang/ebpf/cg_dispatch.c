/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group flavours' tail: after the computation, pick the receiving
 * members exactly as pfq_lang_dispatch (dispatch.c) does, from the group's
 * member table. The members flavour (one run per member) answers caplen when
 * this member is one of them; the fanout flavour (one run per packet)
 * answers the position of the one member that receives the packet, or 0.
 *
 * Registers: r7 scratch (decision), r9 = member table, r8 = class mask.
 */
#include "cg-int.h"

#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <stddef.h>

#define MT(f) ((int16_t)offsetof(struct pfq_member_table, f))
#define ROW(i) ((int16_t)(offsetof(struct pfq_member_table, m) + (i) * sizeof(struct pfq_member)))
#define MEM(i, f) ((int16_t)(ROW(i) + offsetof(struct pfq_member, f)))
/* a field of the row r1 points to */
#define RF(f) ((int16_t)offsetof(struct pfq_member, f))
/* stack slots of the fanout dispatch, in the temporaries above the scratch
 * area: -8 is the key of cg_lookup, -32 the member table (CG_TABLE_SLOT) */
#define FLOW_KEY (-16)
#define FLOW_VAL (-48)

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
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_CB_OFF(PFQ_CB_MEMBER)));
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

/* r1 = the row of member i, r3 = i */
static void row(struct cg *cg, int i)
{
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_9));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, ROW(i)));
	E(BI_MOV_IMM(BPF_REG_3, i));
}

/* the member the hash in scratch field hoff picks: r1 = its row, r3 = its
 * index, then a jump to found; to none when no member is eligible */
static void steer_pick(struct cg *cg, int16_t hoff, int found, int none)
{
	int end1 = emit_label(&cg->e);

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
		row(cg, i);
		emit_ja(&cg->e, found);
		emit_bind(&cg->e, next);
	}
	emit_ja(&cg->e, none);
}

/* r1 = the row of index r3 (bounded: jumps to none unless r3 < n) */
static void row_of(struct cg *cg, int none)
{
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_9, MT(n)));
	emit_jmp_reg(&cg->e, BPF_JGE, BPF_REG_3, BPF_REG_4, none);
	emit_jmp_imm(&cg->e, BPF_JGE, BPF_REG_3, PFQ_MAX_MEMBERS, none);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_3));
	E(BI_ALU_IMM(BPF_MUL, BPF_REG_1, (int32_t)sizeof(struct pfq_member)));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_1, BPF_REG_9));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, ROW(0)));
}

/* steer to member n (scratch hash0), the n-th row that has a member: r1 =
 * its row, r3 = its index, then found; none when there is no such member
 * or it is not eligible */
static void steer_to_row(struct cg *cg, int found, int none)
{
	E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_7, SC(hash0)));
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_9, MT(nmembers)));
	emit_jmp_reg(&cg->e, BPF_JGE, BPF_REG_3, BPF_REG_4, none);
	emit_jmp_imm(&cg->e, BPF_JGE, BPF_REG_3, PFQ_MAX_MEMBERS, none);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_9));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_1, BPF_REG_3));
	E(BI_LDX(BPF_B, BPF_REG_3, BPF_REG_1, MT(order)));
	row_of(cg, none);
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, RF(class_mask)));
	E(BI_ALU_REG(BPF_AND, BPF_REG_2, BPF_REG_8));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, none);
	emit_ja(&cg->e, found);
}

/* members flavour at a picked row: accept when it is self (and reads: an
 * egress endpoint's packets are the TC program's to send) */
static void if_self(struct cg *cg, uint32_t self, int accept, int reject)
{
	E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_1, RF(egress_ifindex)));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_3, 0, reject);
	E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_1, RF(id)));
	load_self(cg, self);
	emit_jmp_reg(&cg->e, BPF_JEQ, BPF_REG_3, BPF_REG_2, accept);
	emit_ja(&cg->e, reject);
}

void cg_member_table(struct cg *cg, int map_fd, int none)
{
	cg_lookup(cg, map_fd, false, none);
	cg_lookup(cg, -1, true, none); /* in the inner map r0 points to */
}

/* r9 = the member table, r8 = the decision's class mask, r2 = the fate */
static void dispatch_start(struct cg *cg, int map_fd, int reject)
{
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
}

/*
 * Fanout flavour: the row r1 points to receives the packet, if it takes its
 * direction: r0 = its position in the fanout; otherwise 0 (the sink).
 */
static void deliver(struct cg *cg, int exit_label)
{
	int take = emit_label(&cg->e);

	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_1, RF(dirs)));
	cg_group_directions(cg, take, exit_label);
	emit_bind(&cg->e, take);
	E(BI_LDX(BPF_W, BPF_REG_0, BPF_REG_1, RF(pos)));
	emit_ja(&cg->e, exit_label);
}

/* stack: the pointer to the flow's bucket (0: none), its tag, and the
 * offset of the way its pick goes to */
#define FLOW_PTR FLOW_VAL
#define FLOW_TAG (FLOW_VAL + 8)
#define FLOW_WAY (-24)
#define GOLDEN ((int32_t)0x9e3779b1)

/* r0 = the near bucket of the tag at FLOW_TAG (group-abi.h,
 * PFQ_FLOW_NEAR), or a jump to miss; r4 = the tag; clobbers r1-r5 */
static void near_bucket(struct cg *cg, int miss)
{
	E(BI_LDX(BPF_DW, BPF_REG_3, BPF_REG_10, FLOW_TAG));
	/* other bits of tag * GOLDEN than the bucket's (its top 16) */
	E(BI_ALU32_IMM(BPF_MUL, BPF_REG_3, GOLDEN));
	E(BI_ALU32_IMM(BPF_RSH, BPF_REG_3, 7));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_3, PFQ_FLOW_NEAR - 1));
	E(BI_ALU32_IMM(BPF_ADD, BPF_REG_3, PFQ_FLOW_BUCKETS));
	E(BI_STX(BPF_W, BPF_REG_10, BPF_REG_3, -8));
	cg_lookup(cg, cg->group->flows_map_fd, true, miss);
	E(BI_LDX(BPF_DW, BPF_REG_4, BPF_REG_10, FLOW_TAG));
}

/* the flow's tag into FLOW_TAG: hash ^ (class mask folded) * GOLDEN */
static void flow_tag(struct cg *cg)
{
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_3, 32));
	E(BI_ALU_REG(BPF_XOR, BPF_REG_3, BPF_REG_8));
	E(BI_ALU32_IMM(BPF_MUL, BPF_REG_3, GOLDEN));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, SC(hash0)));
	E(BI_ALU32_REG(BPF_XOR, BPF_REG_2, BPF_REG_3));
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_2, FLOW_TAG));
}

/* the flow's near ways: when one holds the tag and names a row with an
 * eligible member, r1 = that row and a jump to found; else fall through */
static void near_answer(struct cg *cg, int found)
{
	int miss = emit_label(&cg->e), have = emit_label(&cg->e);

	near_bucket(cg, miss);
	for (int w = 0; w < PFQ_FLOW_WAYS; w++) {
		int next = emit_label(&cg->e);

		E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_0, (int16_t)(8 * w)));
		E(BI_MOV_REG(BPF_REG_3, BPF_REG_2));
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_3, 32));
		emit_jmp_reg(&cg->e, BPF_JNE, BPF_REG_3, BPF_REG_4, next);
		emit_ja(&cg->e, have);
		emit_bind(&cg->e, next);
	}
	emit_ja(&cg->e, miss);
	/* r2 = the way: r3 = its row (empty: 0 - 1, out of range) */
	emit_bind(&cg->e, have);
	E(BI_ALU32_REG(BPF_MOV, BPF_REG_3, BPF_REG_2));
	E(BI_ALU32_IMM(BPF_SUB, BPF_REG_3, 1));
	row_of(cg, miss);
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, RF(class_mask)));
	E(BI_ALU_REG(BPF_AND, BPF_REG_2, BPF_REG_8));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 0, found);
	emit_bind(&cg->e, miss);
}

/*
 * The ways of a bucket (r0), for the tag in r4: r5 = the offset of the
 * way that holds the tag (then on to matched, with r3 = the way's row when
 * row is set: an empty way gives 0 - 1, out of range), else of the last
 * empty way, else of the way the tag's low bits pick (falling through).
 * The bucket and the near bucket are scanned alike.
 */
static void way_scan(struct cg *cg, int matched, bool row)
{
	E(BI_MOV_REG(BPF_REG_5, BPF_REG_4));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_5, PFQ_FLOW_WAYS - 1));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_5, 3));
	for (int w = 0; w < PFQ_FLOW_WAYS; w++) {
		int next = emit_label(&cg->e), notempty = emit_label(&cg->e);

		E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_0, (int16_t)(8 * w)));
		E(BI_MOV_REG(BPF_REG_3, BPF_REG_2));
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_3, 32));
		emit_jmp_reg(&cg->e, BPF_JNE, BPF_REG_3, BPF_REG_4, notempty);
		E(BI_MOV_IMM(BPF_REG_5, 8 * w));
		if (row) {
			E(BI_ALU32_REG(BPF_MOV, BPF_REG_3, BPF_REG_2));
			E(BI_ALU32_IMM(BPF_SUB, BPF_REG_3, 1));
		}
		emit_ja(&cg->e, matched);
		emit_bind(&cg->e, notempty);
		emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 0, next);
		E(BI_MOV_IMM(BPF_REG_5, 8 * w));
		emit_bind(&cg->e, next);
	}
}

/* the answer (its row's index at FLOW_WAY) into the flow's near way: the
 * way that holds its tag, else an empty one, else the one the tag picks */
static void near_write(struct cg *cg)
{
	int done = emit_label(&cg->e), write = emit_label(&cg->e);

	near_bucket(cg, done);
	way_scan(cg, write, false);
	/* one 64-bit store, as for a bucket's way */
	emit_bind(&cg->e, write);
	E(BI_ALU_IMM(BPF_AND, BPF_REG_5, 8 * (PFQ_FLOW_WAYS - 1)));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_0, BPF_REG_5));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_4, 32));
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_10, FLOW_WAY));
	E(BI_ALU32_IMM(BPF_ADD, BPF_REG_2, 1));
	E(BI_ALU_REG(BPF_OR, BPF_REG_4, BPF_REG_2));
	E(BI_STX(BPF_DW, BPF_REG_0, BPF_REG_4, 0));
	emit_bind(&cg->e, done);
}

/* the flow's bucket, the long way: its remembered row when that has an
 * eligible member, else a pick without memory remembered in the flow's
 * way, an empty one, or one the tag picks. Ends at answered, r1 = the row,
 * r3 = its index; at none when no member is eligible. */
static void bucket_answer(struct cg *cg, int answered, int none)
{
	int fd = cg->group->flows_map_fd, pick = emit_label(&cg->e), picked = emit_label(&cg->e);
	int noslot = emit_label(&cg->e), have = emit_label(&cg->e), check = emit_label(&cg->e);

	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_10, FLOW_TAG));
	E(BI_ALU32_IMM(BPF_MUL, BPF_REG_2, GOLDEN));
	E(BI_ALU32_IMM(BPF_RSH, BPF_REG_2, 16));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_2, PFQ_FLOW_BUCKETS - 1));
	E(BI_STX(BPF_W, BPF_REG_10, BPF_REG_2, FLOW_KEY));
	emit_ld_map(&cg->e, BPF_REG_1, fd);
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_10));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, FLOW_KEY));
	E(BI_CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0, noslot);
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_0, FLOW_PTR));
	E(BI_LDX(BPF_DW, BPF_REG_4, BPF_REG_10, FLOW_TAG));
	way_scan(cg, check, true);
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_5, FLOW_WAY));
	emit_ja(&cg->e, pick);
	emit_bind(&cg->e, check);
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_5, FLOW_WAY));
	row_of(cg, pick);
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, RF(class_mask)));
	E(BI_ALU_REG(BPF_AND, BPF_REG_2, BPF_REG_8));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 0, answered);
	emit_ja(&cg->e, pick);
	emit_bind(&cg->e, noslot);
	E(BI_ST(BPF_DW, BPF_REG_10, FLOW_PTR, 0));
	emit_bind(&cg->e, pick);
	steer_pick(cg, SC(hash0), picked, none);
	/* remember the pick (r1 = row, r3 = its index); one 64-bit store, so
	 * that a reader on another CPU sees the old entry or the new one */
	emit_bind(&cg->e, picked);
	E(BI_LDX(BPF_DW, BPF_REG_0, BPF_REG_10, FLOW_PTR));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0, have);
	E(BI_LDX(BPF_DW, BPF_REG_5, BPF_REG_10, FLOW_WAY));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_5, 8 * (PFQ_FLOW_WAYS - 1)));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_0, BPF_REG_5));
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_10, FLOW_TAG));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_2, 32));
	E(BI_ALU32_REG(BPF_MOV, BPF_REG_4, BPF_REG_3));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_4, 1));
	E(BI_ALU_REG(BPF_OR, BPF_REG_2, BPF_REG_4));
	E(BI_STX(BPF_DW, BPF_REG_0, BPF_REG_2, 0));
	emit_bind(&cg->e, have);
	emit_ja(&cg->e, answered);
}

/*
 * Fanout flavour, steering with memory: a flow stays with the member that
 * took its first packet while that member's row has it and it is eligible
 * (the flows map, struct pfq_flow_bucket in group-abi.h). Rows are stable
 * (one per registry slot), so a flow's way stays right across joins and
 * leaves of other members. The flow's near ways answer first when they can
 * (group-abi.h, PFQ_FLOW_NEAR); otherwise its bucket does, and its answer
 * is copied into a near way. Ends at found, r1 = the row.
 */
static void steer_remembered(struct cg *cg, int found, int none)
{
	int answered = emit_label(&cg->e);

	flow_tag(cg);
	near_answer(cg, found);
	bucket_answer(cg, answered, none);
	/* the row's index waits at FLOW_WAY, which the long way is done with */
	emit_bind(&cg->e, answered);
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_3, FLOW_WAY));
	near_write(cg);
	E(BI_LDX(BPF_DW, BPF_REG_3, BPF_REG_10, FLOW_WAY));
	row_of(cg, none);
	emit_ja(&cg->e, found);
}

/* fanout flavour: r0 = the receiving member's position, or 0 */
static void dispatch_fanout(struct cg *cg, int exit_label)
{
	int none = emit_label(&cg->e), found = emit_label(&cg->e);
	int copy = emit_label(&cg->e), steer = emit_label(&cg->e), steer_to = emit_label(&cg->e);

	dispatch_start(cg, -1, none);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_COPY, copy);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_STEER, steer);
	/* double steer: the group is in fanout mode only when at most one
	 * member can receive, which the first hash finds */
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_DOUBLE_STEER, steer);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_STEER_TO, steer_to);
	emit_ja(&cg->e, none);

	/* copy (in fanout mode at most one socket is eligible): the first;
	 * the egress endpoints' copies are the TC program's */
	emit_bind(&cg->e, copy);
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_9, MT(n)));
	for (int i = 0; i < PFQ_MAX_MEMBERS; i++) {
		int next = emit_label(&cg->e);

		emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_4, i, none);
		if_not_eligible(cg, i, next);
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_9, MEM(i, egress_ifindex)));
		emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 0, next);
		row(cg, i);
		emit_ja(&cg->e, found);
		emit_bind(&cg->e, next);
	}
	emit_ja(&cg->e, none);

	emit_bind(&cg->e, steer);
	if (cg->sticky)
		steer_remembered(cg, found, none);
	else
		steer_pick(cg, SC(hash0), found, none);

	emit_bind(&cg->e, steer_to);
	steer_to_row(cg, found, none);

	emit_bind(&cg->e, found);
	deliver(cg, exit_label);
	emit_bind(&cg->e, none);
	E(BI_MOV_IMM(BPF_REG_0, 0));
	emit_ja(&cg->e, exit_label);
}

void cg_dispatch(struct cg *cg, int map_fd, uint32_t self, uint32_t caplen, int exit_label)
{
	int accept = emit_label(&cg->e), reject = emit_label(&cg->e);
	int copy = emit_label(&cg->e), steer = emit_label(&cg->e), dsteer = emit_label(&cg->e);
	int steer_to = emit_label(&cg->e), found1 = emit_label(&cg->e);
	int second = emit_label(&cg->e), found2 = emit_label(&cg->e), found_to = emit_label(&cg->e);

	if (cg->fanout) {
		dispatch_fanout(cg, exit_label);
		return;
	}
	dispatch_start(cg, map_fd, reject);
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
		E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_9, MEM(i, egress_ifindex)));
		emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_3, 0, reject);
		emit_ja(&cg->e, accept);
		emit_bind(&cg->e, next);
	}
	emit_ja(&cg->e, reject);

	emit_bind(&cg->e, steer);
	steer_pick(cg, SC(hash0), found1, reject);
	emit_bind(&cg->e, found1);
	if_self(cg, self, accept, reject);

	/* double steer: self if either hash picks it */
	emit_bind(&cg->e, dsteer);
	steer_pick(cg, SC(hash0), found2, second);
	emit_bind(&cg->e, found2);
	if_self(cg, self, accept, second);
	emit_bind(&cg->e, second);
	steer_pick(cg, SC(hash1), found1, reject);

	/* steer to member n */
	emit_bind(&cg->e, steer_to);
	steer_to_row(cg, found_to, reject);
	emit_bind(&cg->e, found_to);
	if_self(cg, self, accept, reject);

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

/* TC flavour: the stack slots of the egress dispatch (free once a row is
 * picked): the packet's own queue_mapping while a clone is given another,
 * and the member id of the first pick of a double steer */
#define EG_QSAVE (-16)
#define EG_FIRST CG_TABLE_SLOT
#define EG_ROW (-24) /* the copy loop's row */

/* r1 = a row the decision names: r2 = its egress device (0: a socket),
 * r3 = its queue_mapping. Values read from the table, not the row's
 * address or index: the verifier then sees one state at the send that
 * follows, whichever of the 64 rows was picked, and checks it once. */
static void egress_of_row(struct cg *cg)
{
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_1, RF(egress_ifindex)));
	E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_1, RF(egress_qmap)));
}

/*
 * r2 = egress device (0: none), r3 = queue_mapping (0: leave it): send a
 * clone of the packet out of that device, on that hw queue (skb_tx_hash
 * takes queue_mapping - 1 as the recorded queue, as for pfq_bind_tx's
 * queues), count it, then jump to done. The packet's own queue_mapping
 * is put back for the host stack. Clobbers r0-r5.
 */
static void egress_xmit(struct cg *cg, int done)
{
	int noq = emit_label(&cg->e);

	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, done);
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_6, SKB_OFF(queue_mapping)));
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_4, EG_QSAVE));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_3, 0, noq);
	E(BI_STX(BPF_W, BPF_REG_6, BPF_REG_3, SKB_OFF(queue_mapping)));
	emit_bind(&cg->e, noq);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
	E(BI_MOV_IMM(BPF_REG_3, 0)); /* egress of that device */
	E(BI_CALL(BPF_FUNC_clone_redirect));
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_10, EG_QSAVE));
	E(BI_STX(BPF_W, BPF_REG_6, BPF_REG_2, SKB_OFF(queue_mapping)));
	cg_group_sent(cg, done);
}

/* the steered pick of hash0 as the socket flavours make it: remembered in
 * fanout mode (the fanout program, which ran first at the packet taps,
 * remembered it), without memory in members mode */
static void egress_steer_pick(struct cg *cg, int found, int none)
{
	int plain = emit_label(&cg->e);

	if (cg->sticky) {
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_9, MT(mode)));
		emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, PFQ_GROUP_MODE_FANOUT, plain);
		steer_remembered(cg, found, none);
	}
	emit_bind(&cg->e, plain);
	steer_pick(cg, SC(hash0), found, none);
}

void cg_dispatch_egress(struct cg *cg)
{
	int done = emit_label(&cg->e), copy = emit_label(&cg->e), steer = emit_label(&cg->e);
	int dsteer = emit_label(&cg->e), steer_to = emit_label(&cg->e);
	int found = emit_label(&cg->e), first = emit_label(&cg->e), no_first = emit_label(&cg->e);
	int second = emit_label(&cg->e), found2 = emit_label(&cg->e), send = emit_label(&cg->e);

	struct pfq_lang_fates fates = { .may_copy = true, .may_double = true,
					.classes = PFQ_CLASS_ANY, .may_steer = true };

	/* only the fates the program can decide: a smaller program, checked
	 * faster by the verifier (which sees every row of every pick) */
	pfq_lang_fates(cg->prog, &fates);
	LDX(BPF_REG_2, fate);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_DROP, done);
	cg_member_table(cg, cg->group->members_map_fd, done);
	E(BI_MOV_REG(BPF_REG_9, BPF_REG_0));
	E(BI_LDX(BPF_DW, BPF_REG_8, BPF_REG_7, SC(class_mask)));
	LDX(BPF_REG_2, fate);
	if (fates.may_copy)
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_COPY, copy);
	if (fates.may_steer)
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_STEER, steer);
	if (fates.may_double)
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_DOUBLE_STEER, dsteer);
	if (fates.may_steer)
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_FATE_STEER_TO, steer_to);
	emit_ja(&cg->e, done);

	/* copy: every eligible egress member. A loop, not 64 rows unrolled:
	 * the send is emitted once, which keeps the program small (the
	 * verifier still walks it row by row) */
	emit_bind(&cg->e, copy);
	if (fates.may_copy) {
		int loop = emit_label(&cg->e), next = emit_label(&cg->e);

		E(BI_ST(BPF_DW, BPF_REG_10, EG_ROW, 0));
		emit_bind(&cg->e, loop);
		E(BI_LDX(BPF_DW, BPF_REG_3, BPF_REG_10, EG_ROW));
		row_of(cg, done);
		E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, RF(class_mask)));
		E(BI_ALU_REG(BPF_AND, BPF_REG_2, BPF_REG_8));
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, next);
		egress_of_row(cg);
		egress_xmit(cg, next);
		emit_bind(&cg->e, next);
		E(BI_LDX(BPF_DW, BPF_REG_3, BPF_REG_10, EG_ROW));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 1));
		E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_3, EG_ROW));
		emit_ja(&cg->e, loop);
	}
	emit_ja(&cg->e, done);

	emit_bind(&cg->e, steer);
	if (fates.may_steer)
		egress_steer_pick(cg, found, done);
	else
		emit_ja(&cg->e, done);

	/* double steer: either pick, once (told apart by member id) */
	emit_bind(&cg->e, dsteer);
	if (!fates.may_double)
		emit_ja(&cg->e, done);
	else
		egress_steer_pick(cg, first, no_first);
	emit_bind(&cg->e, first);
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_1, RF(id)));
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_4, EG_FIRST));
	egress_of_row(cg);
	egress_xmit(cg, second);
	emit_bind(&cg->e, no_first);
	E(BI_ST(BPF_DW, BPF_REG_10, EG_FIRST, 0));
	emit_bind(&cg->e, second);
	steer_pick(cg, SC(hash1), found2, done);
	emit_bind(&cg->e, found2);
	E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_1, RF(id)));
	E(BI_LDX(BPF_DW, BPF_REG_5, BPF_REG_10, EG_FIRST));
	emit_jmp_reg(&cg->e, BPF_JEQ, BPF_REG_4, BPF_REG_5, done);
	emit_ja(&cg->e, found);

	emit_bind(&cg->e, steer_to);
	if (fates.may_steer)
		steer_to_row(cg, found, done);
	else
		emit_ja(&cg->e, done);

	emit_bind(&cg->e, found);
	egress_of_row(cg);
	emit_ja(&cg->e, send);
	emit_bind(&cg->e, send);
	egress_xmit(cg, done);
	emit_bind(&cg->e, done);
}
