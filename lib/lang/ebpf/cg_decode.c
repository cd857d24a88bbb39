/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Generated packet decoding: the same fields, with the same rules, as the
 * interpreter's packet.c, computed once at the start of the program.
 */
#include "cg-int.h"

#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdbool.h>
#include <string.h>


/*
 * Verifier complexity. The kernel's verifier follows every path through the
 * program, and stops following one only where it meets a path it already
 * checked and nothing it knows tells them apart: registers or stack slots
 * holding different constants, or ranges narrowed differently by earlier
 * tests. The decoder splits into many paths (a tag in the frame or not,
 * frames shorter than the cache, IPv4 or IPv6, each extension header) that
 * differ in just such values (offsets, lengths, flags), and every one of them
 * went on alone through the rest of the decoder and the whole computation
 * after it: decoding up to the TCP header took 200,000 of the verifier's
 * 1,000,000 steps, and computations with a few branches more were refused
 * after seconds (issue 13). So, where the decoder's paths join, forget()
 * makes the verifier forget the values that tell them apart and the paths
 * meet again (`tcp` now takes 9,000 steps): r ^= u; r ^= u leaves r as it
 * was, but u is read from the packet's metadata, a value the verifier does
 * not know, so it cannot tell what r holds any more. Every later use of
 * these values checks them first (as it must: they come from packets).
 * mask (0: none) then says which bits r can have; it must keep r's value.
 */
static void forget(struct cg *cg, int reg, int32_t mask)
{
	int merge = emit_label(&cg->e);

	E(BI_LDX(BPF_W, BPF_REG_5, BPF_REG_6, SKB_OFF(len)));
	E(BI_ALU_REG(BPF_XOR, (uint8_t)reg, BPF_REG_5));
	E(BI_ALU_REG(BPF_XOR, (uint8_t)reg, BPF_REG_5));
	if (mask)
		E(BI_ALU_IMM(BPF_AND, (uint8_t)reg, mask));
	/* a jump target, where the verifier compares paths */
	emit_ja(&cg->e, merge);
	emit_bind(&cg->e, merge);
}

/* forget() a field of the scratch area (clobbers r2, r5) */
static void forget_field(struct cg *cg, int16_t off)
{
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, off));
	forget(cg, BPF_REG_2, 0);
	E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_2, off));
}

static void be(struct cg *cg, int reg, int size)
{
	if (size > 1)
		E(bi_make(BPF_ALU | BPF_END | BPF_TO_BE, (uint8_t)reg, 0, 0, size * 8));
}

/* r(dst) = size bytes at ptr + off, big-endian, one byte at a time: the
 * verifier wants stack accesses at computed offsets aligned, and bytes
 * always are. Clobbers r3. */
static void bytes_be(struct cg *cg, int dst, int ptr, int16_t off, int size)
{
	E(BI_LDX(BPF_B, (uint8_t)dst, (uint8_t)ptr, off));
	for (int i = 1; i < size; i++) {
		E(BI_ALU_IMM(BPF_LSH, (uint8_t)dst, 8));
		E(BI_LDX(BPF_B, BPF_REG_3, (uint8_t)ptr, (int16_t)(off + i)));
		E(BI_ALU_REG(BPF_OR, (uint8_t)dst, BPF_REG_3));
	}
}

/* r(dst) = size bytes at cache[base + k], big-endian. The caller has made
 * sure they are in the cache and bounded base for the verifier. */
static void cache_ld(struct cg *cg, int dst, int base, int k, int size)
{
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_7));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_2, (uint8_t)base));
	bytes_be(cg, dst, BPF_REG_2, (int16_t)(SC(cache) + k), size);
}

