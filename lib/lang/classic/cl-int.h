/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Classic back end internals: what the decoder leaves in scratch memory. */
#ifndef PFQ_LANG_CL_INT_H
#define PFQ_LANG_CL_INT_H

#include "classic.h"
#include "../lang-int.h"

/* Scratch words (classic M[]) the decoder fills, the same fields as the
 * interpreter's struct pkt. Offsets are in frame coordinates: when an outer
 * tag is inline (no tag in the skb), everything past it is 4 bytes further
 * than in the interpreter's view, and so is the length; checks compare the
 * two together, so they come out alike. */
enum cl_slot {
	M_TYPE,  /* EtherType after every tag; 0x10000 for frames under 14 bytes */
	M_IPV,   /* 4, 6 or 0 */
	M_PROTO, /* IPv4 protocol / IPv6 upper-layer header */
	M_FRAG,  /* bit 0 a fragment, bit 1 a later fragment */
	M_L4OK,  /* the L4 header of M_PROTO fits */
	M_SPORT, M_DPORT,
	M_SADDR, M_DADDR, /* IPv4 */
	M_VID,   /* VLAN id of the outer tag, 0 without one */
	M_V6MC,  /* an IPv6 multicast address */
	M_L3, M_L4, /* header offsets */
	M_T1, M_T2, /* temporaries */
	M_NSLOTS
};
_Static_assert(M_NSLOTS <= BPF_MEMWORDS, "classic BPF has 16 scratch words");

/* what a program needs decoded */
enum cl_need {
	N_VID = 1 << 0,
	N_TYPE = 1 << 1,
	N_IP = 1 << 2,    /* ipv */
	N_L4 = 1 << 3,    /* proto, fragments, l4ok */
	N_PORTS = 1 << 4,
	N_ADDR = 1 << 5,
	N_V6MC = 1 << 6,
	N_OFFS = 1 << 7,  /* M_L3 and M_L4 (properties read the headers) */
	N_V6 = 1 << 8,    /* something that holds for IPv6 (else IPv6 is "not IP") */
};

struct clg {
	struct casm *a;
	unsigned need;
};

/* Decode into the scratch words, then continue after the code. */
void cl_decode(struct clg *g);

#endif
