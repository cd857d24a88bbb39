/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PFQ/lang programs that grow exponentially once expanded or compiled, for
 * the tests that check they are refused at once. */
#ifndef PFQ_TEST_BIGPROG_H
#define PFQ_TEST_BIGPROG_H

#include <stddef.h>

/* "filter (xor is_udp (xor is_udp ... is_tcp))", depth levels: xor copies
 * its second operand's code */
void bigprog_xor_chain(char *buf, size_t size, int depth);
/* "f x = par x x" applied depth times: 2^depth functions once expanded */
void bigprog_doubling(char *buf, size_t size, int depth);

#endif
