/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "framegen.h"

#include <string.h>

void framegen_init(struct framegen *g, uint64_t seed)
{
	g->state = seed * 6364136223846793005ull + 1442695040888963407ull;
}

uint32_t framegen_rand(struct framegen *g)
{
	/* xorshift64* */
	g->state ^= g->state >> 12;
	g->state ^= g->state << 25;
	g->state ^= g->state >> 27;
	return (uint32_t)((g->state * 2685821657736338717ull) >> 32);
}

static uint32_t pick(struct framegen *g, uint32_t n)
{
	return framegen_rand(g) % n;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	return put16(p + 2, (uint16_t)v) ;
}

/* addresses from a small pool, so that CIDRs, hosts and blooms match often */
static uint32_t addr4(struct framegen *g)
{
	static const uint32_t pool[] = {
		0x0a000001, 0x0a000002, 0x0a010203, 0xc0a8000d, 0xc0a8002a, 0xc0a80101,
		0xffffffff, 0xe0000001, 0xac100001, 0x08080808, 0x0a0a0a0a, 0xc0a80001 };

	return pick(g, 4) ? pool[pick(g, sizeof(pool) / sizeof(pool[0]))] : framegen_rand(g);
}

static uint16_t port(struct framegen *g)
{
	static const uint16_t pool[] = { 53, 80, 443, 1000, 5060, 5061, 2152, 2123, 5004,
					 5005, 6000, 6001, 40000, 1024, 1023, 0 };

	return pick(g, 3) ? pool[pick(g, sizeof(pool) / sizeof(pool[0]))] : (uint16_t)framegen_rand(g);
}

/* L4 header + payload at p (room bytes); returns bytes written */
static size_t l4(struct framegen *g, uint8_t *p, uint8_t proto, size_t room, int v6)
{
	size_t n = 0, pay = pick(g, 40);
	uint16_t sp = port(g), dp = port(g);

	if (proto == 6) {
		put16(p, sp);
		put16(p + 2, dp);
		put32(p + 4, framegen_rand(g));
		put32(p + 8, framegen_rand(g));
		p[12] = (uint8_t)((pick(g, 10) ? 5 + pick(g, 3) : pick(g, 16)) << 4);
		p[13] = (uint8_t)framegen_rand(g);
		put16(p + 14, 1024);
		n = 20 + (size_t)((p[12] >> 4) > 5 ? ((p[12] >> 4) - 5) * 4 : 0);
	} else if (proto == 17) {
		put16(p, sp);
		put16(p + 2, dp);
		put16(p + 6, 0);
		n = 8;
		/* RTP / RTCP / GTP-looking payloads */
		uint32_t k = pick(g, 4);

		if (k == 0) {
			p[8] = pick(g, 4) ? 0x80 : (uint8_t)framegen_rand(g);
			p[9] = (uint8_t)(pick(g, 2) ? 200 + pick(g, 6) : pick(g, 128));
			n += 2;
		} else if (k == 1) {
			uint8_t flags = pick(g, 4) ? 0x30 : (uint8_t)(0x30 | pick(g, 8));

			p[8] = pick(g, 8) ? flags : (uint8_t)framegen_rand(g);
			p[9] = pick(g, 4) ? 255 : (uint8_t)framegen_rand(g);
			put16(p + 10, 28);
			put32(p + 12, 1);
			n = 16 + ((flags & 7) ? 4 : 0);
			memset(p + 16, 0, 4);
			/* an inner IPv4 header */
			uint8_t *in = p + n;

			memset(in, 0, 20);
			in[0] = pick(g, 6) ? 0x45 : 0x60;
			in[9] = 17;
			put32(in + 12, addr4(g));
			put32(in + 16, addr4(g));
			n += 20;
		}
		put16(p + 4, (uint16_t)(n + pay));
	} else if (proto == 1 || proto == 58) {
		p[0] = (uint8_t)(pick(g, 2) ? (v6 ? 128 : 8) : framegen_rand(g));
		p[1] = (uint8_t)pick(g, 4);
		n = 8;
	}
	if (n > room)
		n = room;
	for (size_t i = 0; i < pay && n + i < room; i++)
		p[n + i] = (uint8_t)framegen_rand(g);
	return n + pay < room ? n + pay : room;
}

