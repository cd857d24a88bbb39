/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Code generation for every function of the catalogue: the same semantics
 * as the interpreter (actions.c, preds.c), over the decoded fields in the
 * scratch area. Functions update the decision in place; predicates jump to
 * one of two labels; properties leave their value in r0.
 */
#include "cg-int.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A(i) (&n->args[i])
#define L() emit_label(&cg->e)
#define BIND(l) emit_bind(&cg->e, l)
#define JI(op, r, imm, l) emit_jmp_imm(&cg->e, op, r, imm, l)
#define JR(op, r, s, l) emit_jmp_reg(&cg->e, op, r, s, l)
#define JA(l) emit_ja(&cg->e, l)

int cg_error(struct cg *cg, const char *fmt, ...)
{
	va_list ap;

	if (cg->err[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(cg->err, sizeof(cg->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- decision updates ---- */
static void set_fate(struct cg *cg, int fate) { STI(fate, fate); }
static void drop(struct cg *cg) { set_fate(cg, PFQ_FATE_DROP); }
static void set_class(struct cg *cg, uint64_t mask)
{
	emit_ld64(&cg->e, BPF_REG_2, mask);
	E(BI_STX(BPF_DW, BPF_REG_7, BPF_REG_2, SC(class_mask)));
}
static void bcast(struct cg *cg)
{
	set_fate(cg, PFQ_FATE_COPY);
	set_class(cg, PFQ_CLASS_ANY);
}
/* steer on r(h) / double steer on r(h1), r(h2) */
static void steer_reg(struct cg *cg, int h)
{
	STX(hash0, h);
	STI(hash1, 0);
	set_fate(cg, PFQ_FATE_STEER);
}
static void steer2_reg(struct cg *cg, int h1, int h2)
{
	STX(hash0, h1);
	STX(hash1, h2);
	set_fate(cg, PFQ_FATE_DOUBLE_STEER);
}

/* ---- predicate helpers: jump to yes/no ---- */
static void field_eq(struct cg *cg, int16_t f, int32_t v, int yes, int no)
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
	field_eq(cg, SC(proto), 6, yes, no);
}
static void is_udp(struct cg *cg, int yes, int no)
{
	LDX(BPF_REG_2, ipv);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	LDX(BPF_REG_2, l4ok);
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	field_eq(cg, SC(proto), 17, yes, no);
}
static void is_flow(struct cg *cg, int yes, int no)
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
static void vid(struct cg *cg)
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

	is_flow(cg, ok, no);
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
static void jeq_u32(struct cg *cg, int reg, uint32_t v, int label)
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
	jeq_u32(cg, BPF_REG_2, net, yes);
	JA(no);
}
static void has_addr(struct cg *cg, const struct cidr *k, int which, int yes, int no)
{
	int ok = L(), next = L();

	field_eq(cg, SC(ipv), 4, ok, no);
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
static void is_broadcast(struct cg *cg, int yes, int no)
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
static void is_ip_bcast(struct cg *cg, int yes, int no)
{
	int ok = L();

	field_eq(cg, SC(ipv), 4, ok, no);
	BIND(ok);
	LDX(BPF_REG_2, src32);
	jeq_u32(cg, BPF_REG_2, 0xffffffffu, yes);
	LDX(BPF_REG_2, dst32);
	jeq_u32(cg, BPF_REG_2, 0xffffffffu, yes);
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

	field_eq(cg, SC(ipv), 4, ok, no);
	BIND(ok);
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_6, (int16_t)offsetof(struct __sk_buff, ifindex)));
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
static void voip_kind(struct cg *cg)
{
	int flow = L(), none = L(), sip = L(), udp = L(), done = L(), rtcp = L();
	int notodd = L(), rtp = L(), codec = L();

	is_flow(cg, flow, none);
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
static void gtp_kind(struct cg *cg)
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
	voip_kind(cg);
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
	gtp_kind(cg);
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

	field_eq(cg, SC(ipv), 4, ok, no);
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
	vid(cg);
	for (int i = 0; i < a->nints; i++) {
		if (a->ints[i] == -1)
			JI(BPF_JNE, BPF_REG_0, 0, yes);
		else
			JI(BPF_JEQ, BPF_REG_0, (int32_t)a->ints[i], yes);
	}
	JA(no);
}

/* ---- predicates ---- */
/* predicate n, or (nm set) the predicate nm with n's arguments: a filter
 * is compiled as the predicate of the same meaning */
static void pred(struct cg *cg, const struct node *n, const char *nm, int yes, int no)
{
	int t;

	if (!nm)
		nm = pfq_builtins[n->fid].name;

	if (cg->e.oom)
		return; /* too large (xor copies its second operand): give up fast */
	t = L();

#define IS(s) (strcmp(nm, s) == 0)
	if (IS("is_ip")) field_eq(cg, SC(ipv), 4, yes, no);
	else if (IS("is_ip6")) field_eq(cg, SC(ipv), 6, yes, no);
	else if (IS("is_udp")) is_udp(cg, yes, no);
	else if (IS("is_tcp")) is_tcp(cg, yes, no);
	else if (IS("is_icmp")) is_icmp(cg, yes, no);
	else if (IS("is_flow")) is_flow(cg, yes, no);
	else if (IS("has_vlan")) { vid(cg); JI(BPF_JNE, BPF_REG_0, 0, yes); JA(no); }
	else if (IS("has_vid")) { vid(cg); JI(BPF_JEQ, BPF_REG_0, (int32_t)A(0)->i, yes); JA(no); }
	else if (IS("vlan_id")) vlan_id_list(cg, A(0), yes, no);
	else if (IS("is_frag") || IS("is_first_frag") || IS("is_more_frag")) {
		LDX(BPF_REG_2, ipv);
		JI(BPF_JEQ, BPF_REG_2, 0, no);
		if (!IS("is_more_frag")) {
			LDX(BPF_REG_2, frag);
			JI(BPF_JEQ, BPF_REG_2, 0, no);
		}
		LDX(BPF_REG_2, later_frag);
		if (IS("is_frag"))
			JA(yes);
		else if (IS("is_first_frag"))
			{ JI(BPF_JEQ, BPF_REG_2, 0, yes); JA(no); }
		else
			{ JI(BPF_JNE, BPF_REG_2, 0, yes); JA(no); }
	}
	else if (IS("is_l3_proto")) {
		LDX(BPF_REG_2, len);
		JI(BPF_JLT, BPF_REG_2, 14, no);
		field_eq(cg, SC(l3_type), (int32_t)A(0)->u, yes, no);
	}
	else if (!strncmp(nm, "is_eth_", 7)) {
		LDX(BPF_REG_2, len);
		JI(BPF_JLT, BPF_REG_2, 14, no);
		field_eq(cg, SC(l3_type), (int32_t)strtoul(pfq_builtins[n->fid].doc, NULL, 16), yes, no);
	}
	else if (IS("is_l4_proto")) {
		LDX(BPF_REG_2, ipv);
		JI(BPF_JEQ, BPF_REG_2, 0, no);
		field_eq(cg, SC(proto), (int32_t)A(0)->u, yes, no);
	}
	else if (IS("has_port")) has_port(cg, A(0)->u, 0, yes, no);
	else if (IS("has_src_port")) has_port(cg, A(0)->u, 1, yes, no);
	else if (IS("has_dst_port")) has_port(cg, A(0)->u, 2, yes, no);
	else if (IS("has_addr")) has_addr(cg, &A(0)->cidr, 0, yes, no);
	else if (IS("has_src_addr")) has_addr(cg, &A(0)->cidr, 1, yes, no);
	else if (IS("has_dst_addr")) has_addr(cg, &A(0)->cidr, 2, yes, no);
	else if (IS("has_mark") || IS("has_state")) {
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, IS("has_mark") ? SC(mark) : SC(state)));
		jeq_u32(cg, BPF_REG_2, (uint32_t)A(0)->u, yes);
		JA(no);
	}
	else if (IS("is_rtp")) voip_is(cg, 1, yes, no);
	else if (IS("is_rtcp")) voip_is(cg, 2, yes, no);
	else if (IS("is_sip")) voip_is(cg, 3, yes, no);
	else if (IS("is_voip")) voip_is(cg, -1, yes, no);
	else if (IS("is_gtp")) gtp_is(cg, -1, yes, no);
	else if (IS("is_gtp_cp")) gtp_is(cg, 1, yes, no);
	else if (IS("is_gtp_up")) gtp_is(cg, 2, yes, no);
	else if (IS("is_broadcast")) is_broadcast(cg, yes, no);
	else if (IS("is_multicast")) is_multicast(cg, 0, yes, no);
	else if (IS("is_ip_broadcast")) is_ip_bcast(cg, yes, no);
	else if (IS("is_ip_multicast")) is_ip_mcast(cg, yes, no);
	else if (IS("is_ip_host")) is_ip_host(cg, yes, no);
	else if (IS("is_incoming_host")) { is_multicast(cg, 1, yes, t); BIND(t); is_ip_host(cg, yes, no); }
	else if (IS("bloom")) bloom(cg, n, true, true, yes, no);
	else if (IS("bloom_src")) bloom(cg, n, true, false, yes, no);
	else if (IS("bloom_dst")) bloom(cg, n, false, true, yes, no);
	else if (IS("not")) cg_pred(cg, A(0)->fn, no, yes);
	else if (IS(".&&.") || IS("and")) { cg_pred(cg, A(0)->fn, t, no); BIND(t); cg_pred(cg, A(1)->fn, yes, no); }
	else if (IS(".||.") || IS("or")) { cg_pred(cg, A(0)->fn, yes, t); BIND(t); cg_pred(cg, A(1)->fn, yes, no); }
	else if (IS(".^^.") || IS("xor")) {
		int a_no = L();

		cg_pred(cg, A(0)->fn, t, a_no);
		BIND(t);
		cg_pred(cg, A(1)->fn, no, yes);
		BIND(a_no);
		cg_pred(cg, A(1)->fn, yes, no);
	}
	else if (A(0)->type == LT_PROP && n->nargs == 2) {
		/* comparisons: absent property -> false */
		int op = IS(".<") || IS("less") ? BPF_JLT : IS(".<=") || IS("less_eq") ? BPF_JLE :
			 IS(".>") || IS("greater") ? BPF_JGT : IS(".>=") || IS("greater_eq") ? BPF_JGE :
			 IS(".==") || IS("equal") ? BPF_JEQ : IS("./=") || IS("not_equal") ? BPF_JNE : -1;

		cg_prop(cg, A(0)->fn, no);
		emit_ld64(&cg->e, BPF_REG_1, A(1)->u);
		if (op >= 0) {
			JR(op, BPF_REG_0, BPF_REG_1, yes);
		} else if (IS("any_bit")) {
			E(BI_ALU_REG(BPF_AND, BPF_REG_0, BPF_REG_1));
			JI(BPF_JNE, BPF_REG_0, 0, yes);
		} else { /* all_bit */
			E(BI_ALU_REG(BPF_AND, BPF_REG_0, BPF_REG_1));
			JR(BPF_JEQ, BPF_REG_0, BPF_REG_1, yes);
		}
		JA(no);
	}
	else {
		cg_error(cg, "no code generator for predicate '%s'", nm);
		JA(no);
	}
#undef IS
}

/* ---- properties ---- */
void cg_prop(struct cg *cg, const struct node *n, int absent)
{
	const char *nm = pfq_builtins[n->fid].name;
	int ok = L();

#define IS(s) (strcmp(nm, s) == 0)
	if (!strncmp(nm, "ip_", 3)) {
		field_eq(cg, SC(ipv), 4, ok, absent);
		BIND(ok);
		LDX(BPF_REG_0, tos);
		if (IS("ip_tot_len")) LDX(BPF_REG_0, tot_len);
		else if (IS("ip_id")) LDX(BPF_REG_0, ip_id);
		else if (IS("ip_frag")) LDX(BPF_REG_0, frag_off);
		else if (IS("ip_ttl")) LDX(BPF_REG_0, ttl);
	} else if (!strncmp(nm, "tcp_", 4) || !strncmp(nm, "udp_", 4)) {
		if (nm[0] == 't')
			is_tcp(cg, ok, absent);
		else
			is_udp(cg, ok, absent);
		BIND(ok);
		if (IS("tcp_hdrlen") || IS("udp_len")) {
			LDX(BPF_REG_1, l4);
			E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, IS("udp_len") ? 4 : 12));
			cg_load(cg, IS("udp_len") ? 2 : 1, absent);
			if (IS("tcp_hdrlen")) {
				E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
				E(BI_ALU_IMM(BPF_LSH, BPF_REG_0, 2));
			}
		} else if (IS("tcp_source") || IS("udp_source")) {
			LDX(BPF_REG_0, sport);
		} else {
			LDX(BPF_REG_0, dport);
		}
	} else if (IS("icmp_type") || IS("icmp_code")) {
		is_icmp(cg, ok, absent);
		BIND(ok);
		LDX(BPF_REG_1, l4);
		if (IS("icmp_code"))
			E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, 1));
		cg_load(cg, 1, absent);
	} else if (IS("get_mark")) {
		LDX(BPF_REG_0, mark);
	} else if (IS("get_state")) {
		LDX(BPF_REG_0, state);
	} else {
		cg_error(cg, "no code generator for property '%s'", nm);
		JA(absent);
	}
