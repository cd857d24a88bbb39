/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "smallstack.h"

#include <pthread.h>

struct call {
	void (*fn)(void *);
	void *arg;
};

static void *trampoline(void *p)
{
	struct call *c = p;

	c->fn(c->arg);
	return NULL;
}

int run_with_stack(size_t stack_bytes, void (*fn)(void *), void *arg)
{
	struct call c = { fn, arg };
	pthread_attr_t a;
	pthread_t t;
	int rc = pthread_attr_init(&a);

	if (!rc)
		rc = pthread_attr_setstacksize(&a, stack_bytes);
	if (!rc)
		rc = pthread_create(&t, &a, trampoline, &c);
	if (!rc)
		rc = pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	return rc;
}
