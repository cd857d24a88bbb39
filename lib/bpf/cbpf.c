/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "emit.h"
#include "cbpf.h"
#include "../shared.h"
#include "skb.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RA BPF_REG_7 /* the classic accumulator */
#define RX BPF_REG_8 /* the classic index register */

/* -1, with the message in err (errno EINVAL) */
#define fail(err, n, ...) (pfq_errf(err, n, EINVAL, __VA_ARGS__), -1)

static void ret(struct emit *e, int ret_label)
{
	if (ret_label >= 0)
		emit_ja(e, ret_label);
	else
		emit(e, BI_EXIT());
}

/* A = ancillary value k; returns false when k is not one we know */
static bool ancillary(struct emit *e, int32_t k)
{
	switch (k - SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(protocol)));
		emit(e, bi_make(BPF_ALU | BPF_END | BPF_TO_BE, RA, 0, 0, 16));
		return true;
	case SKF_AD_PKTTYPE:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(pkt_type)));
		return true;
	case SKF_AD_IFINDEX:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(ifindex)));
		return true;
	case SKF_AD_MARK:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(mark)));
		return true;
	case SKF_AD_QUEUE:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(queue_mapping)));
		return true;
	case SKF_AD_HATYPE:
		/* the device type is not in the eBPF context: PFQ binds
		 * Ethernet devices */
		emit(e, BI_MOV_IMM(RA, ARPHRD_ETHER));
		return true;
	case SKF_AD_RXHASH:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(hash)));
		return true;
	case SKF_AD_CPU:
		emit(e, BI_CALL(BPF_FUNC_get_smp_processor_id));
		emit(e, BI_MOV_REG(RA, BPF_REG_0));
		return true;
	case SKF_AD_VLAN_TAG:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(vlan_tci)));
		return true;
	case SKF_AD_VLAN_TAG_PRESENT:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(vlan_present)));
		return true;
	case SKF_AD_VLAN_TPID:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB_OFF(vlan_proto)));
		emit(e, bi_make(BPF_ALU | BPF_END | BPF_TO_BE, RA, 0, 0, 16));
		return true;
	case SKF_AD_RANDOM:
		emit(e, BI_CALL(BPF_FUNC_get_prandom_u32));
		emit(e, BI_MOV_REG(RA, BPF_REG_0));
		return true;
	case SKF_AD_ALU_XOR_X:
		emit(e, BI_ALU32_REG(BPF_XOR, RA, RX));
		return true;
	default:
		return false;
	}
}

/* A = the frame's length from the MAC header (reg RA or RX) */
static void frame_len(struct emit *e, int reg, bool mac_rel)
{
	int out = emit_label(e);

	emit(e, BI_LDX(BPF_W, reg, BPF_REG_6, SKB_OFF(len)));
	if (!mac_rel)
		return;
	/* received: skb->data is the network header; outgoing: the MAC header */
	emit(e, BI_LDX(BPF_W, BPF_REG_0, BPF_REG_6, SKB_OFF(pkt_type)));
	emit_jmp_imm(e, BPF_JEQ, BPF_REG_0, PACKET_OUTGOING, out);
	emit(e, BI_ALU32_IMM(BPF_ADD, reg, ETH_HLEN));
	emit_bind(e, out);
}

/* a classic packet offset as LD_ABS/LD_IND take it: with mac_rel, plain
 * offsets count from the MAC header (SKF_LL_OFF); SKF_NET_OFF/SKF_LL_OFF
 * ones are already relative */
static int32_t rel_off(int32_t k, bool mac_rel)
{
	return mac_rel && k >= 0 ? k + SKF_LL_OFF : k;
}

/* is code one of the classic instructions the kernel knows (size and
 * mode bits included)? */
