/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group program: what runs around the computation when one program
 * serves every member of a group (see struct pfq_lang_group_spec).
 *
 * Members flavour: the member's own filter left its id, caplen and
 * directions in __sk_buff.cb[]; this code finds out whether the run is the
 * leader's (the member that performs the side effects) and keeps that in
 * cb[] too, so that every part of the program can ask without a register.
 * Fanout flavour: one run per packet, which does every side effect; the
 * dispatch answers the receiving member's position in the fanout.
 */
#include "cg-int.h"
#include "../../bpf/cbpf.h"
#include "../bindings.h"

#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <stddef.h>


void cg_group_if_not_leader(struct cg *cg, int skip)
{
	/* the fanout program runs once per packet: it is always the leader */
	if (cg->fanout)
		return;
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_CB_OFF(PFQ_CB_LEADER)));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, skip);
}

void cg_group_stat(struct cg *cg, int field)
{
	int skip = emit_label(&cg->e);

	/* the TC program runs once per packet: it counts only what it does
	 * itself (frwd, kern); the socket programs count recv and drop */
	if (cg->tc && (field == CG_STAT_RECV || field == CG_STAT_DROP))
		return;
	if (!cg->tc)
		cg_group_if_not_leader(cg, skip);
	cg_lookup(cg, cg->group->stats_map_fd, false, skip);
	/* per-CPU value: no other writer on this CPU meanwhile */
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_0, (int16_t)(8 * field)));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, 1));
	E(BI_STX(BPF_DW, BPF_REG_0, BPF_REG_2, (int16_t)(8 * field)));
	emit_bind(&cg->e, skip);
}

/* jump to reject unless the packet comes from a binding of the group */
static void bindings(struct cg *cg, int reject)
{
	int ok = emit_label(&cg->e);

	pfq_bindings_ebpf(&cg->e, cg->group->bind, cg->group->nbind, ok, reject);
	emit_bind(&cg->e, ok);
}

/* cb[LEADER] = (the member table's leader == cb[MEMBER]); no table, or
 * the group's fanout program delivers: reject */
static void leader(struct cg *cg, int reject)
{
	int no = emit_label(&cg->e), done = emit_label(&cg->e);

	cg_member_table(cg, cg->group->members_map_fd, reject);
	/* kept for the dispatch: one look-up per run */
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_0, CG_TABLE_SLOT));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_0, (int16_t)offsetof(struct pfq_member_table, mode)));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, PFQ_GROUP_MODE_MEMBERS, reject);
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_0,
		 (int16_t)offsetof(struct pfq_member_table, leader)));
	E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_6, SKB_CB_OFF(PFQ_CB_MEMBER)));
	/* (the verifier takes no immediate stores into the context) */
	E(BI_MOV_IMM(BPF_REG_4, 1));
	emit_jmp_reg(&cg->e, BPF_JEQ, BPF_REG_2, BPF_REG_3, done);
	emit_bind(&cg->e, no);
	E(BI_MOV_IMM(BPF_REG_4, 0));
	emit_bind(&cg->e, done);
	E(BI_STX(BPF_W, BPF_REG_6, BPF_REG_4, SKB_CB_OFF(PFQ_CB_LEADER)));
}

/* fanout flavour: the member table (kept for the dispatch), or reject when
 * there is none or the group's members are served by their own programs */
static void fanout_table(struct cg *cg, int reject)
{
	cg_member_table(cg, cg->group->members_map_fd, reject);
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_0, CG_TABLE_SLOT));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_0, (int16_t)offsetof(struct pfq_member_table, mode)));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, PFQ_GROUP_MODE_FANOUT, reject);
}

/* the classic filter: r0 = its answer; 0 counts a drop and rejects */
static int classic_filter(struct cg *cg, int reject)
{
	const struct pfq_lang_group_spec *g = cg->group;
	struct sock_fprog fp = {
		.len = (unsigned short)g->fprog_len,
		.filter = (struct sock_filter *)(uintptr_t)g->fprog_insns,
	};
	int ret = emit_label(&cg->e), pass = emit_label(&cg->e);
	char err[200];

	/* before the prologue the scratch area is free: the classic memory
	 * words go there (the top of the stack keeps the member table) */
	if (cbpf_translate_rel(&cg->e, &fp, ret, -CG_FRAME, cg->fanout, err, sizeof(err)) < 0)
		return cg_error(cg, "group BPF filter: %s", err);
	emit_bind(&cg->e, ret);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 0, pass);
	cg_group_stat(cg, CG_STAT_DROP);
	emit_ja(&cg->e, reject);
	emit_bind(&cg->e, pass);
	return 0;
}

