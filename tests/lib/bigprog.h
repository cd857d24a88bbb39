/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PFQ/lang programs that grow exponentially once expanded or compiled, or
 * nest deeply, for the tests that check they are refused at once or fit in
 * a small stack. */
#ifndef PFQ_TEST_BIGPROG_H
#define PFQ_TEST_BIGPROG_H

#include <stddef.h>

/* "filter (xor is_udp (xor is_udp ... is_tcp))", depth levels: xor copies
 * its second operand's code */
void bigprog_xor_chain(char *buf, size_t size, int depth);
/* "f x = par x x" applied depth times: 2^depth functions once expanded */
void bigprog_doubling(char *buf, size_t size, int depth);
/* head, then open repeated depth times, core, then close repeated depth
 * times: "filter (not (not ... is_tcp))" */
void bigprog_nest(char *buf, size_t size, const char *head, const char *open,
		  const char *core, const char *close, int depth);

/* the shapes of deeply nested programs: parentheses, not, when, `$`,
 * if-then-else, a definition using the one before */
#define BIGPROG_DEEP_SHAPES 6
/* shape (0 .. BIGPROG_DEEP_SHAPES - 1), nested depth levels */
void bigprog_deep(char *buf, size_t size, int shape, int depth);

#endif
