/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An eBPF instruction buffer with forward labels, for the code generators:
 * emit instructions, jump to labels that are bound later, and resolve the
 * offsets at the end.
 */
#ifndef PFQ_BPF_EMIT_H
#define PFQ_BPF_EMIT_H

#include "insn.h"

#include <stdbool.h>
#include <stddef.h>

#define EMIT_MAX_INSNS (1 << 20) /* BPF_COMPLEXITY_LIMIT_INSNS: a larger program never loads */

struct emit {
	struct bpf_insn *insns;
	int n, cap;
	int *label_pos;   /* instruction index a label is bound to, -1 if unbound */
	int nlabels, caplabels;
	struct { int insn, label; } *fix;
	int nfix, capfix;
	bool oom; /* out of memory or over the limit: emit_finish fails */
	int limit; /* at most this many instructions (0: EMIT_MAX_INSNS) */
};

void emit_init(struct emit *e);
void emit_free(struct emit *e);
void emit(struct emit *e, struct bpf_insn i);
/* ld_imm64 (two slots) */
void emit_ld64(struct emit *e, int reg, uint64_t v);
void emit_ld_map(struct emit *e, int reg, int map_fd);
int emit_label(struct emit *e);
void emit_bind(struct emit *e, int label);
/* conditional jump to a label (op BPF_JEQ, ...), or BPF_JA when op == BPF_JA */
void emit_jmp_imm(struct emit *e, int op, int reg, int32_t imm, int label);
void emit_jmp_reg(struct emit *e, int op, int reg, int src, int label);
void emit_ja(struct emit *e, int label);
/* any jump instruction (e.g. JMP32) to a label */
void emit_jmp_to(struct emit *e, struct bpf_insn i, int label);
/* resolve jumps; false when a label is unbound or out of range */
bool emit_finish(struct emit *e);

#endif
