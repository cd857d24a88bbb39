/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The function catalogue of PFQ/lang: name, signature, reference
 * implementation and extra checks, in one table that every stage reads.
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

#define FUN0(nm, fn, d_) { nm, F, 0, { 0 }, .fun = fn, .doc = d_ }
#define FUN1(nm, t, fn, ck, d_) { nm, F, 1, { t }, .fun = fn, .check = ck, .doc = d_ }
#define PRED0(nm, fn, d_) { nm, P, 0, { 0 }, .pred = fn, .doc = d_ }
#define PRED1(nm, t, fn, ck, d_) { nm, P, 1, { t }, .pred = fn, .check = ck, .doc = d_ }
#define CMP2(nm, fn) { nm, P, 2, { R, LT_W64 }, .pred = fn, .doc = "compare a property" }
#define PROP0(nm, fn, d_) { nm, R, 0, { 0 }, .prop = fn, .doc = d_ }
#define ETH(nm, type_) { nm, P, 0, { 0 }, .pred = p_eth_type, .doc = type_ }

static bool p_eth_type(struct pctx *c, const struct node *n);

const struct builtin pfq_builtins[] = {
	/* control */
	FUN0("unit", f_unit, "pass unchanged"),
	FUN0("drop", f_drop, "fate = drop"),
	FUN0("broadcast", f_broadcast, "copy to every class"),
	{ ">->", F, 2, { F, F }, .fun = f_kleisli, .doc = "run f, then g unless f dropped" },
	{ "when", F, 2, { P, F }, .fun = f_when, .doc = "f if p" },
	{ "unless", F, 2, { P, F }, .fun = f_unless, .doc = "f unless p" },
	{ "conditional", F, 3, { P, F, F }, .fun = f_conditional, .doc = "f if p else g" },
	FUN1("inv", F, f_inv, NULL, "drop what f passes, pass what f drops"),
	{ "par", F, 2, { F, F }, .fun = f_par, .doc = "first alternative that does not drop" },
	{ "par3", F, 3, { F, F, F }, .fun = f_par, .doc = "par of 3" },
	{ "par4", F, 4, { F, F, F, F }, .fun = f_par, .doc = "par of 4" },
	{ "par5", F, 5, { F, F, F, F, F }, .fun = f_par, .doc = "par of 5" },
	{ "par6", F, 6, { F, F, F, F, F, F }, .fun = f_par, .doc = "par of 6" },
	{ "par7", F, 7, { F, F, F, F, F, F, F }, .fun = f_par, .doc = "par of 7" },
	{ "par8", F, 8, { F, F, F, F, F, F, F, F }, .fun = f_par, .doc = "par of 8" },
	FUN1("filter", P, f_filter, NULL, "pass if p, else drop"),
	FUN1("classify", LT_INT, f_classify, chk_class, "class mask = bit n"),
	FUN1("class", LT_INT, f_classify, chk_class, "class mask = bit n"),
	FUN0("kernel", f_kernel, "pass to the host stack too"),
	FUN0("detour", f_detour, "pass to the host stack and drop"),
	FUN1("kernel_if", P, f_kernel_if, NULL, "kernel when p"),
	FUN1("detour_if", P, f_detour_if, NULL, "detour when p"),
	/* forwarding */
	FUN1("forward", LT_DEV, f_forward, NULL, "transmit a copy on dev"),
	FUN1("bridge", LT_DEV, f_bridge, NULL, "forward and drop"),
	{ "tee", F, 2, { LT_DEV, P }, .fun = f_tee, .doc = "forward; pass if p else drop" },
	{ "tap", F, 2, { LT_DEV, P }, .fun = f_tap, .doc = "pass if p; else forward and drop" },
	FUN1("link", LT_LIST_DEV, f_link, NULL, "forward to each device but the incoming one"),
	/* state, counters, logs */
	FUN1("mark", LT_W32, f_mark, NULL, "set the packet mark"),
	FUN1("put_state", LT_W32, f_put_state, NULL, "set the computation state"),
	FUN1("inc", LT_INT, f_inc, chk_counter, "group counter n + 1"),
	FUN1("dec", LT_INT, f_dec, chk_counter, "group counter n - 1"),
	FUN1("log_msg", LT_STR, f_log_msg, chk_log, "log a message"),
	FUN0("log_buff", f_log_buff, "log the first bytes"),
	FUN0("log_packet", f_log_packet, "log a summary line"),
	FUN0("trace", f_trace, "log the evaluation state"),
	/* filters */
	FUN0("ip", f_ip, "IPv4"), FUN0("ip6", f_ip6, "IPv6"),
	FUN0("udp", f_udp, "UDP"), FUN0("tcp", f_tcp, "TCP"), FUN0("icmp", f_icmp, "ICMP / ICMPv6"),
	FUN0("flow", f_flow, "TCP or UDP"), FUN0("vlan", f_vlan, "VLAN tagged (VID != 0)"),
	FUN0("rtp", f_rtp, "RTP"), FUN0("rtcp", f_rtcp, "RTCP"), FUN0("sip", f_sip, "SIP"),
	FUN0("voip", f_voip, "RTP, RTCP or SIP"), FUN0("gtp", f_gtp, "GTP"),
	FUN0("gtp_cp", f_gtp_cp, "GTP control plane"), FUN0("gtp_up", f_gtp_up, "GTP user plane"),
	FUN0("no_frag", f_no_frag, "not a fragment"),
	FUN0("no_more_frag", f_no_more_frag, "not a later fragment"),
	FUN1("l3_proto", LT_W16, f_l3_proto, NULL, "EtherType"),
	FUN1("l4_proto", LT_W8, f_l4_proto, NULL, "IP protocol"),
	FUN1("port", LT_W16, f_port, NULL, "TCP/UDP port"),
	FUN1("src_port", LT_W16, f_src_port, NULL, "TCP/UDP source port"),
	FUN1("dst_port", LT_W16, f_dst_port, NULL, "TCP/UDP destination port"),
	FUN1("addr", LT_CIDR, f_addr, NULL, "IPv4 address in network"),
	FUN1("src_addr", LT_CIDR, f_src_addr, NULL, "IPv4 source in network"),
	FUN1("dst_addr", LT_CIDR, f_dst_addr, NULL, "IPv4 destination in network"),
	FUN1("vlan_id_filter", LT_LIST_INT, f_vlan_id_filter, chk_vid_list, "VID in list"),
	{ "bloom_filter", F, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .fun = f_bloom_filter, .check = chk_bloom, .doc = "address in bloom filter" },
	{ "bloom_src_filter", F, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .fun = f_bloom_src_filter, .check = chk_bloom, .doc = "source in bloom filter" },
	{ "bloom_dst_filter", F, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .fun = f_bloom_dst_filter, .check = chk_bloom, .doc = "destination in bloom filter" },
	FUN0("mac_broadcast", f_mac_broadcast, "Ethernet broadcast"),
	FUN0("mac_multicast", f_mac_multicast, "Ethernet multicast"),
	FUN0("ip_broadcast", f_ip_broadcast, "IPv4 broadcast"),
	FUN0("ip_multicast", f_ip_multicast, "IP multicast"),
	FUN0("ip_host", f_ip_host, "to/from an address of the incoming device"),
	FUN0("incoming_host", f_incoming_host, "for this host (or multicast)"),
	/* predicates */
	PRED0("is_ip", p_is_ip, "IPv4"), PRED0("is_ip6", p_is_ip6, "IPv6"),
	PRED0("is_udp", p_is_udp, "UDP"), PRED0("is_tcp", p_is_tcp, "TCP"),
	PRED0("is_icmp", p_is_icmp, "ICMP / ICMPv6"), PRED0("is_flow", p_is_flow, "TCP or UDP"),
	PRED0("has_vlan", p_has_vlan, "VLAN tagged"),
	PRED1("has_vid", LT_INT, p_has_vid, chk_vid, "VLAN id == n"),
	PRED1("vlan_id", LT_LIST_INT, p_vlan_id, chk_vid_list, "VLAN id in list"),
	PRED0("is_frag", p_is_frag, "IP fragment"),
	PRED0("is_first_frag", p_is_first_frag, "first IP fragment"),
	PRED0("is_more_frag", p_is_more_frag, "later IP fragment"),
	PRED1("is_l3_proto", LT_W16, p_is_l3_proto, NULL, "EtherType == n"),
	PRED1("is_l4_proto", LT_W8, p_is_l4_proto, NULL, "IP protocol == n"),
	PRED1("has_port", LT_W16, p_has_port, NULL, "TCP/UDP port"),
	PRED1("has_src_port", LT_W16, p_has_src_port, NULL, "TCP/UDP source port"),
	PRED1("has_dst_port", LT_W16, p_has_dst_port, NULL, "TCP/UDP destination port"),
	PRED1("has_addr", LT_CIDR, p_has_addr, NULL, "IPv4 address in network"),
	PRED1("has_src_addr", LT_CIDR, p_has_src_addr, NULL, "IPv4 source in network"),
	PRED1("has_dst_addr", LT_CIDR, p_has_dst_addr, NULL, "IPv4 destination in network"),
	PRED1("has_mark", LT_W32, p_has_mark, NULL, "mark == n"),
	PRED1("has_state", LT_W32, p_has_state, NULL, "state == n"),
	PRED0("is_rtp", p_is_rtp, "RTP"), PRED0("is_rtcp", p_is_rtcp, "RTCP"),
	PRED0("is_sip", p_is_sip, "SIP"), PRED0("is_voip", p_is_voip, "RTP, RTCP or SIP"),
	PRED0("is_gtp", p_is_gtp, "GTP"), PRED0("is_gtp_cp", p_is_gtp_cp, "GTP-C"),
	PRED0("is_gtp_up", p_is_gtp_up, "GTP-U"),
	PRED0("is_broadcast", p_is_broadcast, "Ethernet broadcast"),
	PRED0("is_multicast", p_is_multicast, "Ethernet multicast"),
	PRED0("is_ip_broadcast", p_is_ip_broadcast, "IPv4 broadcast"),
	PRED0("is_ip_multicast", p_is_ip_multicast, "IP multicast"),
	PRED0("is_ip_host", p_is_ip_host, "address of the incoming device"),
	PRED0("is_incoming_host", p_is_incoming_host, "for this host"),
	{ "bloom", P, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .pred = p_bloom, .check = chk_bloom, .doc = "address in bloom filter" },
	{ "bloom_src", P, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .pred = p_bloom_src, .check = chk_bloom, .doc = "source in bloom filter" },
	{ "bloom_dst", P, 3, { LT_INT, LT_LIST_IPV4, LT_INT }, .pred = p_bloom_dst, .check = chk_bloom, .doc = "destination in bloom filter" },
	PRED1("not", P, p_not, NULL, "negation"),
	{ ".&&.", P, 2, { P, P }, .pred = p_and, .doc = "and" },
	{ ".||.", P, 2, { P, P }, .pred = p_or, .doc = "or" },
	{ ".^^.", P, 2, { P, P }, .pred = p_xor, .doc = "xor" },
	{ "and", P, 2, { P, P }, .pred = p_and, .doc = "and" },
	{ "or", P, 2, { P, P }, .pred = p_or, .doc = "or" },
	{ "xor", P, 2, { P, P }, .pred = p_xor, .doc = "xor" },
	CMP2(".<", p_lt), CMP2(".<=", p_le), CMP2(".>", p_gt), CMP2(".>=", p_ge),
	CMP2(".==", p_eq), CMP2("./=", p_ne),
	CMP2("less", p_lt), CMP2("less_eq", p_le), CMP2("greater", p_gt),
	CMP2("greater_eq", p_ge), CMP2("equal", p_eq), CMP2("not_equal", p_ne),
	CMP2("any_bit", p_any_bit), CMP2("all_bit", p_all_bit),
	ETH("is_eth_pup", "0x0200"), ETH("is_eth_sprite", "0x0500"), ETH("is_eth_ip", "0x0800"),
	ETH("is_eth_arp", "0x0806"), ETH("is_eth_revarp", "0x8035"), ETH("is_eth_at", "0x809B"),
	ETH("is_eth_aarp", "0x80F3"), ETH("is_eth_vlan", "0x8100"), ETH("is_eth_ipx", "0x8137"),
	ETH("is_eth_ipv6", "0x86DD"), ETH("is_eth_loopback", "0x9000"),
	/* properties */
	PROP0("ip_tos", r_ip_tos, "IPv4 TOS"), PROP0("ip_tot_len", r_ip_tot_len, "IPv4 total length"),
	PROP0("ip_id", r_ip_id, "IPv4 id"), PROP0("ip_frag", r_ip_frag, "IPv4 flags + offset"),
	PROP0("ip_ttl", r_ip_ttl, "IPv4 TTL"),
	PROP0("tcp_source", r_tcp_source, "TCP source port"), PROP0("tcp_dest", r_tcp_dest, "TCP destination port"),
	PROP0("tcp_hdrlen", r_tcp_hdrlen, "TCP header length"),
	PROP0("udp_source", r_udp_source, "UDP source port"), PROP0("udp_dest", r_udp_dest, "UDP destination port"),
	PROP0("udp_len", r_udp_len, "UDP length"),
	PROP0("icmp_type", r_icmp_type, "ICMP type"), PROP0("icmp_code", r_icmp_code, "ICMP code"),
	PROP0("get_mark", r_get_mark, "packet mark"), PROP0("get_state", r_get_state, "state"),
	/* steering */
	FUN0("steer_flow", f_steer_flow, "TCP/UDP flow (symmetric)"),
	FUN0("steer_ip", f_steer_ip, "address pair (symmetric)"),
	FUN0("steer_p2p", f_steer_p2p, "address pair, broadcast for 255.255.255.255"),
	FUN0("steer_mac", f_steer_link, "MAC pair"),
	FUN0("steer_link", f_steer_link, "MAC pair"),
	FUN0("steer_vlan", f_steer_vlan, "VLAN id"),
	FUN0("steer_rtp", f_steer_rtp, "RTP/RTCP flows"),
	FUN0("steer_voip", f_steer_voip, "RTP/RTCP flows, SIP broadcast"),
	FUN1("steer_local_link", LT_MAC, f_steer_local_link, NULL, "the non-gateway MAC"),
	FUN1("steer_local_ip", LT_CIDR, f_steer_local_ip, NULL, "the local address"),
	{ "steer_local_net", F, 3, { LT_IPV4, LT_INT, LT_INT }, .fun = f_steer_local_net, .check = chk_local_net, .doc = "the local subnetwork" },
	{ "steer_field", F, 2, { LT_W32, LT_W32 }, .fun = f_steer_field, .check = chk_field, .doc = "bytes at an offset" },
	{ "steer_field_symmetric", F, 3, { LT_W32, LT_W32, LT_W32 }, .fun = f_steer_field_symmetric, .check = chk_field, .doc = "xor of two fields" },
	FUN0("double_steer_mac", f_double_steer_mac, "each MAC"),
	FUN0("double_steer_ip", f_double_steer_ip, "each address"),
	{ "double_steer_field", F, 3, { LT_W32, LT_W32, LT_W32 }, .fun = f_double_steer_field, .check = chk_field, .doc = "each field" },
	FUN1("steer_to", LT_INT, f_steer_to, chk_steer_to, "the member with index n"),
	FUN0("steer_rrobin", f_steer_rrobin, "round robin"),
	FUN0("steer_rss", f_steer_rss, "the receive hash"),
	{ "steer_gtp_usr", F, 2, { LT_IPV4, LT_INT }, .fun = f_steer_gtp_usr, .check = chk_gtp, .doc = "GTP-U user address" },
};

const int pfq_nbuiltins = (int)(sizeof(pfq_builtins) / sizeof(pfq_builtins[0]));

static bool p_eth_type(struct pctx *c, const struct node *n)
{
	return c->p.len >= 14 && c->p.l3_type == strtoul(pfq_builtins[n->fid].doc, NULL, 16);
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
