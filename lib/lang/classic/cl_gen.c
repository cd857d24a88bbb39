/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic back end's code: a filtering computation is a boolean over
 * the packet (every function is entered with a passing packet, see
 * actions.c), compiled to jumps: each function jumps to `pass` or `drop`,
 * each predicate to `yes` or `no`, and the decoder runs once before.
 */
#include "cl-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind {
	K_NONE,
	K_NO_FORM, K_ACTION, /* no classic form (below) */
	/* functions */
	K_UNIT, K_DROP, K_KLEISLI, K_WHEN, K_UNLESS, K_COND, K_INV, K_PAR, K_FILTER,
	K_NO_FRAG, K_NO_MORE_FRAG,
	/* predicates (a filter function of the same name passes when it holds) */
	P_NOT, P_AND, P_OR, P_XOR, P_IP, P_IP6, P_TCP, P_UDP, P_ICMP, P_FLOW,
	P_HAS_VLAN, P_HAS_VID, P_VLAN_ID, P_FRAG, P_FIRST_FRAG, P_MORE_FRAG, P_L3, P_L4,
	P_PORT, P_SPORT, P_DPORT, P_ADDR, P_SADDR, P_DADDR, P_BCAST, P_MCAST, P_IP_BCAST,
	P_IP_MCAST, P_ETH, P_MARK, P_STATE, P_CMP,
	/* properties: a value, or absent */
	R_IP4, R_TCP, R_UDP, R_ICMP, R_MARK, R_STATE,
};

/* what classic BPF makes of a builtin: a kind, the decoding it needs, and
 * for properties the field's offset in its header and size; or no form */
struct entry {
	enum kind kind;
	unsigned need;
	int off;
	int size;
};
/* a filter classic BPF cannot express (payload heuristics, maps, the
 * device's addresses) / a function that does more than filter */
#define CL_NO_FORM { K_NO_FORM, 0 }
#define CL_ACTION { K_ACTION, 0 }

/* the comparisons (P_CMP; entry.off) */
enum { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE, CMP_ANY_BIT, CMP_ALL_BIT };

/* every builtin (builtins.def), by id: CL_<id> in cl-forms.h, without
 * which it does not compile */
#include "cl-forms.h"

static const struct entry table[B_COUNT] = {
#define B(id) [B_##id] = CL_##id,
#include "../builtins.def"
#undef B
};

/* n's entry, or NULL when it has no classic form */
static const struct entry *lookup(const struct node *n)
{
	const struct entry *e = &table[n->fid];

	return e->kind == K_NO_FORM || e->kind == K_ACTION ? NULL : e;
}

int lang_classic_forms_check(char *err, size_t errlen)
{
	for (int id = 0; id < B_COUNT; id++) {
		enum kind k = table[id].kind;
		enum lt r = pfq_builtins[id].result;
		bool fun = k >= K_UNIT && k <= K_NO_MORE_FRAG, test = k >= P_NOT && k <= P_CMP;
		bool value = k >= R_IP4 && k <= R_STATE;
		/* a filter function has its predicate's form (it passes when that
		 * holds); only functions do more than filter */
		bool ok = k == K_NO_FORM || (r == LT_FUN && (fun || test || k == K_ACTION)) ||
			  (r == LT_PRED && test) || (r == LT_PROP && value);

		if (!ok) {
			snprintf(err, errlen, "'%s' (id %d): its classic entry does not fit a %s",
				 pfq_builtins[id].name, id, lt_name(r));
			return -1;
		}
	}
	return 0;
}

static bool passes_only_flows(const struct node *n)
{
	const struct entry *e = lookup(n);

	switch (e ? e->kind : K_NONE) {
	case P_TCP: case P_UDP: case P_FLOW:
	case P_PORT: case P_SPORT: case P_DPORT:
		return true;
	case K_KLEISLI:
		return passes_only_flows(n->args[0].fn) || passes_only_flows(n->args[1].fn);
	case K_FILTER:
		return passes_only_flows(n->args[0].fn);
	case P_AND:
		return passes_only_flows(n->args[0].fn) || passes_only_flows(n->args[1].fn);
	default:
		return false;
	}
}

