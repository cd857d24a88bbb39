/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpcap's classic program for a tcpdump expression, as the benchmarks
 * compare against it (Ethernet, snap length 262144, `tcpdump -ddd`). */
#ifndef PFQ_BENCH_TCPDUMP_PROG_H
#define PFQ_BENCH_TCPDUMP_PROG_H

#include <linux/filter.h>

/* fill ins (room for max) and return its length, or -1 */
int tcpdump_program(const char *expr, struct sock_filter *ins, int max);

#endif
