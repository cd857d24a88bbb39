/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The functions of the catalogue in eBPF: the same meaning as the
 * interpreter's (actions.c), updating the decision in the scratch area in
 * place. Each is registered by builtin id at the end.
 */
#include "cg-emit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

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

	cg_is_ip_bcast(cg, yes, no);
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
	cg_is_broadcast(cg, bc, nb);
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

	cg_field_eq(cg, SC(ipv), 4, v4, d_only);
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
	cg_jeq_u32(cg, BPF_REG_2, net, s_in);
	JA(s_out);
	BIND(s_in);
	int both = L();

	cg_jeq_u32(cg, BPF_REG_3, net, both);
	JA(only_s);
	BIND(both);
	steer2_reg(cg, BPF_REG_8, BPF_REG_9);
	JA(done);
	BIND(only_s);
	steer_reg(cg, BPF_REG_8);
	JA(done);
	BIND(s_out);
	int d_in = L();

	cg_jeq_u32(cg, BPF_REG_3, net, d_in);
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


/* ---- control ---- */

static void ef_unit(struct cg *cg, const struct node *n, int done)
{
	(void)cg;
	(void)n;
	(void)done;
}
static void ef_drop(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	(void)done;
	drop(cg);
}
static void ef_broadcast(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	(void)done;
	bcast(cg);
}
static void ef_kleisli(struct cg *cg, const struct node *n, int done)
{
	cg_fun(cg, A(0)->fn);
	LDX(BPF_REG_2, fate);
	JI(BPF_JEQ, BPF_REG_2, PFQ_FATE_DROP, done);
	cg_fun(cg, A(1)->fn);
}
static void when_unless(struct cg *cg, const struct node *n, bool when)
{
	int yes = L(), no = L();

	cg_pred(cg, A(0)->fn, when ? yes : no, when ? no : yes);
	BIND(yes);
	cg_fun(cg, A(1)->fn);
	BIND(no);
}
static void ef_when(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	when_unless(cg, n, true);
}
static void ef_unless(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	when_unless(cg, n, false);
}
static void ef_conditional(struct cg *cg, const struct node *n, int done)
{
	int yes = L(), no = L();

	cg_pred(cg, A(0)->fn, yes, no);
	BIND(yes);
	cg_fun(cg, A(1)->fn);
	JA(done);
	BIND(no);
	cg_fun(cg, A(2)->fn);
}
static void ef_inv(struct cg *cg, const struct node *n, int done)
{
	int was_drop = L();

	cg_fun(cg, A(0)->fn);
	LDX(BPF_REG_2, fate);
	JI(BPF_JEQ, BPF_REG_2, PFQ_FATE_DROP, was_drop);
	drop(cg);
	JA(done);
	BIND(was_drop);
	set_fate(cg, PFQ_FATE_COPY);
}
/* par, par3 .. par8: the first alternative that does not drop, each tried
 * on the decision as it was before (kept on the stack, CG_PAR_DEPTH deep) */
static void ef_par(struct cg *cg, const struct node *n, int done)
{
	int d = cg->par_depth++;
	int16_t s = (int16_t)(SC(save) + 24 * d);

	if (d >= CG_PAR_DEPTH) {
		cg_error(cg, "'%s' at line %d col %d: par nested more than %d deep (each "
			 "level keeps the decision to put back on the 512-byte BPF stack)",
			 pfq_builtins[n->fid].name, n->line, n->col, CG_PAR_DEPTH);
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
}
static void ef_filter(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	when_pred(cg, A(0)->fn, true, fate_drop);
}
static void ef_classify(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	set_class(cg, 1ull << A(0)->i);
}
static void ef_kernel(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	(void)done;
	to_kernel(cg);
}
static void ef_detour(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	(void)done;
	detour(cg);
}
static void ef_kernel_if(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	when_pred(cg, A(0)->fn, false, to_kernel);
}
static void ef_detour_if(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	when_pred(cg, A(0)->fn, false, detour);
}

/* ---- forwarding ---- */

static void ef_forward(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	forward(cg, A(0)->s);
}
static void ef_bridge(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	forward(cg, A(0)->s);
	drop(cg);
}
static void ef_tee(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	forward(cg, A(0)->s);
	when_pred(cg, A(1)->fn, true, fate_drop);
}
static void ef_tap(struct cg *cg, const struct node *n, int done)
{
	int yes = L(), no = L();

	(void)done;
	cg_pred(cg, A(1)->fn, yes, no);
	BIND(no);
	forward(cg, A(0)->s);
	drop(cg);
	BIND(yes);
}
static void ef_link(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_6, SKB_OFF(ifindex)));
	for (int i = 0; i < A(0)->nstrs; i++) {
		int skip = L(), k = dev_index(cg, A(0)->strs[i]);

		if (k < 0)
			break;
		if (cg->dev_ifindex[k] > 0)
			JI(BPF_JEQ, BPF_REG_8, cg->dev_ifindex[k], skip);
		forward(cg, A(0)->strs[i]);
		BIND(skip);
	}
}