/* the decoding n needs, or -1 when it (or a part) does more than filter */
static int needs(const struct node *n, const char **bad)
{
	const struct entry *e = lookup(n);
	int need;

	if (!e) {
		*bad = pfq_builtins[n->fid].name;
		return -1;
	}
	need = (int)e->need;
	for (int i = 0; i < n->nargs; i++) {
		const struct arg *a = &n->args[i];

		if (a->type == LT_FUN || a->type == LT_PRED || a->type == LT_PROP) {
			int sub = needs(a->fn, bad);

			if (sub < 0)
				return -1;
			need |= sub;
		}
	}
	return need;
}

struct gen {
	struct clg g;
	/* emitting the fast copy: the frame is untagged IPv4 with a 20-byte
	 * header (EtherType 0x0800 at 12, 0x45 at 14, len >= 34), so every
	 * field is at a constant offset and nothing is in scratch memory but
	 * the VLAN id */
	bool fast;
	/* a TCP or UDP header is there on this path (an earlier stage of
	 * `>->` passed only such packets): port tests skip that check */
	bool flow_known;
};

/* does passing n mean a TCP or UDP header is there? */
static bool passes_only_flows(const struct node *n);

#define A_ (G->g.a)

static int lbl(struct gen *G)
{
	return casm_label(G->g.a);
}

static void slot_is(struct gen *G, int slot, uint32_t v, int yes, int no)
{
	CASM_LD_MEM(A_, slot);
	casm_jmp(A_, BPF_JEQ | BPF_K, v, yes, no);
}

/* l4ok and the protocol is p */
static void l4_is(struct gen *G, uint32_t p, int yes, int no)
{
	CASM_LD_MEM(A_, M_L4OK);
	casm_jmp(A_, BPF_JEQ | BPF_K, 0, no, CASM_NEXT);
	slot_is(G, M_PROTO, p, yes, no);
}

static void flow(struct gen *G, int yes, int no)
{
	CASM_LD_MEM(A_, M_L4OK);
	casm_jmp(A_, BPF_JEQ | BPF_K, 0, no, CASM_NEXT);
	CASM_LD_MEM(A_, M_PROTO);
	casm_jmp(A_, BPF_JEQ | BPF_K, 6, yes, CASM_NEXT);
	casm_jmp(A_, BPF_JEQ | BPF_K, 17, yes, no);
}

static void in_cidr(struct gen *G, int slot, const struct cidr *c, int yes, int no)
{
	CASM_LD_MEM(A_, slot);
	CASM_ALU(A_, BPF_AND, ntohl(c->mask));
	casm_jmp(A_, BPF_JEQ | BPF_K, ntohl(c->addr), yes, no);
}

static void mac_bcast(struct gen *G, uint32_t off, int yes, int no)
{
	CASM_LD_ABS(A_, BPF_W, off);
	casm_jmp(A_, BPF_JEQ | BPF_K, 0xffffffffu, CASM_NEXT, no);
	CASM_LD_ABS(A_, BPF_H, off + 4);
	casm_jmp(A_, BPF_JEQ | BPF_K, 0xffff, yes, no);
}


/* ---- the fast copy: untagged IPv4, 20-byte header, len >= 34 ---- */

/* not a later fragment (else no L4 header), protocol p, and its header fits */
static void fast_l4(struct gen *G, uint32_t p, int yes, int no)
{
	CASM_LD_ABS(A_, BPF_B, 23);
	casm_jmp(A_, BPF_JEQ | BPF_K, p, CASM_NEXT, no);
	CASM_LD_ABS(A_, BPF_H, 20);
	casm_jmp(A_, BPF_JSET | BPF_K, 0x1fff, no, CASM_NEXT);
	CASM_LD_LEN(A_);
	if (p != 6) {
		casm_jmp(A_, BPF_JGE | BPF_K, 42, yes, no);
		return;
	}
	casm_jmp(A_, BPF_JGE | BPF_K, 54, CASM_NEXT, no);
	CASM_LD_ABS(A_, BPF_B, 46);
	casm_jmp(A_, BPF_JGE | BPF_K, 0x50, yes, no); /* TCP data offset >= 5 */
}

