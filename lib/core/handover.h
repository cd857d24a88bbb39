/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The description of a socket handed over (handover.c): internal, but
 * tests build broken ones from it. */
#ifndef PFQ_HANDOVER_H
#define PFQ_HANDOVER_H

#include <pfq/pfq.h>

#include <stdint.h>

#define HANDOVER_MAGIC 0x48514650u /* "PFQH" read as little-endian bytes */
#define HANDOVER_VERSION 1u
#define HANDOVER_TSTAMP 1u

/* one ring: its geometry and the block the reader looks at next */
struct handover_ring {
	uint32_t block_size;
	uint32_t block_nr;
	uint32_t frame_size;
	uint32_t cur;
};

/* The description, in host byte order (both ends are on one host). A new
 * version may grow it; a reader takes only the version it knows. */
struct handover_blob {
	uint32_t magic;
	uint16_t version;
	uint16_t size;  /* sizeof(struct handover_blob) of its version */
	uint32_t nfds;  /* PFQ_HANDOVER_FDS: main socket, fanout socket */
	uint32_t id;    /* pfq_id of the socket (its member id) */
	int32_t gid;
	uint32_t caplen;
	uint32_t rx_slots;
	uint32_t flags; /* HANDOVER_TSTAMP */
	int32_t weight;
	int32_t dirs;
	uint64_t cookie[PFQ_HANDOVER_FDS];
	struct handover_ring ring[PFQ_HANDOVER_FDS];
};

_Static_assert(sizeof(struct handover_blob) <= PFQ_HANDOVER_BLOB_MAX,
	       "the description must fit the size the header promises");

#endif
