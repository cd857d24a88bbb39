/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "capture.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cap_init(struct capture *c, size_t max)
{
	c->pkts = calloc(max, sizeof(*c->pkts));
	c->n = 0;
	c->max = max;
}

void cap_free(struct capture *c)
{
	free(c->pkts);
	c->pkts = NULL;
	c->n = c->max = 0;
}

static void take(struct capture *c, struct pfq_net_queue *nq)
{
	struct pfq_pkthdr hdr;
	const uint8_t *data;

	while (pfq_net_queue_next(nq, &hdr, &data)) {
		if (c->n == c->max)
			continue;
		struct cap_pkt *p = &c->pkts[c->n++];

		p->hdr = hdr;
		memcpy(p->data, data, hdr.caplen < sizeof(p->data) ? hdr.caplen
								  : sizeof(p->data));
	}
}

size_t cap_collect(pfq_t *q, struct capture *c, size_t want, int timeout_ms,
		   int quiet_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms, quiet_end = 0;
	struct pfq_net_queue nq;

	for (;;) {
		uint64_t t = now_ms();

		if (c->n >= want && !quiet_end)
			quiet_end = t + (uint64_t)quiet_ms;
		if ((quiet_end && t >= quiet_end) || t >= end)
			break;
		if (pfq_read(q, &nq, 20000) > 0)
			take(c, &nq);
	}
	return c->n;
}
