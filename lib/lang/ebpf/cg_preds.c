/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The predicates and properties of the catalogue in eBPF: the same meaning
 * as the interpreter's (preds.c), over the decoded fields in the scratch
 * area. A predicate jumps to yes or no; a property leaves its value in r0,
 * or jumps to absent. Each is registered by builtin id at the end.
 */
#include "cg-emit.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ---- predicate helpers: jump to yes/no ---- */
void cg_field_eq(struct cg *cg, int16_t f, int32_t v, int yes, int no)
{
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, f));
	JI(BPF_JEQ, BPF_REG_2, v, yes);
	JA(no);
}
static void is_tcp(struct cg *cg, int yes, int no)
{
	LDX(BPF_REG_2, ipv);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	LDX(BPF_REG_2, l4ok);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	cg_field_eq(cg, SC(proto), 6, yes, no);
}
static void is_udp(struct cg *cg, int yes, int no)
{
	LDX(BPF_REG_2, ipv);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	LDX(BPF_REG_2, l4ok);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	cg_field_eq(cg, SC(proto), 17, yes, no);
}
void cg_is_flow(struct cg *cg, int yes, int no)
{
	int t = L();

	is_tcp(cg, yes, t);
	BIND(t);
	is_udp(cg, yes, no);
}
static void is_icmp(struct cg *cg, int yes, int no)
{
	int v6 = L();

	LDX(BPF_REG_2, l4ok);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	LDX(BPF_REG_2, ipv);
	LDX(BPF_REG_3, proto);
	JI(BPF_JEQ, BPF_REG_2, 6, v6);
	JI(BPF_JNE, BPF_REG_2, 4, no);
	JI(BPF_JEQ, BPF_REG_3, 1, yes);
	JA(no);
	BIND(v6);
	JI(BPF_JEQ, BPF_REG_3, 58, yes);
	JA(no);
}
/* r0 = VLAN id (0 when untagged) */
void cg_vid(struct cg *cg)
{
	int none = L();

	E(BI_MOV_IMM(BPF_REG_0, 0));
	LDX(BPF_REG_2, vlan);
	JI(BPF_JEQ, BPF_REG_2, 0, none);
	LDX(BPF_REG_0, tci);
	E(BI_ALU_IMM(BPF_AND, BPF_REG_0, 0xfff));
	BIND(none);
}
/* ports: which = 0 either, 1 source, 2 destination */
static void has_port(struct cg *cg, uint64_t port, int which, int yes, int no)
{
	int ok = L();

	cg_is_flow(cg, ok, no);
	BIND(ok);
	if (which != 2) {
		LDX(BPF_REG_2, sport);
		JI(BPF_JEQ, BPF_REG_2, (int32_t)port, yes);
	}
	if (which != 1) {
		LDX(BPF_REG_2, dport);
		JI(BPF_JEQ, BPF_REG_2, (int32_t)port, yes);
	}
	JA(no);
}
/* JEQ on a 32-bit value stored sign-extended would break for values with
 * the top bit set: compare through a register loaded with the exact value */