/* ---- state, counters, logs ---- */

static void put_word(struct cg *cg, const struct node *n, int16_t f)
{
	emit_ld64(&cg->e, BPF_REG_2, (uint32_t)A(0)->u);
	E(BI_STX(BPF_W, BPF_REG_7, BPF_REG_2, f));
}
static void ef_mark(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	put_word(cg, n, SC(mark));
}
static void ef_put_state(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	put_word(cg, n, SC(state));
}
/* the group's per-CPU counters: no other program of this CPU runs in
 * between, so a plain read-modify-write is enough */
static void counter(struct cg *cg, const struct node *n, int op, int done)
{
	int16_t off = (int16_t)(4 * A(0)->i);

	/* in a group, once per packet: by the leader's socket program (not by
	 * the TC program, which runs besides) */
	if (cg->tc)
		JA(done);
	if (cg->group)
		cg_group_if_not_leader(cg, done);
	cg_lookup(cg, cg->counters_fd, false, done);
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_0, off));
	E(BI_ALU32_IMM(op, BPF_REG_2, 1));
	E(BI_STX(BPF_W, BPF_REG_0, BPF_REG_2, off));
}
static void ef_inc(struct cg *cg, const struct node *n, int done)
{
	counter(cg, n, BPF_ADD, done);
}
static void ef_dec(struct cg *cg, const struct node *n, int done)
{
	counter(cg, n, BPF_SUB, done);
}
static void ef_log(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	log_node(cg, n);
}

/* ---- filters ---- */

/* a filter: the same node read as its twin predicate, drop when false */
static void ef_by_twin(struct cg *cg, const struct node *n, int done)
{
	int yes = L(), no = L();

	(void)done;
	cg_pred_as(cg, n, pfq_builtins[n->fid].twin, yes, no);
	BIND(no);
	drop(cg);
	BIND(yes);
}
static void no_frag(struct cg *cg, int16_t f, int done)
{
	int yes = L(), no = L();

	LDX(BPF_REG_2, ipv);
	JI(BPF_JEQ, BPF_REG_2, 0, done);
	E(BI_LDX(BPF_W, BPF_REG_2, BPF_REG_7, f));
	JI(BPF_JEQ, BPF_REG_2, 0, no);
	BIND(yes);
	drop(cg);
	BIND(no);
}
static void ef_no_frag(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	no_frag(cg, SC(frag), done);
}
static void ef_no_more_frag(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	no_frag(cg, SC(later_frag), done);
}

/* ---- steering ---- */

