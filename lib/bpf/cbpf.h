/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Classic BPF (what pcap_compile produces) translated to eBPF, so that a
 * group's pcap filter can run inside our generated programs, with the
 * ancillary loads libpcap emits (SKF_AD_*) mapped to skb context fields.
 */
#ifndef PFQ_BPF_CBPF_H
#define PFQ_BPF_CBPF_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

/* Translate and load as a socket filter: program fd, or -errno with err.
 * (Usable beside <pcap/bpf.h>: this part needs no eBPF headers.) */
int cbpf_load(const struct sock_fprog *prog, char *err, size_t errlen);

/* The checks the kernel makes of a classic program it is given
 * (SO_ATTACH_FILTER), for programs that reach it only inside a larger one:
 * 1..4096 instructions of known codes, no division by a constant 0 nor
 * shift by 32 or more, memory words 0..15 each read only once written on
 * every path to the read, jumps within the program, and a return as the
 * last instruction (jumps only go forward: so every path returns).
 * 0, or -1 with err ("instruction N: ..."). */
int cbpf_check(const struct sock_fprog *prog, char *err, size_t errlen);

#ifdef PFQ_BPF_EMIT_H
/*
 * Append the translation of prog to e. The classic program's "return K/A"
 * become: r0 = value, then a jump to ret_label (or an exit when ret_label
 * < 0). The code expects r6 = skb context and uses r0-r5, r7, r8 and 16
 * words of stack below stack_off (negative, e.g. -64 uses fp-64..fp-1).
 * Returns 0, or -1 with err filled.
 */
int cbpf_translate(struct emit *e, const struct sock_fprog *prog, int ret_label,
		   int stack_off, char *err, size_t errlen);
/* The same, for a hook where skb->data may not be the MAC header (a fanout
 * program: the network header of received packets): with mac_rel the
 * program's packet offsets and length are taken from the MAC header, as a
 * socket filter on a packet socket sees them. */
int cbpf_translate_rel(struct emit *e, const struct sock_fprog *prog, int ret_label,
		       int stack_off, bool mac_rel, char *err, size_t errlen);
#endif

#endif