void cg_load(struct cg *cg, int size, int absent)
{
	int beyond = emit_label(&cg->e), done = emit_label(&cg->e);
	int sz = size == 1 ? BPF_B : size == 2 ? BPF_H : BPF_W;

	/* r1 = offset; r2 = offset + size */
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_1));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, size));
	LDX(BPF_REG_3, L);
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_2, BPF_REG_3, beyond);
	/* in the cache (the bound also tells the verifier the range) */
	emit_jmp_imm(&cg->e, BPF_JGT, BPF_REG_1, CG_CACHE - size, beyond);
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_7));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_2, BPF_REG_1));
	bytes_be(cg, BPF_REG_0, BPF_REG_2, SC(cache), size);
	emit_ja(&cg->e, done);
	/* beyond the cache: straight from the skb, if the frame is that long */
	emit_bind(&cg->e, beyond);
	LDX(BPF_REG_3, len);
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_2, BPF_REG_3, absent);
	/* kernel view to skb offset: past the MAC addresses, add the removed tag */
	LDX(BPF_REG_2, shift);
	emit_jmp_imm(&cg->e, BPF_JGE, BPF_REG_1, 12, emit_label(&cg->e));
	int add = cg->e.nlabels - 1;

	E(BI_MOV_IMM(BPF_REG_2, 0));
	emit_bind(&cg->e, add);
	E(BI_ALU_REG(BPF_ADD, BPF_REG_2, BPF_REG_1));
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_7));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, SC(tmp)));
	E(BI_MOV_IMM(BPF_REG_4, size));
	cg_skb_load(cg);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 0, absent);
	if (size == 3) {
		E(BI_LDX(BPF_W, BPF_REG_0, BPF_REG_7, SC(tmp)));
		be(cg, BPF_REG_0, 4);
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 8));
	} else {
		E(BI_LDX(sz, BPF_REG_0, BPF_REG_7, SC(tmp)));
		be(cg, BPF_REG_0, size);
	}
	emit_bind(&cg->e, done);
}

void cg_load_at(struct cg *cg, uint32_t off, int size, int absent)
{
	E(BI_MOV_IMM(BPF_REG_1, (int32_t)off));
	cg_load(cg, size, absent);
}

/* r0 = byte/half at the offset in r8 + k */
static void load_rel(struct cg *cg, int reg_base, int k, int size, int absent)
{
	E(BI_MOV_REG(BPF_REG_1, (uint8_t)reg_base));
	if (k)
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, k));
	cg_load(cg, size, absent);
}

/* a tag the device took out of the frame: vlan, tci, tpid from the skb;
 * jumps to no_tag when there is none. Clobbers r2. */
static void vlan_from_skb(struct cg *cg, int no_tag)
{
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(vlan_present)));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, no_tag);
	STI(vlan, 1);
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(vlan_tci)));
	STX(tci, BPF_REG_2);
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(vlan_proto)));
	be(cg, BPF_REG_2, 2);
	STX(tpid, BPF_REG_2);
}

static void parse_vlan(struct cg *cg)
{
	int no_tag = emit_label(&cg->e), inline_tag = emit_label(&cg->e), done = emit_label(&cg->e);

	vlan_from_skb(cg, no_tag);
	emit_ja(&cg->e, done);
	/* an outer tag inline in the frame: take it out, as the kernel does */
	emit_bind(&cg->e, no_tag);
	LDX(BPF_REG_2, L);
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_2, 18, done);
	E(BI_LDX(BPF_H, BPF_REG_3, BPF_REG_7, SC(cache) + 12));
	be(cg, BPF_REG_3, 2);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_3, 0x8100, inline_tag);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_3, 0x88a8, done);
	emit_bind(&cg->e, inline_tag);
	STI(vlan, 1);
	STX(tpid, BPF_REG_3);
	E(BI_LDX(BPF_H, BPF_REG_3, BPF_REG_7, SC(cache) + 14));
	be(cg, BPF_REG_3, 2);
	STX(tci, BPF_REG_3);
	for (int off = 12; off + 4 <= cg->cache; off += 4) {
		E(BI_LDX(BPF_W, BPF_REG_3, BPF_REG_7, (int16_t)(SC(cache) + off + 4)));
		E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_3, (int16_t)(SC(cache) + off)));
	}
	E(BI_ALU_IMM(BPF_SUB, BPF_REG_2, 4));
	STX(L, BPF_REG_2);
	LDX(BPF_REG_2, len);
	E(BI_ALU_IMM(BPF_SUB, BPF_REG_2, 4));
	STX(len, BPF_REG_2);
	STI(shift, 4);
	emit_bind(&cg->e, done);
}

/* Set later_frag and frag from a fragment field in reg (clobbered): an
 * offset (later_mask) makes a later fragment, more_mask a first one. Flags
 * only ever get set: with several IPv6 fragment headers any of them counts. */
static void frag_flags(struct cg *cg, int reg, int32_t later_mask, int32_t more_mask)
{
	int nolater = emit_label(&cg->e), nomore = emit_label(&cg->e);

	E(BI_MOV_REG(BPF_REG_3, (uint8_t)reg));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_3, later_mask));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_3, 0, nolater);
	STI(later_frag, 1);
	STI(frag, 1);
	emit_bind(&cg->e, nolater);
	E(BI_ALU_IMM(BPF_AND, (uint8_t)reg, more_mask));
	emit_jmp_imm(&cg->e, BPF_JEQ, reg, 0, nomore);
	STI(frag, 1);
	emit_bind(&cg->e, nomore);
}