void cg_jeq_u32(struct cg *cg, int reg, uint32_t v, int label)
{
	if (v <= INT32_MAX) {
		JI(BPF_JEQ, reg, (int32_t)v, label);
	} else {
		emit_ld64(&cg->e, BPF_REG_5, v);
		JR(BPF_JEQ, reg, BPF_REG_5, label);
	}
}
static void in_cidr(struct cg *cg, int16_t f, const struct cidr *k, int yes, int no)
{
	uint32_t mask = ntohl(k->mask), net = ntohl(k->addr);

	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, f));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_2, (int32_t)mask));
	cg_jeq_u32(cg, BPF_REG_2, net, yes);
	JA(no);
}
static void has_addr(struct cg *cg, const struct cidr *k, int which, int yes, int no)
{
	int ok = L(), next = L();

	cg_field_eq(cg, SC(ipv), 4, ok, no);
	BIND(ok);
	if (which != 2) {
		in_cidr(cg, SC(src32), k, yes, next);
		BIND(next);
	}
	if (which != 1)
		in_cidr(cg, SC(dst32), k, yes, no);
	else
		JA(no);
}
static void mac_bcast_at(struct cg *cg, int off, int yes, int no)
{
	/* 6 bytes 0xff: three aligned 16-bit words (the stack wants alignment) */
	for (int w = 0; w < 2; w++) {
		E(BI_LDX(BPF_H, BPF_REG_2, BPF_REG_7, (int16_t)(SC(cache) + off + 2 * w)));
		JI(BPF_JNE, BPF_REG_2, 0xffff, no);
	}
	E(BI_LDX(BPF_H, BPF_REG_2, BPF_REG_7, (int16_t)(SC(cache) + off + 4)));
	JI(BPF_JEQ, BPF_REG_2, 0xffff, yes);
	JA(no);
}
/* the MAC addresses are in the cache whenever len >= 14 */
void cg_is_broadcast(struct cg *cg, int yes, int no)
{
	int ok = L(), src = L();

	LDX(BPF_REG_2, len);
	JI(BPF_JLT, BPF_REG_2, 14, no);
	LDX(BPF_REG_2, L);
	JI(BPF_JGE, BPF_REG_2, 12, ok);
	JA(no);
	BIND(ok);
	mac_bcast_at(cg, 0, yes, src);
	BIND(src);
	mac_bcast_at(cg, 6, yes, no);
}
static void is_multicast(struct cg *cg, int dst_only, int yes, int no)
{
	LDX(BPF_REG_2, len);
	JI(BPF_JLT, BPF_REG_2, 14, no);
	E(BI_LDX(BPF_B, BPF_REG_2, BPF_REG_7, SC(cache)));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_2, 1));
	JI(BPF_JNE, BPF_REG_2, 0, yes);
	if (!dst_only) {
		E(BI_LDX(BPF_B, BPF_REG_2, BPF_REG_7, SC(cache) + 6));
		E(BI_ALU_IMM(BPF_AND, BPF_REG_2, 1));
		JI(BPF_JNE, BPF_REG_2, 0, yes);
	}
	JA(no);
}
void cg_is_ip_bcast(struct cg *cg, int yes, int no)
{
	int ok = L();

	cg_field_eq(cg, SC(ipv), 4, ok, no);
	BIND(ok);
	LDX(BPF_REG_2, src32);
	cg_jeq_u32(cg, BPF_REG_2, 0xffffffffu, yes);
	LDX(BPF_REG_2, dst32);
	cg_jeq_u32(cg, BPF_REG_2, 0xffffffffu, yes);
	JA(no);
}
static void is_ip_mcast(struct cg *cg, int yes, int no)
{
	int v4 = L(), v6 = L();

	LDX(BPF_REG_2, ipv);
	JI(BPF_JEQ, BPF_REG_2, 4, v4);
	JI(BPF_JEQ, BPF_REG_2, 6, v6);
	JA(no);
	BIND(v4);
	LDX(BPF_REG_2, src32);
	E(BI_ALU32_IMM(BPF_RSH, BPF_REG_2, 28));
	JI(BPF_JEQ, BPF_REG_2, 0xe, yes);
	LDX(BPF_REG_2, dst32);
	E(BI_ALU32_IMM(BPF_RSH, BPF_REG_2, 28));
	JI(BPF_JEQ, BPF_REG_2, 0xe, yes);
	JA(no);
	BIND(v6);
	LDX(BPF_REG_2, s6b0);
	JI(BPF_JEQ, BPF_REG_2, 0xff, yes);
	LDX(BPF_REG_2, d6b0);
	JI(BPF_JEQ, BPF_REG_2, 0xff, yes);
	JA(no);
}
/* host addresses of the incoming device: map ifindex -> {n, addrs[16]} */
static void is_ip_host(struct cg *cg, int yes, int no)
{
	int ok = L();

	cg_field_eq(cg, SC(ipv), 4, ok, no);
	BIND(ok);
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, SKB_OFF(ifindex)));
	E(BI_STX(BPF_W, BPF_REG_10, BPF_REG_2, -8));
	cg_lookup(cg, cg->host_fd, true, no);
	E(BI_LDX(BPF_W, BPF_REG_1, BPF_REG_0, 0)); /* count */
	LDX(BPF_REG_2, src32);
	LDX(BPF_REG_3, dst32);
	for (int i = 0; i < 16; i++) {
		JI(BPF_JLE, BPF_REG_1, i, no);
		E(BI_LDX(BPF_W, BPF_REG_4, BPF_REG_0, (int16_t)(4 + 4 * i)));
		JR(BPF_JEQ, BPF_REG_4, BPF_REG_2, yes);
		JR(BPF_JEQ, BPF_REG_4, BPF_REG_3, yes);
	}
	JA(no);
}

