/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any frame through the reference interpreter, with a
 * program chosen by the first byte (programs that read every header). */
#include <pfq/lang.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *programs[] = {
	"steer_flow",
	"steer_rtp >-> classify 3",
	"steer_voip",
	"steer_gtp_usr \"10.0.0.0\" 8",
	"double_steer_ip >-> log_packet",
	"steer_local_link \"02:00:00:00:00:01\" >-> log_buff",
	"steer_field_symmetric 26 30 4",
	"when ((ip_ttl .< 10) .||. (tcp_hdrlen .> 20) .||. (udp_len .== 8) .||. (icmp_code .== 1)) drop",
	"filter (is_voip .||. is_gtp .||. is_frag .||. has_vid 42 .||. is_ip_multicast)",
	"par3 (tcp >-> steer_flow) (udp >-> steer_p2p) (icmp >-> steer_vlan)",
	"vlan_id_filter [-1, 0, 42] >-> bloom_filter 64 [\"10.0.0.1\"] 24",
	"when is_first_frag (inc 1) >-> when is_more_frag (inc 2) >-> no_frag",
};
#define NPROG (sizeof(programs) / sizeof(programs[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pfq_lang_program *compiled[NPROG];
	struct pfq_lang_meta meta = { 0 };
	struct pfq_lang_decision d;
	uint8_t *frame;

	if (size < 2)
		return 0;
	if (!compiled[0])
		for (size_t i = 0; i < NPROG; i++)
			if (!(compiled[i] = pfq_lang_compile(programs[i], NULL)))
				abort();
	meta.vlan_present = data[1] & 1;
	meta.vlan_tci = (uint16_t)(data[1] << 4);
	/* an exact-size copy, so ASan sees any read past the end */
	frame = malloc(size - 2 ? size - 2 : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + 2, size - 2);
	pfq_lang_run(compiled[data[0] % NPROG], frame, size - 2, &meta, &d);
	free(frame);
	return 0;
}
