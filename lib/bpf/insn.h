/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Constructors for eBPF instructions, used by every eBPF code generator of
 * libpfq: the member socket filter (core/sockfilter_member.c), the binding
 * check (lang/bindings.c), the classic-to-eBPF translator (cbpf.c) and the
 * PFQ/lang back end (lang/ebpf: socket filter, fanout and TC programs),
 * mostly through the emitter (emit.h), which also makes the two-slot map
 * loads (emit_ld_map). The uapi header defines the encoding but no
 * constructors; these are our own.
 */
#ifndef PFQ_BPF_INSN_H
#define PFQ_BPF_INSN_H

#include <linux/bpf.h>
#include <stdint.h>

static inline struct bpf_insn bi_make(uint8_t code, uint8_t dst, uint8_t src,
				      int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst & 0xf,
			      .src_reg = src & 0xf, .off = off, .imm = imm };
	return i;
}

/* dst = imm / dst = src (64 bit) */
#define BI_MOV_IMM(dst, imm) bi_make(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define BI_MOV_REG(dst, src) bi_make(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
/* dst op= imm / dst op= src (64 bit ALU) */
#define BI_ALU_IMM(op, dst, imm) bi_make(BPF_ALU64 | (op) | BPF_K, dst, 0, 0, imm)
#define BI_ALU_REG(op, dst, src) bi_make(BPF_ALU64 | (op) | BPF_X, dst, src, 0, 0)
/* 32 bit ALU */
#define BI_ALU32_IMM(op, dst, imm) bi_make(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define BI_ALU32_REG(op, dst, src) bi_make(BPF_ALU | (op) | BPF_X, dst, src, 0, 0)
/* dst = *(size *)(src + off) */
#define BI_LDX(size, dst, src, off) bi_make(BPF_LDX | (size) | BPF_MEM, dst, src, off, 0)
/* *(size *)(dst + off) = src (STX) / imm (ST) */
#define BI_STX(size, dst, src, off) bi_make(BPF_STX | (size) | BPF_MEM, dst, src, off, 0)
#define BI_ST(size, dst, off, imm) bi_make(BPF_ST | (size) | BPF_MEM, dst, 0, off, imm)
/* conditional jumps, off counted in instructions after this one */
#define BI_JMP_IMM(op, dst, imm, off) bi_make(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define BI_JMP_REG(op, dst, src, off) bi_make(BPF_JMP | (op) | BPF_X, dst, src, off, 0)
#define BI_JA(off) bi_make(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define BI_CALL(helper) bi_make(BPF_JMP | BPF_CALL, 0, 0, 0, helper)
#define BI_EXIT() bi_make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* dst = v (64 bit): the two slots of ld_imm64, for an initializer list */
#define BI_LD_IMM64(dst, v)                                                     \
	bi_make(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)(v)),  \
		bi_make(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))

#endif /* PFQ_BPF_INSN_H */
