/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decoder of the classic back end: the interpreter's pkt_decode
 * (lang/packet.c), field by field, into scratch words, and only as far as
 * the program needs. Classic BPF gives up (returns 0) on a load past the
 * end, which is not what a program like `when is_tcp drop` wants for a short
 * frame: every load is behind an explicit length check.
 *
 * Untagged IPv4 with a 20-byte header, the common case, is decoded with
 * loads at constant offsets, which the kernel inlines; tags, IPv4 options
 * and IPv6 go through X-relative loads (helper calls in the kernel).
 */
#include "cl-int.h"

#include <linux/if_ether.h>

#define A_ (g->a)

static int lbl(struct clg *g)
{
	return casm_label(g->a);
}

/* continue when len >= X + add (X kept), else go to fail (X lost) */
static void len_at_least_x(struct clg *g, uint32_t add, int fail)
{
	int ok = lbl(g);

	CASM_STX(A_, M_T2);
	CASM_TXA(A_);
	CASM_ALU(A_, BPF_ADD, add);
	CASM_TAX(A_);
	CASM_LD_LEN(A_);
	casm_jmp(A_, BPF_JGE | BPF_X, 0, ok, fail);
	casm_bind(A_, ok);
	CASM_LDX_MEM(A_, M_T2);
}

/* A = 1; store it; (the flag words are 0 until set) */
static void set_one(struct clg *g, int slot)
{
	CASM_LD_IMM(A_, 1);
	CASM_ST(A_, slot);
}

static void ports(struct clg *g, bool abs, uint32_t off)
{
	if (!(g->need & N_PORTS))
		return;
	if (abs) {
		CASM_LD_ABS(A_, BPF_H, off);
		CASM_ST(A_, M_SPORT);
		CASM_LD_ABS(A_, BPF_H, off + 2);
	} else {
		CASM_LD_IND(A_, BPF_H, 0);
		CASM_ST(A_, M_SPORT);
		CASM_LD_IND(A_, BPF_H, 2);
	}
	CASM_ST(A_, M_DPORT);
}

/* continue when the transport header has `need` bytes in the frame, else
 * go to done; abs: it starts at 34, else at M_L4 (left in X) */
static void l4_fits(struct clg *g, bool abs, uint32_t need, int done)
{
	if (abs) {
		CASM_LD_LEN(A_);
		casm_jmp(A_, BPF_JGE | BPF_K, 34 + need, CASM_NEXT, done);
	} else {
		CASM_LDX_MEM(A_, M_L4);
		len_at_least_x(g, need, done);
	}
}

/* the transport header: A = protocol; at 34 (abs: a 20-byte IPv4 header at
 * 14) or at M_L4 */
static void l4(struct clg *g, bool abs, int done)
{
	int tcp = lbl(g), udp = lbl(g), small = lbl(g), ok = lbl(g);

	casm_jmp(A_, BPF_JEQ | BPF_K, 6, tcp, CASM_NEXT);
	casm_jmp(A_, BPF_JEQ | BPF_K, 17, udp, CASM_NEXT);
	casm_jmp(A_, BPF_JEQ | BPF_K, 1, small, CASM_NEXT);
	casm_jmp(A_, BPF_JEQ | BPF_K, 58, small, done);
	casm_bind(A_, tcp);
	l4_fits(g, abs, 20, done);
	if (abs)
		CASM_LD_ABS(A_, BPF_B, 46);
	else
		CASM_LD_IND(A_, BPF_B, 12);
	casm_jmp(A_, BPF_JGE | BPF_K, 0x50, ok, done); /* data offset >= 5 */
	casm_bind(A_, udp);
	l4_fits(g, abs, 8, done);
	casm_bind(A_, ok);
	set_one(g, M_L4OK);
	ports(g, abs, 34);
	casm_ja(A_, done);
	casm_bind(A_, small); /* ICMP, ICMPv6 */
	l4_fits(g, abs, 8, done);
	set_one(g, M_L4OK);
	casm_ja(A_, done);
}