static void fast_flow(struct gen *G, int yes, int no)
{
	int udp = lbl(G);

	CASM_LD_ABS(A_, BPF_B, 23);
	casm_jmp(A_, BPF_JEQ | BPF_K, 17, udp, CASM_NEXT);
	fast_l4(G, 6, yes, no);
	casm_bind(A_, udp);
	fast_l4(G, 17, yes, no);
}

static void fast_cidr(struct gen *G, uint32_t off, const struct cidr *c, int yes, int no)
{
	CASM_LD_ABS(A_, BPF_W, off);
	CASM_ALU(A_, BPF_AND, ntohl(c->mask));
	casm_jmp(A_, BPF_JEQ | BPF_K, ntohl(c->addr), yes, no);
}

/* the predicates that read decoded fields; false when k has no fast form
 * (then the general one, which reads only what the fast prologue set) */
static bool fast_pred(struct gen *G, enum kind k, const struct node *n, int yes, int no)
{
	const struct arg *a0 = &n->args[0];
	int l1 = lbl(G);

	switch (k) {
	case P_IP: casm_ja(A_, yes); return true;
	case P_IP6: casm_ja(A_, no); return true;
	case P_TCP: fast_l4(G, 6, yes, no); return true;
	case P_UDP: fast_l4(G, 17, yes, no); return true;
	case P_ICMP: fast_l4(G, 1, yes, no); return true; /* ICMPv6 is not ICMP over IPv4 */
	case P_FLOW: fast_flow(G, yes, no); return true;
	case P_FRAG: case P_FIRST_FRAG: case P_MORE_FRAG:
		CASM_LD_ABS(A_, BPF_H, 20);
		if (k == P_FRAG)
			casm_jmp(A_, BPF_JSET | BPF_K, 0x3fff, yes, no);
		else if (k == P_MORE_FRAG)
			casm_jmp(A_, BPF_JSET | BPF_K, 0x1fff, yes, no);
		else {
			casm_jmp(A_, BPF_JSET | BPF_K, 0x1fff, no, CASM_NEXT);
			casm_jmp(A_, BPF_JSET | BPF_K, 0x2000, yes, no);
		}
		return true;
	case P_L3: casm_ja(A_, a0->u == 0x0800 ? yes : no); return true;
	case P_ETH:
		casm_ja(A_, pfq_builtins[n->fid].konst == 0x0800 ? yes : no);
		return true;
	case P_L4:
		CASM_LD_ABS(A_, BPF_B, 23);
		casm_jmp(A_, BPF_JEQ | BPF_K, (uint32_t)a0->u, yes, no);
		return true;
	case P_PORT: case P_SPORT: case P_DPORT:
		if (!G->flow_known)
			fast_flow(G, l1, no);
		casm_bind(A_, l1);
		if (k != P_DPORT) {
			CASM_LD_ABS(A_, BPF_H, 34);
			casm_jmp(A_, BPF_JEQ | BPF_K, (uint32_t)a0->u, yes, k == P_SPORT ? no : CASM_NEXT);
		}
		if (k != P_SPORT) {
			CASM_LD_ABS(A_, BPF_H, 36);
			casm_jmp(A_, BPF_JEQ | BPF_K, (uint32_t)a0->u, yes, no);
		}
		return true;
	case P_ADDR: case P_SADDR: case P_DADDR:
		if (k != P_DADDR)
			fast_cidr(G, 26, &a0->cidr, yes, k == P_SADDR ? no : l1);
		casm_bind(A_, l1);
		if (k != P_SADDR)
			fast_cidr(G, 30, &a0->cidr, yes, no);
		return true;
	case P_IP_BCAST:
		CASM_LD_ABS(A_, BPF_W, 26);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xffffffffu, yes, CASM_NEXT);
		CASM_LD_ABS(A_, BPF_W, 30);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xffffffffu, yes, no);
		return true;
	case P_IP_MCAST: /* 224.0.0.0/4 */
		CASM_LD_ABS(A_, BPF_B, 26);
		CASM_ALU(A_, BPF_AND, 0xf0);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xe0, yes, CASM_NEXT);
		CASM_LD_ABS(A_, BPF_B, 30);
		CASM_ALU(A_, BPF_AND, 0xf0);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xe0, yes, no);
		return true;
	default:
		return false;
	}
}

