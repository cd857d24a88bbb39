/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bigprog.h"

#include <stdio.h>

void bigprog_nest(char *buf, size_t size, const char *head, const char *open,
		  const char *core, const char *close, int depth)
{
	size_t n = (size_t)snprintf(buf, size, "%s", head);

	for (int i = 0; i < depth && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s", open);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s", core);
	for (int i = 0; i < depth && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s", close);
}

void bigprog_xor_chain(char *buf, size_t size, int depth)
{
	bigprog_nest(buf, size, "filter ", "(xor is_udp ", "is_tcp", ")", depth);
}

void bigprog_doubling(char *buf, size_t size, int depth)
{
	bigprog_nest(buf, size, "f x = par x x\nmain = ", "f (", "unit", ")", depth);
}

void bigprog_deep(char *buf, size_t size, int shape, int depth)
{
	static const char *const nests[][4] = {
		{ "", "(", "unit", ")" },
		{ "filter ", "(not ", "is_tcp", ")" },
		{ "", "when is_tcp (", "kernel", ")" },
		{ "", "when is_udp $ ", "drop", "" },
		{ "", "if is_tcp then drop else ", "unit", "" },
	};
	size_t n;

	if (shape < (int)(sizeof(nests) / sizeof(nests[0]))) {
		bigprog_nest(buf, size, nests[shape][0], nests[shape][1], nests[shape][2],
			     nests[shape][3], depth);
		return;
	}
	/* a definition using the one before */
	n = (size_t)snprintf(buf, size, "d0 = drop\n");
	for (int i = 1; i <= depth && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "d%d = d%d\n", i, i - 1);
	if (n < size)
		snprintf(buf + n, size - n, "main = d%d\n", depth);
}