/* fragment bits of an IPv4 header: A = flags + offset */
static void ipv4_frag(struct clg *g, int later, int frag, int whole)
{
	casm_jmp(A_, BPF_JSET | BPF_K, 0x1fff, later, CASM_NEXT);
	casm_jmp(A_, BPF_JSET | BPF_K, 0x2000, frag, whole);
}

/* A = size bytes at off of the IPv4 header: at 14 + off when it is the
 * untagged one with 20 bytes (abs), else at X + off */
static void ip_ld(struct clg *g, bool abs, uint16_t size, uint32_t off)
{
	if (abs)
		CASM_LD_ABS(A_, size, 14 + off);
	else
		CASM_LD_IND(A_, size, off);
}

/* a valid IPv4 header: version, addresses, fragments, protocol, then the
 * transport header */
static void ipv4_fields(struct clg *g, bool abs, int done)
{
	int later = lbl(g), frag = lbl(g), whole = lbl(g);

	CASM_LD_IMM(A_, 4);
	CASM_ST(A_, M_IPV);
	if (g->need & N_ADDR) {
		ip_ld(g, abs, BPF_W, 12);
		CASM_ST(A_, M_SADDR);
		ip_ld(g, abs, BPF_W, 16);
		CASM_ST(A_, M_DADDR);
	}
	if (!(g->need & N_L4)) {
		casm_ja(A_, done);
		return;
	}
	ip_ld(g, abs, BPF_H, 6);
	ipv4_frag(g, later, frag, whole);
	casm_bind(A_, later); /* no transport header in a later fragment */
	CASM_LD_IMM(A_, 3);
	CASM_ST(A_, M_FRAG);
	ip_ld(g, abs, BPF_B, 9);
	CASM_ST(A_, M_PROTO);
	casm_ja(A_, done);
	casm_bind(A_, frag);
	set_one(g, M_FRAG);
	casm_bind(A_, whole);
	ip_ld(g, abs, BPF_B, 9);
	CASM_ST(A_, M_PROTO);
	l4(g, abs, done);
}

/* untagged IPv4 at 14 with len >= 34 and the first byte 0x45 */
static void ipv4_fast(struct clg *g, int done)
{
	if (g->need & N_OFFS) {
		CASM_LD_IMM(A_, 14);
		CASM_ST(A_, M_L3);
		CASM_LD_IMM(A_, 34);
		CASM_ST(A_, M_L4);
	}
	ipv4_fields(g, true, done);
}

/* IPv4 anywhere: X = L3 offset, len >= X + 20 known */
static void ipv4_general(struct clg *g, int done)
{
	int ok = lbl(g);

	CASM_STX(A_, M_L3);
	CASM_LD_IND(A_, BPF_B, 0);
	CASM_ST(A_, M_T1);
	CASM_ALU(A_, BPF_AND, 0xf0);
	casm_jmp(A_, BPF_JEQ | BPF_K, 0x40, CASM_NEXT, done);
	CASM_LD_MEM(A_, M_T1);
	CASM_ALU(A_, BPF_AND, 0xf);
	CASM_ALU(A_, BPF_LSH, 2);
	casm_jmp(A_, BPF_JGE | BPF_K, 20, CASM_NEXT, done);
	CASM_ALU_X(A_, BPF_ADD);
	CASM_ST(A_, M_L4);
	CASM_TAX(A_);
	CASM_LD_LEN(A_);
	casm_jmp(A_, BPF_JGE | BPF_X, 0, ok, done); /* the whole header is there */
	casm_bind(A_, ok);
	CASM_LDX_MEM(A_, M_L3);
	ipv4_fields(g, false, done);
}

/* the IPv6 extension headers the interpreter follows: jump to yes for one */
static void is_ext(struct clg *g, int yes, int no)
{
	static const uint32_t ext[] = { 0, 43, 44, 60, 51, 135 };

	for (int i = 0; i < 6; i++)
		casm_jmp(A_, BPF_JEQ | BPF_K, ext[i], yes, i == 5 ? no : CASM_NEXT);
}