/* the VLAN filter: r3 = VLAN id (0 untagged), then its bit in the table */
static void vlan_filter(struct cg *cg, int reject)
{
	int inband = emit_label(&cg->e), have = emit_label(&cg->e), untagged = emit_label(&cg->e);
	int pass = emit_label(&cg->e), drop = emit_label(&cg->e), lookup = emit_label(&cg->e);
	int tag = emit_label(&cg->e);

	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(vlan_present)));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, inband);
	E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_6, SKB_OFF(vlan_tci)));
	emit_ja(&cg->e, have);
	/* a tag still in the frame (not taken out by the device) */
	emit_bind(&cg->e, inband);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
	E(BI_MOV_IMM(BPF_REG_2, 12));
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_10));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, -8));
	E(BI_MOV_IMM(BPF_REG_4, 4));
	cg_skb_load(cg);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 0, untagged);
	E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_10, -8));
	E(bi_make(BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_8, 0, 0, 32));
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_8));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_2, 16));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0x8100, tag);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0x88a8, tag);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 0x9100, untagged);
	emit_bind(&cg->e, tag);
	emit_bind(&cg->e, have);
	E(BI_ALU_IMM(BPF_AND, BPF_REG_8, 0xfff));
	emit_ja(&cg->e, lookup);
	emit_bind(&cg->e, untagged);
	E(BI_MOV_IMM(BPF_REG_8, 0));
	emit_bind(&cg->e, lookup);
	cg_lookup(cg, cg->vlan_fd, false, drop);
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_8));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_2, 3));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_0, BPF_REG_2));
	E(BI_LDX(BPF_B, BPF_REG_3, BPF_REG_0, 0));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_8, 7));
	E(BI_ALU_REG(BPF_RSH, BPF_REG_3, BPF_REG_8));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_3, 1));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_3, 0, pass);
	emit_bind(&cg->e, drop);
	cg_group_stat(cg, CG_STAT_DROP);
	emit_ja(&cg->e, reject);
	emit_bind(&cg->e, pass);
}

int cg_group_entry(struct cg *cg, int reject)
{
	const struct pfq_lang_group_spec *g = cg->group;

	E(BI_MOV_REG(BPF_REG_6, BPF_REG_1));
	bindings(cg, cg->tc ? cg->tc_not_ours : reject);
	if (cg->fanout)
		fanout_table(cg, reject);
	else if (!cg->tc)
		leader(cg, reject);
	cg_group_stat(cg, CG_STAT_RECV);
	if (g->fprog_insns && g->fprog_len && classic_filter(cg, reject) < 0)
		return -1;
	if (g->vlan_on)
		vlan_filter(cg, reject);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
	return 0;
}

void cg_group_sent(struct cg *cg, int done)
{
	int failed = emit_label(&cg->e);

	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 0, failed);
	cg_group_stat(cg, CG_STAT_FRWD);
	emit_ja(&cg->e, done);
	emit_bind(&cg->e, failed);
	cg_group_stat(cg, CG_STAT_DISC);
	emit_ja(&cg->e, done);
}

void cg_group_tc_tail(struct cg *cg, int exit_label)
{
	int shot = emit_label(&cg->e);

	/* copies first: bpf_clone_redirect sends a clone out of the device */
	for (int i = 0; i < cg->ndevs; i++) {
		int skip = emit_label(&cg->e);

		LDX(BPF_REG_2, fwd_mask);
		E(BI_ALU32_IMM(BPF_AND, BPF_REG_2, 1 << i));
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, skip);
		E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
		E(BI_MOV_IMM(BPF_REG_2, cg->dev_ifindex[i]));
		E(BI_MOV_IMM(BPF_REG_3, 0)); /* egress of that device */
		E(BI_CALL(BPF_FUNC_clone_redirect));
		cg_group_sent(cg, skip);
		emit_bind(&cg->e, skip);
	}
	/* the host stack sees the packet only when the computation said so
	 * (a program here only for egress endpoints leaves it alone) */
	if (!cg->tc_verdict) {
		E(BI_MOV_IMM(BPF_REG_0, CG_TCX_NEXT));
		emit_ja(&cg->e, exit_label);
		return;
	}
	LDX(BPF_REG_2, kernel);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, shot);
	cg_group_stat(cg, CG_STAT_KERN);
	E(BI_MOV_IMM(BPF_REG_0, CG_TCX_NEXT));
	emit_ja(&cg->e, exit_label);
	emit_bind(&cg->e, shot);
	E(BI_MOV_IMM(BPF_REG_0, CG_TC_SHOT));
	emit_ja(&cg->e, exit_label);
}

#define LOGE(f) ((int16_t)offsetof(struct pfq_group_log_entry, f))
#define LOGC(f) ((int16_t)offsetof(struct pfq_group_log_ctl, f))