/* IPv4: the header starts at most 30 bytes in (12 + 4 tags + type), so its
 * fixed 20 bytes are in the cache whenever they are in the frame */
static void parse_ipv4(struct cg *cg, int done)
{
	/* r8 = l3, still from the Ethernet decoding: a constant on each path,
	 * and even, so 16-bit loads at even offsets from it are aligned */
	LDX(BPF_REG_2, len);
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 20));
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_3, BPF_REG_2, done);
	E(BI_MOV_REG(BPF_REG_4, BPF_REG_7));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_4, BPF_REG_8)); /* r4 = cache - l3 base */
	E(BI_LDX(BPF_B, BPF_REG_0, BPF_REG_4, SC(cache)));
	E(BI_MOV_REG(BPF_REG_9, BPF_REG_0));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 4, done);
	E(BI_ALU_IMM(BPF_AND, BPF_REG_9, 0xf));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_9, 2)); /* r9 = ihl bytes */
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_9, 20, done);
	E(BI_ALU_REG(BPF_ADD, BPF_REG_9, BPF_REG_8)); /* r9 = l4 */
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_9, BPF_REG_2, done);
	STX(l4, BPF_REG_9);
	if (cg->fields & CG_F_MISC) {
		E(BI_LDX(BPF_B, BPF_REG_0, BPF_REG_4, SC(cache) + 1));
		STX(tos, BPF_REG_0);
		E(BI_LDX(BPF_H, BPF_REG_0, BPF_REG_4, SC(cache) + 2));
		be(cg, BPF_REG_0, 2);
		STX(tot_len, BPF_REG_0);
		E(BI_LDX(BPF_H, BPF_REG_0, BPF_REG_4, SC(cache) + 4));
		be(cg, BPF_REG_0, 2);
		STX(ip_id, BPF_REG_0);
		E(BI_LDX(BPF_B, BPF_REG_0, BPF_REG_4, SC(cache) + 8));
		STX(ttl, BPF_REG_0);
	}
	if (cg->fields & CG_F_PROTO) {
		E(BI_LDX(BPF_B, BPF_REG_0, BPF_REG_4, SC(cache) + 9));
		STX(proto, BPF_REG_0);
	}
	if (cg->fields & CG_F_ADDR) {
		/* each address as two aligned halves */
		for (int a = 0; a < 2; a++) {
			E(BI_LDX(BPF_H, BPF_REG_0, BPF_REG_4, (int16_t)(SC(cache) + 12 + 4 * a)));
			be(cg, BPF_REG_0, 2);
			E(BI_ALU_IMM(BPF_LSH, BPF_REG_0, 16));
			E(BI_LDX(BPF_H, BPF_REG_3, BPF_REG_4, (int16_t)(SC(cache) + 14 + 4 * a)));
			be(cg, BPF_REG_3, 2);
			E(BI_ALU_REG(BPF_OR, BPF_REG_0, BPF_REG_3));
			E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_0, a ? SC(dst32) : SC(src32)));
		}
	}
	if (cg->fields & CG_F_FRAG) {
		E(BI_LDX(BPF_H, BPF_REG_2, BPF_REG_4, SC(cache) + 6));
		be(cg, BPF_REG_2, 2);
		STX(frag_off, BPF_REG_2);
		frag_flags(cg, BPF_REG_2, 0x1fff, 0x2000);
	}
	STI(ipv, 4);
}

/* jump to yes when r0 is an IPv6 extension header we follow */
static void if_ext(struct cg *cg, int reg, int yes)
{
	static const int ext[] = { 0, 43, 44, 60, 51, 135 };

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		emit_jmp_imm(&cg->e, BPF_JEQ, reg, ext[i], yes);
}

