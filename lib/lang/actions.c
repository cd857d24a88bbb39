/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NetFunctions of the catalogue: control, filters, forwarding, steering. */
#include "impl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define A(i) (&n->args[i])
#define D (c->d)

/* ---- control ---- */
void f_unit(struct pctx *c, const struct node *n) { (void)c; (void)n; }
void f_drop(struct pctx *c, const struct node *n) { (void)n; D->fate = PFQ_FATE_DROP; }
void f_broadcast(struct pctx *c, const struct node *n)
{
	(void)n;
	D->fate = PFQ_FATE_COPY;
	D->class_mask = PFQ_CLASS_ANY;
}
void f_kleisli(struct pctx *c, const struct node *n)
{
	eval_fun(c, A(0)->fn);
	if (D->fate != PFQ_FATE_DROP)
		eval_fun(c, A(1)->fn);
}
void f_when(struct pctx *c, const struct node *n)
{
	if (eval_pred(c, A(0)->fn))
		eval_fun(c, A(1)->fn);
}
void f_unless(struct pctx *c, const struct node *n)
{
	if (!eval_pred(c, A(0)->fn))
		eval_fun(c, A(1)->fn);
}
void f_conditional(struct pctx *c, const struct node *n)
{
	eval_fun(c, eval_pred(c, A(0)->fn) ? A(1)->fn : A(2)->fn);
}
void f_inv(struct pctx *c, const struct node *n)
{
	eval_fun(c, A(0)->fn);
	D->fate = D->fate == PFQ_FATE_DROP ? PFQ_FATE_COPY : PFQ_FATE_DROP;
}
/* par f g ...: the first alternative that does not drop wins; before each
 * further try, the fate, class and hashes are put back as they were. */
void f_par(struct pctx *c, const struct node *n)
{
	enum pfq_fate fate = D->fate;
	uint64_t cls = D->class_mask;
	uint32_t h0 = D->hash[0], h1 = D->hash[1];

	for (int i = 0; i < n->nargs; i++) {
		D->fate = fate;
		D->class_mask = cls;
		D->hash[0] = h0;
		D->hash[1] = h1;
		eval_fun(c, A(i)->fn);
		if (D->fate != PFQ_FATE_DROP)
			return;
	}
}
void f_filter(struct pctx *c, const struct node *n)
{
	if (!eval_pred(c, A(0)->fn))
		D->fate = PFQ_FATE_DROP;
}
void f_classify(struct pctx *c, const struct node *n)
{
	D->class_mask = 1ull << A(0)->i;
}
void f_kernel(struct pctx *c, const struct node *n) { (void)n; D->to_kernel = true; }
void f_detour(struct pctx *c, const struct node *n)
{
	(void)n;
	D->to_kernel = true;
	D->fate = PFQ_FATE_DROP;
}
void f_kernel_if(struct pctx *c, const struct node *n)
{
	if (eval_pred(c, A(0)->fn))
		D->to_kernel = true;
}
void f_detour_if(struct pctx *c, const struct node *n)
{
	if (eval_pred(c, A(0)->fn)) {
		D->to_kernel = true;
		D->fate = PFQ_FATE_DROP;
	}
}

/* ---- forwarding ---- */
static void forward_to(struct pctx *c, const char *dev)
{
	for (int i = 0; i < D->nfwd; i++)
		if (strcmp(D->fwd[i], dev) == 0)
			return;
	if (D->nfwd < PFQ_LANG_MAX_FWD)
		snprintf(D->fwd[D->nfwd++], sizeof(D->fwd[0]), "%s", dev);
}
void f_forward(struct pctx *c, const struct node *n) { forward_to(c, A(0)->s); }
void f_bridge(struct pctx *c, const struct node *n)
{
	forward_to(c, A(0)->s);
	D->fate = PFQ_FATE_DROP;
}
void f_tee(struct pctx *c, const struct node *n)
{
	forward_to(c, A(0)->s);
	if (!eval_pred(c, A(1)->fn))
		D->fate = PFQ_FATE_DROP;
}
void f_tap(struct pctx *c, const struct node *n)
{
	if (eval_pred(c, A(1)->fn))
		return;
	forward_to(c, A(0)->s);
	D->fate = PFQ_FATE_DROP;
}
void f_link(struct pctx *c, const struct node *n)
{
	const char *in = c->meta && c->meta->ifname ? c->meta->ifname : "";

	for (int i = 0; i < A(0)->nstrs; i++)
		if (strcmp(A(0)->strs[i], in) != 0)
			forward_to(c, A(0)->strs[i]);
}

