/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "casm.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

void casm_init(struct casm *a)
{
	memset(a, 0, sizeof(*a));
}

void casm_free(struct casm *a)
{
	free(a->v);
	free(a->label_pos);
	memset(a, 0, sizeof(*a));
}

static void put(struct casm *a, struct casm_insn i)
{
	/* far beyond any program the kernel takes: stop here, whatever the
	 * generator is doing (casm_finish fails) */
	if (a->n >= CASM_MAX_BUFFER)
		a->oom = true;
	if (a->oom || !bpf_grow((void **)&a->v, &a->cap, a->n + 1, sizeof(i))) {
		a->oom = true;
		return;
	}
	a->v[a->n++] = i;
}

void casm_op(struct casm *a, uint16_t code, uint32_t k)
{
	put(a, (struct casm_insn){ code, CASM_NEXT, CASM_NEXT, k });
}

void casm_jmp(struct casm *a, uint16_t op, uint32_t k, int jt, int jf)
{
	put(a, (struct casm_insn){ (uint16_t)(BPF_JMP | op), jt, jf, k });
}

void casm_ja(struct casm *a, int label)
{
	put(a, (struct casm_insn){ BPF_JMP | BPF_JA, label, CASM_NEXT, 0 });
}

int casm_label(struct casm *a)
{
	if (a->oom || !bpf_grow((void **)&a->label_pos, &a->caplabels, a->nlabels + 1, sizeof(int))) {
		a->oom = true;
		return 0;
	}
	a->label_pos[a->nlabels] = -1;
	return a->nlabels++;
}

void casm_bind(struct casm *a, int label)
{
	if (!a->oom && label >= 0 && label < a->nlabels)
		a->label_pos[label] = a->n;
}

static bool is_cond(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* final address of a jump target: the instruction after i, or a label */
static int target(const struct casm *a, const int *addr, int i, int label)
{
	if (label == CASM_NEXT)
		return addr[i + 1];
	return addr[a->label_pos[label]];
}

struct sock_filter *casm_finish(struct casm *a, int max, int *len)
{
	struct sock_filter *out = NULL;
	int *addr = NULL;
	uint8_t *far = NULL; /* bit 0: jt through a trampoline, bit 1: jf */
	bool changed = true;

	if (a->oom || a->n == 0)
		return NULL;
	for (int i = 0; i < a->n; i++) {
		const struct casm_insn *x = &a->v[i];
		int labels[2] = { x->jt, x->jf };

		if (BPF_CLASS(x->code) != BPF_JMP)
			continue;
		for (int j = 0; j < 2; j++)
			if (labels[j] != CASM_NEXT &&
			    (labels[j] < 0 || labels[j] >= a->nlabels || a->label_pos[labels[j]] <= i))
				return NULL; /* unbound, or backwards */
	}
	addr = calloc((size_t)a->n + 1, sizeof(*addr));
	far = calloc((size_t)a->n, 1);
	if (!addr || !far)
		goto out;
	/* a trampoline moves what follows: repeat until every short jump fits */
	while (changed) {
		changed = false;
		for (int i = 0; i < a->n; i++)
			addr[i + 1] = addr[i] + 1 + (far[i] & 1) + (far[i] >> 1);
		for (int i = 0; i < a->n; i++) {
			if (!is_cond(a->v[i].code))
				continue;
			int base = addr[i] + 1;

			if (!(far[i] & 1) && target(a, addr, i, a->v[i].jt) - base > 255) {
				far[i] |= 1;
				changed = true;
			}
			if (!(far[i] & 2) && target(a, addr, i, a->v[i].jf) - base > 255) {
				far[i] |= 2;
				changed = true;
			}
		}
	}
	if (addr[a->n] > max)
		goto out;
	out = calloc((size_t)addr[a->n], sizeof(*out));
	if (!out)
		goto out;
	for (int i = 0; i < a->n; i++) {
		const struct casm_insn *x = &a->v[i];
		struct sock_filter *f = &out[addr[i]];
		int base = addr[i] + 1, tramp = base;

		f->code = x->code;
		f->k = x->k;
		if (BPF_CLASS(x->code) != BPF_JMP)
			continue;
		if (!is_cond(x->code)) {
			f->k = (uint32_t)(target(a, addr, i, x->jt) - base);
			continue;
		}
		if (far[i] & 1) {
			f->jt = (uint8_t)(tramp - base);
			out[tramp] = (struct sock_filter){ BPF_JMP | BPF_JA, 0, 0,
							   (uint32_t)(target(a, addr, i, x->jt) - tramp - 1) };
			tramp++;
		} else {
			f->jt = (uint8_t)(target(a, addr, i, x->jt) - base);
		}
		if (far[i] & 2) {
			f->jf = (uint8_t)(tramp - base);
			out[tramp] = (struct sock_filter){ BPF_JMP | BPF_JA, 0, 0,
							   (uint32_t)(target(a, addr, i, x->jf) - tramp - 1) };
		} else {
			f->jf = (uint8_t)(target(a, addr, i, x->jf) - base);
		}
	}
	*len = addr[a->n];
out:
	free(addr);
	free(far);
	return out;
}