void cg_group_log(struct cg *cg)
{
	const struct pfq_lang_group_spec *g = cg->group;
	int skip = emit_label(&cg->e), same = emit_label(&cg->e), allowed = emit_label(&cg->e);
	int copied = emit_label(&cg->e), small = emit_label(&cg->e), few = emit_label(&cg->e);

	if (cg->tc || g->logs_map_fd <= 0 || g->logctl_map_fd <= 0)
		return;
	cg_group_if_not_leader(cg, skip);
	LDX(BPF_REG_2, nlogs);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, skip);
	/* the rate limit, per second */
	cg_lookup(cg, g->logctl_map_fd, false, skip);
	E(BI_MOV_REG(BPF_REG_8, BPF_REG_0));
	E(BI_CALL(BPF_FUNC_ktime_get_ns));
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_0, -24));
	E(BI_ALU_IMM(BPF_DIV, BPF_REG_0, 1000000000));
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_8, LOGC(sec)));
	emit_jmp_reg(&cg->e, BPF_JEQ, BPF_REG_2, BPF_REG_0, same);
	E(BI_STX(BPF_DW, BPF_REG_8, BPF_REG_0, LOGC(sec)));
	E(BI_ST(BPF_DW, BPF_REG_8, LOGC(count), 0));
	emit_bind(&cg->e, same);
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_8, LOGC(count)));
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_2, PFQ_GROUP_LOG_RATE, allowed);
	E(BI_MOV_IMM(BPF_REG_3, 1));
	E(bi_make(BPF_STX | BPF_DW | BPF_ATOMIC, BPF_REG_8, BPF_REG_3, LOGC(skipped), BPF_ADD));
	emit_ja(&cg->e, skip);
	emit_bind(&cg->e, allowed);
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, 1));
	E(BI_STX(BPF_DW, BPF_REG_8, BPF_REG_2, LOGC(count)));
	/* seq = ++next (atomic: the leader may run on several CPUs) */
	E(BI_MOV_IMM(BPF_REG_3, 1));
	E(bi_make(BPF_STX | BPF_DW | BPF_ATOMIC, BPF_REG_8, BPF_REG_3, LOGC(next),
		  BPF_ADD | BPF_FETCH));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 1));
	E(BI_STX(BPF_DW, BPF_REG_10, BPF_REG_3, -16));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_3, PFQ_GROUP_LOG_SLOTS - 1));
	E(BI_STX(BPF_W, BPF_REG_10, BPF_REG_3, -8));
	cg_lookup(cg, g->logs_map_fd, true, skip);
	E(BI_MOV_REG(BPF_REG_8, BPF_REG_0));
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_10, -24));
	E(BI_STX(BPF_DW, BPF_REG_8, BPF_REG_2, LOGE(tstamp_ns)));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(ifindex)));
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, LOGE(ifindex)));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(vlan_present)));
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, LOGE(vlan_present)));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(vlan_tci)));
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, LOGE(vlan_tci)));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(vlan_proto)));
	/* (network order in the skb) */
	E(bi_make(BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_2, 0, 0, 16));
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, LOGE(vlan_tpid)));
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(mark)));
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, LOGE(mark)));
	cg_frame_len(cg, BPF_REG_2, BPF_REG_3);
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, LOGE(len)));
	LDX(BPF_REG_2, nlogs);
	emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_2, 8, few);
	E(BI_MOV_IMM(BPF_REG_2, 8));
	emit_bind(&cg->e, few);
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, LOGE(nlogs)));
	for (int i = 0; i < 8 && i < CG_MAX_LOGS; i++) {
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, (int16_t)(SC(log_ids) + 4 * i)));
		E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_2, (int16_t)(LOGE(node) + 4 * i)));
	}
	/* the first bytes of the packet */
	cg_frame_len(cg, BPF_REG_4, BPF_REG_3);
	emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_4, PFQ_GROUP_LOG_BYTES, small);
	E(BI_MOV_IMM(BPF_REG_4, PFQ_GROUP_LOG_BYTES));
	emit_bind(&cg->e, small);
	E(BI_STX(BPF_W, BPF_REG_8, BPF_REG_4, LOGE(caplen)));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_4, 0, copied);
	/* (r9 is free until the dispatch loads the member table into it) */
	E(BI_MOV_REG(BPF_REG_9, BPF_REG_4));
	cg_frame_copy(cg, BPF_REG_8, LOGE(data), BPF_REG_9);
	emit_bind(&cg->e, copied);
	/* the sequence number last: a reader takes an entry with seq 0 or
	 * out of order as being written */
	E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_10, -16));
	E(BI_STX(BPF_DW, BPF_REG_8, BPF_REG_2, LOGE(seq)));
	emit_bind(&cg->e, skip);
}

void cg_group_directions(struct cg *cg, int take, int exit_label)
{
	int not_out = emit_label(&cg->e);

	/* IN takes all but outgoing, OUT only those; 0 (the table's "any") and
	 * INOUT everything */
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, take);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_DIR_INOUT, take);
	E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_6, SKB_OFF(pkt_type)));
	E(BI_MOV_IMM(BPF_REG_0, 0));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_3, PACKET_OUTGOING, not_out);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, PFQ_DIR_OUT, take);
	emit_ja(&cg->e, exit_label);
	emit_bind(&cg->e, not_out);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, PFQ_DIR_IN, exit_label);
}

void cg_group_accept(struct cg *cg, int exit_label)
{
	int take = emit_label(&cg->e);

	/* the member's directions */
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_CB_OFF(PFQ_CB_DIRS)));
	cg_group_directions(cg, take, exit_label);
	emit_bind(&cg->e, take);
	E(BI_LDX(BPF_W, BPF_REG_0, BPF_REG_6, SKB_CB_OFF(PFQ_CB_CAPLEN)));
	emit_ja(&cg->e, exit_label);
}