enum ip_steer { IP_FLOW, IP_PAIR, IP_P2P, IP_DOUBLE };
static void ip_steer(struct cg *cg, enum ip_steer how, int done)
{
	need_ip(cg, done);
	if (how == IP_P2P || how == IP_DOUBLE)
		ip_bcast_rule(cg, done);
	if (how == IP_DOUBLE) {
		steer2_reg(cg, BPF_REG_8, BPF_REG_9);
		return;
	}
	E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_9));
	if (how == IP_FLOW) {
		int no_ports = L(), flow = L();

		cg_is_flow(cg, flow, no_ports);
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
static void ef_steer_flow(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	ip_steer(cg, IP_FLOW, done);
}
static void ef_steer_ip(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	ip_steer(cg, IP_PAIR, done);
}
static void ef_steer_p2p(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	ip_steer(cg, IP_P2P, done);
}
static void ef_double_steer_ip(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	ip_steer(cg, IP_DOUBLE, done);
}
static void ef_steer_link(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	mac_prep(cg, done);
	E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_9));
	steer_reg(cg, BPF_REG_8);
}
static void ef_double_steer_mac(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	mac_prep(cg, done);
	steer2_reg(cg, BPF_REG_8, BPF_REG_9);
}
static void ef_steer_local_link(struct cg *cg, const struct node *n, int done)
{
	const uint8_t *m = A(0)->mac;
	int not_dst = L(), not_src = L(), dst_gw = L(), src_gw = L();

	mac_prep(cg, done);
	for (int side = 0; side < 2; side++) {
		int no = side ? not_src : not_dst;

		/* three 16-bit words as the host reads them from memory */
		for (int w = 0; w < 3; w++) {
			uint16_t v;

			memcpy(&v, m + 2 * w, 2); /* host order, as the load sees it */

			E(BI_LDX(BPF_H, BPF_REG_2, BPF_REG_7, (int16_t)(SC(cache) + 6 * side + 2 * w)));
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
}
static void ef_steer_vlan(struct cg *cg, const struct node *n, int done)
{
	int none = L();

	(void)n;
	cg_vid(cg);
	JI(BPF_JEQ, BPF_REG_0, 0, none);
	steer_reg(cg, BPF_REG_0);
	JA(done);
	BIND(none);
	drop(cg);
}
static void ef_steer_local_ip(struct cg *cg, const struct node *n, int done)
{
	uint32_t m = host_mask(A(0)->cidr.prefix);

	steer_local(cg, ntohl(A(0)->cidr.addr) & m, m, ~0u, done);
}
static void ef_steer_local_net(struct cg *cg, const struct node *n, int done)
{
	uint32_t m = host_mask(A(1)->i);

	steer_local(cg, ntohl(A(0)->ip) & m, m, host_mask(A(2)->i), done);
}
/* steering on bytes at constant offsets: one field, the xor of two, or
 * each of two */
enum field_steer { FIELD_ONE, FIELD_SYMMETRIC, FIELD_DOUBLE };
static void field_steer(struct cg *cg, const struct node *n, enum field_steer how, int done)
{
	int dropl = L();
	uint64_t size = how == FIELD_ONE ? A(1)->u : A(2)->u;

	field(cg, A(0)->u, size, BPF_REG_8, dropl);
	if (how == FIELD_ONE) {
		steer_reg(cg, BPF_REG_8);
	} else {
		field(cg, A(1)->u, size, BPF_REG_9, dropl);
		if (how == FIELD_DOUBLE) {
			steer2_reg(cg, BPF_REG_8, BPF_REG_9);
		} else {
			E(BI_ALU_REG(BPF_XOR, BPF_REG_8, BPF_REG_9));
			steer_reg(cg, BPF_REG_8);
		}
	}
	JA(done);
	BIND(dropl);
	drop(cg);
}
static void ef_steer_field(struct cg *cg, const struct node *n, int done)
{
	field_steer(cg, n, FIELD_ONE, done);
}
static void ef_steer_field_symmetric(struct cg *cg, const struct node *n, int done)
{
	field_steer(cg, n, FIELD_SYMMETRIC, done);
}
static void ef_double_steer_field(struct cg *cg, const struct node *n, int done)
{
	field_steer(cg, n, FIELD_DOUBLE, done);
}
static void ef_steer_to(struct cg *cg, const struct node *n, int done)
{
	(void)done;
	STI(hash0, (int32_t)A(0)->i);
	STI(hash1, 0);
	set_fate(cg, PFQ_FATE_STEER_TO);
}
static void ef_steer_rrobin(struct cg *cg, const struct node *n, int done)
{
	int none = L();

	(void)n;
	(void)done;
	/* a shared counter: this packet takes its value, the next one the next */
	cg_lookup(cg, cg->rr_fd, false, -1);
	E(BI_MOV_IMM(BPF_REG_8, 0));
	JI(BPF_JEQ, BPF_REG_0, 0, none);
	E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_0, 0));
	E(BI_MOV_IMM(BPF_REG_1, 1));
	E(bi_make(BPF_STX | BPF_W | BPF_ATOMIC, BPF_REG_0, BPF_REG_1, 0, BPF_ADD));
	BIND(none);
	steer_reg(cg, BPF_REG_8);
}
static void ef_steer_rss(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	(void)done;
	E(BI_LDX(BPF_W, BPF_REG_8, BPF_REG_6, SKB_OFF(hash)));
	steer_reg(cg, BPF_REG_8);
}
/* RTP/RTCP flows; SIP broadcast (steer_voip) or dropped (steer_rtp) */
static void voip_steer(struct cg *cg, bool sip_broadcast, int done)
{
	int media = L(), sip = L(), none = L();

	cg_voip_kind(cg);
	JI(BPF_JEQ, BPF_REG_0, 1, media);
	JI(BPF_JEQ, BPF_REG_0, 2, media);
	JI(BPF_JEQ, BPF_REG_0, 3, sip);
	BIND(none);
	drop(cg);
	JA(done);
	BIND(sip);
	if (sip_broadcast)
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
}
static void ef_steer_rtp(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	voip_steer(cg, false, done);
}
static void ef_steer_voip(struct cg *cg, const struct node *n, int done)
{
	(void)n;
	voip_steer(cg, true, done);
}
/* the user address of a GTP-U G-PDU with an IPv4 packet inside (voip.c
 * gtp_inner_ipv4) */