/* one extension header at M_L4, whose type is M_PROTO */
static void ipv6_ext_header(struct clg *g, int done)
{
	int frag = lbl(g), ah = lbl(g), adv = lbl(g), later = lbl(g), first = lbl(g),
	    fend = lbl(g);

	CASM_LDX_MEM(A_, M_L4);
	len_at_least_x(g, 8, done); /* cut short: not a usable IPv6 packet */
	CASM_LD_MEM(A_, M_PROTO);
	casm_jmp(A_, BPF_JEQ | BPF_K, 44, frag, CASM_NEXT);
	casm_jmp(A_, BPF_JEQ | BPF_K, 51, ah, CASM_NEXT);
	CASM_LD_IND(A_, BPF_B, 1); /* (len + 1) * 8 */
	CASM_ALU(A_, BPF_ADD, 1);
	CASM_ALU(A_, BPF_LSH, 3);
	casm_ja(A_, adv);
	casm_bind(A_, ah); /* (len + 2) * 4 */
	CASM_LD_IND(A_, BPF_B, 1);
	CASM_ALU(A_, BPF_ADD, 2);
	CASM_ALU(A_, BPF_LSH, 2);
	casm_ja(A_, adv);
	casm_bind(A_, frag); /* several fragment headers: any of them counts */
	CASM_LD_IND(A_, BPF_H, 2);
	CASM_ST(A_, M_T1);
	casm_jmp(A_, BPF_JSET | BPF_K, 0xfff8, later, first);
	casm_bind(A_, later);
	CASM_LD_MEM(A_, M_FRAG);
	CASM_ALU(A_, BPF_OR, 3);
	CASM_ST(A_, M_FRAG);
	casm_ja(A_, fend);
	casm_bind(A_, first);
	CASM_LD_MEM(A_, M_T1);
	casm_jmp(A_, BPF_JSET | BPF_K, 1, CASM_NEXT, fend);
	CASM_LD_MEM(A_, M_FRAG);
	CASM_ALU(A_, BPF_OR, 1);
	CASM_ST(A_, M_FRAG);
	casm_bind(A_, fend);
	CASM_LD_IMM(A_, 8);
	casm_bind(A_, adv); /* A = header length, X = its offset */
	CASM_ST(A_, M_T1);
	CASM_LD_IND(A_, BPF_B, 0);
	CASM_ST(A_, M_PROTO);
	CASM_LD_MEM(A_, M_T1);
	CASM_ALU_X(A_, BPF_ADD);
	CASM_ST(A_, M_L4);
	CASM_TAX(A_);
	CASM_LD_LEN(A_);
	casm_jmp(A_, BPF_JGE | BPF_X, 0, CASM_NEXT, done);
}

/* IPv6: X = L3 offset */
static void ipv6(struct clg *g, int done)
{
	int ok = lbl(g);

	len_at_least_x(g, 40, done);
	CASM_STX(A_, M_L3);
	CASM_LD_IND(A_, BPF_B, 0);
	CASM_ALU(A_, BPF_AND, 0xf0);
	casm_jmp(A_, BPF_JEQ | BPF_K, 0x60, CASM_NEXT, done);
	if (g->need & N_V6MC) {
		int mc = lbl(g), no = lbl(g);

		CASM_LD_IND(A_, BPF_B, 8);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xff, mc, CASM_NEXT);
		CASM_LD_IND(A_, BPF_B, 24);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xff, mc, no);
		casm_bind(A_, mc);
		set_one(g, M_V6MC);
		casm_bind(A_, no);
	}
	CASM_LD_IND(A_, BPF_B, 6);
	CASM_ST(A_, M_PROTO);
	CASM_TXA(A_);
	CASM_ALU(A_, BPF_ADD, 40);
	CASM_ST(A_, M_L4);
	/* the interpreter follows at most PKT_MAX_IPV6_EXT headers */
	for (int i = 0; i < 8; i++) {
		int more = lbl(g);

		CASM_LD_MEM(A_, M_PROTO);
		is_ext(g, more, ok);
		casm_bind(A_, more);
		ipv6_ext_header(g, done);
	}
	CASM_LD_MEM(A_, M_PROTO);
	is_ext(g, done, ok); /* more extension headers than we follow */
	casm_bind(A_, ok);
	CASM_LD_IMM(A_, 6);
	CASM_ST(A_, M_IPV);
	if (!(g->need & N_L4)) {
		casm_ja(A_, done);
		return;
	}
	CASM_LD_MEM(A_, M_FRAG);
	casm_jmp(A_, BPF_JSET | BPF_K, 2, done, CASM_NEXT); /* no L4 in a later fragment */
	CASM_LD_MEM(A_, M_PROTO);
	l4(g, false, done);
}