static void pred(struct gen *G, enum kind k, const struct node *n, int yes, int no);

/* A = size bytes at off (size 0: the TCP data offset byte, as a length):
 * at a constant offset in the fast copy, else from X */
static void field(struct gen *G, uint32_t off, int size)
{
	uint16_t sz = size == 2 ? BPF_H : BPF_B;

	if (G->fast)
		CASM_LD_ABS(A_, sz, off);
	else
		CASM_LD_IND(A_, sz, off);
	if (size == 0) {
		CASM_ALU(A_, BPF_RSH, 4);
		CASM_ALU(A_, BPF_LSH, 2);
	}
}

/* A = the value of property n, or a jump to absent */
static void prop(struct gen *G, const struct node *n, int absent)
{
	const struct entry *e = lookup(n);
	int ok = lbl(G);
	enum kind l4 = e->kind == R_TCP ? P_TCP : e->kind == R_UDP ? P_UDP : P_ICMP;

	switch (e->kind) {
	case R_MARK:
		CASM_LD_ANC(A_, SKF_AD_MARK);
		break;
	case R_STATE:
		CASM_LD_IMM(A_, 0);
		break;
	case R_IP4:
		if (!G->fast) {
			slot_is(G, M_IPV, 4, ok, absent);
			casm_bind(A_, ok);
			CASM_LDX_MEM(A_, M_L3);
		}
		field(G, (G->fast ? 14 : 0) + (uint32_t)e->off, e->size);
		break;
	default: /* the transport header is there */
		pred(G, l4, n, ok, absent);
		casm_bind(A_, ok);
		if (!G->fast)
			CASM_LDX_MEM(A_, M_L4);
		field(G, (G->fast ? 34 : 0) + (uint32_t)e->off, e->size);
		break;
	}
}

/* a property against a 64-bit number; false when the property is absent
 * (every property fits 32 bits) */
static void compare(struct gen *G, const struct node *n, int yes, int no)
{
	int op = table[n->fid].off;
	uint64_t x = n->args[1].u;
	uint32_t k = (uint32_t)x;
	bool big = x > 0xffffffffu;

	prop(G, n->args[0].fn, no);
	switch (op) {
	case CMP_LT:
		big ? casm_ja(A_, yes) : casm_jmp(A_, BPF_JGE | BPF_K, k, no, yes);
		break;
	case CMP_LE:
		big ? casm_ja(A_, yes) : casm_jmp(A_, BPF_JGT | BPF_K, k, no, yes);
		break;
	case CMP_GT:
		big ? casm_ja(A_, no) : casm_jmp(A_, BPF_JGT | BPF_K, k, yes, no);
		break;
	case CMP_GE:
		big ? casm_ja(A_, no) : casm_jmp(A_, BPF_JGE | BPF_K, k, yes, no);
		break;
	case CMP_EQ:
		big ? casm_ja(A_, no) : casm_jmp(A_, BPF_JEQ | BPF_K, k, yes, no);
		break;
	case CMP_NE:
		big ? casm_ja(A_, yes) : casm_jmp(A_, BPF_JEQ | BPF_K, k, no, yes);
		break;
	case CMP_ANY_BIT:
		casm_jmp(A_, BPF_JSET | BPF_K, k, yes, no);
		break;
	default: /* all_bit */
		if (big) {
			casm_ja(A_, no);
		} else {
			CASM_ALU(A_, BPF_AND, k);
			casm_jmp(A_, BPF_JEQ | BPF_K, k, yes, no);
		}
	}
}

static void pred_node(struct gen *G, const struct node *n, int yes, int no)
{
	pred(G, lookup(n)->kind, n, yes, no);
}

