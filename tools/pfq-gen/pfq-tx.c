/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfq-gen --pfq: the frames go out through a libpfq TX queue. */
#include "pfq-tx.h"

#include <pfq/pfq.h>
#include <sched.h>
#include <stdio.h>

#include "sender.h"

long pfq_gen_send(const char *dev, uint8_t *const *frames, const size_t *lens, size_t nframes,
		  long count, uint64_t pps, uint64_t deadline_ns, const struct pfq_gen_tx *tx,
		  struct pfq_stats *st, char *err, size_t errlen)
{
	pfq_t *q = pfq_open_nogroup(64, 1, 0, (size_t)tx->slots);
	uint64_t start = sender_now_ns();
	long sent = 0;
	int rc = 0;

	if (!q) {
		snprintf(err, errlen, "%s", pfq_error(NULL));
		return -1;
	}
	if (pfq_set_tx_batch(q, (size_t)tx->batch) < 0 ||
	    pfq_bind_tx(q, dev, tx->queue, tx->thread_cpu) < 0) {
		snprintf(err, errlen, "%s", pfq_error(q));
		pfq_close(q);
		return -1;
	}
	for (long i = 0; i < count && rc >= 0; i++) {
		size_t f = (size_t)i % nframes;

		if (pps)
			sender_pace(start, i, pps);
		if (tx->batch == 1) {
			rc = pfq_send(q, frames[f], lens[f], 1);
		} else {
			/* a full queue: wait for the TX thread, or send what
			 * waits ourselves, and try again (a generator loses
			 * nothing on purpose) */
			while ((rc = pfq_send_async(q, frames[f], lens[f], 1)) == 0) {
				if (tx->thread_cpu == PFQ_NO_TX_THREAD)
					rc = pfq_sync_queue(q, 0);
				else
					sched_yield();
				if (rc < 0)
					break;
			}
		}
		/* (a clock read per frame would cost more than the send) */
		if (deadline_ns && i % 1024 == 1023 && sender_now_ns() > deadline_ns)
			break;
	}
	if (rc >= 0)
		rc = pfq_sync_queue(q, 0);
	if (rc < 0)
		snprintf(err, errlen, "%s", pfq_error(q));
	pfq_get_stats(q, st);
	sent = (long)st->sent;
	pfq_close(q);
	return rc < 0 ? -1 : sent;
}
