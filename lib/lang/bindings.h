/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The binding check: does a packet come from one of the (device, hw queue)
 * pairs a socket or a group is bound to? One generator per instruction set,
 * used by every program that tests bindings: the classic filter of a
 * socket with no group, a member's eBPF filter (its private bindings) and
 * the group program (the group's bindings).
 *
 * Both test the bindings in order, each one a block that goes to accept
 * when the packet matches it and falls to the next otherwise; after the
 * last, reject. A binding of ifindex 0 is every device, of queue
 * PFQ_ANY_QUEUE every hw queue. Drivers record rx queue n as the packet's
 * queue_mapping n + 1 (0: none recorded, taken as queue 0); a binding with
 * raw_queue (veth) compares the recorded value as is.
 */
#ifndef PFQ_LANG_BINDINGS_H
#define PFQ_LANG_BINDINGS_H

#include "group-abi.h"

struct emit;
struct casm;

/* eBPF, the context in r6: loads the ifindex into r2 and, when a binding
 * names a hw queue, the queue into r3 and the recorded value into r4 */
void pfq_bindings_ebpf(struct emit *e, const struct pfq_group_binding *b, int n, int accept,
		       int reject);

/* classic: uses A and, when a binding names a hw queue, the scratch words
 * PFQ_BINDINGS_M_RAW_QUEUE and PFQ_BINDINGS_M_QUEUE */
enum { PFQ_BINDINGS_M_RAW_QUEUE = 0, PFQ_BINDINGS_M_QUEUE = 1 };
void pfq_bindings_classic(struct casm *a, const struct pfq_group_binding *b, int n, int accept,
			  int reject);

#endif