static void pred(struct gen *G, enum kind k, const struct node *n, int yes, int no)
{
	const struct arg *a0 = &n->args[0];
	int l1, l2;

	if (A_->oom)
		return; /* too large (xor copies its second operand): give up fast */
	l1 = lbl(G);
	l2 = lbl(G);
	if (G->fast && fast_pred(G, k, n, yes, no))
		return;
	switch (k) {
	case P_NOT:
		pred_node(G, a0->fn, no, yes);
		break;
	case P_AND:
		pred_node(G, a0->fn, l1, no);
		casm_bind(A_, l1);
		pred_node(G, n->args[1].fn, yes, no);
		break;
	case P_OR:
		pred_node(G, a0->fn, yes, l1);
		casm_bind(A_, l1);
		pred_node(G, n->args[1].fn, yes, no);
		break;
	case P_XOR:
		pred_node(G, a0->fn, l1, l2);
		casm_bind(A_, l1);
		pred_node(G, n->args[1].fn, no, yes);
		casm_bind(A_, l2);
		pred_node(G, n->args[1].fn, yes, no);
		break;
	case P_IP: slot_is(G, M_IPV, 4, yes, no); break;
	case P_IP6: slot_is(G, M_IPV, 6, yes, no); break;
	case P_TCP: l4_is(G, 6, yes, no); break;
	case P_UDP: l4_is(G, 17, yes, no); break;
	case P_ICMP:
		/* ICMP over IPv4, ICMPv6 over IPv6 */
		CASM_LD_MEM(A_, M_L4OK);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0, no, CASM_NEXT);
		CASM_LD_MEM(A_, M_PROTO);
		casm_jmp(A_, BPF_JEQ | BPF_K, 1, l1, CASM_NEXT);
		casm_jmp(A_, BPF_JEQ | BPF_K, 58, l2, no);
		casm_bind(A_, l1);
		slot_is(G, M_IPV, 4, yes, no);
		casm_bind(A_, l2);
		slot_is(G, M_IPV, 6, yes, no);
		break;
	case P_FLOW: flow(G, yes, no); break;
	case P_HAS_VLAN: slot_is(G, M_VID, 0, no, yes); break;
	case P_HAS_VID: slot_is(G, M_VID, (uint32_t)a0->i, yes, no); break;
	case P_VLAN_ID:
		/* -1 stands for any tag */
		CASM_LD_MEM(A_, M_VID);
		for (int i = 0; i < a0->nints; i++)
			casm_jmp(A_, (uint16_t)((a0->ints[i] < 0 ? BPF_JGT : BPF_JEQ) | BPF_K),
				 a0->ints[i] < 0 ? 0 : (uint32_t)a0->ints[i], yes, CASM_NEXT);
		casm_ja(A_, no);
		break;
	case P_FRAG: case P_FIRST_FRAG: case P_MORE_FRAG:
		slot_is(G, M_IPV, 0, no, CASM_NEXT);
		CASM_LD_MEM(A_, M_FRAG);
		if (k == P_FIRST_FRAG)
			casm_jmp(A_, BPF_JEQ | BPF_K, 1, yes, no);
		else
			casm_jmp(A_, BPF_JSET | BPF_K, k == P_FRAG ? 1 : 2, yes, no);
		break;
	case P_L3: slot_is(G, M_TYPE, (uint32_t)a0->u, yes, no); break;
	case P_ETH:
		slot_is(G, M_TYPE, pfq_builtins[n->fid].konst, yes, no);
		break;
	case P_L4:
		slot_is(G, M_IPV, 0, no, CASM_NEXT);
		slot_is(G, M_PROTO, (uint32_t)a0->u, yes, no);
		break;
	case P_PORT: case P_SPORT: case P_DPORT:
		if (!G->flow_known)
			flow(G, l1, no);
		casm_bind(A_, l1);
		if (k != P_DPORT)
			slot_is(G, M_SPORT, (uint32_t)a0->u, yes, k == P_SPORT ? no : CASM_NEXT);
		if (k != P_SPORT)
			slot_is(G, M_DPORT, (uint32_t)a0->u, yes, no);
		break;
	case P_ADDR: case P_SADDR: case P_DADDR:
		slot_is(G, M_IPV, 4, CASM_NEXT, no);
		if (k != P_DADDR)
			in_cidr(G, M_SADDR, &a0->cidr, yes, k == P_SADDR ? no : CASM_NEXT);
		if (k != P_SADDR)
			in_cidr(G, M_DADDR, &a0->cidr, yes, no);
		break;
	case P_BCAST:
		CASM_LD_LEN(A_);
		casm_jmp(A_, BPF_JGE | BPF_K, 14, CASM_NEXT, no);
		mac_bcast(G, 0, yes, l1);
		casm_bind(A_, l1);
		mac_bcast(G, 6, yes, no);
		break;
	case P_MCAST:
		CASM_LD_LEN(A_);
		casm_jmp(A_, BPF_JGE | BPF_K, 14, CASM_NEXT, no);
		CASM_LD_ABS(A_, BPF_B, 0);
		casm_jmp(A_, BPF_JSET | BPF_K, 1, yes, CASM_NEXT);
		CASM_LD_ABS(A_, BPF_B, 6);
		casm_jmp(A_, BPF_JSET | BPF_K, 1, yes, no);
		break;
	case P_IP_BCAST:
		slot_is(G, M_IPV, 4, CASM_NEXT, no);
		slot_is(G, M_SADDR, 0xffffffffu, yes, CASM_NEXT);
		slot_is(G, M_DADDR, 0xffffffffu, yes, no);
		break;
	case P_MARK:
		CASM_LD_ANC(A_, SKF_AD_MARK);
		casm_jmp(A_, BPF_JEQ | BPF_K, (uint32_t)a0->u, yes, no);
		break;
	case P_STATE: casm_ja(A_, a0->u == 0 ? yes : no); break;
	case P_CMP: compare(G, n, yes, no); break;
	case P_IP_MCAST:
		CASM_LD_MEM(A_, M_IPV);
		casm_jmp(A_, BPF_JEQ | BPF_K, 4, l1, CASM_NEXT);
		casm_jmp(A_, BPF_JEQ | BPF_K, 6, l2, no);
		casm_bind(A_, l1);
		CASM_LD_MEM(A_, M_SADDR);
		CASM_ALU(A_, BPF_RSH, 28);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xe, yes, CASM_NEXT);
		CASM_LD_MEM(A_, M_DADDR);
		CASM_ALU(A_, BPF_RSH, 28);
		casm_jmp(A_, BPF_JEQ | BPF_K, 0xe, yes, no);
		casm_bind(A_, l2);
		slot_is(G, M_V6MC, 0, no, yes);
		break;
	default:
		casm_ja(A_, no); /* not reached: needs() accepted only the above */
		break;
	}
}

