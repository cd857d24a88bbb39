/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Random well-typed PFQ/lang programs, drawn from the catalogue's own
 * signatures so that every function of it turns up: combinators nested in
 * each other (par .. par8, conditional, if-then-else, when, unless, inv,
 * >->, $), predicates and comparisons of properties, steering, VoIP, GTP,
 * blooms, forwarding, logs, and modules whose definitions (with and without
 * parameters, some using others) are each used at least twice.
 * Deterministic for a given seed.
 */
#ifndef PFQ_TEST_LANGGEN_H
#define PFQ_TEST_LANGGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framegen.h"

struct langgen {
	struct framegen rng;
	int depth;     /* nesting left for the expression being drawn */
	int ndefs;     /* definitions of the module being drawn */
	char defs[4][12];
	char kind[4];  /* 'f' no parameter, 'p' a predicate one, 'g' a function one, 'n' a number */
	int last;      /* the last prefix drawn (steer_local_net's two) */
	bool *seen;    /* catalogue functions drawn (indexed like pfq_lang_functions()) */
};

/* seen: an array of pfq_lang_functions() entries to mark, or NULL */
void langgen_init(struct langgen *g, uint64_t seed, bool *seen);
/* Write a program into buf (NUL-terminated); false when it did not fit. */
bool langgen_program(struct langgen *g, char *buf, size_t size);

#endif
