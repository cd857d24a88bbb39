/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "pktgen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t default_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t default_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

void pkt_spec_udp4(struct pkt_spec *s, const char *src, const char *dst,
		   uint16_t sport, uint16_t dport, size_t frame_len)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->dst_mac, default_dst, 6);
	memcpy(s->src_mac, default_src, 6);
	s->vlan_outer = s->vlan_inner = -1;
	s->l3 = PKT_IPV4;
	s->l4 = IPPROTO_UDP;
	inet_pton(AF_INET, src, s->src_ip);
	inet_pton(AF_INET, dst, s->dst_ip);
	s->sport = sport;
	s->dport = dport;
	s->frame_len = frame_len;
}

uint16_t pkt_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/* Pseudo-header sum for the L4 checksum. */
static uint32_t pseudo_sum(const struct pkt_spec *s, size_t l4len)
{
	size_t alen = s->l3 == PKT_IPV6 ? 16 : 4;
	uint32_t sum = 0;

	for (size_t i = 0; i < alen; i += 2) {
		sum += (uint32_t)(s->src_ip[i] << 8 | s->src_ip[i + 1]);
		sum += (uint32_t)(s->dst_ip[i] << 8 | s->dst_ip[i + 1]);
	}
	return sum + s->l4 + (uint32_t)l4len;
}

static size_t l4_header_len(uint8_t l4)
{
	return l4 == IPPROTO_TCP ? 20 : 8;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t buflen)
{
	size_t len = s->frame_len < 60 ? 60 : s->frame_len;
	uint8_t *p = buf, *l3, *l4;
	size_t l2, l3len, l4len, iphl, need;

	/* grow a frame too short for its headers */
	need = 14 + (s->vlan_outer >= 0 ? 4 : 0) + (s->vlan_inner >= 0 ? 4 : 0) +
	       (s->l3 == PKT_ARP ? 28 : (s->l3 == PKT_IPV4 ? 20 : 40) + l4_header_len(s->l4));
	if (len < need)
		len = need;
	if (len > buflen)
		return 0;
	memset(buf, 0, len);
	memcpy(p, s->dst_mac, 6);
	memcpy(p + 6, s->src_mac, 6);
	p += 12;
	if (s->vlan_outer >= 0) {
		p = put16(p, (uint16_t)(s->outer_tpid ? s->outer_tpid : 0x8100));
		p = put16(p, (uint16_t)s->vlan_outer);
	}
	if (s->vlan_inner >= 0) {
		p = put16(p, 0x8100);
		p = put16(p, (uint16_t)s->vlan_inner);
	}
	p = put16(p, s->l3 == PKT_IPV4 ? 0x0800 : s->l3 == PKT_IPV6 ? 0x86dd : 0x0806);
	l2 = (size_t)(p - buf);
	l3 = p;
	if (s->l3 == PKT_ARP) {
		static const uint8_t arp[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };

		memcpy(l3, arp, 8);
		memcpy(l3 + 8, s->src_mac, 6);
		memcpy(l3 + 14, s->src_ip, 4);
		memcpy(l3 + 24, s->dst_ip, 4);
		return len;
	}
	iphl = s->l3 == PKT_IPV4 ? 20 : 40;
	l3len = len - l2;
	l4 = l3 + iphl;
	l4len = l3len - iphl;
	/* payload pattern first, headers on top */
	for (size_t i = 0; i < l4len; i++)
		l4[i] = (uint8_t)(s->fill + i);
	if (s->l3 == PKT_IPV4) {
		l3[0] = 0x45;
		put16(l3 + 2, (uint16_t)l3len);
		put16(l3 + 4, s->ip_id);
		put16(l3 + 6, s->frag);
		l3[8] = s->ttl ? s->ttl : 64;
		l3[9] = s->l4;
		memcpy(l3 + 12, s->src_ip, 4);
		memcpy(l3 + 16, s->dst_ip, 4);
		put16(l3 + 10, pkt_csum(l3, 20, 0));
	} else {
		l3[0] = 0x60;
		put16(l3 + 4, (uint16_t)l4len);
		l3[6] = s->l4;
		l3[7] = s->ttl ? s->ttl : 64;
		memcpy(l3 + 8, s->src_ip, 16);
		memcpy(l3 + 24, s->dst_ip, 16);
	}
	if ((s->frag & 0x1fff) && s->l3 == PKT_IPV4)
		return len; /* a later fragment carries no L4 header */
	switch (s->l4) {
	case IPPROTO_UDP:
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)l4len);
		put16(l4 + 6, 0);
		put16(l4 + 6, pkt_csum(l4, l4len, pseudo_sum(s, l4len)));
		break;
	case IPPROTO_TCP:
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		memset(l4 + 4, 0, 16);
		l4[12] = 5 << 4;
		l4[13] = 0x18; /* PSH ACK */
		put16(l4 + 14, 65535);
		put16(l4 + 16, pkt_csum(l4, l4len, pseudo_sum(s, l4len)));
		break;
	default: /* ICMP / ICMPv6 echo request */
		l4[0] = s->l3 == PKT_IPV6 ? 128 : 8;
		l4[1] = 0;
		put16(l4 + 2, 0);
		put16(l4 + 4, s->sport);
		put16(l4 + 6, s->dport);
		put16(l4 + 2, pkt_csum(l4, l4len, s->l3 == PKT_IPV6 ?
					   pseudo_sum(s, l4len) : 0));
		break;
	}
	return len;
}
