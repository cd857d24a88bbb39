/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The function catalogue of PFQ/lang: for every builtin (builtins.def), its
 * name, signature, reference implementation, extra checks and the facts the
 * back ends need, in one table indexed by id that every stage reads.
 */
#include "impl.h"

#include <stdlib.h>
#include <string.h>

#define F LT_FUN
#define P LT_PRED
#define R LT_PROP

static const char *range(int64_t v, int64_t lo, int64_t hi, const char *what)
{
	static _Thread_local char buf[96];

	if (v >= lo && v <= hi)
		return NULL;
	snprintf(buf, sizeof(buf), "%s must be in %lld..%lld, found %lld", what,
		 (long long)lo, (long long)hi, (long long)v);
	return buf;
}

static const char *chk_class(struct node *n) { return range(n->args[0].i, 0, 63, "class"); }
static const char *chk_counter(struct node *n) { return range(n->args[0].i, 0, 63, "counter"); }
static const char *chk_vid(struct node *n) { return range(n->args[0].i, 0, 4095, "VLAN id"); }
static const char *chk_steer_to(struct node *n) { return range(n->args[0].i, 0, 1023, "member index"); }
static const char *chk_vid_list(struct node *n)
{
	const struct arg *a = &n->args[0];

	if (a->nints == 0)
		return "the VLAN id list is empty";
	for (int i = 0; i < a->nints; i++) {
		const char *e = range(a->ints[i], -1, 4095, "VLAN id (-1 = any tagged, 0 = untagged)");

		if (e)
			return e;
	}
	return NULL;
}
static const char *chk_field(struct node *n)
{
	const char *e = NULL;

	for (int i = 0; i < n->nargs - 1 && !e; i++)
		e = range((int64_t)n->args[i].u, 0, 65534, "field offset");
	return e ? e : range((int64_t)n->args[n->nargs - 1].u, 1, 4, "field size (bytes)");
}
static const char *chk_local_net(struct node *n)
{
	const char *e = range(n->args[1].i, 0, 32, "network prefix");

	return e ? e : range(n->args[2].i, n->args[1].i, 32, "subnetwork prefix");
}
static const char *chk_gtp(struct node *n) { return range(n->args[1].i, 0, 32, "prefix"); }
static const char *chk_log(struct node *n)
{
	return strlen(n->args[0].s) > 120 ? "log message longer than 120 characters" : NULL;
}
static const char *chk_bloom(struct node *n)
{
	const char *e = range(n->args[0].i, 1, 1 << 24, "bloom filter size (bits)");

	if (!e)
		e = range(n->args[2].i, 0, 32, "prefix");
	if (!e && n->args[1].nips == 0)
		e = "the bloom filter host list is empty";
	if (!e) {
		n->extra = bloom_build((uint32_t)n->args[0].i, n->args[1].ips, n->args[1].nips,
				       (int)n->args[2].i);
		if (!n->extra)
			e = "out of memory";
	}
	return e;
}

/* rows of the usual shapes; what follows the doc text are the facts (see
 * struct builtin) */
#define FUN0(nm, fn, d_, ...) { nm, F, 0, { 0 }, .fun = fn, .doc = d_, __VA_ARGS__ }
#define FUN1(nm, t, fn, ck, d_, ...) \
	{ nm, F, 1, { t }, .fun = fn, .check = ck, .doc = d_, __VA_ARGS__ }
#define PRED0(nm, fn, d_, ...) { nm, P, 0, { 0 }, .pred = fn, .doc = d_, __VA_ARGS__ }
#define PRED1(nm, t, fn, ck, d_, ...) \
	{ nm, P, 1, { t }, .pred = fn, .check = ck, .doc = d_, __VA_ARGS__ }
#define CMP2(nm, fn) { nm, P, 2, { R, LT_W64 }, .pred = fn, .doc = "compare a property" }
#define PROP0(nm, fn, d_, ...) { nm, R, 0, { 0 }, .prop = fn, .doc = d_, __VA_ARGS__ }
#define ETH(nm, type_) \
	{ nm, P, 0, { 0 }, .pred = p_eth_type, .doc = "EtherType " #type_, .depth = 2, \
	  .fx = FX_NO_FAST, .konst = type_ }

static bool p_eth_type(struct pctx *c, const struct node *n);