#undef IS
}

/* ---- functions ---- */
static int dev_index(struct cg *cg, const char *dev)
{
	for (int i = 0; i < cg->ndevs; i++)
		if (!strcmp(cg->devs[i], dev))
			return i;
	if (cg->ndevs == CG_MAX_DEVS)
		return cg_error(cg, "more than %d forwarding devices", CG_MAX_DEVS);
	snprintf(cg->devs[cg->ndevs], sizeof(cg->devs[0]), "%s", dev);
	cg->dev_ifindex[cg->ndevs] = cg->ifindex_of ? cg->ifindex_of(dev, cg->user) : 0;
	if (cg->ifindex_of && cg->dev_ifindex[cg->ndevs] <= 0)
		return cg_error(cg, "forwarding device '%s' does not exist", dev);
	return cg->ndevs++;
}
static void forward(struct cg *cg, const char *dev)
{
	int i = dev_index(cg, dev);

	if (i < 0)
		return;
	LDX(BPF_REG_2, fwd_mask);
	E(BI_ALU32_IMM(BPF_OR, BPF_REG_2, 1 << i));
	STX(fwd_mask, BPF_REG_2);
}
static void log_node(struct cg *cg, const struct node *n)
{
	int full = L();

	LDX(BPF_REG_2, nlogs);
	JI(BPF_JGE, BPF_REG_2, CG_MAX_LOGS, full);
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_2));
	E(BI_ALU_IMM(BPF_LSH, BPF_REG_3, 2));
	E(BI_ALU_REG(BPF_ADD, BPF_REG_3, BPF_REG_7));
	E(BI_ST(BPF_W, BPF_REG_3, SC(log_ids), n->id));
	E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, 1));
	STX(nlogs, BPF_REG_2);
	BIND(full);
}
static void when_pred(struct cg *cg, const struct node *p, bool negate, void (*then)(struct cg *))
{
	int yes = L(), no = L();

	cg_pred(cg, p, negate ? no : yes, negate ? yes : no);
	BIND(yes);
	then(cg);
	BIND(no);
}
static void to_kernel(struct cg *cg) { STI(kernel, 1); }
static void detour(struct cg *cg) { STI(kernel, 1); drop(cg); }
static void fate_drop(struct cg *cg) { drop(cg); }