/* IPv6: the fixed 40 bytes are in the cache (l3 <= 30, cache >= 80) */
static void parse_ipv6(struct cg *cg, int done)
{
	LDX(BPF_REG_8, l3);
	emit_jmp_imm(&cg->e, BPF_JGT, BPF_REG_8, 30, done); /* bound for the verifier */
	LDX(BPF_REG_2, len);
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 40));
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_3, BPF_REG_2, done);
	cache_ld(cg, BPF_REG_0, BPF_REG_8, 0, 1);
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 6, done);
	/* folded addresses and their first bytes */
	for (int a = 0; a < 2 && (cg->fields & CG_F_ADDR); a++) {
		E(BI_MOV_IMM(BPF_REG_9, 0));
		for (int w = 0; w < 4; w++) {
			cache_ld(cg, BPF_REG_0, BPF_REG_8, 8 + 16 * a + 4 * w, 4);
			E(BI_ALU_REG(BPF_XOR, BPF_REG_9, BPF_REG_0));
		}
		E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_9, a ? SC(dst32) : SC(src32)));
		cache_ld(cg, BPF_REG_0, BPF_REG_8, 8 + 16 * a, 1);
		E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_0, a ? SC(d6b0) : SC(s6b0)));
	}
	cache_ld(cg, BPF_REG_0, BPF_REG_8, 7, 1);
	STX(ttl, BPF_REG_0);
	cache_ld(cg, BPF_REG_0, BPF_REG_8, 6, 1);
	E(BI_MOV_REG(BPF_REG_9, BPF_REG_0));      /* r9 = next header */
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_8, 40));    /* r8 = offset */
	int out = emit_label(&cg->e);

	for (int i = 0; i < 8; i++) { /* PKT_MAX_IPV6_EXT */
		int ext = emit_label(&cg->e), frag = emit_label(&cg->e), ah = emit_label(&cg->e);
		int next = emit_label(&cg->e);

		/* each header starts alike, whatever came before (r9 is a byte) */
		forget(cg, BPF_REG_8, 0);
		forget(cg, BPF_REG_9, 0xff);
		if_ext(cg, BPF_REG_9, ext);
		emit_ja(&cg->e, out);
		emit_bind(&cg->e, ext);
		LDX(BPF_REG_2, len);
		E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 8));
		emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_3, BPF_REG_2, done);
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_9, 44, frag);
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_9, 51, ah);
		load_rel(cg, BPF_REG_8, 1, 1, done);
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_0, 1));
		E(BI_ALU_IMM(BPF_LSH, BPF_REG_0, 3));
		E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_0, SC(elen)));
		emit_ja(&cg->e, next);
		emit_bind(&cg->e, ah);
		load_rel(cg, BPF_REG_8, 1, 1, done);
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_0, 2));
		E(BI_ALU_IMM(BPF_LSH, BPF_REG_0, 2));
		E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_0, SC(elen)));
		emit_ja(&cg->e, next);
		emit_bind(&cg->e, frag);
		load_rel(cg, BPF_REG_8, 2, 2, done);
		frag_flags(cg, BPF_REG_0, 0xfff8, 1);
		STI(elen, 8);
		emit_bind(&cg->e, next);
		load_rel(cg, BPF_REG_8, 0, 1, done);
		E(BI_MOV_REG(BPF_REG_9, BPF_REG_0));
		LDX(BPF_REG_2, elen);
		E(BI_ALU_REG(BPF_ADD, BPF_REG_8, BPF_REG_2));
		LDX(BPF_REG_2, len);
		emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_8, BPF_REG_2, done);
	}
	/* more extension headers than we follow: not usable */
	if_ext(cg, BPF_REG_9, done);
	emit_bind(&cg->e, out);
	STX(proto, BPF_REG_9);
	STX(l4, BPF_REG_8);
	STI(ipv, 6);
}

