/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_registry.h"

#include <stdio.h>
#include <stdlib.h>

int test_registry_enter(char *template)
{
	if (!mkdtemp(template))
		return -1;
	return setenv("PFQ_RUN_DIR", template, 1);
}

int test_registry_leave(const char *dir, int rc)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0 && !rc)
		rc = 1;
	return rc;
}
