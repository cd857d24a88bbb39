/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drop-in build of libpfq-pcap is named libpcap.so.0.8, so it must define
 * every function the system libpcap exports (programs like tcpdump bind all
 * their imports at start). The ones shim.c does not implement are forwarded
 * as they are: each is a jump to the system function, whose address a
 * constructor looks up before the program runs. No prototype is needed, the
 * arguments are left untouched. x86-64 only.
 */
/* (no libpcap header here: the trampolines take no declared prototype) */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *shim_system_libpcap(void);

#if !defined(__x86_64__)
#error "the libpcap drop-in forwards with x86-64 jumps"
#endif

#define FORWARDED(X) \
	X(bpf_dump) \
	X(bpf_filter) \
	X(bpf_image) \
	X(bpf_validate) \
	X(pcap_compile_nopcap) \
	X(pcap_datalink_name_to_val) \
	X(pcap_datalink_val_to_description) \
	X(pcap_datalink_val_to_description_or_dlt) \
	X(pcap_datalink_val_to_name) \
	X(pcap_dump) \
	X(pcap_dump_close) \
	X(pcap_dump_file) \
	X(pcap_dump_flush) \
	X(pcap_dump_ftell) \
	X(pcap_dump_ftell64) \
	X(pcap_ether_aton) \
	X(pcap_ether_hostton) \
	X(pcap_free_datalinks) \
	X(pcap_free_tstamp_types) \
	X(pcap_freealldevs) \
	X(pcap_freecode) \
	X(pcap_init) \
	X(pcap_lib_version) \
	X(pcap_lookupdev) \
	X(pcap_nametoaddr) \
	X(pcap_nametoaddrinfo) \
	X(pcap_nametoeproto) \
	X(pcap_nametollc) \
	X(pcap_nametonetaddr) \
	X(pcap_nametoport) \
	X(pcap_nametoportrange) \
	X(pcap_nametoproto) \
	X(pcap_next_etherent) \
	X(pcap_offline_filter) \
	X(pcap_open_dead) \
	X(pcap_open_dead_with_tstamp_precision) \
	X(pcap_open_offline) \
	X(pcap_open_offline_with_tstamp_precision) \
	X(pcap_statustostr) \
	X(pcap_strerror) \
	X(pcap_tstamp_type_name_to_val) \
	X(pcap_tstamp_type_val_to_description) \
	X(pcap_tstamp_type_val_to_name) \
	X(pcap_fopen_offline) \
	X(pcap_fopen_offline_with_tstamp_precision)

#define SLOT(name) void *fwd_##name;
static struct { FORWARDED(SLOT) } fwd;

#define TRAMPOLINE(name)                                                        \
	__attribute__((naked, visibility("default"))) void name(void)           \
	{                                                                       \
		__asm__ volatile("jmp *%0" : : "m"(fwd.fwd_##name));            \
	}
FORWARDED(TRAMPOLINE)

/* The deprecated version string, a data symbol: the system libpcap's
 * version, in an array of the same size. A program that refers to it has
 * its own copy, as large as the library it was linked with made it, which
 * the loader fills from ours: larger, it wrote over the program's memory. */
__attribute__((visibility("default"))) char pcap_version[] = PFQ_SYSTEM_PCAP_VERSION;

__attribute__((constructor)) static void resolve(void)
{
	void *lib = shim_system_libpcap();

	if (!lib) {
		fprintf(stderr, "libpfq-pcap: cannot open the system libpcap: %s\n", dlerror());
		abort();
	}
#define RESOLVE(name)                                                                   \
	if (!(fwd.fwd_##name = dlsym(lib, #name))) {                                    \
		fprintf(stderr, "libpfq-pcap: the system libpcap has no %s\n", #name);  \
		abort();                                                                \
	}
	FORWARDED(RESOLVE)
}
