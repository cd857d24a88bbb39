/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "disasm.h"

static const char *alu_op(int op)
{
	static const char *names[16] = { "+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
					 "neg", "%=", "^=", "=", "s>>=", "end", "?", "?" };
	return names[(op >> 4) & 15];
}

static const char *jmp_op(int op)
{
	static const char *names[16] = { "ja", "==", ">", ">=", "&", "!=", "s>", "s>=",
					 "call", "exit", "<", "<=", "s<", "s<=", "?", "?" };
	return names[(op >> 4) & 15];
}

static const char *size_name(int size)
{
	switch (size) {
	case BPF_B: return "u8";
	case BPF_H: return "u16";
	case BPF_W: return "u32";
	default: return "u64";
	}
}

void bpf_disasm(const struct bpf_insn *insns, int n, FILE *out)
{
	bpf_disasm_named(insns, n, out, NULL, NULL);
}

void bpf_disasm_named(const struct bpf_insn *insns, int n, FILE *out,
		      const char *(*map_name)(int32_t imm, void *user), void *user)
{
	for (int i = 0; i < n; i++) {
		const struct bpf_insn *x = &insns[i];
		int cls = BPF_CLASS(x->code), op = BPF_OP(x->code), src = BPF_SRC(x->code);

		fprintf(out, "%5d: ", i);
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64: {
			const char *w = cls == BPF_ALU ? "w" : "r";

			if (op == BPF_END)
				fprintf(out, "%s%d = be%d %s%d", w, x->dst_reg, x->imm, w, x->dst_reg);
			else if (op == BPF_NEG)
				fprintf(out, "%s%d = -%s%d", w, x->dst_reg, w, x->dst_reg);
			else if (src == BPF_X)
				fprintf(out, "%s%d %s %s%d", w, x->dst_reg, alu_op(op), w, x->src_reg);
			else
				fprintf(out, "%s%d %s %d", w, x->dst_reg, alu_op(op), x->imm);
			break;
		}
		case BPF_LDX:
			fprintf(out, "r%d = *(%s *)(r%d %+d)", x->dst_reg, size_name(BPF_SIZE(x->code)),
				x->src_reg, x->off);
			break;
		case BPF_STX:
			if (BPF_MODE(x->code) == BPF_ATOMIC)
				fprintf(out, "lock *(%s *)(r%d %+d) += r%d", size_name(BPF_SIZE(x->code)),
					x->dst_reg, x->off, x->src_reg);
			else
				fprintf(out, "*(%s *)(r%d %+d) = r%d", size_name(BPF_SIZE(x->code)),
					x->dst_reg, x->off, x->src_reg);
			break;
		case BPF_ST:
			fprintf(out, "*(%s *)(r%d %+d) = %d", size_name(BPF_SIZE(x->code)), x->dst_reg,
				x->off, x->imm);
			break;
		case BPF_LD:
			if (x->code == (BPF_LD | BPF_DW | BPF_IMM) && i + 1 < n) {
				const char *name = map_name ? map_name(x->imm, user) : NULL;

				if (x->src_reg == BPF_PSEUDO_MAP_FD && name)
					fprintf(out, "r%d = map[%s]", x->dst_reg, name);
				else if (x->src_reg == BPF_PSEUDO_MAP_FD)
					fprintf(out, "r%d = map[fd %d]", x->dst_reg, x->imm);
				else
					fprintf(out, "r%d = 0x%llx ll", x->dst_reg,
						(unsigned long long)(uint32_t)x->imm |
							(unsigned long long)(uint32_t)insns[i + 1].imm << 32);
				i++;
			} else if (BPF_MODE(x->code) == BPF_ABS) {
				fprintf(out, "r0 = ntoh(*(%s *)skb[%d])", size_name(BPF_SIZE(x->code)), x->imm);
			} else if (BPF_MODE(x->code) == BPF_IND) {
				fprintf(out, "r0 = ntoh(*(%s *)skb[r%d %+d])", size_name(BPF_SIZE(x->code)),
					x->src_reg, x->imm);
			} else {
				fprintf(out, "ld code 0x%02x", x->code);
			}
			break;
		case BPF_JMP:
		case BPF_JMP32: {
			const char *w = cls == BPF_JMP32 ? "w" : "r";

			if (op == BPF_EXIT)
				fprintf(out, "exit");
			else if (op == BPF_CALL)
				fprintf(out, "call helper %d", x->imm);
			else if (op == BPF_JA)
				fprintf(out, "goto %d", i + x->off + 1);
			else if (src == BPF_X)
				fprintf(out, "if %s%d %s %s%d goto %d", w, x->dst_reg, jmp_op(op), w,
					x->src_reg, i + x->off + 1);
			else
				fprintf(out, "if %s%d %s %d goto %d", w, x->dst_reg, jmp_op(op), x->imm,
					i + x->off + 1);
			break;
		}
		default:
			fprintf(out, "code 0x%02x", x->code);
		}
		fputc('\n', out);
	}
}