size_t framegen_next(struct framegen *g, uint8_t *buf)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 47, 6, 17 };
	uint8_t *p = buf;
	size_t len;

	memset(buf, 0, FRAMEGEN_MAX);
	/* MACs: unicast, broadcast, multicast, the "gateway" 02:00:00:00:00:01 */
	for (int m = 0; m < 2; m++) {
		uint32_t k = pick(g, 8);

		if (k == 0)
			memset(p, 0xff, 6);
		else if (k == 1)
			p[0] = 0x01, p[5] = (uint8_t)framegen_rand(g);
		else
			p[0] = 0x02, p[5] = (uint8_t)(1 + pick(g, 3));
		p += 6;
	}
	/* VLAN tags inline: none, one (802.1Q or 802.1ad), QinQ */
	uint32_t tags = pick(g, 10) < 6 ? 0 : 1 + pick(g, 2);

	for (uint32_t t = 0; t < tags; t++) {
		p = put16(p, t == 0 && pick(g, 3) == 0 ? 0x88a8 : 0x8100);
		p = put16(p, (uint16_t)(pick(g, 2) ? 42 + pick(g, 3) : framegen_rand(g)));
	}
	uint32_t l3 = pick(g, 10);

	if (l3 < 5) { /* IPv4 */
		p = put16(p, 0x0800);
		uint8_t *ip = p;
		uint32_t ihl = pick(g, 8) ? 5 : (pick(g, 4) ? 5 + pick(g, 4) : pick(g, 16));
		uint8_t proto = protos[pick(g, sizeof(protos))];

		ip[0] = (uint8_t)((pick(g, 20) ? 4 : pick(g, 16)) << 4 | (ihl & 0xf));
		ip[1] = (uint8_t)framegen_rand(g);
		put16(ip + 4, (uint16_t)framegen_rand(g));
		uint32_t f = pick(g, 6);

		put16(ip + 6, f == 0 ? 0x2000 : f == 1 ? (uint16_t)(185 + pick(g, 2) * 0x2000)
				      : f == 2 ? 0x4000 : 0);
		ip[8] = (uint8_t)(pick(g, 2) ? 64 : pick(g, 20));
		ip[9] = proto;
		put32(ip + 12, addr4(g));
		put32(ip + 16, addr4(g));
		size_t hl = ihl >= 5 ? ihl * 4 : 20;
		size_t n = l4(g, ip + hl, proto, FRAMEGEN_MAX - 100, 0);

		put16(ip + 2, (uint16_t)(hl + n));
		p = ip + hl + n;
	} else if (l3 < 8) { /* IPv6 with extension headers */
		p = put16(p, 0x86dd);
		uint8_t *ip = p;
		uint8_t proto = protos[pick(g, sizeof(protos))];

		ip[0] = pick(g, 20) ? 0x60 : 0x40;
		ip[7] = (uint8_t)pick(g, 256);
		for (int i = 0; i < 16; i++) {
			ip[8 + i] = (uint8_t)(i == 0 ? (pick(g, 5) ? 0x20 : 0xff) : pick(g, 3));
			ip[24 + i] = (uint8_t)(i == 0 ? (pick(g, 5) ? 0x20 : 0xff) : pick(g, 3));
		}
		uint8_t *q = ip + 40, *nh = ip + 6;
		uint32_t next = pick(g, 3) ? pick(g, 3) : pick(g, 11);

		for (uint32_t e = 0; e < next; e++) {
			static const uint8_t ext[] = { 0, 43, 44, 60, 51, 135 };
			uint8_t t = ext[pick(g, sizeof(ext))];

			*nh = t;
			nh = q;
			if (t == 44) {
				q[1] = 0;
				/* first, second (offset 8 bytes), later, any bits */
				static const uint16_t offs[] = { 0, 1 << 3, 185 << 3 };
				uint32_t r = pick(g, 4);

				put16(q + 2, (uint16_t)(r < 3 ? offs[r] | pick(g, 2) : framegen_rand(g)));
				q += 8;
			} else if (t == 51) {
				q[1] = (uint8_t)pick(g, 3);
				q += ((size_t)q[1] + 2) * 4;
			} else {
				q[1] = (uint8_t)pick(g, 2);
				q += ((size_t)q[1] + 1) * 8;
			}
		}
		*nh = proto;
		size_t n = l4(g, q, proto, FRAMEGEN_MAX - (size_t)(q - buf) - 8, 1);

		put16(ip + 4, (uint16_t)(q - ip - 40 + (long)n));
		p = q + n;
	} else if (l3 == 8) { /* ARP */
		p = put16(p, 0x0806);
		static const uint8_t arp[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };

		memcpy(p, arp, 8);
		p += 28;
	} else { /* another EtherType */
		static const uint16_t types[] = { 0x9000, 0x8035, 0x88cc, 0x0200, 0x8137 };

		p = put16(p, types[pick(g, 5)]);
		p += pick(g, 50);
	}
	len = (size_t)(p - buf);
	if (len < 60 && pick(g, 2))
		len = 60;
	/* odd ones: cut short anywhere, or a flipped byte */
	if (pick(g, 8) == 0)
		len = pick(g, (uint32_t)len + 1);
	if (pick(g, 16) == 0 && len)
		buf[pick(g, (uint32_t)len)] ^= (uint8_t)(1 + pick(g, 255));
	return len;
}
