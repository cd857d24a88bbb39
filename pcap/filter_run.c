/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Classic BPF run in user space on the kernel's view of a frame (see
 * filter_run.h). Every step is checked: the program may come from anyone
 * (pcap_setfilter takes any bpf_program), so a jump or a load out of range
 * rejects the packet instead of reading past the program or the frame.
 */
#include "filter_run.h"

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

bool filter_uses_metadata(const struct bpf_insn *p, u_int n)
{
	for (u_int i = 0; i < n; i++)
		if (BPF_CLASS(p[i].code) == BPF_LD && BPF_MODE(p[i].code) == BPF_ABS &&
		    p[i].k >= (uint32_t)SKF_AD_OFF)
			return true;
	return false;
}

/* ancillary value k, or false for one we do not have */
static bool ancillary(uint32_t k, const struct filter_meta *m, uint32_t *a)
{
	switch ((int32_t)k - SKF_AD_OFF) {
	case SKF_AD_VLAN_TAG:
		*a = m->vlan_tci;
		return true;
	case SKF_AD_VLAN_TAG_PRESENT:
		*a = m->vlan_tpid != 0;
		return true;
	case SKF_AD_VLAN_TPID:
		*a = m->vlan_tpid;
		return true;
	case SKF_AD_PROTOCOL:
		*a = m->protocol;
		return true;
	case SKF_AD_PKTTYPE:
		*a = m->pkttype;
		return true;
	case SKF_AD_IFINDEX:
		*a = (uint32_t)m->ifindex;
		return true;
	default:
		return false;
	}
}

/* load size bytes at off (big-endian), or false when out of the frame */
static bool load(const u_char *p, u_int buflen, uint32_t off, int size, uint32_t *a)
{
	if (off > buflen || (uint32_t)size > buflen - off)
		return false;
	if (size == 4)
		*a = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
		     (uint32_t)p[off + 2] << 8 | p[off + 3];
	else if (size == 2)
		*a = (uint32_t)p[off] << 8 | p[off + 1];
	else
		*a = p[off];
	return true;
}

static int size_of(uint16_t code)
{
	return BPF_SIZE(code) == BPF_W ? 4 : BPF_SIZE(code) == BPF_H ? 2 : 1;
}

/* A op v; false for a division by zero or an unknown operation */
static bool alu(uint16_t op, uint32_t *a, uint32_t v)
{
	switch (op) {
	case BPF_ADD: *a += v; return true;
	case BPF_SUB: *a -= v; return true;
	case BPF_MUL: *a *= v; return true;
	case BPF_DIV: if (!v) return false; *a /= v; return true;
	case BPF_MOD: if (!v) return false; *a %= v; return true;
	case BPF_AND: *a &= v; return true;
	case BPF_OR: *a |= v; return true;
	case BPF_XOR: *a ^= v; return true;
	case BPF_LSH: *a = v < 32 ? *a << v : 0; return true;
	case BPF_RSH: *a = v < 32 ? *a >> v : 0; return true;
	case BPF_NEG: *a = (uint32_t)-(int32_t)*a; return true;
	default: return false;
	}
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_JEQ: return a == v;
	case BPF_JGT: return a > v;
	case BPF_JGE: return a >= v;
	default: return (a & v) != 0; /* BPF_JSET */
	}
}

u_int filter_run(const struct bpf_insn *prog, u_int n, const u_char *p, u_int wirelen,
		 u_int buflen, const struct filter_meta *m)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 }, v;

	if (n == 0)
		return (u_int)-1; /* no program: everything, as libpcap's */
	for (u_int pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &prog[pc];

		switch (BPF_CLASS(i->code)) {
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? a : i->k;
		case BPF_LD:
			switch (BPF_MODE(i->code)) {
			case BPF_ABS:
				if (i->k >= (uint32_t)SKF_AD_OFF) {
					if (!ancillary(i->k, m, &a))
						return 0;
				} else if (!load(p, buflen, i->k, size_of(i->code), &a)) {
					return 0;
				}
				break;
			case BPF_IND:
				if (!load(p, buflen, x + i->k, size_of(i->code), &a) ||
				    x + i->k < x)
					return 0;
				break;
			case BPF_LEN: a = wirelen; break;
			case BPF_IMM: a = i->k; break;
			case BPF_MEM:
				if (i->k >= BPF_MEMWORDS)
					return 0;
				a = mem[i->k];
				break;
			default: return 0;
			}
			break;
		case BPF_LDX:
			switch (BPF_MODE(i->code)) {
			case BPF_IMM: x = i->k; break;
			case BPF_LEN: x = wirelen; break;
			case BPF_MEM:
				if (i->k >= BPF_MEMWORDS)
					return 0;
				x = mem[i->k];
				break;
			case BPF_MSH:
				if (!load(p, buflen, i->k, 1, &v))
					return 0;
				x = (v & 0xf) << 2;
				break;
			default: return 0;
			}
			break;
		case BPF_ST:
		case BPF_STX:
			if (i->k >= BPF_MEMWORDS)
				return 0;
			mem[i->k] = BPF_CLASS(i->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			if (!alu(BPF_OP(i->code), &a, BPF_SRC(i->code) == BPF_X ? x : i->k))
				return 0;
			break;
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_JA) {
				if (i->k >= n - pc - 1)
					return 0;
				pc += i->k;
				break;
			}
			v = BPF_SRC(i->code) == BPF_X ? x : i->k;
			v = jump_taken(BPF_OP(i->code), a, v) ? i->jt : i->jf;
			if (v >= n - pc - 1)
				return 0;
			pc += v;
			break;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			return 0;
		}
	}
	return 0; /* fell off the end */
}
