/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF back end of PFQ/lang, for computations that only filter:
 * every function passes or drops the packet (no classes, steering, state,
 * counters, logs or forwarding). Such a program runs as a classic socket
 * filter, whose packet loads the kernel inlines, so it costs what a pcap
 * filter costs. It decides exactly what the reference interpreter decides.
 */
#ifndef PFQ_LANG_CLASSIC_H
#define PFQ_LANG_CLASSIC_H

#include "../../bpf/casm.h"

#include <pfq/lang.h>
#include <stddef.h>
#include <stdint.h>

/* 0 when prog only filters (why empty); else -1 and why names the first
 * function that does more, or what else stands in the way */
int lang_classic_check(const pfq_lang_program *prog, char *why, size_t whylen);

/* Append prog to a: decoding, then a jump to pass or to drop. The code uses
 * A, X and every scratch word M[0..15]; it expects nothing from them. With
 * fast_accept >= 0, the copy for the common frame returns fast_accept or 0
 * itself instead of jumping (the caller's pass is a return of that value,
 * drop a return of 0). */
int lang_classic_emit(const pfq_lang_program *prog, struct casm *a, int pass, int drop,
		      int64_t fast_accept, char *why, size_t whylen);

/* every builtin's classic entry agrees with its result type (a property's
 * is a value, a predicate's a test, ...): 0, or -1 with err (for the tests) */
int lang_classic_forms_check(char *err, size_t errlen);

#endif
