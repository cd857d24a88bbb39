/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "emit.h"
#include "cbpf.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RA BPF_REG_7 /* the classic accumulator */
#define RX BPF_REG_8 /* the classic index register */
#define SKB(f) ((int16_t)offsetof(struct __sk_buff, f))

static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (err && n) {
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

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
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(protocol)));
		emit(e, bi_make(BPF_ALU | BPF_END | BPF_TO_BE, RA, 0, 0, 16));
		return true;
	case SKF_AD_PKTTYPE:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(pkt_type)));
		return true;
	case SKF_AD_IFINDEX:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(ifindex)));
		return true;
	case SKF_AD_MARK:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(mark)));
		return true;
	case SKF_AD_QUEUE:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(queue_mapping)));
		return true;
	case SKF_AD_HATYPE:
		/* the device type is not in the eBPF context: PFQ binds
		 * Ethernet devices */
		emit(e, BI_MOV_IMM(RA, ARPHRD_ETHER));
		return true;
	case SKF_AD_RXHASH:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(hash)));
		return true;
	case SKF_AD_CPU:
		emit(e, BI_CALL(BPF_FUNC_get_smp_processor_id));
		emit(e, BI_MOV_REG(RA, BPF_REG_0));
		return true;
	case SKF_AD_VLAN_TAG:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(vlan_tci)));
		return true;
	case SKF_AD_VLAN_TAG_PRESENT:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(vlan_present)));
		return true;
	case SKF_AD_VLAN_TPID:
		emit(e, BI_LDX(BPF_W, RA, BPF_REG_6, SKB(vlan_proto)));
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

	emit(e, BI_LDX(BPF_W, reg, BPF_REG_6, SKB(len)));
	if (!mac_rel)
		return;
	/* received: skb->data is the network header; outgoing: the MAC header */
	emit(e, BI_LDX(BPF_W, BPF_REG_0, BPF_REG_6, SKB(pkt_type)));
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

	if (!f || n <= 0 || n > BPF_MAXINSNS)
		return fail(err, errlen, "classic program of %d instructions (1..%d)", n, BPF_MAXINSNS);
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
				if (x->k >= BPF_MEMWORDS)
					goto bad;
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
				if (x->k >= BPF_MEMWORDS)
					goto bad;
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
			if (x->k >= BPF_MEMWORDS)
				goto bad;
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
				if ((op == BPF_DIV || op == BPF_MOD) && k == 0)
					goto bad;
				if ((op == BPF_LSH || op == BPF_RSH) && (uint32_t)k >= 32)
					goto bad;
				emit(e, BI_ALU32_IMM(op, RA, k));
			}
			break;
		}
		case BPF_JMP: {
			int op = BPF_OP(code);

			if (op == BPF_JA) {
				if (i + 1 + (int64_t)x->k >= n)
					goto bad;
				emit_ja(e, labels[i + 1 + (int)x->k]);
				break;
			}
			if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET)
				goto bad;
			if (i + 1 + x->jt >= n || i + 1 + x->jf >= n)
				goto bad;
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
	if (BPF_CLASS(f[n - 1].code) != BPF_RET) {
		free(labels);
		return fail(err, errlen, "the classic program does not end with a return");
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
		return fail(err, errlen, "classic program too large"), -E2BIG;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "pfq_cbpf", "GPL", e.insns, (size_t)e.n, NULL);
	if (fd < 0) {
		int errn = errno;

		fail(err, errlen, "the kernel refused the translated filter: %s", strerror(errn));
		fd = -errn;
	}
	emit_free(&e);
	return fd;
}