/* r8 = source, r9 = destination (32-bit) for IP steering; no IP -> drop */
static int need_ip(struct cg *cg, int done)
{
	int ok = L();

	LDX(BPF_REG_2, ipv);
	JI(BPF_JNE, BPF_REG_2, 0, ok);
	drop(cg);
	JA(done);
	BIND(ok);
	LDX(BPF_REG_8, src32);
	LDX(BPF_REG_9, dst32);
	return ok;
}
static void ip_bcast_rule(struct cg *cg, int done)
{
	int no = L(), yes = L();

	is_ip_bcast(cg, yes, no);
	BIND(yes);
	bcast(cg);
	JA(done);
	BIND(no);
}
/* MAC steering: drop short frames, broadcast rule; r8 = xor3(dst), r9 = xor3(src) */
static void mac_prep(struct cg *cg, int done)
{
	int ok = L(), bc = L(), nb = L();

	LDX(BPF_REG_2, len);
	JI(BPF_JGE, BPF_REG_2, 14, ok);
	drop(cg);
	JA(done);
	BIND(ok);
	is_broadcast(cg, bc, nb);
	BIND(bc);
	bcast(cg);
	JA(done);
	BIND(nb);
	for (int m = 0; m < 2; m++) {
		int r = m ? BPF_REG_9 : BPF_REG_8;

		E(BI_MOV_IMM(r, 0));
		for (int w = 0; w < 3; w++) {
			E(BI_LDX(BPF_H, BPF_REG_2, BPF_REG_7, (int16_t)(SC(cache) + 6 * m + 2 * w)));
			E(bi_make(BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_2, 0, 0, 16));
			E(BI_ALU_REG(BPF_XOR, r, BPF_REG_2));
		}
	}
}
/* steer on addresses inside net/mask, hashing addr & submask */
static void steer_local(struct cg *cg, uint32_t net, uint32_t mask, uint32_t submask, int done)
{
	int v4 = L(), s_in = L(), s_out = L(), only_s = L(), d_only = L();

	field_eq(cg, SC(ipv), 4, v4, d_only);
	BIND(d_only);
	drop(cg);
	JA(done);
	BIND(v4);
	ip_bcast_rule(cg, done);
	LDX(BPF_REG_8, src32);
	LDX(BPF_REG_9, dst32);
	/* r2 = src in net, r3 = dst in net */
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_8));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_2, (int32_t)mask));
	E(BI_MOV_REG(BPF_REG_3, BPF_REG_9));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_3, (int32_t)mask));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_8, (int32_t)submask));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_9, (int32_t)submask));
	jeq_u32(cg, BPF_REG_2, net, s_in);
	JA(s_out);
	BIND(s_in);
	int both = L();

	jeq_u32(cg, BPF_REG_3, net, both);
	JA(only_s);
	BIND(both);
	steer2_reg(cg, BPF_REG_8, BPF_REG_9);
	JA(done);
	BIND(only_s);
	steer_reg(cg, BPF_REG_8);
	JA(done);
	BIND(s_out);
	int d_in = L();

	jeq_u32(cg, BPF_REG_3, net, d_in);
	drop(cg);
	JA(done);
	BIND(d_in);
	steer_reg(cg, BPF_REG_9);
}
static uint32_t host_mask(int64_t prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

/* a field of size bytes at a constant offset into r(dst); absent -> drop */
static void field(struct cg *cg, uint64_t off, uint64_t size, int dst, int dropl)
{
	cg_load_at(cg, (uint32_t)off, (int)size, dropl);
	E(BI_MOV_REG(dst, BPF_REG_0));
}

static void fun(struct cg *cg, const struct node *n)
{
	const char *nm = pfq_builtins[n->fid].name;
	int done;

	if (cg->e.oom)
		return;
	done = L();

#define IS(s) (strcmp(nm, s) == 0)
	if (IS("unit")) {
	} else if (IS("drop")) {
		drop(cg);
	} else if (IS("broadcast")) {
		bcast(cg);
	} else if (IS(">->")) {
		cg_fun(cg, A(0)->fn);
		LDX(BPF_REG_2, fate);
		JI(BPF_JEQ, BPF_REG_2, PFQ_FATE_DROP, done);
		cg_fun(cg, A(1)->fn);
	} else if (IS("when") || IS("unless")) {
		int yes = L(), no = L();

		cg_pred(cg, A(0)->fn, IS("when") ? yes : no, IS("when") ? no : yes);
		BIND(yes);
		cg_fun(cg, A(1)->fn);
		BIND(no);
	} else if (IS("conditional")) {
		int yes = L(), no = L();

		cg_pred(cg, A(0)->fn, yes, no);
		BIND(yes);
		cg_fun(cg, A(1)->fn);
		JA(done);
		BIND(no);
		cg_fun(cg, A(2)->fn);
	} else if (IS("inv")) {
		int was_drop = L();

		cg_fun(cg, A(0)->fn);
		LDX(BPF_REG_2, fate);
		JI(BPF_JEQ, BPF_REG_2, PFQ_FATE_DROP, was_drop);
		drop(cg);
		JA(done);
		BIND(was_drop);
		set_fate(cg, PFQ_FATE_COPY);
	} else if (!strncmp(nm, "par", 3)) {
		int d = cg->par_depth++;
		int16_t s = (int16_t)(SC(save) + 24 * d);

		if (d >= CG_PAR_DEPTH) {
			cg_error(cg, "'%s' at line %d col %d: par nested more than %d deep (each "
				 "level keeps the decision to put back on the 512-byte BPF stack)",
				 nm, n->line, n->col, CG_PAR_DEPTH);
			return;
		}
		LDX(BPF_REG_2, fate);
		E(BI_STX(BPF_DW, BPF_REG_7, BPF_REG_2, s));
		E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_7, SC(class_mask)));
		E(BI_STX(BPF_DW, BPF_REG_7, BPF_REG_2, (int16_t)(s + 8)));
		E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_7, SC(hash0)));
		E(BI_STX(BPF_DW, BPF_REG_7, BPF_REG_2, (int16_t)(s + 16)));
		for (int i = 0; i < n->nargs; i++) {
			if (i) { /* restore before each further try */
				E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_7, s));
				STX(fate, BPF_REG_2);
				E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_7, (int16_t)(s + 8)));
				E(BI_STX(BPF_DW, BPF_REG_7, BPF_REG_2, SC(class_mask)));
				E(BI_LDX(BPF_DW, BPF_REG_2, BPF_REG_7, (int16_t)(s + 16)));
				E(BI_STX(BPF_DW, BPF_REG_7, BPF_REG_2, SC(hash0)));
			}
			cg_fun(cg, A(i)->fn);
			LDX(BPF_REG_2, fate);
			JI(BPF_JNE, BPF_REG_2, PFQ_FATE_DROP, done);
		}
		cg->par_depth--;
	} else if (IS("filter")) {
		when_pred(cg, A(0)->fn, true, fate_drop);
	} else if (IS("classify") || IS("class")) {
		set_class(cg, 1ull << A(0)->i);
	} else if (IS("kernel")) {
		to_kernel(cg);
	} else if (IS("detour")) {
		detour(cg);
	} else if (IS("kernel_if")) {
		when_pred(cg, A(0)->fn, false, to_kernel);
	} else if (IS("detour_if")) {
		when_pred(cg, A(0)->fn, false, detour);
	} else if (IS("forward")) {
		forward(cg, A(0)->s);
	} else if (IS("bridge")) {
		forward(cg, A(0)->s);
		drop(cg);
	} else if (IS("tee")) {
		forward(cg, A(0)->s);
		when_pred(cg, A(1)->fn, true, fate_drop);
	} else if (IS("tap")) {
		int yes = L(), no = L();

		cg_pred(cg, A(1)->fn, yes, no);
		BIND(no);
		forward(cg, A(0)->s);
		drop(cg);
		BIND(yes);
	} else if (IS("link")) {
		E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_6, (int16_t)offsetof(struct __sk_buff, ifindex)));
		for (int i = 0; i < A(0)->nstrs; i++) {
			int skip = L(), k = dev_index(cg, A(0)->strs[i]);

			if (k < 0)
				break;
			if (cg->dev_ifindex[k] > 0)
				JI(BPF_JEQ, BPF_REG_8, cg->dev_ifindex[k], skip);
			forward(cg, A(0)->strs[i]);
			BIND(skip);
		}
	} else if (IS("mark") || IS("put_state")) {
		emit_ld64(&cg->e, BPF_REG_2, (uint32_t)A(0)->u);
		E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_2, IS("mark") ? SC(mark) : SC(state)));
	} else if (IS("inc") || IS("dec")) {
		/* the group's per-CPU counters: no other program of this CPU
		 * runs in between, so a plain read-modify-write is enough */
		int16_t off = (int16_t)(4 * A(0)->i);

		/* in a group, once per packet: by the leader's socket program
		 * (not by the TC program, which runs besides) */
		if (cg->group && cg->group->tc)
			JA(done);
		if (cg->group)
			cg_group_if_not_leader(cg, done);
		cg_lookup(cg, cg->counters_fd, false, done);
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_0, off));
		E(BI_ALU32_IMM(IS("inc") ? BPF_ADD : BPF_SUB, BPF_REG_2, 1));
		E(BI_STX(BPF_W, BPF_REG_0, BPF_REG_2, off));
	} else if (IS("log_msg") || IS("log_buff") || IS("log_packet") || IS("trace")) {
		log_node(cg, n);
	} else if (IS("no_frag") || IS("no_more_frag")) {
		int yes = L(), no = L();

		LDX(BPF_REG_2, ipv);
		JI(BPF_JEQ, BPF_REG_2, 0, done);
		E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, IS("no_frag") ? SC(frag) : SC(later_frag)));
		JI(BPF_JEQ, BPF_REG_2, 0, no);
		BIND(yes);
		drop(cg);
		BIND(no);
	} else if (IS("steer_flow") || IS("steer_ip") || IS("steer_p2p") || IS("double_steer_ip")) {
		need_ip(cg, done);
		if (IS("steer_p2p") || IS("double_steer_ip"))
			ip_bcast_rule(cg, done);
		if (IS("double_steer_ip")) {
			steer2_reg(cg, BPF_REG_8, BPF_REG_9);
		} else {
			E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_9));
			if (IS("steer_flow")) {
				int no_ports = L(), flow = L();

				is_flow(cg, flow, no_ports);
				BIND(flow);
				LDX(BPF_REG_2, frag);
				JI(BPF_JNE, BPF_REG_2, 0, no_ports);
				LDX(BPF_REG_2, sport);
				LDX(BPF_REG_3, dport);
				E(BI_ALU_REG(BPF_XOR, BPF_REG_2, BPF_REG_3));
				E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_2));
				BIND(no_ports);
			}
			steer_reg(cg, BPF_REG_8);
		}
	} else if (IS("steer_link") || IS("steer_mac")) {
		mac_prep(cg, done);
		E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_9));
		steer_reg(cg, BPF_REG_8);
	} else if (IS("double_steer_mac")) {
		mac_prep(cg, done);
		steer2_reg(cg, BPF_REG_8, BPF_REG_9);
	} else if (IS("steer_local_link")) {
		const uint8_t *m = A(0)->mac;
		int not_dst = L(), not_src = L(), dst_gw = L(), src_gw = L();

		mac_prep(cg, done);
		for (int side = 0; side < 2; side++) {
			int no = side ? not_src : not_dst;

			/* three 16-bit words as the host reads them from memory */
			for (int w = 0; w < 3; w++) {
				uint16_t v;

				memcpy(&v, m + 2 * w, 2); /* host order, as the load sees it */

				E(BI_LDX(BPF_H, BPF_REG_2, BPF_REG_7,
					 (int16_t)(SC(cache) + 6 * side + 2 * w)));
				JI(BPF_JNE, BPF_REG_2, v, no);
			}
			JA(side ? src_gw : dst_gw);
			BIND(no);
		}
		steer2_reg(cg, BPF_REG_8, BPF_REG_9);
		JA(done);
		BIND(dst_gw);
		steer_reg(cg, BPF_REG_9);
		JA(done);
		BIND(src_gw);
		steer_reg(cg, BPF_REG_8);
	} else if (IS("steer_vlan")) {
		int none = L();

		vid(cg);
		JI(BPF_JEQ, BPF_REG_0, 0, none);
		steer_reg(cg, BPF_REG_0);
		JA(done);
		BIND(none);
		drop(cg);
	} else if (IS("steer_local_ip")) {
		uint32_t m = host_mask(A(0)->cidr.prefix);

		steer_local(cg, ntohl(A(0)->cidr.addr) & m, m, ~0u, done);
	} else if (IS("steer_local_net")) {
		uint32_t m = host_mask(A(1)->i);

		steer_local(cg, ntohl(A(0)->ip) & m, m, host_mask(A(2)->i), done);
	} else if (IS("steer_field") || IS("steer_field_symmetric") || IS("double_steer_field")) {
		int dropl = L();
		bool one = IS("steer_field");
		uint64_t size = one ? A(1)->u : A(2)->u;

		field(cg, A(0)->u, size, BPF_REG_8, dropl);
		if (one) {
			steer_reg(cg, BPF_REG_8);
		} else {
			field(cg, A(1)->u, size, BPF_REG_9, dropl);
			if (IS("double_steer_field")) {
				steer2_reg(cg, BPF_REG_8, BPF_REG_9);
			} else {
				E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_9));
				steer_reg(cg, BPF_REG_8);
			}
		}
		JA(done);
		BIND(dropl);
		drop(cg);
	} else if (IS("steer_to")) {
		STI(hash0, (int32_t)A(0)->i);
		STI(hash1, 0);
		set_fate(cg, PFQ_FATE_STEER_TO);
	} else if (IS("steer_rrobin")) {
		/* a shared counter: this packet takes its value, the next one the next */
		cg_lookup(cg, cg->rr_fd, false, -1);
		E(BI_MOV_IMM(BPF_REG_8, 0));
		int none = L();

		JI(BPF_JEQ, BPF_REG_0, 0, none);
		E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_0, 0));
		E(BI_MOV_IMM(BPF_REG_1, 1));
		E(bi_make(BPF_STX | BPF_W | BPF_ATOMIC, BPF_REG_0, BPF_REG_1, 0, BPF_ADD));
		BIND(none);
		steer_reg(cg, BPF_REG_8);
	} else if (IS("steer_rss")) {
		E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_6, (int16_t)offsetof(struct __sk_buff, hash)));
		steer_reg(cg, BPF_REG_8);
	} else if (IS("steer_rtp") || IS("steer_voip")) {
		int media = L(), sip = L(), none = L();

		voip_kind(cg);
		JI(BPF_JEQ, BPF_REG_0, 1, media);
		JI(BPF_JEQ, BPF_REG_0, 2, media);
		JI(BPF_JEQ, BPF_REG_0, 3, sip);
		BIND(none);
		drop(cg);
		JA(done);
		BIND(sip);
		if (IS("steer_voip"))
			bcast(cg);
		else
			drop(cg);
		JA(done);
		BIND(media);
		/* fold8(src) ^ fold8(dst) ^ sport>>1 ^ dport>>1 */
		E(BI_MOV_IMM(BPF_REG_8, 0));
		for (int a = 0; a < 2; a++) {
			E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, a ? SC(dst32) : SC(src32)));
			for (int s = 0; s < 32; s += 8) {
				E(BI_MOV_REG(BPF_REG_3, BPF_REG_2));
				E(BI_ALU_IMM(BPF_RSH, BPF_REG_3, s));
				E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_3));
			}
		}
		LDX(BPF_REG_2, sport);
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_2, 1));
		E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_2));
		LDX(BPF_REG_2, dport);
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_2, 1));
		E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_2));
		steer_reg(cg, BPF_REG_8);
	} else if (IS("steer_gtp_usr")) {
		uint32_t m = host_mask(A(1)->i), net = ntohl(A(0)->ip) & m;
		int dropl = L(), s_in = L(), d_try = L();

		/* GTP-U G-PDU with an IPv4 packet inside (voip.c gtp_inner_ipv4) */
		gtp_kind(cg);
		JI(BPF_JNE, BPF_REG_0, 2, dropl);
		LDX(BPF_REG_1, l4);
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, 8));
		cg_load(cg, 2, dropl);
		E(BI_MOV_REG(BPF_REG_8, BPF_REG_0)); /* flags << 8 | type */
		E(BI_ALU_IMM(BPF_AND, BPF_REG_0, 0xff));
		JI(BPF_JNE, BPF_REG_0, 255, dropl);
		LDX(BPF_REG_9, l4);
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_9, 16));
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_8, 8));
		E(BI_ALU_IMM(BPF_AND, BPF_REG_8, 7));
		int noext = L();

		JI(BPF_JEQ, BPF_REG_8, 0, noext);
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_9, 4));
		BIND(noext);
		E(BI_MOV_REG(BPF_REG_1, BPF_REG_9));
		cg_load(cg, 1, dropl);
		E(BI_ALU_IMM(BPF_RSH, BPF_REG_0, 4));
		JI(BPF_JNE, BPF_REG_0, 4, dropl);
		E(BI_MOV_REG(BPF_REG_2, BPF_REG_9));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_2, 20));
		LDX(BPF_REG_3, len);
		JR(BPF_JGT, BPF_REG_2, BPF_REG_3, dropl);
		E(BI_MOV_REG(BPF_REG_1, BPF_REG_9));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, 12));
		cg_load(cg, 4, dropl);
		E(BI_MOV_REG(BPF_REG_8, BPF_REG_0)); /* inner source */
		E(BI_MOV_REG(BPF_REG_1, BPF_REG_9));
		E(BI_ALU_IMM(BPF_ADD, BPF_REG_1, 16));
		cg_load(cg, 4, dropl);
		E(BI_MOV_REG(BPF_REG_9, BPF_REG_0)); /* inner destination */
		E(BI_MOV_REG(BPF_REG_2, BPF_REG_8));
		E(BI_ALU32_IMM(BPF_AND, BPF_REG_2, (int32_t)m));
		jeq_u32(cg, BPF_REG_2, net, s_in);
		JA(d_try);
		BIND(s_in);
		steer_reg(cg, BPF_REG_8);
		JA(done);
		BIND(d_try);
		E(BI_MOV_REG(BPF_REG_2, BPF_REG_9));
		E(BI_ALU32_IMM(BPF_AND, BPF_REG_2, (int32_t)m));
		int d_in = L();

		jeq_u32(cg, BPF_REG_2, net, d_in);
		JA(dropl);
		BIND(d_in);
		steer_reg(cg, BPF_REG_9);
		JA(done);
		BIND(dropl);
		drop(cg);
	} else {
		/* the filters: pass when the predicate of the same meaning holds */
		static const struct { const char *f, *p; } filters[] = {
			{ "ip", "is_ip" }, { "ip6", "is_ip6" }, { "udp", "is_udp" }, { "tcp", "is_tcp" },
			{ "icmp", "is_icmp" }, { "flow", "is_flow" }, { "vlan", "has_vlan" },
			{ "rtp", "is_rtp" }, { "rtcp", "is_rtcp" }, { "sip", "is_sip" }, { "voip", "is_voip" },
			{ "gtp", "is_gtp" }, { "gtp_cp", "is_gtp_cp" }, { "gtp_up", "is_gtp_up" },
			{ "l3_proto", "is_l3_proto" }, { "l4_proto", "is_l4_proto" }, { "port", "has_port" },
			{ "src_port", "has_src_port" }, { "dst_port", "has_dst_port" }, { "addr", "has_addr" },
			{ "src_addr", "has_src_addr" }, { "dst_addr", "has_dst_addr" },
			{ "vlan_id_filter", "vlan_id" }, { "bloom_filter", "bloom" },
			{ "bloom_src_filter", "bloom_src" }, { "bloom_dst_filter", "bloom_dst" },
			{ "mac_broadcast", "is_broadcast" }, { "mac_multicast", "is_multicast" },
			{ "ip_broadcast", "is_ip_broadcast" }, { "ip_multicast", "is_ip_multicast" },
			{ "ip_host", "is_ip_host" }, { "incoming_host", "is_incoming_host" },
		};
		size_t i;

		for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
			if (IS(filters[i].f))
				break;
		if (i == sizeof(filters) / sizeof(filters[0])) {
			cg_error(cg, "no code generator for function '%s'", nm);
			return;
		}
		/* the same node, read as the predicate (same arguments and extra) */
		int yes = L(), no = L();

		pred(cg, n, filters[i].p, yes, no);
		BIND(no);
		drop(cg);
		BIND(yes);
	}
	BIND(done);
#undef IS
}

/* the instructions each function of the program (with what it calls)
 * accounts for, to name the largest part of a program too large */
static void count(struct cg *cg, const struct node *n, int from)
{
	const char *nm = pfq_builtins[n->fid].name;

	if (cg->node_insns)
		cg->node_insns[n->id] += cg->e.n - from;
	/* stopped at the limit: the outermost function that compiles an
	 * argument twice is where the size comes from */
	if (cg->e.oom && (!strcmp(nm, ".^^.") || !strcmp(nm, "xor")))
		cg->too_large_at = n;
}

void cg_fun(struct cg *cg, const struct node *n)
{
	int from = cg->e.n;

	fun(cg, n);
	count(cg, n, from);
}

void cg_pred(struct cg *cg, const struct node *n, int yes, int no)
{
	int from = cg->e.n;

	pred(cg, n, NULL, yes, no);
	count(cg, n, from);
}
