/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bloom filters of IPv4 addresses, as the original built them: m bits
 * (rounded up to a power of two, at most 2^24), each address masked to the
 * prefix and hashed four times from its bytes A.B.C.D.
 */
#include "interp.h"

#include <arpa/inet.h>
#include <stdlib.h>

static uint32_t mix(uint32_t a, uint32_t b, uint32_t c)
{
	return ((a ^ b ^ c) & 0xff) | (((b ^ c) & 0xff) << 8) | ((c & 0xff) << 16);
}

static void hashes(uint32_t v, uint32_t m, uint32_t h[4])
{
	uint32_t A = v >> 24, B = (v >> 16) & 0xff, C = (v >> 8) & 0xff, D = v & 0xff;

	h[0] = mix(A, B, C) & (m - 1);
	h[1] = mix(A, B, D) & (m - 1);
	h[2] = mix(A, C, D) & (m - 1);
	h[3] = mix(B, C, D) & (m - 1);
}

struct bloom *bloom_build(uint32_t m, const uint32_t *ips, int n, int prefix)
{
	struct bloom *b = calloc(1, sizeof(*b));
	uint32_t bits = 8;

	if (!b)
		return NULL;
	while (bits < m && bits < (1u << 24))
		bits <<= 1;
	b->mbits = bits;
	b->mask = prefix ? ~0u << (32 - prefix) : 0;
	b->bits = calloc(bits / 8, 1);
	if (!b->bits) {
		free(b);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		uint32_t h[4], v = ntohl(ips[i]) & b->mask;

		hashes(v, bits, h);
		for (int k = 0; k < 4; k++)
			b->bits[h[k] >> 3] |= (uint8_t)(1u << (h[k] & 7));
	}
	return b;
}

bool bloom_test(const struct bloom *b, uint32_t addr_host)
{
	uint32_t h[4];

	hashes(addr_host & b->mask, b->mbits, h);
	for (int k = 0; k < 4; k++)
		if (!(b->bits[h[k] >> 3] & (1u << (h[k] & 7))))
			return false;
	return true;
}

void bloom_free(struct bloom *b)
{
	if (b) {
		free(b->bits);
		free(b);
	}
}
