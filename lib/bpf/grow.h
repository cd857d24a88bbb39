/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Growing arrays of the instruction buffers (emit.c, casm.c). */
#ifndef PFQ_BPF_GROW_H
#define PFQ_BPF_GROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* make *p (*cap elements of size bytes) hold at least need elements,
 * doubling; false when memory runs out (*p is left as it was) */
static inline bool bpf_grow(void **p, int *cap, int need, size_t size)
{
	int ncap;
	void *np;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 128;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, (size_t)ncap * size);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

#endif
