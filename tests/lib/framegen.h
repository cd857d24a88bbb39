/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Random frames for differential tests: every L2/L3/L4 shape PFQ/lang reads
 * (VLAN and QinQ, IPv4 with options and fragments, IPv6 with extension
 * headers, TCP, UDP, ICMP, ICMPv6, ARP, RTP/RTCP/SIP, GTP), broadcast and
 * multicast addresses, and odd ones: truncated, corrupted, short headers.
 * Deterministic for a given seed.
 */
#ifndef PFQ_TEST_FRAMEGEN_H
#define PFQ_TEST_FRAMEGEN_H

#include <stddef.h>
#include <stdint.h>

#define FRAMEGEN_MAX 512

struct framegen {
	uint64_t state;
};

void framegen_init(struct framegen *g, uint64_t seed);
uint32_t framegen_rand(struct framegen *g);
/* write a frame into buf (FRAMEGEN_MAX bytes), return its length */
size_t framegen_next(struct framegen *g, uint8_t *buf);

#endif