static void parse_l4(struct cg *cg, int done)
{
	int tcp = emit_label(&cg->e), udp = emit_label(&cg->e), icmp = emit_label(&cg->e);
	int ports = emit_label(&cg->e);

	LDX(BPF_REG_2, ipv);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 0, done);
	LDX(BPF_REG_2, later_frag);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 0, done);
	LDX(BPF_REG_8, l4);
	LDX(BPF_REG_9, len);
	LDX(BPF_REG_2, proto);
	{
		/* fast path: a TCP or UDP header inside the cache */
		int slow = emit_label(&cg->e), fast_tcp = emit_label(&cg->e);
		int fast_ports = emit_label(&cg->e);

		emit_jmp_imm(&cg->e, BPF_JGT, BPF_REG_8, cg->cache - 24, slow);
		LDX(BPF_REG_3, L);
		E(BI_MOV_REG(BPF_REG_4, BPF_REG_8));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_4, 20));
		emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_4, BPF_REG_3, slow);
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 6, fast_tcp);
		emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_2, 17, slow);
		emit_ja(&cg->e, fast_ports);
		emit_bind(&cg->e, fast_tcp);
		cache_ld(cg, BPF_REG_0, BPF_REG_8, 12, 1);
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
		emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_0, 5, done);
		emit_bind(&cg->e, fast_ports);
		if (cg->fields & CG_F_PORTS) {
			cache_ld(cg, BPF_REG_0, BPF_REG_8, 0, 2);
			STX(sport, BPF_REG_0);
			cache_ld(cg, BPF_REG_0, BPF_REG_8, 2, 2);
			STX(dport, BPF_REG_0);
		}
		STI(l4ok, 1);
		emit_ja(&cg->e, done);
		emit_bind(&cg->e, slow);
	}
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 6, tcp);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 17, udp);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 1, icmp);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_2, 58, icmp);
	emit_ja(&cg->e, done);
	/* need = 20 (TCP), 8 (UDP, ICMP) */
	emit_bind(&cg->e, tcp);
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 20));
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_3, BPF_REG_9, done);
	load_rel(cg, BPF_REG_8, 12, 1, done);
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_0, 5, done);
	emit_ja(&cg->e, ports);
	emit_bind(&cg->e, udp);
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 8));
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_3, BPF_REG_9, done);
	emit_bind(&cg->e, ports);
	load_rel(cg, BPF_REG_8, 0, 2, done);
	STX(sport, BPF_REG_0);
	load_rel(cg, BPF_REG_8, 2, 2, done);
	STX(dport, BPF_REG_0);
	STI(l4ok, 1);
	emit_ja(&cg->e, done);
	emit_bind(&cg->e, icmp);
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 8));
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_3, BPF_REG_9, done);
	STI(l4ok, 1);
}

/* How deep the program looks into packets (the deepest of its functions:
 * 0, 2 Ethernet and VLAN, 3 IP, 4 transport) and the IP header fields it
 * reads: only that much is decoded. */
int cg_needs(const struct pfq_lang_program *p, unsigned *fields)
{
	int level = 0;

	*fields = 0;
	for (int i = 0; i < p->nnodes; i++) {
		const struct builtin *b = &pfq_builtins[p->nodes[i]->fid];

		if (b->depth >= 3)
			*fields |= b->fields;
		if (b->depth > level)
			level = b->depth;
	}
	/* a transport header needs the protocol and the fragment offset */
	if (level >= 4)
		*fields |= LF_TRANSPORT;
	return level;
}

/*
 * The fast decoding: for the usual frame (no tag inside the frame, IPv4) the
 * fields are read with LD_ABS instead of copying the first bytes into
 * the cache with one bpf_skb_load_bytes; anything else (inline tags, IPv6)
 * jumps to the general path. The cache stays empty (L = 0), so a function
 * reading bytes of its own goes through cg_load to the skb; those reading the
 * cache directly (MAC addresses) keep a program on the general path.
 *
 * Measured (lang-bench): in eBPF (unlike classic BPF, where the kernel
 * inlines them) each LD_ABS is a helper call of ~5 ns, so this pays only
 * for programs that need two loads (the EtherType and the IPv4 version):
 * `ip` 58 -> 54 ns, while `tcp port 80` went 62 -> 117 ns with all its
 * fields loaded so. Hence only IP-header-free programs (fields == 0) use it.
 */
static bool fast_decoding_ok(const struct pfq_lang_program *p, int level, unsigned fields)
{
	if (level < 2 || level > 3 || fields)
		return false;
	for (int i = 0; i < p->nnodes; i++)
		if (pfq_builtins[p->nodes[i]->fid].fx & FX_NO_FAST)
			return false;
	return true;
}

/* (out of range, LD_ABS would end the program) */
void cg_ld_abs(struct cg *cg, int size, int32_t off)
{
	/* SKF_LL_OFF: relative to the MAC header whatever skb->data is */
	if (cg->fanout)
		off += SKF_LL_OFF;
	E(bi_make((uint8_t)(BPF_LD | BPF_ABS | (size == 1 ? BPF_B : size == 2 ? BPF_H : BPF_W)),
		  0, 0, 0, off));
}

/*
 * r1 = skb, r2 = offset from the MAC header, r3 = to, r4 = len. At the
 * fanout hook skb->data is not the MAC header of a received frame, so the
 * offset is taken relative to it (bpf_skb_load_bytes_relative) only inside
 * the MAC header: that helper reads the linear part alone, and a frame of a
 * page or more built by a packet socket (pfq_send, pcap_inject, a
 * generator) has nothing but the MAC header there: every header load past
 * it failed, and the group dropped such frames where a socket filter
 * (bpf_skb_load_bytes, which reads the fragments too) kept them. Past the
 * MAC header, bpf_skb_load_bytes at the offset from skb->data: for a
 * received frame the network header, ETH_HLEN on (cg_frame_len says the
 * same); for an outgoing one the MAC header.
 */
