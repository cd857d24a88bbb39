/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: pfqd's configuration file (daemon/pfqd/conf.h), parsed
 * without system look-ups; the groups found are copied and compared as a
 * reload would. */
#include "conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct pfqd_conf c;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pfqd_conf_parse_text(&c, text, "fuzz.conf", PFQD_CONF_SYNTAX_ONLY);
	for (int i = 0; i < c.ngroups; i++) {
		struct pfqd_group g;

		if (pfqd_group_copy(&g, &c.groups[i]) == 0) {
			if (!pfqd_group_equal(&g, &c.groups[i]))
				abort();
			pfqd_group_free(&g);
		}
	}
	pfqd_conf_free(&c);
	free(text);
	return 0;
}