/* r0 = kind: 0 none, 1 RTP, 2 RTCP, 3 SIP (voip.c) */
void cg_voip_kind(struct cg *cg)
{
	int flow = L(), none = L(), sip = L(), udp = L(), done = L(), rtcp = L();
	int notodd = L(), rtp = L(), codec = L();

	cg_is_flow(cg, flow, none);
	BIND(flow);
	LDX(BPF_REG_8, sport);
	LDX(BPF_REG_9, dport);
	JI(BPF_JEQ, BPF_REG_8, 5060, sip);
	JI(BPF_JEQ, BPF_REG_8, 5061, sip);
	JI(BPF_JEQ, BPF_REG_9, 5060, sip);
	JI(BPF_JEQ, BPF_REG_9, 5061, sip);
	is_udp(cg, udp, none);
	BIND(udp);
	JI(BPF_JLT, BPF_REG_8, 1024, none);
	JI(BPF_JLT, BPF_REG_9, 1024, none);
	LDX(BPF_REG_1, l4);
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, 8));
	cg_load(cg, 2, none);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_0));
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_1, 14));
	JI(BPF_JNE, BPF_REG_1, 2, none);
	E(BI_ALU_IMM(BPF_AND, BPF_REG_0, 0xff)); /* r0 = second byte */
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_8));
	E(BI_ALU_REG(BPF_AND, BPF_REG_1, BPF_REG_9));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_1, 1));
	JI(BPF_JEQ, BPF_REG_1, 0, notodd);
	/* both odd: RTCP for packet types 200..204 */
	JI(BPF_JLT, BPF_REG_0, 200, none);
	JI(BPF_JGT, BPF_REG_0, 204, none);
	JA(rtcp);
	BIND(notodd);
	E(BI_MOV_REG(BPF_REG_1, BPF_REG_8));
	E(BI_ALU_REG(BPF_OR, BPF_REG_1, BPF_REG_9));
	E(BI_ALU_IMM(BPF_AND, BPF_REG_1, 1));
	JI(BPF_JNE, BPF_REG_1, 0, rtp);
	/* both even: the payload type must be a known codec */
	E(BI_ALU_IMM(BPF_AND, BPF_REG_0, 0x7f));
	JI(BPF_JLT, BPF_REG_0, 19, rtp);
	JI(BPF_JGT, BPF_REG_0, 95, rtp);
	static const int codecs[] = { 25, 26, 28, 31, 32, 33, 34 };
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		JI(BPF_JEQ, BPF_REG_0, codecs[i], codec);
	JA(none);
	BIND(codec);
	BIND(rtp);
	E(BI_MOV_IMM(BPF_REG_0, 1));
	JA(done);
	BIND(rtcp);
	E(BI_MOV_IMM(BPF_REG_0, 2));
	JA(done);
	BIND(sip);
	E(BI_MOV_IMM(BPF_REG_0, 3));
	JA(done);
	BIND(none);
	E(BI_MOV_IMM(BPF_REG_0, 0));
	BIND(done);
}

/* r0 = 0 none, 1 GTP-C, 2 GTP-U (voip.c) */
void cg_gtp_kind(struct cg *cg)
{
	int udp = L(), none = L(), done = L(), up = L(), check = L();

	is_udp(cg, udp, none);
	BIND(udp);
	LDX(BPF_REG_2, sport);
	LDX(BPF_REG_3, dport);
	E(BI_MOV_IMM(BPF_REG_8, 2));
	JI(BPF_JEQ, BPF_REG_2, 2152, up);
	JI(BPF_JEQ, BPF_REG_3, 2152, up);
	E(BI_MOV_IMM(BPF_REG_8, 1));
	JI(BPF_JEQ, BPF_REG_2, 2123, check);
	JI(BPF_JEQ, BPF_REG_3, 2123, check);
	JA(none);
	BIND(up);
	BIND(check);
	LDX(BPF_REG_1, l4);
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, 8));
	cg_load(cg, 1, none);
	E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 5));
	JI(BPF_JNE, BPF_REG_0, 1, none);
	LDX(BPF_REG_2, l4);
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, 16));
	LDX(BPF_REG_3, len);
	JR(BPF_JGT, BPF_REG_2, BPF_REG_3, none);
	E(BI_MOV_REG(BPF_REG_0, BPF_REG_8));
	JA(done);
	BIND(none);
	E(BI_MOV_IMM(BPF_REG_0, 0));
	BIND(done);
}

static void voip_is(struct cg *cg, int kind, int yes, int no)
{
	cg_voip_kind(cg);
	if (kind < 0) {
		JI(BPF_JNE, BPF_REG_0, 0, yes);
		JA(no);
	} else {
		JI(BPF_JEQ, BPF_REG_0, kind, yes);
		JA(no);
	}
}