/* ---- state, counters, logs ---- */
void f_mark(struct pctx *c, const struct node *n) { D->mark = (uint32_t)A(0)->u; }
void f_put_state(struct pctx *c, const struct node *n) { D->state = (uint32_t)A(0)->u; }
void f_inc(struct pctx *c, const struct node *n) { D->counters[A(0)->i]++; }
void f_dec(struct pctx *c, const struct node *n) { D->counters[A(0)->i]--; }
void f_log_msg(struct pctx *c, const struct node *n) { ctx_log(c, "%s", A(0)->s); }
void f_log_buff(struct pctx *c, const struct node *n)
{
	char hex[3 * 34 + 1] = "";
	size_t k = c->p.len < 34 ? c->p.len : 34;

	(void)n;
	for (size_t i = 0; i < k; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", c->p.d[i]);
	ctx_log(c, "len %zu: %s", c->p.len, hex);
}
void f_log_packet(struct pctx *c, const struct node *n)
{
	uint32_t s = c->p.saddr, d = c->p.daddr;

	(void)n;
	if (c->p.ipv != 4) {
		ctx_log(c, "ethertype 0x%04x len %zu", c->p.l3_type, c->p.len);
		return;
	}
	if (pkt_is_flow(&c->p))
		ctx_log(c, "IP %u.%u.%u.%u.%u > %u.%u.%u.%u.%u proto %u", s >> 24, (s >> 16) & 255,
			(s >> 8) & 255, s & 255, c->p.sport, d >> 24, (d >> 16) & 255,
			(d >> 8) & 255, d & 255, c->p.dport, c->p.proto);
	else
		ctx_log(c, "IP %u.%u.%u.%u > %u.%u.%u.%u proto %u", s >> 24, (s >> 16) & 255,
			(s >> 8) & 255, s & 255, d >> 24, (d >> 16) & 255, (d >> 8) & 255, d & 255,
			c->p.proto);
}
void f_trace(struct pctx *c, const struct node *n)
{
	(void)n;
	ctx_log(c, "fate %d class 0x%llx hash 0x%x state %u mark %u", D->fate,
		(unsigned long long)D->class_mask, D->hash[0], D->state, D->mark);
}

/* ---- filters: pass when the predicate of the same name holds ---- */
#define FILTER(name, pred)                                              \
	void f_##name(struct pctx *c, const struct node *n)             \
	{                                                               \
		if (!pred(c, n))                                        \
			D->fate = PFQ_FATE_DROP;                        \
	}
FILTER(ip, p_is_ip)
FILTER(ip6, p_is_ip6)
FILTER(udp, p_is_udp)
FILTER(tcp, p_is_tcp)
FILTER(icmp, p_is_icmp)
FILTER(flow, p_is_flow)
FILTER(vlan, p_has_vlan)
FILTER(rtp, p_is_rtp)
FILTER(rtcp, p_is_rtcp)
FILTER(sip, p_is_sip)
FILTER(voip, p_is_voip)
FILTER(gtp, p_is_gtp)
FILTER(gtp_cp, p_is_gtp_cp)
FILTER(gtp_up, p_is_gtp_up)
FILTER(l3_proto, p_is_l3_proto)
FILTER(l4_proto, p_is_l4_proto)
FILTER(port, p_has_port)
FILTER(src_port, p_has_src_port)
FILTER(dst_port, p_has_dst_port)
FILTER(addr, p_has_addr)
FILTER(src_addr, p_has_src_addr)
FILTER(dst_addr, p_has_dst_addr)
FILTER(vlan_id_filter, p_vlan_id)
FILTER(bloom_filter, p_bloom)
FILTER(bloom_src_filter, p_bloom_src)
FILTER(bloom_dst_filter, p_bloom_dst)
FILTER(mac_broadcast, p_is_broadcast)
FILTER(mac_multicast, p_is_multicast)
FILTER(ip_broadcast, p_is_ip_broadcast)
FILTER(ip_multicast, p_is_ip_multicast)
FILTER(ip_host, p_is_ip_host)
FILTER(incoming_host, p_is_incoming_host)

void f_no_frag(struct pctx *c, const struct node *n)
{
	if (p_is_frag(c, n))
		D->fate = PFQ_FATE_DROP;
}
void f_no_more_frag(struct pctx *c, const struct node *n)
{
	if (p_is_more_frag(c, n))
		D->fate = PFQ_FATE_DROP;
}

/* ---- steering ---- */
static void steer(struct pctx *c, uint32_t h)
{
	D->fate = PFQ_FATE_STEER;
	D->hash[0] = h;
	D->hash[1] = 0;
}
static void steer2(struct pctx *c, uint32_t h1, uint32_t h2)
{
	D->fate = PFQ_FATE_DOUBLE_STEER;
	D->hash[0] = h1;
	D->hash[1] = h2;
}
static void bcast(struct pctx *c)
{
	D->fate = PFQ_FATE_COPY;
	D->class_mask = PFQ_CLASS_ANY;
}

/* flows: both directions hash alike; fragments on the address pair only */
void f_steer_flow(struct pctx *c, const struct node *n)
{
	uint32_t h;

	(void)n;
	if (!c->p.ipv) {
		D->fate = PFQ_FATE_DROP;
		return;
	}
	h = pkt_src32(&c->p) ^ pkt_dst32(&c->p);
	if (pkt_is_flow(&c->p) && !c->p.frag)
		h ^= (uint32_t)(c->p.sport ^ c->p.dport);
	steer(c, h);
}
void f_steer_ip(struct pctx *c, const struct node *n)
{
	(void)n;
	if (!c->p.ipv)
		D->fate = PFQ_FATE_DROP;
	else
		steer(c, pkt_src32(&c->p) ^ pkt_dst32(&c->p));
}
static bool ip_bcast_rule(struct pctx *c)
{
	if (c->p.ipv == 4 && (c->p.saddr == 0xffffffffu || c->p.daddr == 0xffffffffu)) {
		bcast(c);
		return true;
	}
	return false;
}
void f_steer_p2p(struct pctx *c, const struct node *n)
{
	if (c->p.ipv && ip_bcast_rule(c))
		return;
	f_steer_ip(c, n);
}
void f_double_steer_ip(struct pctx *c, const struct node *n)
{
	(void)n;
	if (!c->p.ipv) {
		D->fate = PFQ_FATE_DROP;
		return;
	}
	if (!ip_bcast_rule(c))
		steer2(c, pkt_src32(&c->p), pkt_dst32(&c->p));
}

static uint32_t xor3(const uint8_t *m)
{
	return (uint32_t)((m[0] << 8 | m[1]) ^ (m[2] << 8 | m[3]) ^ (m[4] << 8 | m[5]));
}
static bool mac_bcast_rule(struct pctx *c)
{
	if (c->p.len < 14) {
		D->fate = PFQ_FATE_DROP;
		return true;
	}
	if (p_is_broadcast(c, NULL)) {
		bcast(c);
		return true;
	}
	return false;
}
void f_steer_link(struct pctx *c, const struct node *n)
{
	(void)n;
	if (!mac_bcast_rule(c))
		steer(c, xor3(c->p.d) ^ xor3(c->p.d + 6));
}
void f_double_steer_mac(struct pctx *c, const struct node *n)
{
	(void)n;
	if (!mac_bcast_rule(c))
		steer2(c, xor3(c->p.d), xor3(c->p.d + 6));
}
void f_steer_local_link(struct pctx *c, const struct node *n)
{
	if (mac_bcast_rule(c))
		return;
	if (memcmp(c->p.d, A(0)->mac, 6) == 0)
		steer(c, xor3(c->p.d + 6));
	else if (memcmp(c->p.d + 6, A(0)->mac, 6) == 0)
		steer(c, xor3(c->p.d));
	else
		steer2(c, xor3(c->p.d), xor3(c->p.d + 6));
}
void f_steer_vlan(struct pctx *c, const struct node *n)
{
	uint32_t v = c->p.vlan ? (c->p.tci & 0xfffu) : 0;

	(void)n;
	if (!v)
		D->fate = PFQ_FATE_DROP;
	else
		steer(c, v);
}

/* addresses inside net: both -> double steer, one -> steer on it, none -> drop */
static void steer_local(struct pctx *c, uint32_t net, uint32_t mask, uint32_t submask)
{
	bool s, d;

	if (c->p.ipv != 4) {
		D->fate = PFQ_FATE_DROP;
		return;
	}
	if (ip_bcast_rule(c))
		return;
	s = (c->p.saddr & mask) == net;
	d = (c->p.daddr & mask) == net;
	if (s && d)
		steer2(c, c->p.saddr & submask, c->p.daddr & submask);
	else if (s)
		steer(c, c->p.saddr & submask);
	else if (d)
		steer(c, c->p.daddr & submask);
	else
		D->fate = PFQ_FATE_DROP;
}
static uint32_t host_mask(int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}
void f_steer_local_ip(struct pctx *c, const struct node *n)
{
	const struct cidr *k = &A(0)->cidr;
	uint32_t m = host_mask(k->prefix);

	steer_local(c, ntohl(k->addr) & m, m, ~0u);
}
void f_steer_local_net(struct pctx *c, const struct node *n)
{
	uint32_t m = host_mask((int)A(1)->i), sub = host_mask((int)A(2)->i);

	steer_local(c, ntohl(A(0)->ip) & m, m, sub);
}

static bool field(struct pctx *c, uint64_t off, uint64_t size, uint32_t *v)
{
	return pkt_load(&c->p, (size_t)off, (int)size, v);
}
void f_steer_field(struct pctx *c, const struct node *n)
{
	uint32_t v;

	if (!field(c, A(0)->u, A(1)->u, &v))
		D->fate = PFQ_FATE_DROP;
	else
		steer(c, v);
}
void f_steer_field_symmetric(struct pctx *c, const struct node *n)
{
	uint32_t a, b;

	if (!field(c, A(0)->u, A(2)->u, &a) || !field(c, A(1)->u, A(2)->u, &b))
		D->fate = PFQ_FATE_DROP;
	else
		steer(c, a ^ b);
}
void f_double_steer_field(struct pctx *c, const struct node *n)
{
	uint32_t a, b;

	if (!field(c, A(0)->u, A(2)->u, &a) || !field(c, A(1)->u, A(2)->u, &b))
		D->fate = PFQ_FATE_DROP;
	else
		steer2(c, a, b);
}
void f_steer_to(struct pctx *c, const struct node *n)
{
	D->fate = PFQ_FATE_STEER_TO;
	D->hash[0] = (uint32_t)A(0)->i;
	D->hash[1] = 0;
}
void f_steer_rrobin(struct pctx *c, const struct node *n)
{
	(void)n;
	steer(c, c->meta ? c->meta->rrobin : 0);
}
void f_steer_rss(struct pctx *c, const struct node *n)
{
	(void)n;
	steer(c, c->meta ? c->meta->rxhash : 0);
}

static uint32_t fold8(uint32_t a)
{
	return a ^ (a >> 8) ^ (a >> 16) ^ (a >> 24);
}
static void steer_voip_common(struct pctx *c, bool sip_broadcast)
{
	switch (voip_classify(&c->p)) {
	case VOIP_RTP:
	case VOIP_RTCP:
		steer(c, fold8(pkt_src32(&c->p)) ^ fold8(pkt_dst32(&c->p)) ^
			 (uint32_t)(c->p.sport >> 1) ^ (uint32_t)(c->p.dport >> 1));
		break;
	case VOIP_SIP:
		if (sip_broadcast)
			bcast(c);
		else
			D->fate = PFQ_FATE_DROP;
		break;
	default:
		D->fate = PFQ_FATE_DROP;
	}
}
void f_steer_rtp(struct pctx *c, const struct node *n) { (void)n; steer_voip_common(c, false); }
void f_steer_voip(struct pctx *c, const struct node *n) { (void)n; steer_voip_common(c, true); }
void f_steer_gtp_usr(struct pctx *c, const struct node *n)
{
	uint32_t s, d, m = host_mask((int)A(1)->i), net = ntohl(A(0)->ip) & m;

	if (!gtp_inner_ipv4(&c->p, &s, &d))
		D->fate = PFQ_FATE_DROP;
	else if ((s & m) == net)
		steer(c, s);
	else if ((d & m) == net)
		steer(c, d);
	else
		D->fate = PFQ_FATE_DROP;
}
