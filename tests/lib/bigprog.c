/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bigprog.h"

#include <stdio.h>

static void nest(char *buf, size_t size, const char *head, const char *open, const char *core,
		 int depth)
{
	size_t n = (size_t)snprintf(buf, size, "%s", head);

	for (int i = 0; i < depth && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s", open);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s", core);
	for (int i = 0; i < depth && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, ")");
}

void bigprog_xor_chain(char *buf, size_t size, int depth)
{
	nest(buf, size, "filter ", "(xor is_udp ", "is_tcp", depth);
}

void bigprog_doubling(char *buf, size_t size, int depth)
{
	nest(buf, size, "f x = par x x\nmain = ", "f (", "unit", depth);
}