static void ef_steer_gtp_usr(struct cg *cg, const struct node *n, int done)
{
	uint32_t m = host_mask(A(1)->i), net = ntohl(A(0)->ip) & m;
	int dropl = L(), s_in = L(), d_try = L(), noext = L(), d_in = L();

	cg_gtp_kind(cg);
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
	cg_jeq_u32(cg, BPF_REG_2, net, s_in);
	JA(d_try);
	BIND(s_in);
	steer_reg(cg, BPF_REG_8);
	JA(done);
	BIND(d_try);
	E(BI_MOV_REG(BPF_REG_2, BPF_REG_9));
	E(BI_ALU32_IMM(BPF_AND, BPF_REG_2, (int32_t)m));
	cg_jeq_u32(cg, BPF_REG_2, net, d_in);
	JA(dropl);
	BIND(d_in);
	steer_reg(cg, BPF_REG_9);
	JA(done);
	BIND(dropl);
	drop(cg);
}

/* ---- by builtin id ---- */
CG_FUN(UNIT, ef_unit)
CG_FUN(DROP, ef_drop)
CG_FUN(BROADCAST, ef_broadcast)
CG_FUN(KLEISLI, ef_kleisli)
CG_FUN(WHEN, ef_when)
CG_FUN(UNLESS, ef_unless)
CG_FUN(CONDITIONAL, ef_conditional)
CG_FUN(INV, ef_inv)
CG_FUN(PAR, ef_par)
CG_FUN(PAR3, ef_par)
CG_FUN(PAR4, ef_par)
CG_FUN(PAR5, ef_par)
CG_FUN(PAR6, ef_par)
CG_FUN(PAR7, ef_par)
CG_FUN(PAR8, ef_par)
CG_FUN(FILTER, ef_filter)
CG_FUN(CLASSIFY, ef_classify)
CG_FUN(CLASS, ef_classify)
CG_FUN(KERNEL, ef_kernel)
CG_FUN(DETOUR, ef_detour)
CG_FUN(KERNEL_IF, ef_kernel_if)
CG_FUN(DETOUR_IF, ef_detour_if)
CG_FUN(FORWARD, ef_forward)
CG_FUN(BRIDGE, ef_bridge)
CG_FUN(TEE, ef_tee)
CG_FUN(TAP, ef_tap)
CG_FUN(LINK, ef_link)
CG_FUN(MARK, ef_mark)
CG_FUN(PUT_STATE, ef_put_state)
CG_FUN(INC, ef_inc)
CG_FUN(DEC, ef_dec)
CG_FUN(LOG_MSG, ef_log)
CG_FUN(LOG_BUFF, ef_log)
CG_FUN(LOG_PACKET, ef_log)
CG_FUN(TRACE, ef_log)
CG_FUN(IP, ef_by_twin)
CG_FUN(IP6, ef_by_twin)
CG_FUN(UDP, ef_by_twin)
CG_FUN(TCP, ef_by_twin)
CG_FUN(ICMP, ef_by_twin)
CG_FUN(FLOW, ef_by_twin)
CG_FUN(VLAN, ef_by_twin)
CG_FUN(RTP, ef_by_twin)
CG_FUN(RTCP, ef_by_twin)
CG_FUN(SIP, ef_by_twin)
CG_FUN(VOIP, ef_by_twin)
CG_FUN(GTP, ef_by_twin)
CG_FUN(GTP_CP, ef_by_twin)
CG_FUN(GTP_UP, ef_by_twin)
CG_FUN(NO_FRAG, ef_no_frag)
CG_FUN(NO_MORE_FRAG, ef_no_more_frag)
CG_FUN(L3_PROTO, ef_by_twin)
CG_FUN(L4_PROTO, ef_by_twin)
CG_FUN(PORT, ef_by_twin)
CG_FUN(SRC_PORT, ef_by_twin)
CG_FUN(DST_PORT, ef_by_twin)
CG_FUN(ADDR, ef_by_twin)
CG_FUN(SRC_ADDR, ef_by_twin)
CG_FUN(DST_ADDR, ef_by_twin)
CG_FUN(VLAN_ID_FILTER, ef_by_twin)
CG_FUN(BLOOM_FILTER, ef_by_twin)
CG_FUN(BLOOM_SRC_FILTER, ef_by_twin)
CG_FUN(BLOOM_DST_FILTER, ef_by_twin)
CG_FUN(MAC_BROADCAST, ef_by_twin)
CG_FUN(MAC_MULTICAST, ef_by_twin)
CG_FUN(IP_BROADCAST, ef_by_twin)
CG_FUN(IP_MULTICAST, ef_by_twin)
CG_FUN(IP_HOST, ef_by_twin)
CG_FUN(INCOMING_HOST, ef_by_twin)
CG_FUN(STEER_FLOW, ef_steer_flow)
CG_FUN(STEER_IP, ef_steer_ip)
CG_FUN(STEER_P2P, ef_steer_p2p)
CG_FUN(STEER_MAC, ef_steer_link)
CG_FUN(STEER_LINK, ef_steer_link)
CG_FUN(STEER_VLAN, ef_steer_vlan)
CG_FUN(STEER_RTP, ef_steer_rtp)
CG_FUN(STEER_VOIP, ef_steer_voip)
CG_FUN(STEER_LOCAL_LINK, ef_steer_local_link)
CG_FUN(STEER_LOCAL_IP, ef_steer_local_ip)
CG_FUN(STEER_LOCAL_NET, ef_steer_local_net)
CG_FUN(STEER_FIELD, ef_steer_field)
CG_FUN(STEER_FIELD_SYMMETRIC, ef_steer_field_symmetric)
CG_FUN(DOUBLE_STEER_MAC, ef_double_steer_mac)
CG_FUN(DOUBLE_STEER_IP, ef_double_steer_ip)
CG_FUN(DOUBLE_STEER_FIELD, ef_double_steer_field)
CG_FUN(STEER_TO, ef_steer_to)
CG_FUN(STEER_RROBIN, ef_steer_rrobin)
CG_FUN(STEER_RSS, ef_steer_rss)
CG_FUN(STEER_GTP_USR, ef_steer_gtp_usr)
