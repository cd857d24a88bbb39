/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Frame builder for tests, tools and benchmarks: Ethernet (+ 802.1Q/QinQ)
 * frames carrying IPv4 or IPv6 with UDP, TCP or ICMP, or ARP, with correct
 * checksums, so that captures can be compared byte for byte.
 */
#ifndef PFQ_UTIL_PKTGEN_H
#define PFQ_UTIL_PKTGEN_H

#include <stddef.h>
#include <stdint.h>

enum pkt_l3 { PKT_IPV4, PKT_IPV6, PKT_ARP };

struct pkt_spec {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	int vlan_outer;   /* TCI of an 802.1Q tag, -1 for none */
	int vlan_inner;   /* TCI of a second (inner) tag, -1 for none */
	int outer_tpid;   /* 0x8100 (default when 0) or 0x88a8 */
	enum pkt_l3 l3;
	uint8_t l4;       /* IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP(V6) */
	uint8_t src_ip[16];
	uint8_t dst_ip[16];
	uint16_t sport, dport;
	uint8_t ttl;      /* 0 means 64 */
	uint16_t ip_id;
	uint16_t frag;    /* IPv4 flags + fragment offset field, host order */
	size_t frame_len; /* total length without FCS; padded up to 60 */
	uint8_t fill;     /* payload byte pattern seed */
};

/* A UDP/IPv4 spec with the given addresses "a.b.c.d" and ports. */
void pkt_spec_udp4(struct pkt_spec *s, const char *src, const char *dst,
		   uint16_t sport, uint16_t dport, size_t frame_len);
/* Build the frame; returns its length or 0 when it does not fit buflen. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t buflen);
uint16_t pkt_csum(const void *data, size_t len, uint32_t sum);

#endif
