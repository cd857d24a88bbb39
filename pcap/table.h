/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which pcap_t are ours: a lock-free table, so that the question costs
 * nothing when no pfq handle is open (one load of a counter: shim.c's
 * ours()), little when some are (a scan of the slots in use, usually one),
 * never takes a lock, and can be asked from a signal handler
 * (pcap_breakloop).
 */
#ifndef PFQ_PCAP_TABLE_H
#define PFQ_PCAP_TABLE_H

#include <pcap/pcap.h>

struct pfqh;

/* live pfq handles, plus 1 until shim.c has resolved the system's
 * functions; read without a lock by every wrapped call */
extern int pfq_table_live;

struct pfqh *pfq_table_find(const pcap_t *p);
/* 0, or -1 when the table is full */
int pfq_table_add(pcap_t *p, struct pfqh *h);
void pfq_table_remove(const pcap_t *p);

#endif
