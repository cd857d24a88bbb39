/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run a function on a thread with a small stack, as a library call made by
 * a thread of an application may have (the library must fit in it). */
#ifndef PFQ_TEST_SMALLSTACK_H
#define PFQ_TEST_SMALLSTACK_H

#include <stddef.h>

/* run fn(arg) on a new thread of stack_bytes and wait for it: 0, or the
 * error of creating the thread (a stack overflow kills the test) */
int run_with_stack(size_t stack_bytes, void (*fn)(void *), void *arg);

#endif
