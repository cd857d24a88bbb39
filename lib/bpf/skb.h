/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offsets into the context of a socket filter or TC program (struct
 * __sk_buff), as the 16-bit offsets of load and store instructions: the
 * one place every eBPF generator of libpfq (the translator of classic
 * programs, the member filter, the PFQ/lang back end) takes them from.
 */
#ifndef PFQ_BPF_SKB_H
#define PFQ_BPF_SKB_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

/* a field of struct __sk_buff */
#define SKB_OFF(field) ((int16_t)offsetof(struct __sk_buff, field))
/* word i of __sk_buff.cb[] (the group program's words: enum pfq_group_cb) */
#define SKB_CB_OFF(i) ((int16_t)(offsetof(struct __sk_buff, cb) + 4 * (i)))

#endif
