/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The binding check, in eBPF and in classic BPF: see bindings.h. */
#include "bindings.h"

#include "../bpf/casm.h"
#include "../bpf/emit.h"
#include "../bpf/insn.h"
#include "../bpf/skb.h"

#include <pfq/pfq.h>

#include <stdbool.h>

static bool any_queue(const struct pfq_group_binding *b, int n)
{
	for (int i = 0; i < n; i++)
		if (b[i].queue != PFQ_ANY_QUEUE)
			return true;
	return false;
}

void pfq_bindings_ebpf(struct emit *e, const struct pfq_group_binding *b, int n, int accept,
		       int reject)
{
	emit(e, BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(ifindex)));
	if (any_queue(b, n)) {
		int rec = emit_label(e);

		emit(e, BI_LDX(BPF_W, BPF_REG_3, BPF_REG_6, SKB_OFF(queue_mapping)));
		emit(e, BI_MOV_REG(BPF_REG_4, BPF_REG_3));
		emit_jmp_imm(e, BPF_JEQ, BPF_REG_3, 0, rec);
		emit(e, BI_ALU_IMM(BPF_SUB, BPF_REG_3, 1));
		emit_bind(e, rec);
	}
	for (int i = 0; i < n; i++) {
		int next = emit_label(e);

		if (b[i].ifindex)
			emit_jmp_imm(e, BPF_JNE, BPF_REG_2, b[i].ifindex, next);
		if (b[i].queue != PFQ_ANY_QUEUE)
			emit_jmp_imm(e, BPF_JNE, b[i].raw_queue ? BPF_REG_4 : BPF_REG_3,
				     b[i].queue, next);
		emit_ja(e, accept);
		emit_bind(e, next);
	}
	emit_ja(e, reject);
}

void pfq_bindings_classic(struct casm *a, const struct pfq_group_binding *b, int n, int accept,
			  int reject)
{
	if (any_queue(b, n)) {
		int rec = casm_label(a);

		CASM_LD_ANC(a, SKF_AD_QUEUE);
		CASM_ST(a, PFQ_BINDINGS_M_RAW_QUEUE);
		casm_jmp(a, BPF_JEQ | BPF_K, 0, rec, CASM_NEXT);
		CASM_ALU(a, BPF_SUB, 1);
		casm_bind(a, rec);
		CASM_ST(a, PFQ_BINDINGS_M_QUEUE);
	}
	for (int i = 0; i < n; i++) {
		int next = casm_label(a);

		if (b[i].ifindex) {
			CASM_LD_ANC(a, SKF_AD_IFINDEX);
			casm_jmp(a, BPF_JEQ | BPF_K, (uint32_t)b[i].ifindex, CASM_NEXT, next);
		}
		if (b[i].queue != PFQ_ANY_QUEUE) {
			CASM_LD_MEM(a, b[i].raw_queue ? PFQ_BINDINGS_M_RAW_QUEUE
						      : PFQ_BINDINGS_M_QUEUE);
			casm_jmp(a, BPF_JEQ | BPF_K, (uint32_t)b[i].queue, CASM_NEXT, next);
		}
		casm_ja(a, accept);
		casm_bind(a, next);
	}
	casm_ja(a, reject);
}
