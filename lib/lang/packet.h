/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fields of a frame that PFQ/lang functions read, decoded once per
 * packet with every read bounds-checked. The view is the kernel's: an outer
 * VLAN tag found inline in the frame is taken out and reported beside it,
 * as the kernel does on receive, so a frame from a file and the same frame
 * from the wire decide alike.
 */
#ifndef PFQ_LANG_PACKET_H
#define PFQ_LANG_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_FRAME 65535
#define PKT_MAX_IPV6_EXT 8 /* extension headers followed, at most */

struct pkt {
	const uint8_t *d; /* kernel view: outer tag removed */
	size_t len;
	bool vlan;        /* outer tag present (tci/tpid valid) */
	uint16_t tci, tpid;
	uint16_t l3_type; /* EtherType after every VLAN tag */
	size_t l3;        /* offset of the L3 header */
	int ipv;          /* 4, 6, or 0 (not IP, or IP header cut short) */
	uint32_t saddr, daddr;      /* IPv4, host order */
	uint8_t saddr6[16], daddr6[16];
	uint8_t tos, ttl;
	uint16_t tot_len, ip_id, frag_off; /* IPv4 fields, host order */
	bool frag;        /* a fragment (more fragments, or offset != 0) */
	bool later_frag;  /* offset != 0: no L4 header in this packet */
	uint8_t proto;    /* IPv4 protocol / IPv6 upper-layer header */
	size_t l4;        /* offset of the L4 header */
	bool l4ok;        /* the L4 header of proto fits (TCP 20, UDP 8, ICMP 8) */
	uint16_t sport, dport; /* TCP/UDP, when l4ok */
};

/* Decode frame (from the MAC header). buf must hold len bytes; it receives
 * the kernel view when the frame carries its outer tag inline. */
void pkt_decode(struct pkt *p, const uint8_t *frame, size_t len, bool meta_vlan,
		uint16_t meta_tci, uint16_t meta_tpid, uint8_t *buf);

static inline bool pkt_is_tcp(const struct pkt *p) { return p->ipv && p->proto == 6 && p->l4ok; }
static inline bool pkt_is_udp(const struct pkt *p) { return p->ipv && p->proto == 17 && p->l4ok; }
static inline bool pkt_is_icmp(const struct pkt *p)
{
	return p->ipv && p->l4ok && ((p->ipv == 4 && p->proto == 1) || (p->ipv == 6 && p->proto == 58));
}
static inline bool pkt_is_flow(const struct pkt *p) { return pkt_is_tcp(p) || pkt_is_udp(p); }
/* an IPv6 address folded into 32 bits (xor of its words); IPv4 as is */
uint32_t pkt_fold6(const uint8_t a[16]);
uint32_t pkt_src32(const struct pkt *p);
uint32_t pkt_dst32(const struct pkt *p);
/* big-endian read of n (1..4) bytes at off; false when out of bounds */
bool pkt_load(const struct pkt *p, size_t off, int n, uint32_t *v);

#endif