void cg_skb_load(struct cg *cg)
{
	int rel, abs, done;

	if (!cg->fanout) {
		E(BI_CALL(BPF_FUNC_skb_load_bytes));
		return;
	}
	rel = emit_label(&cg->e);
	abs = emit_label(&cg->e);
	done = emit_label(&cg->e);
	E(BI_LDX(BPF_W, BPF_REG_5, BPF_REG_6, SKB_OFF(pkt_type)));
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_5, PACKET_OUTGOING, abs);
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_2, ETH_HLEN, rel);
	E(BI_ALU_IMM(BPF_SUB, BPF_REG_2, ETH_HLEN));
	emit_ja(&cg->e, abs);
	emit_bind(&cg->e, rel);
	E(BI_MOV_IMM(BPF_REG_5, BPF_HDR_START_MAC));
	E(BI_CALL(BPF_FUNC_skb_load_bytes_relative));
	emit_ja(&cg->e, done);
	emit_bind(&cg->e, abs);
	E(BI_CALL(BPF_FUNC_skb_load_bytes));
	emit_bind(&cg->e, done);
}

void cg_frame_len(struct cg *cg, int reg, int tmp)
{
	int out = emit_label(&cg->e);

	E(BI_LDX(BPF_W, reg, BPF_REG_6, SKB_OFF(len)));
	if (!cg->fanout)
		return;
	/* at the fanout hook a received frame starts at the network header
	 * (the Ethernet header was pulled); an outgoing one at the MAC header */
	E(BI_LDX(BPF_W, tmp, BPF_REG_6, SKB_OFF(pkt_type)));
	emit_jmp_imm(&cg->e, BPF_JEQ, tmp, PACKET_OUTGOING, out);
	E(BI_ALU_IMM(BPF_ADD, reg, ETH_HLEN));
	emit_bind(&cg->e, out);
}

/* r0 = the first lreg bytes of the frame copied to dreg + doff: 0 or a
 * helper's error (the destination zeroed). dreg and lreg must outlive
 * helper calls (r7-r9), lreg >= 1, and r4 = lreg on entry. At the fanout hook a received frame's
 * MAC header is before skb->data (cg_skb_load): the bytes past it come in
 * a second load, from skb->data, which reads the fragments too. */
void cg_frame_copy(struct cg *cg, int dreg, int16_t doff, int lreg)
{
	int whole = emit_label(&cg->e), done = emit_label(&cg->e);

	E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
	E(BI_MOV_IMM(BPF_REG_2, 0));
	E(BI_MOV_REG(BPF_REG_3, dreg));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, doff));
	if (cg->fanout) {
		E(BI_LDX(BPF_W, BPF_REG_5, BPF_REG_6, SKB_OFF(pkt_type)));
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_5, PACKET_OUTGOING, whole);
		/* a received frame's first bytes are nearly always in the
		 * linear part: one load (two helper calls cost ~5 ns more) */
		E(BI_MOV_IMM(BPF_REG_5, BPF_HDR_START_MAC));
		E(BI_CALL(BPF_FUNC_skb_load_bytes_relative));
		emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0, done);
		/* not there (a frame of a page or more that a packet socket
		 * built): the MAC header from the linear part, the rest from
		 * skb->data */
		emit_jmp_imm(&cg->e, BPF_JLE, lreg, ETH_HLEN, done);
		E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
		E(BI_MOV_IMM(BPF_REG_2, 0));
		E(BI_MOV_REG(BPF_REG_3, dreg));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, doff));
		E(BI_MOV_IMM(BPF_REG_4, ETH_HLEN));
		E(BI_MOV_IMM(BPF_REG_5, BPF_HDR_START_MAC));
		E(BI_CALL(BPF_FUNC_skb_load_bytes_relative));
		emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 0, done);
		E(BI_MOV_REG(BPF_REG_1, BPF_REG_6));
		E(BI_MOV_IMM(BPF_REG_2, 0));
		E(BI_MOV_REG(BPF_REG_3, dreg));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, doff + ETH_HLEN));
		E(BI_MOV_REG(BPF_REG_4, lreg));
		E(BI_ALU_IMM(BPF_SUB, BPF_REG_4, ETH_HLEN));
		E(BI_CALL(BPF_FUNC_skb_load_bytes));
		emit_ja(&cg->e, done);
	}
	emit_bind(&cg->e, whole);
	cg_skb_load(cg);
	emit_bind(&cg->e, done);
}

