/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "emit.h"
#include "grow.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void emit_init(struct emit *e)
{
	memset(e, 0, sizeof(*e));
}

void emit_free(struct emit *e)
{
	free(e->insns);
	free(e->label_pos);
	free(e->fix);
	memset(e, 0, sizeof(*e));
}

void emit(struct emit *e, struct bpf_insn i)
{
	/* as many as the kernel takes in a program, and no more, whatever the
	 * generator is doing (emit_finish fails) */
	if (e->n >= (e->limit ? e->limit : EMIT_MAX_INSNS))
		e->oom = true;
	if (e->oom || !bpf_grow((void **)&e->insns, &e->cap, e->n + 1, sizeof(i))) {
		e->oom = true;
		return;
	}
	e->insns[e->n++] = i;
}

void emit_ld64(struct emit *e, int reg, uint64_t v)
{
	const struct bpf_insn ld[] = { BI_LD_IMM64((uint8_t)reg, v) };

	emit(e, ld[0]);
	emit(e, ld[1]);
}

void emit_ld_map(struct emit *e, int reg, int map_fd)
{
	emit(e, bi_make(BPF_LD | BPF_DW | BPF_IMM, (uint8_t)reg, BPF_PSEUDO_MAP_FD, 0, map_fd));
	emit(e, bi_make(0, 0, 0, 0, 0));
}

int emit_label(struct emit *e)
{
	if (e->oom || !bpf_grow((void **)&e->label_pos, &e->caplabels, e->nlabels + 1, sizeof(int))) {
		e->oom = true;
		return 0;
	}
	e->label_pos[e->nlabels] = -1;
	return e->nlabels++;
}

void emit_bind(struct emit *e, int label)
{
	if (!e->oom)
		e->label_pos[label] = e->n;
}

static void add_fix(struct emit *e, int label)
{
	if (e->oom || !bpf_grow((void **)&e->fix, &e->capfix, e->nfix + 1, sizeof(e->fix[0]))) {
		e->oom = true;
		return;
	}
	e->fix[e->nfix].insn = e->n - 1;
	e->fix[e->nfix].label = label;
	e->nfix++;
}

void emit_jmp_imm(struct emit *e, int op, int reg, int32_t imm, int label)
{
	emit(e, BI_JMP_IMM(op, (uint8_t)reg, imm, 0));
	add_fix(e, label);
}

void emit_jmp_reg(struct emit *e, int op, int reg, int src, int label)
{
	emit(e, BI_JMP_REG(op, (uint8_t)reg, (uint8_t)src, 0));
	add_fix(e, label);
}

void emit_jmp_to(struct emit *e, struct bpf_insn i, int label)
{
	emit(e, i);
	add_fix(e, label);
}

void emit_ja(struct emit *e, int label)
{
	emit(e, BI_JA(0));
	add_fix(e, label);
}

static bool is_jump(const struct bpf_insn *i)
{
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static bool is_wide(const struct bpf_insn *i)
{
	return i->code == (BPF_LD | BPF_DW | BPF_IMM);
}

/*
 * The verifier refuses unreachable instructions, and generated code has
 * some (a block after an unconditional jump nobody targets): drop them and
 * re-target the jumps.
 */
static bool drop_unreachable(struct emit *e)
{
	int n = e->n, *map = calloc((size_t)n + 1, sizeof(int)), *stack = calloc((size_t)n + 1, sizeof(int));
	char *seen = calloc((size_t)n + 1, 1);
	int sp = 0, k = 0;
	bool ok = map && stack && seen;

	if (ok)
		stack[sp++] = 0;
	while (ok && sp) {
		int i = stack[--sp];

		while (i < n && !seen[i]) {
			const struct bpf_insn *x = &e->insns[i];

			seen[i] = 1;
			if (is_wide(x)) {
				seen[i + 1] = 1;
				i += 2;
				continue;
			}
			if (BPF_CLASS(x->code) == BPF_JMP && BPF_OP(x->code) == BPF_EXIT)
				break;
			if (is_jump(x)) {
				int t = i + x->off + 1;

				if (t < 0 || t >= n) {
					ok = false;
					break;
				}
				stack[sp++] = t;
				if (BPF_OP(x->code) == BPF_JA)
					break;
			}
			i++;
		}
	}
	for (int i = 0; ok && i <= n; i++) {
		map[i] = k;
		if (i < n && seen[i])
			k++;
	}
	for (int i = 0, j = 0; ok && i < n; i++) {
		if (!seen[i])
			continue;
		struct bpf_insn x = e->insns[i];

		/* (the second slot of a wide load has code 0: never a jump) */
		if (is_jump(&x)) {
			int off = map[i + x.off + 1] - map[i] - 1;

			if (off < -32768 || off > 32767)
				ok = false;
			x.off = (int16_t)off;
		}
		e->insns[j++] = x;
	}
	if (ok)
		e->n = k;
	free(map);
	free(stack);
	free(seen);
	return ok;
}

bool emit_finish(struct emit *e)
{
	if (e->oom)
		return false;
	for (int i = 0; i < e->nfix; i++) {
		int target = e->label_pos[e->fix[i].label];
		int off = target - e->fix[i].insn - 1;

		if (target < 0 || off < -32768 || off > 32767)
			return false;
		e->insns[e->fix[i].insn].off = (int16_t)off;
	}
	return drop_unreachable(e);
}
