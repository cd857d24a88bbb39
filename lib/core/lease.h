/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a client says on its lease, a SOCK_SEQPACKET pair (lib/core/
 * pfqd_join.c, daemon/pfqd/join.c; docs/pfqd.md): its member's counters
 * now and then, a goodbye at pfq_close. Both ends are on one host: host
 * byte order.
 */
#ifndef PFQ_LEASE_H
#define PFQ_LEASE_H

#include <stdint.h>

#define LEASE_BYE "bye"
#define LEASE_REPORT_MAGIC 0x53514650u /* "PFQS" read as little-endian bytes */
/* pfqd's join answer says "lease_stats":1 when it reads these reports (a
 * client sends none to a pfqd that does not: it took any message for a
 * goodbye) */
#define LEASE_REPORT_VERSION 1

/* The importer's counts since the import: only it may read them
 * (PACKET_STATISTICS resets on read), and only pfqd may publish them (the
 * client never opens the registry). */
struct lease_report {
	uint32_t magic;
	uint32_t id; /* the member's pfq_id: pfqd takes only the lease's own */
	uint64_t recv;
	uint64_t lost;
};

#endif