static void gtp_is(struct cg *cg, int kind, int yes, int no)
{
	cg_gtp_kind(cg);
	if (kind < 0)
		JI(BPF_JNE, BPF_REG_0, 0, yes);
	else
		JI(BPF_JEQ, BPF_REG_0, kind, yes);
	JA(no);
}

/* bloom: 4 bit tests over the table in a map (bloom.c) */
static void bloom_hash(struct cg *cg, int a, int b, int c, int dst)
{
	/* mix(a,b,c) = (a^b^c)&0xff | ((b^c)&0xff)<<8 | (c&0xff)<<16 */
	E(BI_MOV_REG(dst, b));
	E(BI_ALU_REG(BPF_XOR, dst, c));
	E(BI_MOV_REG(BPF_REG_5, dst));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_5, 8));
	E(BI_ALU_REG(BPF_XOR, dst, a));
	E(BI_ALU_REG(BPF_OR, dst, BPF_REG_5));
	E(BI_MOV_REG(BPF_REG_5, c));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_5, 16));
	E(BI_ALU_REG(BPF_OR, dst, BPF_REG_5));
}
static void bloom_test_field(struct cg *cg, const struct node *n, int map_fd, int16_t field,
			     int yes, int no)
{
	const struct bloom *b = n->extra;
	int regs[4] = { BPF_REG_1, BPF_REG_2, BPF_REG_3, BPF_REG_4 };

	/* r9 = value pointer (table), r8 = masked address */
	cg_lookup(cg, map_fd, false, no);
	E(BI_MOV_REG(BPF_REG_9, BPF_REG_0));
	E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_7, field));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_8, (int32_t)b->mask));
	/* bytes A B C D into r1..r4 */
	for (int i = 0; i < 4; i++) {
		E(BI_MOV_REG(regs[i], BPF_REG_8));
		E(BI_ALU_IMM(BPF_RSH, regs[i], 24 - 8 * i));
		E(BI_ALU_IMM(BPF_AND, regs[i], 0xff));
	}
	/* each hash in r0, its bit tested at once through r5: nothing goes
	 * to the stack, whose temporaries belong to the group program (a
	 * 4-byte store over the member table pointer it keeps there made
	 * that pointer a number for the verifier) */
	static const int tri[4][3] = { { 0, 1, 2 }, { 0, 1, 3 }, { 0, 2, 3 }, { 1, 2, 3 } };
	for (int h = 0; h < 4; h++) {
		bloom_hash(cg, regs[tri[h][0]], regs[tri[h][1]], regs[tri[h][2]], BPF_REG_0);
		E(BI_ALU_IMM(BPF_AND, BPF_REG_0, (int32_t)(b->mbits - 1)));
		E(BI_MOV_REG(BPF_REG_5, BPF_REG_0));
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_5, 3));
		E(BI_ALU_IMM(BPF_AND, BPF_REG_5, (int32_t)(b->mbits / 8 - 1)));
		E(BI_ALU_REG(BPF_ADD, BPF_REG_5, BPF_REG_9));
		E(BI_LDX(BPF_B, BPF_REG_5, BPF_REG_5, 0));
		E(BI_ALU_IMM(BPF_AND, BPF_REG_0, 7));
		E(BI_ALU_REG(BPF_RSH, BPF_REG_5, BPF_REG_0));
		E(BI_ALU_IMM(BPF_AND, BPF_REG_5, 1));
		JI(BPF_JEQ, BPF_REG_5, 0, no);
	}
	JA(yes);
}
static int node_map(struct cg *cg, const struct node *n)
{
	return cg->map_fds[n->id];
}
static void bloom(struct cg *cg, const struct node *n, bool src, bool dst, int yes, int no)
{
	int ok = L(), try_src = L();

	cg_field_eq(cg, SC(ipv), 4, ok, no);
	BIND(ok);
	if (dst)
		bloom_test_field(cg, n, node_map(cg, n), SC(dst32), yes, src ? try_src : no);
	BIND(try_src);
	if (src)
		bloom_test_field(cg, n, node_map(cg, n), SC(src32), yes, no);
	else
		JA(no);
}

static void vlan_id_list(struct cg *cg, const struct arg *a, int yes, int no)
{
	cg_vid(cg);
	for (int i = 0; i < a->nints; i++) {
		if (a->ints[i] == -1)
			JI(BPF_JNE, BPF_REG_0, 0, yes);
		else
			JI(BPF_JEQ, BPF_REG_0, (int32_t)a->ints[i], yes);
	}
	JA(no);
}


