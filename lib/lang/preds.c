/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Predicates and properties of the catalogue (reference semantics). */
#include "impl.h"

#include <arpa/inet.h>
#include <string.h>

#define A(i) (&n->args[i])

static uint16_t vid(const struct pctx *c)
{
	return c->p.vlan ? (uint16_t)(c->p.tci & 0xfff) : 0;
}

bool p_is_ip(struct pctx *c, const struct node *n) { (void)n; return c->p.ipv == 4; }
bool p_is_ip6(struct pctx *c, const struct node *n) { (void)n; return c->p.ipv == 6; }
bool p_is_udp(struct pctx *c, const struct node *n) { (void)n; return pkt_is_udp(&c->p); }
bool p_is_tcp(struct pctx *c, const struct node *n) { (void)n; return pkt_is_tcp(&c->p); }
bool p_is_icmp(struct pctx *c, const struct node *n) { (void)n; return pkt_is_icmp(&c->p); }
bool p_is_flow(struct pctx *c, const struct node *n) { (void)n; return pkt_is_flow(&c->p); }
bool p_has_vlan(struct pctx *c, const struct node *n) { (void)n; return vid(c) != 0; }
bool p_has_vid(struct pctx *c, const struct node *n) { return vid(c) == A(0)->i; }
bool p_is_frag(struct pctx *c, const struct node *n) { (void)n; return c->p.ipv && c->p.frag; }
bool p_is_first_frag(struct pctx *c, const struct node *n)
{
	(void)n;
	return c->p.ipv && c->p.frag && !c->p.later_frag;
}
bool p_is_more_frag(struct pctx *c, const struct node *n)
{
	(void)n;
	return c->p.ipv && c->p.later_frag;
}
bool p_is_l3_proto(struct pctx *c, const struct node *n)
{
	return c->p.len >= 14 && c->p.l3_type == A(0)->u;
}
bool p_is_l4_proto(struct pctx *c, const struct node *n)
{
	return c->p.ipv && c->p.proto == A(0)->u;
}
bool p_has_port(struct pctx *c, const struct node *n)
{
	return pkt_is_flow(&c->p) && (c->p.sport == A(0)->u || c->p.dport == A(0)->u);
}
bool p_has_src_port(struct pctx *c, const struct node *n)
{
	return pkt_is_flow(&c->p) && c->p.sport == A(0)->u;
}
bool p_has_dst_port(struct pctx *c, const struct node *n)
{
	return pkt_is_flow(&c->p) && c->p.dport == A(0)->u;
}

static bool in_cidr(uint32_t host_addr, const struct cidr *k)
{
	return (htonl(host_addr) & k->mask) == k->addr;
}

bool p_has_addr(struct pctx *c, const struct node *n)
{
	return c->p.ipv == 4 && (in_cidr(c->p.saddr, &A(0)->cidr) || in_cidr(c->p.daddr, &A(0)->cidr));
}
bool p_has_src_addr(struct pctx *c, const struct node *n)
{
	return c->p.ipv == 4 && in_cidr(c->p.saddr, &A(0)->cidr);
}
bool p_has_dst_addr(struct pctx *c, const struct node *n)
{
	return c->p.ipv == 4 && in_cidr(c->p.daddr, &A(0)->cidr);
}
bool p_has_mark(struct pctx *c, const struct node *n) { return c->d->mark == A(0)->u; }
bool p_has_state(struct pctx *c, const struct node *n) { return c->d->state == A(0)->u; }

bool p_vlan_id(struct pctx *c, const struct node *n)
{
	uint16_t v = vid(c);

	for (int i = 0; i < A(0)->nints; i++)
		if (A(0)->ints[i] == v || (A(0)->ints[i] == -1 && v != 0))
			return true;
	return false;
}

bool p_is_rtp(struct pctx *c, const struct node *n) { (void)n; return voip_classify(&c->p) == VOIP_RTP; }
bool p_is_rtcp(struct pctx *c, const struct node *n) { (void)n; return voip_classify(&c->p) == VOIP_RTCP; }
bool p_is_sip(struct pctx *c, const struct node *n) { (void)n; return voip_classify(&c->p) == VOIP_SIP; }
bool p_is_voip(struct pctx *c, const struct node *n) { (void)n; return voip_classify(&c->p) != VOIP_NONE; }
bool p_is_gtp(struct pctx *c, const struct node *n) { (void)n; return gtp_kind(&c->p) != 0; }
bool p_is_gtp_cp(struct pctx *c, const struct node *n) { (void)n; return gtp_kind(&c->p) == 1; }
bool p_is_gtp_up(struct pctx *c, const struct node *n) { (void)n; return gtp_kind(&c->p) == 2; }

