/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Collect what a PFQ socket receives, for comparisons in tests. */
#ifndef PFQ_TEST_CAPTURE_H
#define PFQ_TEST_CAPTURE_H

#include <pfq/pfq.h>
#include <stddef.h>
#include <stdint.h>

struct cap_pkt {
	struct pfq_pkthdr hdr;
	uint8_t data[2048];
};

struct capture {
	struct cap_pkt *pkts;
	size_t n, max;
};

void cap_init(struct capture *c, size_t max);
void cap_free(struct capture *c);
/* Read until `want` packets arrived or timeout_ms passed, then drain what
 * follows for quiet_ms. Returns packets collected. */
size_t cap_collect(pfq_t *q, struct capture *c, size_t want, int timeout_ms,
		   int quiet_ms);
uint64_t now_ms(void);

#endif