static void fun(struct gen *G, const struct node *n, int pass, int drop)
{
	enum kind k = lookup(n)->kind;
	int l1, l2;

	if (A_->oom)
		return;
	l1 = lbl(G);
	l2 = lbl(G);
	switch (k) {
	case K_UNIT: casm_ja(A_, pass); break;
	case K_DROP: casm_ja(A_, drop); break;
	case K_KLEISLI: {
		bool known = G->flow_known;

		fun(G, n->args[0].fn, l1, drop);
		casm_bind(A_, l1);
		G->flow_known |= passes_only_flows(n->args[0].fn);
		fun(G, n->args[1].fn, pass, drop);
		G->flow_known = known;
		break;
	}
	case K_WHEN:
	case K_UNLESS:
		pred_node(G, n->args[0].fn, k == K_WHEN ? l1 : pass, k == K_WHEN ? pass : l1);
		casm_bind(A_, l1);
		fun(G, n->args[1].fn, pass, drop);
		break;
	case K_COND:
		pred_node(G, n->args[0].fn, l1, l2);
		casm_bind(A_, l1);
		fun(G, n->args[1].fn, pass, drop);
		casm_bind(A_, l2);
		fun(G, n->args[2].fn, pass, drop);
		break;
	case K_INV: fun(G, n->args[0].fn, drop, pass); break;
	case K_PAR:
		/* the first alternative that passes */
		for (int i = 0; i < n->nargs; i++) {
			int next = i + 1 < n->nargs ? lbl(G) : drop;

			fun(G, n->args[i].fn, pass, next);
			if (i + 1 < n->nargs)
				casm_bind(A_, next);
		}
		break;
	case K_FILTER: pred_node(G, n->args[0].fn, pass, drop); break;
	case K_NO_FRAG: pred(G, P_FRAG, n, drop, pass); break;
	case K_NO_MORE_FRAG: pred(G, P_MORE_FRAG, n, drop, pass); break;
	default: pred(G, k, n, pass, drop); break;
	}
}

/* the decoding the program needs, or -1 with why saying what stands in the
 * way */