/* the fast decoding (see fast_decoding_ok): jumps to general for what it
 * does not handle, to parsed when done; r4 = len on entry */
static void fast_decoding(struct cg *cg, int general, int parsed)
{
	int no_meta = emit_label(&cg->e);

	E(BI_MOV_REG(BPF_REG_9, BPF_REG_4)); /* r9 = len (LD_ABS clobbers r1-r5) */
	vlan_from_skb(cg, no_meta);
	emit_bind(&cg->e, no_meta);
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_9, 14, parsed);
	/* one load for the EtherType and the IPv4 version/length byte when
	 * the frame can hold an IPv4 header (r8 = that byte), else two bytes */
	int two = emit_label(&cg->e), type = emit_label(&cg->e);

	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_9, 14 + 20, two);
	cg_ld_abs(cg, 4, 12);
	E(BI_MOV_REG(BPF_REG_8, BPF_REG_0));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_8, 8));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_8, 0xff));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 16));
	emit_ja(&cg->e, type);
	emit_bind(&cg->e, two);
	cg_ld_abs(cg, 2, 12);
	E(BI_MOV_IMM(BPF_REG_8, 0));
	emit_bind(&cg->e, type);
	/* tags inside the frame: the general path takes them out */
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0x8100, general);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0x88a8, general);
	STX(l3_type, BPF_REG_0);
	STI(l3, 14);
	if (cg->level < 3) {
		emit_ja(&cg->e, parsed);
		return;
	}
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0x86dd, general);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 0x0800, parsed);
	/* IPv4, as parse_ipv4 */
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_9, 14 + 20, parsed);
	E(BI_MOV_REG(BPF_REG_0, BPF_REG_8));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_0, 4, parsed);
	E(BI_ALU_IMM(BPF_AND, BPF_REG_8, 0xf));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_8, 2));
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_8, 20, parsed);
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_8, 14)); /* r8 = l4 */
	emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_8, BPF_REG_9, parsed);
	STX(l4, BPF_REG_8);
	/* (no IP header field is needed: fast_decoding_ok) */
	STI(ipv, 4);
	emit_ja(&cg->e, parsed);
}

