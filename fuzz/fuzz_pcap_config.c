/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: pfq pcap device names and config file text. The first
 * line is read as a device name, the rest as a config file. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *nl, err[256];
	struct pfq_pcap_config c;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pfq_pcap_config_init(&c);
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	pfq_pcap_parse_device(text, &c, err, sizeof(err));
	if (nl)
		pfq_pcap_config_text(&c, nl + 1, "fuzz", err, sizeof(err));
	pfq_pcap_config_free(&c);
	free(text);
	return 0;
}