static int program_needs(const pfq_lang_program *prog, char *why, size_t whylen)
{
	const char *bad = NULL;
	int need;

	if (why && whylen)
		why[0] = '\0';
	if (!prog || !prog->main)
		return -1;
	need = needs(prog->main, &bad);
	if (need >= 0)
		return need;
	if (why && whylen) {
		int fid = builtin_find(bad);

		if (fid >= 0 && table[fid].kind == K_ACTION)
			snprintf(why, whylen, "%s does more than filter: it needs a group (classes, "
				 "steering, state, counters, logs and forwarding do)", bad);
		else
			snprintf(why, whylen, "%s has no classic BPF form (VoIP and GTP heuristics, "
				 "blooms and host addresses): it needs a group", bad);
	}
	return -1;
}

int lang_classic_check(const pfq_lang_program *prog, char *why, size_t whylen)
{
	return program_needs(prog, why, whylen) < 0 ? -1 : 0;
}

int lang_classic_emit(const pfq_lang_program *prog, struct casm *a, int pass, int drop,
		      int64_t fast_accept, char *why, size_t whylen)
{
	struct gen G = { { a, 0 } };
	int need = program_needs(prog, why, whylen);

	if (need < 0)
		return -1;
	G.g.need = (unsigned)need;
	if (need & (N_IP | N_L4 | N_PORTS | N_ADDR | N_V6MC)) {
		/* the common frame gets a copy of the program with its fields
		 * at constant offsets (loads the kernel inlines); the rest the
		 * general decoder */
		int general = casm_label(a);

		CASM_LD_LEN(a);
		casm_jmp(a, BPF_JGE | BPF_K, 34, CASM_NEXT, general);
		/* one load: the EtherType and the version/header length byte */
		CASM_LD_ABS(a, BPF_W, 12);
		CASM_ALU(a, BPF_AND, 0xffffff00);
		casm_jmp(a, BPF_JEQ | BPF_K, 0x08004500, CASM_NEXT, general);
		if (need & N_VID) {
			G.g.need = N_VID; /* only the tag the kernel took out */
			cl_decode(&G.g);
		}
		G.fast = true;
		if (fast_accept >= 0) {
			/* answers right here: the common path stays in a few
			 * cache lines, whatever the size of the general part */
			int fpass = casm_label(a), fdrop = casm_label(a);

			fun(&G, prog->main, fpass, fdrop);
			casm_bind(a, fpass);
			CASM_RET(a, (uint32_t)fast_accept);
			casm_bind(a, fdrop);
			CASM_RET(a, 0);
		} else {
			fun(&G, prog->main, pass, drop);
		}
		G.fast = false;
		G.g.need = (unsigned)need;
		casm_bind(a, general);
	}
	cl_decode(&G.g);
	fun(&G, prog->main, pass, drop);
	return 0;
}

int pfq_lang_classic_compile(const pfq_lang_program *prog, uint32_t accept,
			     struct sock_fprog *out, struct pfq_lang_diag *diag)
{
	struct casm a;
	struct sock_filter *insns;
	int pass, drop, len = 0;
	char why[256];

	if (diag)
		memset(diag, 0, sizeof(*diag));
	if (!prog || !out) {
		if (diag)
			diag_set(diag, 0, 0, "NULL argument");
		return pfq_err(-EINVAL);
	}
	casm_init(&a);
	pass = casm_label(&a);
	drop = casm_label(&a);
	if (lang_classic_emit(prog, &a, pass, drop, accept, why, sizeof(why)) < 0) {
		casm_free(&a);
		if (diag)
			diag_set(diag, 0, 0, "%s", why);
		return pfq_err(-EOPNOTSUPP);
	}
	casm_bind(&a, pass);
	CASM_RET(&a, accept);
	casm_bind(&a, drop);
	CASM_RET(&a, 0);
	insns = casm_finish(&a, BPF_MAXINSNS, &len);
	casm_free(&a);
	if (!insns) {
		if (diag)
			diag_set(diag, 0, 0, "the classic program would exceed %d instructions",
				 BPF_MAXINSNS);
		return pfq_err(-E2BIG);
	}
	out->len = (unsigned short)len;
	out->filter = insns;
	return 0;
}