static bool known_code(uint16_t code)
{
	static const uint16_t codes[] = {
		BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
		BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
		BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM,
		BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM,
		BPF_LDX | BPF_MEM, BPF_ST, BPF_STX, BPF_ALU | BPF_NEG,
		BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_RET | BPF_K, BPF_RET | BPF_A,
		BPF_JMP | BPF_JA,
	};
	static const uint16_t alu[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND,
					BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH };
	static const uint16_t jmp[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (code == codes[i])
			return true;
	for (int src = 0; src <= BPF_X; src += BPF_X) {
		for (size_t i = 0; i < sizeof(alu) / sizeof(alu[0]); i++)
			if (code == (BPF_ALU | alu[i] | src))
				return true;
		for (size_t i = 0; i < sizeof(jmp) / sizeof(jmp[0]); i++)
			if (code == (BPF_JMP | jmp[i] | src))
				return true;
	}
	return false;
}

int cbpf_check(const struct sock_fprog *prog, char *err, size_t errlen)
{
	int n = prog ? prog->len : 0, rc = 0;
	const struct sock_filter *f = prog ? prog->filter : NULL;
	uint16_t *into, written = 0; /* memory words written: bit m for M[m] */

	if (!f || n <= 0 || n > BPF_MAXINSNS)
		return fail(err, errlen, "classic program of %d instructions (1..%d)", n, BPF_MAXINSNS);
	/* into[i]: the words written on every jump to i */
	into = malloc((size_t)n * sizeof(*into));
	if (!into)
		return fail(err, errlen, "out of memory");
	memset(into, 0xff, (size_t)n * sizeof(*into));
	for (int i = 0; i < n && !rc; i++) {
		uint16_t code = f[i].code, op = BPF_OP(code);
		uint32_t k = f[i].k;
		bool mem = code == (BPF_LD | BPF_MEM) || code == (BPF_LDX | BPF_MEM);

		/* what is written when i is reached: by the instruction before
		 * (unless it jumped) and by every jump to i */
		written &= into[i];
		if (!known_code(code))
			rc = fail(err, errlen, "instruction %d: unknown code 0x%04x", i, code);
		else if (BPF_CLASS(code) == BPF_ALU && BPF_SRC(code) == BPF_K &&
			 (op == BPF_DIV || op == BPF_MOD) && k == 0)
			rc = fail(err, errlen, "instruction %d: division by 0", i);
		else if (BPF_CLASS(code) == BPF_ALU && BPF_SRC(code) == BPF_K &&
			 (op == BPF_LSH || op == BPF_RSH) && k >= 32)
			rc = fail(err, errlen, "instruction %d: shift by %u", i, k);
		else if ((mem || code == BPF_ST || code == BPF_STX) && k >= BPF_MEMWORDS)
			rc = fail(err, errlen, "instruction %d: memory word %u (0..%d)", i, k,
				  BPF_MEMWORDS - 1);
		else if (mem && !(written & (1u << k)))
			rc = fail(err, errlen, "instruction %d: memory word %u read before it is "
				  "written", i, k);
		else if (code == (BPF_JMP | BPF_JA) && k >= (uint32_t)(n - i - 1))
			rc = fail(err, errlen, "instruction %d: jump beyond the program", i);
		else if (BPF_CLASS(code) == BPF_JMP && op != BPF_JA &&
			 (i + 1 + f[i].jt >= n || i + 1 + f[i].jf >= n))
			rc = fail(err, errlen, "instruction %d: jump beyond the program", i);
		if (rc)
			break;
		if (code == BPF_ST || code == BPF_STX) {
			written |= (uint16_t)(1u << k);
		} else if (code == (BPF_JMP | BPF_JA)) {
			into[i + 1 + k] &= written;
			written = 0xffff; /* no way on from here but the jump */
		} else if (BPF_CLASS(code) == BPF_JMP) {
			into[i + 1 + f[i].jt] &= written;
			into[i + 1 + f[i].jf] &= written;
			written = 0xffff;
		}
	}
	free(into);
	if (!rc && BPF_CLASS(f[n - 1].code) != BPF_RET)
		rc = fail(err, errlen, "the program does not end with a return (instruction %d)",
			  n - 1);
	return rc;
}

int cbpf_translate(struct emit *e, const struct sock_fprog *prog, int ret_label,
		   int stack_off, char *err, size_t errlen)
{
	return cbpf_translate_rel(e, prog, ret_label, stack_off, false, err, errlen);
}

int cbpf_translate_rel(struct emit *e, const struct sock_fprog *prog, int ret_label,
		       int stack_off, bool mac_rel, char *err, size_t errlen)
{
	int n = prog ? prog->len : 0, *labels, zero_x;
	const struct sock_filter *f = prog ? prog->filter : NULL;

	if (cbpf_check(prog, err, errlen) < 0)
		return -1;
	labels = calloc((size_t)n, sizeof(int));
	if (!labels)
		return fail(err, errlen, "out of memory");
	for (int i = 0; i < n; i++)
		labels[i] = emit_label(e);
	zero_x = emit_label(e);
	/* A = X = 0; scratch memory zeroed (the verifier wants it written) */
	emit(e, BI_MOV_IMM(RA, 0));
	emit(e, BI_MOV_IMM(RX, 0));
	for (int m = 0; m < BPF_MEMWORDS; m += 2)
		emit(e, BI_ST(BPF_DW, BPF_REG_10, (int16_t)(stack_off + 4 * m), 0));
	for (int i = 0; i < n; i++) {
		const struct sock_filter *x = &f[i];
		uint16_t code = x->code;
		int32_t k = (int32_t)x->k;
		int16_t mem = (int16_t)(stack_off + 4 * (int)(x->k & 15));

		emit_bind(e, labels[i]);
		switch (BPF_CLASS(code)) {
		case BPF_LD:
			switch (BPF_MODE(code)) {
			case BPF_ABS:
				/* [SKF_AD_OFF, 0): ancillary data (whatever the load
				 * size, as the kernel reads it); below: SKF_NET_OFF /
				 * SKF_LL_OFF relative loads, which LD_ABS handles */
				if (k >= SKF_AD_OFF && k < 0) {
					if (!ancillary(e, k))
						goto bad;
					break;
				}
				/* the kernel's LD_ABS: bounds checked, out of
				 * range ends the program with 0, as in classic */
				emit(e, bi_make((uint8_t)(BPF_LD | BPF_ABS | BPF_SIZE(code)), 0, 0, 0,
						rel_off(k, mac_rel)));
				emit(e, BI_MOV_REG(RA, BPF_REG_0));
				break;
			case BPF_IND:
				emit(e, bi_make((uint8_t)(BPF_LD | BPF_IND | BPF_SIZE(code)), 0, RX, 0,
						rel_off(k, mac_rel)));
				emit(e, BI_MOV_REG(RA, BPF_REG_0));
				break;
			case BPF_IMM:
				emit(e, BI_ALU32_IMM(BPF_MOV, RA, k));
				break;
			case BPF_MEM:
				emit(e, BI_LDX(BPF_W, RA, BPF_REG_10, mem));
				break;
			case BPF_LEN:
				frame_len(e, RA, mac_rel);
				break;
			default:
				goto bad;
			}
			break;
		case BPF_LDX:
			switch (BPF_MODE(code)) {
			case BPF_IMM:
				emit(e, BI_ALU32_IMM(BPF_MOV, RX, k));
				break;
			case BPF_MEM:
				emit(e, BI_LDX(BPF_W, RX, BPF_REG_10, mem));
				break;
			case BPF_LEN:
				frame_len(e, RX, mac_rel);
				break;
			case BPF_MSH: /* X = 4 * (P[k] & 0xf) */
				emit(e, bi_make(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, rel_off(k, mac_rel)));
				emit(e, BI_ALU32_IMM(BPF_AND, BPF_REG_0, 0xf));
				emit(e, BI_ALU32_IMM(BPF_LSH, BPF_REG_0, 2));
				emit(e, BI_MOV_REG(RX, BPF_REG_0));
				break;
			default:
				goto bad;
			}
			break;
		case BPF_ST:
		case BPF_STX:
			emit(e, BI_STX(BPF_W, BPF_REG_10, BPF_CLASS(code) == BPF_ST ? RA : RX, mem));
			break;
		case BPF_ALU: {
			int op = BPF_OP(code);

			if (op == BPF_NEG) {
				emit(e, BI_ALU32_IMM(BPF_NEG, RA, 0));
				break;
			}
			if (op != BPF_ADD && op != BPF_SUB && op != BPF_MUL && op != BPF_DIV &&
			    op != BPF_MOD && op != BPF_AND && op != BPF_OR && op != BPF_XOR &&
			    op != BPF_LSH && op != BPF_RSH)
				goto bad;
			if (BPF_SRC(code) == BPF_X) {
				/* classic: division by X == 0 ends the program with 0 */
				if (op == BPF_DIV || op == BPF_MOD)
					emit_jmp_imm(e, BPF_JEQ, RX, 0, zero_x);
				emit(e, BI_ALU32_REG(op, RA, RX));
			} else {
				emit(e, BI_ALU32_IMM(op, RA, k));
			}
			break;
		}
		case BPF_JMP: {
			int op = BPF_OP(code);

			if (op == BPF_JA) {
				emit_ja(e, labels[i + 1 + (int)x->k]);
				break;
			}
			/* 32-bit compares: classic registers are 32 bits */
			emit_jmp_to(e, BPF_SRC(code) == BPF_X ?
				bi_make((uint8_t)(BPF_JMP32 | op | BPF_X), RA, RX, 0, 0) :
				bi_make((uint8_t)(BPF_JMP32 | op | BPF_K), RA, 0, 0, k),
				labels[i + 1 + x->jt]);
			emit_ja(e, labels[i + 1 + x->jf]);
			break;
		}
		case BPF_RET:
			if (BPF_RVAL(code) == BPF_K)
				emit(e, BI_ALU32_IMM(BPF_MOV, BPF_REG_0, k));
			else if (BPF_RVAL(code) == BPF_A)
				emit(e, BI_MOV_REG(BPF_REG_0, RA));
			else
				goto bad;
			ret(e, ret_label);
			break;
		case BPF_MISC:
			if (BPF_MISCOP(code) == BPF_TAX)
				emit(e, BI_MOV_REG(RX, RA));
			else if (BPF_MISCOP(code) == BPF_TXA)
				emit(e, BI_MOV_REG(RA, RX));
			else
				goto bad;
			break;
		default:
			goto bad;
		}
		continue;
bad:
		free(labels);
		return fail(err, errlen, "classic instruction %d (code 0x%04x, k %u) is not valid",
			    i, code, x->k);
	}
	emit_bind(e, zero_x);
	emit(e, BI_MOV_IMM(BPF_REG_0, 0));
	ret(e, ret_label);
	free(labels);
	return 0;
}

int cbpf_load(const struct sock_fprog *prog, char *err, size_t errlen)
{
	struct emit e;
	int fd;

	emit_init(&e);
	emit(&e, BI_MOV_REG(BPF_REG_6, BPF_REG_1));
	if (cbpf_translate(&e, prog, -1, -64, err, errlen) < 0) {
		emit_free(&e);
		return -EINVAL;
	}
	if (!emit_finish(&e)) {
		emit_free(&e);
		return pfq_errf(err, errlen, E2BIG, "classic program too large");
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfq_cbpf", "GPL", e.insns, (size_t)e.n, NULL);
	if (fd < 0) {
		int errn = errno;

		fd = pfq_errf(err, errlen, errn, "the kernel refused the translated filter: %s",
			      strerror(errn));
	}
	emit_free(&e);
	return fd;
}