const struct builtin pfq_builtins[B_COUNT] = {
	[B_UNIT] = FUN0("unit", f_unit, "pass unchanged"),
	[B_DROP] = FUN0("drop", f_drop, "fate = drop"),
	[B_BROADCAST] = FUN0("broadcast", f_broadcast, "copy to every class"),
	[B_KLEISLI] = { ">->", F, 2, { F, F }, .fun = f_kleisli,
		.doc = "run f, then g unless f dropped" },
	[B_WHEN] = { "when", F, 2, { P, F }, .fun = f_when, .doc = "f if p" },
	[B_UNLESS] = { "unless", F, 2, { P, F }, .fun = f_unless, .doc = "f unless p" },
	[B_CONDITIONAL] = { "conditional", F, 3, { P, F, F }, .fun = f_conditional,
		.doc = "f if p else g" },
	[B_INV] = FUN1("inv", F, f_inv, NULL, "drop what f passes, pass what f drops"),
	[B_PAR] = { "par", F, 2, { F, F }, .fun = f_par,
		.doc = "first alternative that does not drop" },
	[B_PAR3] = { "par3", F, 3, { F, F, F }, .fun = f_par, .doc = "par of 3" },
	[B_PAR4] = { "par4", F, 4, { F, F, F, F }, .fun = f_par, .doc = "par of 4" },
	[B_PAR5] = { "par5", F, 5, { F, F, F, F, F }, .fun = f_par, .doc = "par of 5" },
	[B_PAR6] = { "par6", F, 6, { F, F, F, F, F, F }, .fun = f_par, .doc = "par of 6" },
	[B_PAR7] = { "par7", F, 7, { F, F, F, F, F, F, F }, .fun = f_par, .doc = "par of 7" },
	[B_PAR8] = { "par8", F, 8, { F, F, F, F, F, F, F, F }, .fun = f_par, .doc = "par of 8" },
	[B_FILTER] = FUN1("filter", P, f_filter, NULL, "pass if p, else drop"),
	[B_CLASSIFY] = FUN1("classify", LT_INT, f_classify, chk_class, "class mask = bit n"),
	[B_CLASS] = FUN1("class", LT_INT, f_classify, chk_class, "class mask = bit n"),
	[B_KERNEL] = FUN0("kernel", f_kernel, "pass to the host stack too", .fx = FX_TC),
	[B_DETOUR] = FUN0("detour", f_detour, "pass to the host stack and drop", .fx = FX_TC),
	[B_KERNEL_IF] = FUN1("kernel_if", P, f_kernel_if, NULL, "kernel when p", .fx = FX_TC),
	[B_DETOUR_IF] = FUN1("detour_if", P, f_detour_if, NULL, "detour when p", .fx = FX_TC),
	[B_FORWARD] = FUN1("forward", LT_DEV, f_forward, NULL, "transmit a copy on dev",
		.fx = FX_TC),
	[B_BRIDGE] = FUN1("bridge", LT_DEV, f_bridge, NULL, "forward and drop", .fx = FX_TC),
	[B_TEE] = { "tee", F, 2, { LT_DEV, P }, .fun = f_tee, .doc = "forward; pass if p else drop",
		.fx = FX_TC },
	[B_TAP] = { "tap", F, 2, { LT_DEV, P }, .fun = f_tap,
		.doc = "pass if p; else forward and drop",
		.fx = FX_TC },
	[B_LINK] = FUN1("link", LT_LIST_DEV, f_link, NULL,
		"forward to each device but the incoming one",
		.fx = FX_TC),
	[B_MARK] = FUN1("mark", LT_W32, f_mark, NULL, "set the packet mark"),
	[B_PUT_STATE] = FUN1("put_state", LT_W32, f_put_state, NULL, "set the computation state"),
	[B_INC] = FUN1("inc", LT_INT, f_inc, chk_counter, "group counter n + 1"),
	[B_DEC] = FUN1("dec", LT_INT, f_dec, chk_counter, "group counter n - 1"),
	[B_LOG_MSG] = FUN1("log_msg", LT_STR, f_log_msg, chk_log, "log a message", .fx = FX_LOG),
	[B_LOG_BUFF] = FUN0("log_buff", f_log_buff, "log the first bytes", .fx = FX_LOG),
	[B_LOG_PACKET] = FUN0("log_packet", f_log_packet, "log a summary line", .fx = FX_LOG),
	[B_TRACE] = FUN0("trace", f_trace, "log the evaluation state", .fx = FX_LOG),
	[B_IP] = FUN0("ip", f_ip, "IPv4", .depth = 3, .twin = B_IS_IP),
	[B_IP6] = FUN0("ip6", f_ip6, "IPv6", .depth = 3, .twin = B_IS_IP6),
	[B_UDP] = FUN0("udp", f_udp, "UDP", .depth = 4, .fields = LF_TRANSPORT, .twin = B_IS_UDP),
	[B_TCP] = FUN0("tcp", f_tcp, "TCP", .depth = 4, .fields = LF_TRANSPORT, .twin = B_IS_TCP),
	[B_ICMP] = FUN0("icmp", f_icmp, "ICMP / ICMPv6",
		.depth = 4, .fields = LF_TRANSPORT, .twin = B_IS_ICMP),
	[B_FLOW] = FUN0("flow", f_flow, "TCP or UDP",
		.depth = 4, .fields = LF_TRANSPORT, .twin = B_IS_FLOW),
	[B_VLAN] = FUN0("vlan", f_vlan, "VLAN tagged (VID != 0)", .depth = 2, .twin = B_HAS_VLAN),
	[B_RTP] = FUN0("rtp", f_rtp, "RTP", .depth = 4, .fields = LF_FLOW, .twin = B_IS_RTP),
	[B_RTCP] = FUN0("rtcp", f_rtcp, "RTCP", .depth = 4, .fields = LF_FLOW, .twin = B_IS_RTCP),
	[B_SIP] = FUN0("sip", f_sip, "SIP", .depth = 4, .fields = LF_FLOW, .twin = B_IS_SIP),
	[B_VOIP] = FUN0("voip", f_voip, "RTP, RTCP or SIP",
		.depth = 4, .fields = LF_FLOW, .twin = B_IS_VOIP),
	[B_GTP] = FUN0("gtp", f_gtp, "GTP", .depth = 4, .fields = LF_FLOW, .twin = B_IS_GTP),
	[B_GTP_CP] = FUN0("gtp_cp", f_gtp_cp, "GTP control plane",
		.depth = 4, .fields = LF_FLOW, .twin = B_IS_GTP_CP),
	[B_GTP_UP] = FUN0("gtp_up", f_gtp_up, "GTP user plane",
		.depth = 4, .fields = LF_FLOW, .twin = B_IS_GTP_UP),
	[B_NO_FRAG] = FUN0("no_frag", f_no_frag, "not a fragment", .depth = 3, .fields = LF_FRAG),
	[B_NO_MORE_FRAG] = FUN0("no_more_frag", f_no_more_frag, "not a later fragment",
		.depth = 3, .fields = LF_FRAG),
	[B_L3_PROTO] = FUN1("l3_proto", LT_W16, f_l3_proto, NULL, "EtherType",
		.depth = 2, .twin = B_IS_L3_PROTO),
	[B_L4_PROTO] = FUN1("l4_proto", LT_W8, f_l4_proto, NULL, "IP protocol",
		.depth = 3, .fields = LF_PROTO, .twin = B_IS_L4_PROTO),
	[B_PORT] = FUN1("port", LT_W16, f_port, NULL, "TCP/UDP port",
		.depth = 4, .fields = LF_FLOW, .twin = B_HAS_PORT),
	[B_SRC_PORT] = FUN1("src_port", LT_W16, f_src_port, NULL, "TCP/UDP source port",
		.depth = 4, .fields = LF_FLOW, .twin = B_HAS_SRC_PORT),
	[B_DST_PORT] = FUN1("dst_port", LT_W16, f_dst_port, NULL, "TCP/UDP destination port",
		.depth = 4, .fields = LF_FLOW, .twin = B_HAS_DST_PORT),
	[B_ADDR] = FUN1("addr", LT_CIDR, f_addr, NULL, "IPv4 address in network",
		.depth = 3, .fields = LF_ADDR, .twin = B_HAS_ADDR),
	[B_SRC_ADDR] = FUN1("src_addr", LT_CIDR, f_src_addr, NULL, "IPv4 source in network",
		.depth = 3, .fields = LF_ADDR, .twin = B_HAS_SRC_ADDR),
	[B_DST_ADDR] = FUN1("dst_addr", LT_CIDR, f_dst_addr, NULL, "IPv4 destination in network",
		.depth = 3, .fields = LF_ADDR, .twin = B_HAS_DST_ADDR),
	[B_VLAN_ID_FILTER] = FUN1("vlan_id_filter", LT_LIST_INT, f_vlan_id_filter, chk_vid_list,
		"VID in list",
		.depth = 2, .twin = B_VLAN_ID),
	[B_BLOOM_FILTER] = { "bloom_filter", F, 3, { LT_INT, LT_LIST_IPV4, LT_INT },
		.fun = f_bloom_filter, .check = chk_bloom, .doc = "address in bloom filter",
		.depth = 3, .fields = LF_ADDR, .twin = B_BLOOM },
	[B_BLOOM_SRC_FILTER] = { "bloom_src_filter", F, 3, { LT_INT, LT_LIST_IPV4, LT_INT },
		.fun = f_bloom_src_filter, .check = chk_bloom, .doc = "source in bloom filter",
		.depth = 3, .fields = LF_ADDR, .twin = B_BLOOM_SRC },
	[B_BLOOM_DST_FILTER] = { "bloom_dst_filter", F, 3, { LT_INT, LT_LIST_IPV4, LT_INT },
		.fun = f_bloom_dst_filter, .check = chk_bloom, .doc = "destination in bloom filter",
		.depth = 3, .fields = LF_ADDR, .twin = B_BLOOM_DST },
	[B_MAC_BROADCAST] = FUN0("mac_broadcast", f_mac_broadcast, "Ethernet broadcast",
		.depth = 2, .fx = FX_NO_FAST, .twin = B_IS_BROADCAST),
	[B_MAC_MULTICAST] = FUN0("mac_multicast", f_mac_multicast, "Ethernet multicast",
		.depth = 2, .fx = FX_NO_FAST, .twin = B_IS_MULTICAST),
	[B_IP_BROADCAST] = FUN0("ip_broadcast", f_ip_broadcast, "IPv4 broadcast",
		.depth = 3, .fields = LF_ADDR, .twin = B_IS_IP_BROADCAST),
	[B_IP_MULTICAST] = FUN0("ip_multicast", f_ip_multicast, "IP multicast",
		.depth = 3, .fields = LF_ADDR, .twin = B_IS_IP_MULTICAST),
	[B_IP_HOST] = FUN0("ip_host", f_ip_host, "to/from an address of the incoming device",
		.depth = 3, .fields = LF_ADDR, .twin = B_IS_IP_HOST),
	[B_INCOMING_HOST] = FUN0("incoming_host", f_incoming_host, "for this host (or multicast)",
		.depth = 3, .fields = LF_ADDR, .fx = FX_NO_FAST, .twin = B_IS_INCOMING_HOST),
	[B_IS_IP] = PRED0("is_ip", p_is_ip, "IPv4", .depth = 3),
	[B_IS_IP6] = PRED0("is_ip6", p_is_ip6, "IPv6", .depth = 3),
	[B_IS_UDP] = PRED0("is_udp", p_is_udp, "UDP", .depth = 4, .fields = LF_TRANSPORT),
	[B_IS_TCP] = PRED0("is_tcp", p_is_tcp, "TCP", .depth = 4, .fields = LF_TRANSPORT),
	[B_IS_ICMP] = PRED0("is_icmp", p_is_icmp, "ICMP / ICMPv6",
		.depth = 4, .fields = LF_TRANSPORT),
	[B_IS_FLOW] = PRED0("is_flow", p_is_flow, "TCP or UDP", .depth = 4, .fields = LF_TRANSPORT),
	[B_HAS_VLAN] = PRED0("has_vlan", p_has_vlan, "VLAN tagged", .depth = 2),
	[B_HAS_VID] = PRED1("has_vid", LT_INT, p_has_vid, chk_vid, "VLAN id == n", .depth = 2),
	[B_VLAN_ID] = PRED1("vlan_id", LT_LIST_INT, p_vlan_id, chk_vid_list, "VLAN id in list",
		.depth = 2),
	[B_IS_FRAG] = PRED0("is_frag", p_is_frag, "IP fragment", .depth = 3, .fields = LF_FRAG),
	[B_IS_FIRST_FRAG] = PRED0("is_first_frag", p_is_first_frag, "first IP fragment",
		.depth = 3, .fields = LF_FRAG),
	[B_IS_MORE_FRAG] = PRED0("is_more_frag", p_is_more_frag, "later IP fragment",
		.depth = 3, .fields = LF_FRAG),
	[B_IS_L3_PROTO] = PRED1("is_l3_proto", LT_W16, p_is_l3_proto, NULL, "EtherType == n",
		.depth = 2),
	[B_IS_L4_PROTO] = PRED1("is_l4_proto", LT_W8, p_is_l4_proto, NULL, "IP protocol == n",
		.depth = 3, .fields = LF_PROTO),
	[B_HAS_PORT] = PRED1("has_port", LT_W16, p_has_port, NULL, "TCP/UDP port",
		.depth = 4, .fields = LF_FLOW),
	[B_HAS_SRC_PORT] = PRED1("has_src_port", LT_W16, p_has_src_port, NULL,
		"TCP/UDP source port",
		.depth = 4, .fields = LF_FLOW),
	[B_HAS_DST_PORT] = PRED1("has_dst_port", LT_W16, p_has_dst_port, NULL,
		"TCP/UDP destination port",
		.depth = 4, .fields = LF_FLOW),
	[B_HAS_ADDR] = PRED1("has_addr", LT_CIDR, p_has_addr, NULL, "IPv4 address in network",
		.depth = 3, .fields = LF_ADDR),
	[B_HAS_SRC_ADDR] = PRED1("has_src_addr", LT_CIDR, p_has_src_addr, NULL,
		"IPv4 source in network",
		.depth = 3, .fields = LF_ADDR),
	[B_HAS_DST_ADDR] = PRED1("has_dst_addr", LT_CIDR, p_has_dst_addr, NULL,
		"IPv4 destination in network",
		.depth = 3, .fields = LF_ADDR),
	[B_HAS_MARK] = PRED1("has_mark", LT_W32, p_has_mark, NULL, "mark == n", .fx = FX_MARK),
	[B_HAS_STATE] = PRED1("has_state", LT_W32, p_has_state, NULL, "state == n", .fx = FX_STATE),
	[B_IS_RTP] = PRED0("is_rtp", p_is_rtp, "RTP", .depth = 4, .fields = LF_FLOW),
	[B_IS_RTCP] = PRED0("is_rtcp", p_is_rtcp, "RTCP", .depth = 4, .fields = LF_FLOW),
	[B_IS_SIP] = PRED0("is_sip", p_is_sip, "SIP", .depth = 4, .fields = LF_FLOW),
	[B_IS_VOIP] = PRED0("is_voip", p_is_voip, "RTP, RTCP or SIP",
		.depth = 4, .fields = LF_FLOW),
	[B_IS_GTP] = PRED0("is_gtp", p_is_gtp, "GTP", .depth = 4, .fields = LF_FLOW),
	[B_IS_GTP_CP] = PRED0("is_gtp_cp", p_is_gtp_cp, "GTP-C", .depth = 4, .fields = LF_FLOW),
	[B_IS_GTP_UP] = PRED0("is_gtp_up", p_is_gtp_up, "GTP-U", .depth = 4, .fields = LF_FLOW),
	[B_IS_BROADCAST] = PRED0("is_broadcast", p_is_broadcast, "Ethernet broadcast",
		.depth = 2, .fx = FX_NO_FAST),
	[B_IS_MULTICAST] = PRED0("is_multicast", p_is_multicast, "Ethernet multicast",
		.depth = 2, .fx = FX_NO_FAST),
	[B_IS_IP_BROADCAST] = PRED0("is_ip_broadcast", p_is_ip_broadcast, "IPv4 broadcast",
		.depth = 3, .fields = LF_ADDR),
	[B_IS_IP_MULTICAST] = PRED0("is_ip_multicast", p_is_ip_multicast, "IP multicast",
		.depth = 3, .fields = LF_ADDR),
	[B_IS_IP_HOST] = PRED0("is_ip_host", p_is_ip_host, "address of the incoming device",
		.depth = 3, .fields = LF_ADDR),
	[B_IS_INCOMING_HOST] = PRED0("is_incoming_host", p_is_incoming_host, "for this host",
		.depth = 3, .fields = LF_ADDR, .fx = FX_NO_FAST),
	[B_BLOOM] = { "bloom", P, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .pred = p_bloom,
		.check = chk_bloom, .doc = "address in bloom filter",
		.depth = 3, .fields = LF_ADDR },
	[B_BLOOM_SRC] = { "bloom_src", P, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .pred = p_bloom_src,
		.check = chk_bloom, .doc = "source in bloom filter",
		.depth = 3, .fields = LF_ADDR },
	[B_BLOOM_DST] = { "bloom_dst", P, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .pred = p_bloom_dst,
		.check = chk_bloom, .doc = "destination in bloom filter",
		.depth = 3, .fields = LF_ADDR },
	[B_NOT] = PRED1("not", P, p_not, NULL, "negation"),
	[B_DOT_AND] = { ".&&.", P, 2, { P, P }, .pred = p_and, .doc = "and" },
	[B_DOT_OR] = { ".||.", P, 2, { P, P }, .pred = p_or, .doc = "or" },
	[B_DOT_XOR] = { ".^^.", P, 2, { P, P }, .pred = p_xor, .doc = "xor", .fx = FX_TWICE },
	[B_AND] = { "and", P, 2, { P, P }, .pred = p_and, .doc = "and" },
	[B_OR] = { "or", P, 2, { P, P }, .pred = p_or, .doc = "or" },
	[B_XOR] = { "xor", P, 2, { P, P }, .pred = p_xor, .doc = "xor", .fx = FX_TWICE },
	[B_DOT_LT] = CMP2(".<", p_lt),
	[B_DOT_LE] = CMP2(".<=", p_le),
	[B_DOT_GT] = CMP2(".>", p_gt),
	[B_DOT_GE] = CMP2(".>=", p_ge),
	[B_DOT_EQ] = CMP2(".==", p_eq),
	[B_DOT_NE] = CMP2("./=", p_ne),
	[B_LESS] = CMP2("less", p_lt),
	[B_LESS_EQ] = CMP2("less_eq", p_le),
	[B_GREATER] = CMP2("greater", p_gt),
	[B_GREATER_EQ] = CMP2("greater_eq", p_ge),
	[B_EQUAL] = CMP2("equal", p_eq),
	[B_NOT_EQUAL] = CMP2("not_equal", p_ne),
	[B_ANY_BIT] = CMP2("any_bit", p_any_bit),
	[B_ALL_BIT] = CMP2("all_bit", p_all_bit),
	[B_IS_ETH_PUP] = ETH("is_eth_pup", 0x0200),
	[B_IS_ETH_SPRITE] = ETH("is_eth_sprite", 0x0500),
	[B_IS_ETH_IP] = ETH("is_eth_ip", 0x0800),
	[B_IS_ETH_ARP] = ETH("is_eth_arp", 0x0806),
	[B_IS_ETH_REVARP] = ETH("is_eth_revarp", 0x8035),
	[B_IS_ETH_AT] = ETH("is_eth_at", 0x809b),
	[B_IS_ETH_AARP] = ETH("is_eth_aarp", 0x80f3),
	[B_IS_ETH_VLAN] = ETH("is_eth_vlan", 0x8100),
	[B_IS_ETH_IPX] = ETH("is_eth_ipx", 0x8137),
	[B_IS_ETH_IPV6] = ETH("is_eth_ipv6", 0x86dd),
	[B_IS_ETH_LOOPBACK] = ETH("is_eth_loopback", 0x9000),
	[B_IP_TOS] = PROP0("ip_tos", r_ip_tos, "IPv4 TOS", .depth = 3, .fields = LF_MISC),
	[B_IP_TOT_LEN] = PROP0("ip_tot_len", r_ip_tot_len, "IPv4 total length",
		.depth = 3, .fields = LF_MISC),
	[B_IP_ID] = PROP0("ip_id", r_ip_id, "IPv4 id", .depth = 3, .fields = LF_MISC),
	[B_IP_FRAG] = PROP0("ip_frag", r_ip_frag, "IPv4 flags + offset",
		.depth = 3, .fields = LF_FRAG),
	[B_IP_TTL] = PROP0("ip_ttl", r_ip_ttl, "IPv4 TTL", .depth = 3, .fields = LF_MISC),
	[B_TCP_SOURCE] = PROP0("tcp_source", r_tcp_source, "TCP source port",
		.depth = 4, .fields = LF_FLOW),
	[B_TCP_DEST] = PROP0("tcp_dest", r_tcp_dest, "TCP destination port",
		.depth = 4, .fields = LF_FLOW),
	[B_TCP_HDRLEN] = PROP0("tcp_hdrlen", r_tcp_hdrlen, "TCP header length",
		.depth = 4, .fields = LF_TRANSPORT),
	[B_UDP_SOURCE] = PROP0("udp_source", r_udp_source, "UDP source port",
		.depth = 4, .fields = LF_FLOW),
	[B_UDP_DEST] = PROP0("udp_dest", r_udp_dest, "UDP destination port",
		.depth = 4, .fields = LF_FLOW),
	[B_UDP_LEN] = PROP0("udp_len", r_udp_len, "UDP length", .depth = 4, .fields = LF_TRANSPORT),
	[B_ICMP_TYPE] = PROP0("icmp_type", r_icmp_type, "ICMP type",
		.depth = 4, .fields = LF_TRANSPORT),
	[B_ICMP_CODE] = PROP0("icmp_code", r_icmp_code, "ICMP code",
		.depth = 4, .fields = LF_TRANSPORT),
	[B_GET_MARK] = PROP0("get_mark", r_get_mark, "packet mark", .fx = FX_MARK),
	[B_GET_STATE] = PROP0("get_state", r_get_state, "state", .fx = FX_STATE),
	[B_STEER_FLOW] = FUN0("steer_flow", f_steer_flow, "TCP/UDP flow (symmetric)",
		.depth = 4, .fields = LF_FLOW, .fx = FX_STEER),
	[B_STEER_IP] = FUN0("steer_ip", f_steer_ip, "address pair (symmetric)",
		.depth = 3, .fields = LF_ADDR, .fx = FX_STEER),
	[B_STEER_P2P] = FUN0("steer_p2p", f_steer_p2p,
		"address pair, broadcast for 255.255.255.255",
		.depth = 3, .fields = LF_ADDR, .fx = FX_STEER | FX_BROADCAST),
	[B_STEER_MAC] = FUN0("steer_mac", f_steer_link, "MAC pair",
		.depth = 2, .fx = FX_NO_FAST | FX_STEER | FX_BROADCAST),
	[B_STEER_LINK] = FUN0("steer_link", f_steer_link, "MAC pair",
		.depth = 2, .fx = FX_NO_FAST | FX_STEER | FX_BROADCAST),
	[B_STEER_VLAN] = FUN0("steer_vlan", f_steer_vlan, "VLAN id", .depth = 2, .fx = FX_STEER),
	[B_STEER_RTP] = FUN0("steer_rtp", f_steer_rtp, "RTP/RTCP flows",
		.depth = 4, .fields = LF_FLOW, .fx = FX_STEER),
	[B_STEER_VOIP] = FUN0("steer_voip", f_steer_voip, "RTP/RTCP flows, SIP broadcast",
		.depth = 4, .fields = LF_FLOW, .fx = FX_STEER | FX_BROADCAST),
	[B_STEER_LOCAL_LINK] = FUN1("steer_local_link", LT_MAC, f_steer_local_link, NULL,
		"the non-gateway MAC",
		.depth = 2, .fx = FX_NO_FAST | FX_STEER | FX_BROADCAST | FX_DOUBLE),
	[B_STEER_LOCAL_IP] = FUN1("steer_local_ip", LT_CIDR, f_steer_local_ip, NULL,
		"the local address",
		.depth = 3, .fields = LF_ADDR, .fx = FX_STEER | FX_BROADCAST | FX_DOUBLE),
	[B_STEER_LOCAL_NET] = { "steer_local_net", F, 3, { LT_IPV4, LT_INT, LT_INT },
		.fun = f_steer_local_net, .check = chk_local_net, .doc = "the local subnetwork",
		.depth = 3, .fields = LF_ADDR, .fx = FX_STEER | FX_BROADCAST | FX_DOUBLE },
	[B_STEER_FIELD] = { "steer_field", F, 2, { LT_W32, LT_W32 }, .fun = f_steer_field,
		.check = chk_field, .doc = "bytes at an offset",
		.depth = 2, .fx = FX_NO_FAST | FX_STEER },
	[B_STEER_FIELD_SYMMETRIC] = { "steer_field_symmetric", F, 3, { LT_W32, LT_W32, LT_W32 },
		.fun = f_steer_field_symmetric, .check = chk_field, .doc = "xor of two fields",
		.depth = 2, .fx = FX_NO_FAST | FX_STEER },
	[B_DOUBLE_STEER_MAC] = FUN0("double_steer_mac", f_double_steer_mac, "each MAC",
		.depth = 2, .fx = FX_NO_FAST | FX_STEER | FX_BROADCAST | FX_DOUBLE),
	[B_DOUBLE_STEER_IP] = FUN0("double_steer_ip", f_double_steer_ip, "each address",
		.depth = 3, .fields = LF_ADDR, .fx = FX_STEER | FX_BROADCAST | FX_DOUBLE),
	[B_DOUBLE_STEER_FIELD] = { "double_steer_field", F, 3, { LT_W32, LT_W32, LT_W32 },
		.fun = f_double_steer_field, .check = chk_field, .doc = "each field",
		.depth = 2, .fx = FX_NO_FAST | FX_STEER | FX_DOUBLE },
	[B_STEER_TO] = FUN1("steer_to", LT_INT, f_steer_to, chk_steer_to, "the member with index n",
		.fx = FX_STEER),
	[B_STEER_RROBIN] = FUN0("steer_rrobin", f_steer_rrobin, "round robin",
		.fx = FX_PER_PACKET | FX_STEER),
	[B_STEER_RSS] = FUN0("steer_rss", f_steer_rss, "the receive hash", .fx = FX_STEER),
	[B_STEER_GTP_USR] = { "steer_gtp_usr", F, 2, { LT_IPV4, LT_INT }, .fun = f_steer_gtp_usr,
		.check = chk_gtp, .doc = "GTP-U user address",
		.depth = 4, .fields = LF_FLOW, .fx = FX_STEER },
};

