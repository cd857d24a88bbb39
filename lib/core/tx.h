/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A socket's TX queue (tx.c), as the rest of lib/core sees it. */
#ifndef PFQ_TX_H
#define PFQ_TX_H

#include "pfq-int.h"
#include "vault.h"

/* a forked child's copy of the TX queue of a handle it inherited: freed,
 * nothing sent, nothing changed in the kernel */
void pfq_tx_forget(pfq_t *q);
/* the socket's TX counters (sent, disc, fail) into s */
void pfq_tx_stats(pfq_t *q, struct pfq_stats *s);

/* tx_queue.c: a TC egress program sending socket sock's frames on hw TX
 * queue `queue` of dev: its link fd, or -errno (message on q) */
int pfq_tx_queue_attach(pfq_t *q, int sock, const char *dev, int ifindex, int queue);
/* can hw TX queue `queue` of dev be chosen (it exists, no XPS map)? 0, or
 * -EINVAL/-EOPNOTSUPP with q's error set, prefixed by what */
int pfq_tx_queue_check(pfq_t *q, int sock, const char *dev, int ifindex, int queue,
		       const char *what);

#endif
