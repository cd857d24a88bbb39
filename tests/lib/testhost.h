/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test hosts for C tests: two network namespaces joined by veth pairs,
 * made by scripts/testhost.sh with a name unique to this process, removed
 * on destroy, at exit and on SIGINT/SIGTERM (and, as a last resort, by the
 * test runner, which removes every leftover "pfqt" namespace).
 */
#ifndef PFQ_TESTHOST_H
#define PFQ_TESTHOST_H

#include <stddef.h>
#include <stdint.h>

struct testhost {
	char name[48];
	char ns_a[64]; /* sender side: devices a0, a1, ... */
	char ns_b[64]; /* capture side: devices b0, b1, ... */
	int pairs;
};

/* Create a test host; returns 0 or -1 (message on stderr). */
int th_create(struct testhost *th, int pairs, int queues);
void th_destroy(struct testhost *th);
/* Run a shell command inside one side ('a' or 'b'); returns its status. */
int th_exec(const struct testhost *th, char side, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Open a raw sender on device dev ("a0": side A, "b0": side B); see
 * sender_open for bypass. -errno on error. */
int th_sender(const struct testhost *th, const char *dev, int bypass);
/* Run fn(arg) with the calling thread inside side B's namespace. */
int th_in_b(const struct testhost *th, int (*fn)(void *), void *arg);
/* tcx programs at the ingress of side B's device dev */
uint32_t th_tc_programs(const struct testhost *th, const char *dev);

/* Enter/leave a side's namespace (returns a handle or -errno). */
int th_enter(const struct testhost *th, char side);
void th_leave(int handle);

#endif