/* A = the EtherType at 12, a VLAN tag; len >= 14. Leaves A = the EtherType
 * after the tags and X its offset at label end. */
static void vlan_tags(struct clg *g, int end)
{
	int nometa = lbl(g), inner = lbl(g), walk = lbl(g), fail = lbl(g);

	CASM_LD_ANC(A_, SKF_AD_VLAN_TAG_PRESENT);
	casm_jmp(A_, BPF_JEQ | BPF_K, 0, nometa, inner);
	casm_bind(A_, nometa); /* the outer tag inline: taken out, as on receive */
	CASM_LD_LEN(A_);
	casm_jmp(A_, BPF_JGE | BPF_K, 18, CASM_NEXT, inner);
	if (g->need & N_VID) {
		CASM_LD_ABS(A_, BPF_H, 14);
		CASM_ALU(A_, BPF_AND, 0xfff);
		CASM_ST(A_, M_VID);
	}
	CASM_LDX_IMM(A_, 16);
	casm_ja(A_, walk);
	casm_bind(A_, inner);
	CASM_LDX_IMM(A_, 12);
	casm_bind(A_, walk);
	CASM_LD_IND(A_, BPF_H, 0);
	/* inner tags stay inline: up to 4 are looked through */
	for (int i = 0; i < 4; i++) {
		int tag = lbl(g);

		casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_8021Q, tag, CASM_NEXT);
		casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_8021AD, tag, end);
		casm_bind(A_, tag);
		CASM_STX(A_, M_T2);
		CASM_TXA(A_);
		CASM_ALU(A_, BPF_ADD, 6);
		CASM_TAX(A_);
		CASM_LD_LEN(A_);
		casm_jmp(A_, BPF_JGE | BPF_X, 0, CASM_NEXT, fail);
		CASM_LD_MEM(A_, M_T2);
		CASM_ALU(A_, BPF_ADD, 4);
		CASM_TAX(A_);
		CASM_LD_IND(A_, BPF_H, 0);
	}
	casm_ja(A_, end);
	casm_bind(A_, fail); /* the next tag is cut short: stop at this one */
	CASM_LDX_MEM(A_, M_T2);
	CASM_LD_IND(A_, BPF_H, 0);
}

