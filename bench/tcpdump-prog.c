/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tcpdump-prog.h"

#include <stdio.h>

int tcpdump_program(const char *expr, struct sock_filter *ins, int max)
{
	char cmd[1024];
	unsigned short n = 0;
	FILE *f;

	if (snprintf(cmd, sizeof(cmd), "tcpdump -ddd -y EN10MB -s 262144 '%s' 2>/dev/null",
		     expr) >= (int)sizeof(cmd))
		return -1;
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%hu", &n) != 1 || n > max)
		n = 0;
	for (int k = 0; k < n; k++) {
		unsigned code, jt, jf, kk;

		if (fscanf(f, "%u %u %u %u", &code, &jt, &jf, &kk) != 4) {
			n = 0;
			break;
		}
		ins[k] = (struct sock_filter){ (unsigned short)code, (unsigned char)jt,
					       (unsigned char)jf, kk };
	}
	pclose(f);
	return n ? n : -1;
}