/* ---- predicates ---- */

static void ep_is_ip(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	cg_field_eq(cg, SC(ipv), 4, yes, no);
}
static void ep_is_ip6(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	cg_field_eq(cg, SC(ipv), 6, yes, no);
}
static void ep_is_udp(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	is_udp(cg, yes, no);
}
static void ep_is_tcp(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	is_tcp(cg, yes, no);
}
static void ep_is_icmp(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	is_icmp(cg, yes, no);
}
static void ep_is_flow(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	cg_is_flow(cg, yes, no);
}
static void ep_has_vlan(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	cg_vid(cg);
	JI(BPF_JNE, BPF_REG_0, 0, yes);
	JA(no);
}
static void ep_has_vid(struct cg *cg, const struct node *n, int yes, int no)
{
	cg_vid(cg);
	JI(BPF_JEQ, BPF_REG_0, (int32_t)A(0)->i, yes);
	JA(no);
}
static void ep_vlan_id(struct cg *cg, const struct node *n, int yes, int no)
{
	vlan_id_list(cg, A(0), yes, no);
}

/* fragments: which = 0 any, 1 the first, 2 a later one */
static void frag(struct cg *cg, int which, int yes, int no)
{
	LDX(BPF_REG_2, ipv);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	if (which != 2) {
		LDX(BPF_REG_2, frag);
		JI(BPF_JEQ, BPF_REG_2, 0, no);
	}
	LDX(BPF_REG_2, later_frag);
	if (which == 0) {
		JA(yes);
	} else if (which == 1) {
		JI(BPF_JEQ, BPF_REG_2, 0, yes);
		JA(no);
	} else {
		JI(BPF_JNE, BPF_REG_2, 0, yes);
		JA(no);
	}
}
static void ep_is_frag(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	frag(cg, 0, yes, no);
}
static void ep_is_first_frag(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	frag(cg, 1, yes, no);
}
static void ep_is_more_frag(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	frag(cg, 2, yes, no);
}

static void ethertype(struct cg *cg, uint32_t type, int yes, int no)
{
	LDX(BPF_REG_2, len);
	JI(BPF_JLT, BPF_REG_2, 14, no);
	cg_field_eq(cg, SC(l3_type), (int32_t)type, yes, no);
}
static void ep_is_l3_proto(struct cg *cg, const struct node *n, int yes, int no)
{
	ethertype(cg, (uint32_t)A(0)->u, yes, no);
}
/* is_eth_*: the EtherType the catalogue row names */
static void ep_is_eth(struct cg *cg, const struct node *n, int yes, int no)
{
	ethertype(cg, pfq_builtins[n->fid].konst, yes, no);
}
static void ep_is_l4_proto(struct cg *cg, const struct node *n, int yes, int no)
{
	LDX(BPF_REG_2, ipv);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	cg_field_eq(cg, SC(proto), (int32_t)A(0)->u, yes, no);
}

static void ep_has_port(struct cg *cg, const struct node *n, int yes, int no)
{
	has_port(cg, A(0)->u, 0, yes, no);
}
static void ep_has_src_port(struct cg *cg, const struct node *n, int yes, int no)
{
	has_port(cg, A(0)->u, 1, yes, no);
}
static void ep_has_dst_port(struct cg *cg, const struct node *n, int yes, int no)
{
	has_port(cg, A(0)->u, 2, yes, no);
}
static void ep_has_addr(struct cg *cg, const struct node *n, int yes, int no)
{
	has_addr(cg, &A(0)->cidr, 0, yes, no);
}
static void ep_has_src_addr(struct cg *cg, const struct node *n, int yes, int no)
{
	has_addr(cg, &A(0)->cidr, 1, yes, no);
}
static void ep_has_dst_addr(struct cg *cg, const struct node *n, int yes, int no)
{
	has_addr(cg, &A(0)->cidr, 2, yes, no);
}

/* a 32-bit word of the decision equals the argument */
static void word_is(struct cg *cg, const struct node *n, int16_t f, int yes, int no)
{
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, f));
	cg_jeq_u32(cg, BPF_REG_2, (uint32_t)A(0)->u, yes);
	JA(no);
}
static void ep_has_mark(struct cg *cg, const struct node *n, int yes, int no)
{
	word_is(cg, n, SC(mark), yes, no);
}
static void ep_has_state(struct cg *cg, const struct node *n, int yes, int no)
{
	word_is(cg, n, SC(state), yes, no);
}