const int pfq_nbuiltins = B_COUNT;

static bool p_eth_type(struct pctx *c, const struct node *n)
{
	return c->p.len >= 14 && c->p.l3_type == pfq_builtins[n->fid].konst;
}

int builtin_find(const char *name)
{
	for (int i = 0; i < pfq_nbuiltins; i++)
		if (strcmp(pfq_builtins[i].name, name) == 0)
			return i;
	return -1;
}

static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int sub = prev + (a[i - 1] != b[j - 1]);
			int del = row[j] + 1, ins = row[j - 1] + 1;

			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

/* the known name closest to name, or NULL when nothing is close */
const char *builtin_suggest(const char *name)
{
	const char *best = NULL;
	int bd = 99;

	for (int i = 0; i < pfq_nbuiltins; i++) {
		int d = distance(name, pfq_builtins[i].name);

		if (d < bd) {
			bd = d;
			best = pfq_builtins[i].name;
		}
	}
	return bd <= 1 + (int)strlen(name) / 3 ? best : NULL;
}

const char *const *pfq_lang_functions(void)
{
	static const char *names[sizeof(pfq_builtins) / sizeof(pfq_builtins[0]) + 1];

	if (!names[0])
		for (int i = 0; i < pfq_nbuiltins; i++)
			names[i] = pfq_builtins[i].name;
	return names;
}

const char *lt_name(enum lt t)
{
	static const char *names[] = {
		[LT_NONE] = "?", [LT_FUN] = "NetFunction", [LT_PRED] = "NetPredicate",
		[LT_PROP] = "NetProperty", [LT_INT] = "Int", [LT_W8] = "Word8",
		[LT_W16] = "Word16", [LT_W32] = "Word32", [LT_W64] = "Word64",
		[LT_STR] = "String", [LT_DEV] = "String (device)", [LT_MAC] = "String (MAC address)",
		[LT_IPV4] = "IPv4", [LT_CIDR] = "CIDR", [LT_LIST_INT] = "[Int]",
		[LT_LIST_DEV] = "[String] (devices)", [LT_LIST_IPV4] = "[IPv4]",
	};
	return names[t];
}