static bool mac_bcast(const uint8_t *m)
{
	return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

bool p_is_broadcast(struct pctx *c, const struct node *n)
{
	(void)n;
	return c->p.len >= 14 && (mac_bcast(c->p.d) || mac_bcast(c->p.d + 6));
}
bool p_is_multicast(struct pctx *c, const struct node *n)
{
	(void)n;
	return c->p.len >= 14 && ((c->p.d[0] & 1) || (c->p.d[6] & 1));
}
bool p_is_ip_broadcast(struct pctx *c, const struct node *n)
{
	(void)n;
	return c->p.ipv == 4 && (c->p.saddr == 0xffffffffu || c->p.daddr == 0xffffffffu);
}
bool p_is_ip_multicast(struct pctx *c, const struct node *n)
{
	(void)n;
	if (c->p.ipv == 4)
		return (c->p.saddr >> 28) == 0xe || (c->p.daddr >> 28) == 0xe;
	return c->p.ipv == 6 && (c->p.saddr6[0] == 0xff || c->p.daddr6[0] == 0xff);
}
bool p_is_ip_host(struct pctx *c, const struct node *n)
{
	(void)n;
	if (c->p.ipv != 4 || !c->meta)
		return false;
	for (size_t i = 0; i < c->meta->n_host_addrs; i++) {
		uint32_t a = ntohl(c->meta->host_addrs[i]);

		if (a == c->p.saddr || a == c->p.daddr)
			return true;
	}
	return false;
}
bool p_is_incoming_host(struct pctx *c, const struct node *n)
{
	return (c->p.len >= 14 && (c->p.d[0] & 1)) || p_is_ip_host(c, n);
}

static bool bloom_addr(struct pctx *c, const struct node *n, bool src, bool dst)
{
	const struct bloom *b = n->extra;

	return c->p.ipv == 4 && ((dst && bloom_test(b, c->p.daddr)) ||
				 (src && bloom_test(b, c->p.saddr)));
}
bool p_bloom(struct pctx *c, const struct node *n) { return bloom_addr(c, n, true, true); }
bool p_bloom_src(struct pctx *c, const struct node *n) { return bloom_addr(c, n, true, false); }
bool p_bloom_dst(struct pctx *c, const struct node *n) { return bloom_addr(c, n, false, true); }

bool p_not(struct pctx *c, const struct node *n) { return !eval_pred(c, A(0)->fn); }
bool p_and(struct pctx *c, const struct node *n)
{
	return eval_pred(c, A(0)->fn) && eval_pred(c, A(1)->fn);
}
bool p_or(struct pctx *c, const struct node *n)
{
	return eval_pred(c, A(0)->fn) || eval_pred(c, A(1)->fn);
}
bool p_xor(struct pctx *c, const struct node *n)
{
	return eval_pred(c, A(0)->fn) != eval_pred(c, A(1)->fn);
}

/* comparisons: false when the property is absent */
#define CMP(name, expr)                                                 \
	bool p_##name(struct pctx *c, const struct node *n)             \
	{                                                               \
		uint64_t v, x = A(1)->u;                                \
		return eval_prop(c, A(0)->fn, &v) && (expr);            \
	}
CMP(lt, v < x)
CMP(le, v <= x)
CMP(gt, v > x)
CMP(ge, v >= x)
CMP(eq, v == x)
CMP(ne, v != x)
CMP(any_bit, (v & x) != 0)
CMP(all_bit, (v & x) == x)

/* ---- properties ---- */
#define PROP(name, cond, value)                                                 \
	bool r_##name(struct pctx *c, const struct node *n, uint64_t *v)        \
	{                                                                       \
		(void)n;                                                        \
		if (!(cond))                                                    \
			return false;                                           \
		*v = (value);                                                   \
		return true;                                                    \
	}
PROP(ip_tos, c->p.ipv == 4, c->p.tos)
PROP(ip_tot_len, c->p.ipv == 4, c->p.tot_len)
PROP(ip_id, c->p.ipv == 4, c->p.ip_id)
PROP(ip_frag, c->p.ipv == 4, c->p.frag_off)
PROP(ip_ttl, c->p.ipv == 4, c->p.ttl)
PROP(tcp_source, pkt_is_tcp(&c->p), c->p.sport)
PROP(tcp_dest, pkt_is_tcp(&c->p), c->p.dport)
PROP(tcp_hdrlen, pkt_is_tcp(&c->p), (uint64_t)(c->p.d[c->p.l4 + 12] >> 4) * 4)
PROP(udp_source, pkt_is_udp(&c->p), c->p.sport)
PROP(udp_dest, pkt_is_udp(&c->p), c->p.dport)
PROP(udp_len, pkt_is_udp(&c->p), (uint64_t)(c->p.d[c->p.l4 + 4] << 8 | c->p.d[c->p.l4 + 5]))
PROP(icmp_type, pkt_is_icmp(&c->p), c->p.d[c->p.l4])
PROP(icmp_code, pkt_is_icmp(&c->p), c->p.d[c->p.l4 + 1])
PROP(get_mark, true, c->d->mark)
PROP(get_state, true, c->d->state)
