/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "packet.h"

#include <string.h>

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool is_vlan_type(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8;
}

uint32_t pkt_fold6(const uint8_t a[16])
{
	return be32(a) ^ be32(a + 4) ^ be32(a + 8) ^ be32(a + 12);
}

uint32_t pkt_src32(const struct pkt *p)
{
	return p->ipv == 4 ? p->saddr : pkt_fold6(p->saddr6);
}

uint32_t pkt_dst32(const struct pkt *p)
{
	return p->ipv == 4 ? p->daddr : pkt_fold6(p->daddr6);
}

bool pkt_load(const struct pkt *p, size_t off, int n, uint32_t *v)
{
	uint32_t r = 0;

	if (n < 1 || n > 4 || off > p->len || p->len - off < (size_t)n)
		return false;
	for (int i = 0; i < n; i++)
		r = r << 8 | p->d[off + (size_t)i];
	*v = r;
	return true;
}

static size_t l4_min(uint8_t proto)
{
	switch (proto) {
	case 6: return 20;
	case 17: return 8;
	case 1: case 58: return 8;
	default: return 0;
	}
}

static void decode_ipv4(struct pkt *p)
{
	const uint8_t *ip = p->d + p->l3;
	size_t ihl;

	if (p->len < p->l3 + 20 || (ip[0] >> 4) != 4)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || p->len < p->l3 + ihl)
		return;
	p->ipv = 4;
	p->tos = ip[1];
	p->tot_len = be16(ip + 2);
	p->ip_id = be16(ip + 4);
	p->frag_off = be16(ip + 6);
	p->ttl = ip[8];
	p->proto = ip[9];
	p->saddr = be32(ip + 12);
	p->daddr = be32(ip + 16);
	p->later_frag = (p->frag_off & 0x1fff) != 0;
	p->frag = p->later_frag || (p->frag_off & 0x2000);
	p->l4 = p->l3 + ihl;
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 135;
}

static void decode_ipv6(struct pkt *p)
{
	const uint8_t *ip = p->d + p->l3;
	size_t off;
	uint8_t nh;

	if (p->len < p->l3 + 40 || (ip[0] >> 4) != 6)
		return;
	memcpy(p->saddr6, ip + 8, 16);
	memcpy(p->daddr6, ip + 24, 16);
	nh = ip[6];
	off = p->l3 + 40;
	for (int i = 0; i < PKT_MAX_IPV6_EXT && ipv6_ext(nh); i++) {
		const uint8_t *e = p->d + off;
		size_t elen;

		if (p->len < off + 8)
			return; /* extension header cut short: not a usable IPv6 packet */
		if (nh == 44) {
			uint16_t fo = be16(e + 2);

			/* several fragment headers (malformed): any of them counts */
			p->later_frag |= (fo & 0xfff8) != 0;
			p->frag |= p->later_frag || (fo & 1);
			elen = 8;
		} else if (nh == 51) {
			elen = ((size_t)e[1] + 2) * 4;
		} else {
			elen = ((size_t)e[1] + 1) * 8;
		}
		nh = e[0];
		off += elen;
		if (off > p->len)
			return;
	}
	if (ipv6_ext(nh))
		return; /* more extension headers than we follow */
	p->ipv = 6;
	p->ttl = ip[7];
	p->proto = nh;
	p->l4 = off;
}

void pkt_decode(struct pkt *p, const uint8_t *frame, size_t len, bool meta_vlan,
		uint16_t meta_tci, uint16_t meta_tpid, uint8_t *buf)
{
	size_t off;

	memset(p, 0, sizeof(*p));
	if (len > PKT_MAX_FRAME)
		len = PKT_MAX_FRAME;
	p->d = frame;
	p->len = len;
	if (meta_vlan) {
		p->vlan = true;
		p->tci = meta_tci;
		p->tpid = meta_tpid ? meta_tpid : 0x8100;
	} else if (len >= 18 && is_vlan_type(be16(frame + 12))) {
		/* take the inline outer tag out, as the kernel does on receive */
		p->vlan = true;
		p->tpid = be16(frame + 12);
		p->tci = be16(frame + 14);
		memcpy(buf, frame, 12);
		memcpy(buf + 12, frame + 16, len - 16);
		p->d = buf;
		p->len = len - 4;
	}
	if (p->len < 14)
		return;
	off = 12;
	p->l3_type = be16(p->d + off);
	/* inner tags (QinQ) stay inline; L3 functions look through them */
	for (int i = 0; i < 4 && is_vlan_type(p->l3_type) && p->len >= off + 6; i++) {
		off += 4;
		p->l3_type = be16(p->d + off);
	}
	p->l3 = off + 2;
	if (is_vlan_type(p->l3_type))
		return;
	if (p->l3_type == 0x0800)
		decode_ipv4(p);
	else if (p->l3_type == 0x86dd)
		decode_ipv6(p);
	if (!p->ipv || p->later_frag)
		return;
	size_t need = l4_min(p->proto);

	if (need && p->len >= p->l4 + need) {
		p->l4ok = true;
		if (p->proto == 6 || p->proto == 17) {
			p->sport = be16(p->d + p->l4);
			p->dport = be16(p->d + p->l4 + 2);
		}
		if (p->proto == 6 && ((p->d[p->l4 + 12] >> 4) < 5))
			p->l4ok = false; /* TCP data offset below the minimum header */
	}
}