#define VOIP(name_, kind_)                                                          \
	static void ep_##name_(struct cg *cg, const struct node *n, int yes, int no) \
	{                                                                           \
		(void)n;                                                            \
		voip_is(cg, kind_, yes, no);                                        \
	}
VOIP(is_rtp, 1)
VOIP(is_rtcp, 2)
VOIP(is_sip, 3)
VOIP(is_voip, -1)
#define GTP(name_, kind_)                                                           \
	static void ep_##name_(struct cg *cg, const struct node *n, int yes, int no) \
	{                                                                           \
		(void)n;                                                            \
		gtp_is(cg, kind_, yes, no);                                         \
	}
GTP(is_gtp, -1)
GTP(is_gtp_cp, 1)
GTP(is_gtp_up, 2)

static void ep_is_broadcast(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	cg_is_broadcast(cg, yes, no);
}
static void ep_is_multicast(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	is_multicast(cg, 0, yes, no);
}
static void ep_is_ip_broadcast(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	cg_is_ip_bcast(cg, yes, no);
}
static void ep_is_ip_multicast(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	is_ip_mcast(cg, yes, no);
}
static void ep_is_ip_host(struct cg *cg, const struct node *n, int yes, int no)
{
	(void)n;
	is_ip_host(cg, yes, no);
}
static void ep_is_incoming_host(struct cg *cg, const struct node *n, int yes, int no)
{
	int t = L();

	(void)n;
	is_multicast(cg, 1, yes, t);
	BIND(t);
	is_ip_host(cg, yes, no);
}
static void ep_bloom(struct cg *cg, const struct node *n, int yes, int no)
{
	bloom(cg, n, true, true, yes, no);
}
static void ep_bloom_src(struct cg *cg, const struct node *n, int yes, int no)
{
	bloom(cg, n, true, false, yes, no);
}
static void ep_bloom_dst(struct cg *cg, const struct node *n, int yes, int no)
{
	bloom(cg, n, false, true, yes, no);
}

static void ep_not(struct cg *cg, const struct node *n, int yes, int no)
{
	cg_pred(cg, A(0)->fn, no, yes);
}
static void ep_and(struct cg *cg, const struct node *n, int yes, int no)
{
	int t = L();

	cg_pred(cg, A(0)->fn, t, no);
	BIND(t);
	cg_pred(cg, A(1)->fn, yes, no);
}
static void ep_or(struct cg *cg, const struct node *n, int yes, int no)
{
	int t = L();

	cg_pred(cg, A(0)->fn, yes, t);
	BIND(t);
	cg_pred(cg, A(1)->fn, yes, no);
}
/* (the second operand is compiled twice: FX_TWICE) */
static void ep_xor(struct cg *cg, const struct node *n, int yes, int no)
{
	int t = L(), a_no = L();

	cg_pred(cg, A(0)->fn, t, a_no);
	BIND(t);
	cg_pred(cg, A(1)->fn, no, yes);
	BIND(a_no);
	cg_pred(cg, A(1)->fn, yes, no);
}

/* comparisons of a property with a value: an absent property is false */
#define CMP_ANY_BIT (-1)
#define CMP_ALL_BIT (-2)
static void compare(struct cg *cg, const struct node *n, int op, int yes, int no)
{
	cg_prop(cg, A(0)->fn, no);
	emit_ld64(&cg->e, BPF_REG_1, A(1)->u);
	if (op >= 0) {
		JR(op, BPF_REG_0, BPF_REG_1, yes);
	} else if (op == CMP_ANY_BIT) {
		E(BI_ALU_REG(BPF_AND, BPF_REG_0, BPF_REG_1));
		JI(BPF_JNE, BPF_REG_0, 0, yes);
	} else {
		E(BI_ALU_REG(BPF_AND, BPF_REG_0, BPF_REG_1));
		JR(BPF_JEQ, BPF_REG_0, BPF_REG_1, yes);
	}
	JA(no);
}
#define CMP(name_, op_)                                                             \
	static void ep_##name_(struct cg *cg, const struct node *n, int yes, int no) \
	{                                                                           \
		compare(cg, n, op_, yes, no);                                       \
	}
CMP(lt, BPF_JLT)
CMP(le, BPF_JLE)
CMP(gt, BPF_JGT)
CMP(ge, BPF_JGE)
CMP(eq, BPF_JEQ)
CMP(ne, BPF_JNE)
CMP(any_bit, CMP_ANY_BIT)
CMP(all_bit, CMP_ALL_BIT)

