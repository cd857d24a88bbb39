/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any text through the PFQ/lang front end; what compiles
 * also runs over a few frames, is dumped and, when it only filters, goes
 * through the classic back end. All of it on a thread with a stack of its
 * own, which no input may overflow: 1 MB holds the deepest program in the
 * normal builds (unit_lang); this build (clang -O0, ASan, coverage) makes
 * frames up to ten times larger, hence 8 MB. */
#include <pfq/lang.h>

#include <linux/filter.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t frame_udp[] = {
	0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
	0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x03, 0xe8, 0, 53, 0, 8, 0, 0 };

static void *one(void *arg)
{
	struct pfq_lang_diag diag;
	pfq_lang_program *p = pfq_lang_compile(arg, &diag);

	if (p) {
		struct pfq_lang_decision d;
		FILE *null = fopen("/dev/null", "w");

		pfq_lang_run(p, frame_udp, sizeof(frame_udp), NULL, &d);
		pfq_lang_run(p, frame_udp, 20, NULL, &d);
		pfq_lang_run(p, frame_udp, 0, NULL, &d);
		if (null) {
			pfq_lang_dump(p, null);
			fclose(null);
		}
		struct sock_fprog fp;

		if (pfq_lang_classic_compile(p, 1, &fp, &diag) == 0)
			free(fp.filter);
		pfq_lang_free(p);
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	pthread_attr_t a;
	pthread_t t;

	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	if (pthread_attr_init(&a) || pthread_attr_setstacksize(&a, 8 << 20) ||
	    pthread_create(&t, &a, one, src) || pthread_join(t, NULL))
		abort();
	pthread_attr_destroy(&a);
	free(src);
	return 0;
}
