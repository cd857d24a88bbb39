/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A socket's TX queue (tx.c), as the rest of lib/core sees it. */
#ifndef PFQ_TX_H
#define PFQ_TX_H

#include "pfq-int.h"

/* the socket's TX counters (sent, disc, fail) into s */
void pfq_tx_stats(pfq_t *q, struct pfq_stats *s);
/* at pfq_close: flush, stop the TX thread, free the ring */
void pfq_tx_close(pfq_t *q);

#endif
