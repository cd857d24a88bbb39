/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any text through the PFQ/lang front end; what compiles
 * also runs over a few frames and, when it only filters, through the
 * classic back end. */
#include <pfq/lang.h>

#include <linux/filter.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t frame_udp[] = {
	0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
	0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x03, 0xe8, 0, 53, 0, 8, 0, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	struct pfq_lang_diag diag;
	pfq_lang_program *p;

	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	p = pfq_lang_compile(src, &diag);
	if (p) {
		struct pfq_lang_decision d;

		pfq_lang_run(p, frame_udp, sizeof(frame_udp), NULL, &d);
		pfq_lang_run(p, frame_udp, 20, NULL, &d);
		pfq_lang_run(p, frame_udp, 0, NULL, &d);
		struct sock_fprog fp;

		if (pfq_lang_classic_compile(p, 1, &fp, &diag) == 0)
			free(fp.filter);
		pfq_lang_free(p);
	}
	free(src);
	return 0;
}
