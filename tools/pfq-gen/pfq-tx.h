/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef PFQ_GEN_TX_H
#define PFQ_GEN_TX_H

#include <stddef.h>
#include <stdint.h>

struct pfq_stats;

/* how pfq-gen --pfq sends */
struct pfq_gen_tx {
	long batch;      /* tx_batch: 1 = pfq_send, more = pfq_send_async */
	int thread_cpu;  /* PFQ_NO_TX_THREAD or the TX thread's CPU */
	int queue;       /* PFQ_ANY_QUEUE or a hw TX queue */
	long slots;      /* tx_slots */
};

/* Send count frames (cycling through nframes) on dev through a libpfq TX
 * queue, at pps (0: as fast as it goes), until deadline_ns (0: none). The
 * frames sent, with the socket's stats in *st; -1 with err filled. */
long pfq_gen_send(const char *dev, uint8_t *const *frames, const size_t *lens, size_t nframes,
		  long count, uint64_t pps, uint64_t deadline_ns, const struct pfq_gen_tx *tx,
		  struct pfq_stats *st, char *err, size_t errlen);

#endif