/* ---- properties ---- */

/* an IPv4 header field the decoder keeps */
static void ip_field(struct cg *cg, int16_t f, int absent)
{
	int ok = L();

	cg_field_eq(cg, SC(ipv), 4, ok, absent);
	BIND(ok);
	LDX(BPF_REG_0, tos);
	if (f != SC(tos))
		E(BI_LDX(BPF_W, BPF_REG_0, BPF_REG_7, f));
}
#define IP_FIELD(name_, field_)                                                  \
	static void er_##name_(struct cg *cg, const struct node *n, int absent) \
	{                                                                        \
		(void)n;                                                         \
		ip_field(cg, SC(field_), absent);                                \
	}
IP_FIELD(ip_tos, tos)
IP_FIELD(ip_tot_len, tot_len)
IP_FIELD(ip_id, ip_id)
IP_FIELD(ip_frag, frag_off)
IP_FIELD(ip_ttl, ttl)

/* a TCP or UDP field: a port the decoder keeps, or bytes of the header */
enum l4_field { L4_SPORT, L4_DPORT, L4_TCP_HDRLEN, L4_UDP_LEN };
static void l4_field(struct cg *cg, bool tcp, enum l4_field f, int absent)
{
	int ok = L();

	if (tcp)
		is_tcp(cg, ok, absent);
	else
		is_udp(cg, ok, absent);
	BIND(ok);
	if (f == L4_TCP_HDRLEN || f == L4_UDP_LEN) {
		LDX(BPF_REG_1, l4);
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, f == L4_UDP_LEN ? 4 : 12));
		cg_load(cg, f == L4_UDP_LEN ? 2 : 1, absent);
		if (f == L4_TCP_HDRLEN) {
			E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
			E(BI_ALU_IMM(BPF_LSH, BPF_REG_0, 2));
		}
	} else if (f == L4_SPORT) {
		LDX(BPF_REG_0, sport);
	} else {
		LDX(BPF_REG_0, dport);
	}
}
#define L4_FIELD(name_, tcp_, f_)                                                \
	static void er_##name_(struct cg *cg, const struct node *n, int absent) \
	{                                                                        \
		(void)n;                                                         \
		l4_field(cg, tcp_, f_, absent);                                  \
	}
L4_FIELD(tcp_source, true, L4_SPORT)
L4_FIELD(tcp_dest, true, L4_DPORT)
L4_FIELD(tcp_hdrlen, true, L4_TCP_HDRLEN)
L4_FIELD(udp_source, false, L4_SPORT)
L4_FIELD(udp_dest, false, L4_DPORT)
L4_FIELD(udp_len, false, L4_UDP_LEN)

static void icmp_byte(struct cg *cg, int off, int absent)
{
	int ok = L();

	is_icmp(cg, ok, absent);
	BIND(ok);
	LDX(BPF_REG_1, l4);
	if (off)
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, off));
	cg_load(cg, 1, absent);
}
static void er_icmp_type(struct cg *cg, const struct node *n, int absent)
{
	(void)n;
	icmp_byte(cg, 0, absent);
}
static void er_icmp_code(struct cg *cg, const struct node *n, int absent)
{
	(void)n;
	icmp_byte(cg, 1, absent);
}
static void er_get_mark(struct cg *cg, const struct node *n, int absent)
{
	(void)n;
	(void)absent;
	LDX(BPF_REG_0, mark);
}
static void er_get_state(struct cg *cg, const struct node *n, int absent)
{
	(void)n;
	(void)absent;
	LDX(BPF_REG_0, state);
}

