/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Heuristics of the original RTP module, and GTP recognition.
 *  - SIP: TCP or UDP with port 5060 or 5061 on either side.
 *  - RTP/RTCP: UDP, both ports >= 1024, RTP version 2 in the first payload
 *    byte. Both ports odd: RTCP when the packet type is 200..204, else
 *    nothing. Otherwise RTP; with both ports even the payload type must be a
 *    known codec (< 19, > 95, or 25, 26, 28, 31, 32, 33, 34).
 *  - GTP: UDP port 2123 (control) or 2152 (user), version 1 header.
 */
#include "interp.h"

static bool known_codec(unsigned pt)
{
	return pt < 19 || pt > 95 || pt == 25 || pt == 26 || pt == 28 || pt == 31 ||
	       pt == 32 || pt == 33 || pt == 34;
}

enum voip_kind voip_classify(const struct pkt *p)
{
	uint32_t b0, b1;
	size_t pay;

	if (!pkt_is_flow(p))
		return VOIP_NONE;
	if (p->sport == 5060 || p->sport == 5061 || p->dport == 5060 || p->dport == 5061)
		return VOIP_SIP;
	if (!pkt_is_udp(p) || p->sport < 1024 || p->dport < 1024)
		return VOIP_NONE;
	pay = p->l4 + 8;
	if (!pkt_load(p, pay, 1, &b0) || !pkt_load(p, pay + 1, 1, &b1) || (b0 >> 6) != 2)
		return VOIP_NONE;
	if ((p->sport & 1) && (p->dport & 1))
		return b1 >= 200 && b1 <= 204 ? VOIP_RTCP : VOIP_NONE;
	if (!(p->sport & 1) && !(p->dport & 1) && !known_codec(b1 & 0x7f))
		return VOIP_NONE;
	return VOIP_RTP;
}

int gtp_kind(const struct pkt *p)
{
	uint32_t flags;
	int kind;

	if (!pkt_is_udp(p))
		return 0;
	if (p->sport == 2152 || p->dport == 2152)
		kind = 2;
	else if (p->sport == 2123 || p->dport == 2123)
		kind = 1;
	else
		return 0;
	/* version 1 header: 8 bytes, version in the top 3 bits of the flags */
	if (!pkt_load(p, p->l4 + 8, 1, &flags) || (flags >> 5) != 1 ||
	    p->len < p->l4 + 16)
		return 0;
	return kind;
}

/* addresses of the IPv4 packet carried by a GTP-U G-PDU */
bool gtp_inner_ipv4(const struct pkt *p, uint32_t *src, uint32_t *dst)
{
	uint32_t flags, type, v;
	size_t in;

	if (gtp_kind(p) != 2 || !pkt_load(p, p->l4 + 8, 1, &flags) ||
	    !pkt_load(p, p->l4 + 9, 1, &type) || type != 255)
		return false;
	in = p->l4 + 16 + ((flags & 0x07) ? 4 : 0);
	if (!pkt_load(p, in, 1, &v) || (v >> 4) != 4 || p->len < in + 20)
		return false;
	pkt_load(p, in + 12, 4, src);
	pkt_load(p, in + 16, 4, dst);
	return true;
}