void cl_decode(struct clg *g)
{
	static const int slots[] = { M_TYPE, M_IPV, M_FRAG, M_PROTO, M_L4OK, M_SPORT, M_DPORT,
				     M_SADDR, M_DADDR, M_VID, M_V6MC, M_L3, M_L4 };
	static const unsigned slot_need[] = { N_TYPE, N_IP, N_IP, N_L4, N_L4, N_PORTS, N_PORTS,
					      N_ADDR, N_ADDR, N_VID, N_V6MC, N_OFFS, N_OFFS };
	int done = lbl(g), l2 = lbl(g), tagged = lbl(g), tags_end = lbl(g);

	if (g->need & N_PORTS)
		g->need |= N_L4;
	if (g->need & (N_L4 | N_ADDR | N_V6MC | N_OFFS))
		g->need |= N_IP;
	if (!g->need)
		return;
	/* every word a predicate reads starts at 0 (the kernel also refuses
	 * a read of scratch memory that some path has not written) */
	CASM_LD_IMM(A_, 0);
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (g->need & slot_need[i])
			CASM_ST(A_, slots[i]);
	if (g->need & N_VID) {
		CASM_LD_ANC(A_, SKF_AD_VLAN_TAG_PRESENT);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0, l2, CASM_NEXT);
		CASM_LD_ANC(A_, SKF_AD_VLAN_TAG);
		CASM_ALU(A_, BPF_AND, 0xfff);
		CASM_ST(A_, M_VID);
	}
	casm_bind(A_, l2);
	CASM_LD_LEN(A_);
	if (g->need & N_TYPE) {
		int whole = lbl(g);

		casm_jmp(A_, BPF_JGE | BPF_K, 14, whole, CASM_NEXT);
		CASM_LD_IMM(A_, 0x10000); /* matches no EtherType */
		CASM_ST(A_, M_TYPE);
		casm_ja(A_, done);
		casm_bind(A_, whole);
	} else {
		casm_jmp(A_, BPF_JGE | BPF_K, 14, CASM_NEXT, done);
	}
	CASM_LD_ABS(A_, BPF_H, 12);
	int v4 = lbl(g), v6 = lbl(g), v4slow = lbl(g), v4any = lbl(g), v6any = lbl(g);

	if (g->need & N_IP) {
		casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_IP, v4, CASM_NEXT);
		casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_IPV6, v6, CASM_NEXT);
	}
	casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_8021Q, tagged, CASM_NEXT);
	casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_8021AD, tagged, CASM_NEXT);
	if (g->need & N_TYPE)
		CASM_ST(A_, M_TYPE);
	casm_ja(A_, done);
	if (g->need & N_IP) {
		casm_bind(A_, v4);
		if (g->need & N_TYPE)
			CASM_ST(A_, M_TYPE);
		CASM_LD_LEN(A_);
		casm_jmp(A_, BPF_JGE | BPF_K, 34, CASM_NEXT, done);
		CASM_LD_ABS(A_, BPF_B, 14);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0x45, CASM_NEXT, v4slow);
		ipv4_fast(g, done);
		casm_bind(A_, v4slow); /* IPv4 options, or not IPv4 after all */
		CASM_LDX_IMM(A_, 14);
		casm_ja(A_, v4any);
		casm_bind(A_, v6);
		if (g->need & N_TYPE)
			CASM_ST(A_, M_TYPE);
		CASM_LDX_IMM(A_, 14);
		casm_ja(A_, g->need & N_V6 ? v6any : done);
	}
	/* tagged: A = the EtherType after the tags, X its offset */
	casm_bind(A_, tagged);
	vlan_tags(g, tags_end);
	casm_bind(A_, tags_end);
	if (g->need & N_TYPE)
		CASM_ST(A_, M_TYPE);
	if (g->need & N_IP) {
		CASM_ST(A_, M_T1);
		CASM_TXA(A_);
		CASM_ALU(A_, BPF_ADD, 2);
		CASM_TAX(A_);
		CASM_LD_MEM(A_, M_T1);
		casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_IP, v4any, CASM_NEXT);
		casm_jmp(A_, BPF_JEQ | BPF_K, ETH_P_IPV6, g->need & N_V6 ? v6any : done, done);
		/* the general decoders, X = L3 offset (14 when untagged) */
		casm_bind(A_, v4any);
		len_at_least_x(g, 20, done);
		ipv4_general(g, done);
		/* (nothing the program reads can hold for IPv6 without N_V6: the
		 * walk through its extension headers is left out) */
		if (g->need & N_V6) {
			casm_bind(A_, v6any);
			ipv6(g, done);
		}
	}
	casm_bind(A_, done);
}