/* ---- by builtin id ---- */
CG_PRED(IS_IP, ep_is_ip)
CG_PRED(IS_IP6, ep_is_ip6)
CG_PRED(IS_UDP, ep_is_udp)
CG_PRED(IS_TCP, ep_is_tcp)
CG_PRED(IS_ICMP, ep_is_icmp)
CG_PRED(IS_FLOW, ep_is_flow)
CG_PRED(HAS_VLAN, ep_has_vlan)
CG_PRED(HAS_VID, ep_has_vid)
CG_PRED(VLAN_ID, ep_vlan_id)
CG_PRED(IS_FRAG, ep_is_frag)
CG_PRED(IS_FIRST_FRAG, ep_is_first_frag)
CG_PRED(IS_MORE_FRAG, ep_is_more_frag)
CG_PRED(IS_L3_PROTO, ep_is_l3_proto)
CG_PRED(IS_L4_PROTO, ep_is_l4_proto)
CG_PRED(HAS_PORT, ep_has_port)
CG_PRED(HAS_SRC_PORT, ep_has_src_port)
CG_PRED(HAS_DST_PORT, ep_has_dst_port)
CG_PRED(HAS_ADDR, ep_has_addr)
CG_PRED(HAS_SRC_ADDR, ep_has_src_addr)
CG_PRED(HAS_DST_ADDR, ep_has_dst_addr)
CG_PRED(HAS_MARK, ep_has_mark)
CG_PRED(HAS_STATE, ep_has_state)
CG_PRED(IS_RTP, ep_is_rtp)
CG_PRED(IS_RTCP, ep_is_rtcp)
CG_PRED(IS_SIP, ep_is_sip)
CG_PRED(IS_VOIP, ep_is_voip)
CG_PRED(IS_GTP, ep_is_gtp)
CG_PRED(IS_GTP_CP, ep_is_gtp_cp)
CG_PRED(IS_GTP_UP, ep_is_gtp_up)
CG_PRED(IS_BROADCAST, ep_is_broadcast)
CG_PRED(IS_MULTICAST, ep_is_multicast)
CG_PRED(IS_IP_BROADCAST, ep_is_ip_broadcast)
CG_PRED(IS_IP_MULTICAST, ep_is_ip_multicast)
CG_PRED(IS_IP_HOST, ep_is_ip_host)
CG_PRED(IS_INCOMING_HOST, ep_is_incoming_host)
CG_PRED(BLOOM, ep_bloom)
CG_PRED(BLOOM_SRC, ep_bloom_src)
CG_PRED(BLOOM_DST, ep_bloom_dst)
CG_PRED(NOT, ep_not)
CG_PRED(DOT_AND, ep_and)
CG_PRED(DOT_OR, ep_or)
CG_PRED(DOT_XOR, ep_xor)
CG_PRED(AND, ep_and)
CG_PRED(OR, ep_or)
CG_PRED(XOR, ep_xor)
CG_PRED(DOT_LT, ep_lt)
CG_PRED(DOT_LE, ep_le)
CG_PRED(DOT_GT, ep_gt)
CG_PRED(DOT_GE, ep_ge)
CG_PRED(DOT_EQ, ep_eq)
CG_PRED(DOT_NE, ep_ne)
CG_PRED(LESS, ep_lt)
CG_PRED(LESS_EQ, ep_le)
CG_PRED(GREATER, ep_gt)
CG_PRED(GREATER_EQ, ep_ge)
CG_PRED(EQUAL, ep_eq)
CG_PRED(NOT_EQUAL, ep_ne)
CG_PRED(ANY_BIT, ep_any_bit)
CG_PRED(ALL_BIT, ep_all_bit)
CG_PRED(IS_ETH_PUP, ep_is_eth)
CG_PRED(IS_ETH_SPRITE, ep_is_eth)
CG_PRED(IS_ETH_IP, ep_is_eth)
CG_PRED(IS_ETH_ARP, ep_is_eth)
CG_PRED(IS_ETH_REVARP, ep_is_eth)
CG_PRED(IS_ETH_AT, ep_is_eth)
CG_PRED(IS_ETH_AARP, ep_is_eth)
CG_PRED(IS_ETH_VLAN, ep_is_eth)
CG_PRED(IS_ETH_IPX, ep_is_eth)
CG_PRED(IS_ETH_IPV6, ep_is_eth)
CG_PRED(IS_ETH_LOOPBACK, ep_is_eth)
CG_PROP(IP_TOS, er_ip_tos)
CG_PROP(IP_TOT_LEN, er_ip_tot_len)
CG_PROP(IP_ID, er_ip_id)
CG_PROP(IP_FRAG, er_ip_frag)
CG_PROP(IP_TTL, er_ip_ttl)
CG_PROP(TCP_SOURCE, er_tcp_source)
CG_PROP(TCP_DEST, er_tcp_dest)
CG_PROP(TCP_HDRLEN, er_tcp_hdrlen)
CG_PROP(UDP_SOURCE, er_udp_source)
CG_PROP(UDP_DEST, er_udp_dest)
CG_PROP(UDP_LEN, er_udp_len)
CG_PROP(ICMP_TYPE, er_icmp_type)
CG_PROP(ICMP_CODE, er_icmp_code)
CG_PROP(GET_MARK, er_get_mark)
CG_PROP(GET_STATE, er_get_state)