/* Program start: scratch area, decision defaults, header cache, decoding. */
void cg_prologue(struct cg *cg, int exit_label)
{
	int no_cache = emit_label(&cg->e), parsed = emit_label(&cg->e), cached = emit_label(&cg->e);
	int l3done = emit_label(&cg->e), v4 = emit_label(&cg->e), v6 = emit_label(&cg->e);

	(void)exit_label;
	E(BI_MOV_REG(BPF_REG_6, BPF_REG_1));
	E(BI_MOV_REG(BPF_REG_7, BPF_REG_10));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_7, -CG_FRAME));
	/* decision defaults: copy to the default class, mark of the packet */
	STI(fate, PFQ_FATE_COPY);
	if (cg->init_class) {
		E(BI_ST(BPF_DW, BPF_REG_7, SC(class_mask), (int32_t)PFQ_CLASS_DEFAULT));
		E(BI_ST(BPF_DW, BPF_REG_7, SC(hash0), 0)); /* hash0 and hash1 */
	}
	if (cg->init_mark) {
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(mark)));
		STX(mark, BPF_REG_2);
	}
	if (cg->init_state)
		STI(state, 0);
	if (cg->init_out) {
		STI(kernel, 0);
		STI(fwd_mask, 0);
	}
	if (cg->init_logs)
		STI(nlogs, 0);
	cg_frame_len(cg, BPF_REG_4, BPF_REG_2);
	STX(len, BPF_REG_4);
	STI(L, 0);
	STI(shift, 0);
	if (cg->level == 0) {
		emit_bind(&cg->e, no_cache);
		emit_bind(&cg->e, cached);
		emit_bind(&cg->e, parsed);
		emit_bind(&cg->e, l3done);
		emit_bind(&cg->e, v4);
		emit_bind(&cg->e, v6);
		return;
	}
	/* The flags that say which fields hold something start clear; a field
	 * is only read once its flag says it was written. (Loading needs root,
	 * which lets the verifier accept stack slots not written on every path.) */
	STI(vlan, 0);
	STI(ipv, 0);
	STI(l4ok, 0);
	STI(frag, 0);
	STI(later_frag, 0);
	if (!cg->general_decoding && fast_decoding_ok(cg->prog, cg->level, cg->fields)) {
		int general = emit_label(&cg->e);

		fast_decoding(cg, general, parsed);
		emit_bind(&cg->e, general);
		/* the general path starts over with r4 = len */
		STI(vlan, 0);
		LDX(BPF_REG_4, len);
	}
	/* cache: the first min(len, cache) bytes, one helper call */
	int small = emit_label(&cg->e);

	emit_jmp_imm(&cg->e, BPF_JLE, BPF_REG_4, cg->cache, small);
	E(BI_MOV_IMM(BPF_REG_4, cg->cache));
	emit_bind(&cg->e, small);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_4, 0, no_cache);
	E(BI_MOV_REG(BPF_REG_8, BPF_REG_4));
	cg_frame_copy(cg, BPF_REG_7, SC(cache), BPF_REG_8);
	/* (a failed load cannot happen for bytes below len; if it did, the
	 * frame is seen as empty rather than read from a stale cache) */
	int loaded = emit_label(&cg->e);

	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_0, 0, loaded);
	STI(len, 0);
	emit_ja(&cg->e, no_cache);
	emit_bind(&cg->e, loaded);
	STX(L, BPF_REG_8);
	emit_ja(&cg->e, cached);
	/* nothing loaded: the verifier still wants the cache written before
	 * reads at computed offsets (the helper marks what it may write) */
	emit_bind(&cg->e, no_cache);
	for (int off = 0; off < cg->cache + 8; off += 8)
		E(BI_ST(BPF_DW, BPF_REG_7, (int16_t)(SC(cache) + off), 0));
	emit_bind(&cg->e, cached);
	parse_vlan(cg);
	/* the frame's length, narrowed by the cache's tests and one less tag */
	forget_field(cg, SC(len));
	/* L2: at least an Ethernet header */
	LDX(BPF_REG_2, len);
	emit_jmp_imm(&cg->e, BPF_JLT, BPF_REG_2, 14, parsed);
	/* every offset read here is below 32 and within len: in the cache;
	 * r8 (the offset) is a constant on each path and a multiple of 4, so
	 * the 16-bit loads are aligned */
	int l3 = emit_label(&cg->e), tags = emit_label(&cg->e);

	E(BI_MOV_IMM(BPF_REG_8, 12));
	E(BI_LDX(BPF_H, BPF_REG_9, BPF_REG_7, SC(cache) + 12));
	be(cg, BPF_REG_9, 2);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_9, 0x8100, tags);
	emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_9, 0x88a8, l3);
	emit_bind(&cg->e, tags);
	/* inner tags stay inline: look through up to 4 of them */
	for (int i = 0; i < 4; i++) {
		int vlan = emit_label(&cg->e);

		if (i) {
			emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_9, 0x8100, vlan);
			emit_jmp_imm(&cg->e, BPF_JNE, BPF_REG_9, 0x88a8, l3);
		}
		emit_bind(&cg->e, vlan);
		LDX(BPF_REG_2, len);
		E(BI_MOV_REG(BPF_REG_3, BPF_REG_8));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_3, 6));
		emit_jmp_reg(&cg->e, BPF_JGT, BPF_REG_3, BPF_REG_2, l3);
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_8, 4));
		E(BI_MOV_REG(BPF_REG_2, BPF_REG_7));
		E(BI_ALU_REG(BPF_ADD, BPF_REG_2, BPF_REG_8));
		E(BI_LDX(BPF_H, BPF_REG_9, BPF_REG_2, SC(cache)));
		be(cg, BPF_REG_9, 2);
	}
	emit_bind(&cg->e, l3);
	STX(l3_type, BPF_REG_9);
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_8, 2));
	STX(l3, BPF_REG_8);
	if (cg->level < 3) {
		emit_bind(&cg->e, v4);
		emit_bind(&cg->e, v6);
		emit_bind(&cg->e, l3done);
		emit_bind(&cg->e, parsed);
		return;
	}
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_9, 0x0800, v4);
	emit_jmp_imm(&cg->e, BPF_JEQ, BPF_REG_9, 0x86dd, v6);
	emit_ja(&cg->e, parsed);
	emit_bind(&cg->e, v4);
	parse_ipv4(cg, parsed);
	emit_ja(&cg->e, l3done);
	emit_bind(&cg->e, v6);
	parse_ipv6(cg, parsed);
	emit_bind(&cg->e, l3done);
	/* the IP version: 4 and 6 go on as one */
	forget_field(cg, SC(ipv));
	if (cg->level >= 4)
		parse_l4(cg, parsed);
	emit_bind(&cg->e, parsed);
}
