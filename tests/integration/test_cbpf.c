/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Classic BPF translation: for 100+ tcpdump filter expressions compiled by
 * libpcap, our eBPF translation accepts exactly the frames the kernel's own
 * classic filter accepts, with the same snap length. Both filters sit on
 * sockets of the same device of a test host and see the same traffic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../lib/bpf/cbpf.h"
#include <pfq/lang.h>
#include "framegen.h"
#include "sender.h"
#include "testhost.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

static const char *exprs[] = {
	"tcp", "udp", "icmp", "arp", "ip", "ip6", "icmp6", "not ip", "not tcp and not udp",
	"port 53", "tcp port 80", "udp port 53", "src port 1000", "dst port 80", "port 5060 or port 5061",
	"portrange 1000-2000", "tcp portrange 1-1023", "udp dst portrange 5000-6001",
	"host 10.0.0.1", "src host 10.0.0.2", "dst host 192.168.0.13", "net 192.168.0.0/16",
	"src net 10.0.0.0/8", "dst net 10.0.0.0 mask 255.255.255.0", "host 10.0.0.1 and host 10.0.0.2",
	"ip broadcast", "ip multicast", "ether broadcast", "ether multicast",
	"ether src 02:00:00:00:00:01", "ether dst ff:ff:ff:ff:ff:ff", "ether host 02:00:00:00:00:02",
	"ether proto 0x88cc", "ether proto 0x9000", "ether[12:2] = 0x0800", "ether[0] & 1 = 1",
	"vlan", "vlan 42", "vlan 43 or vlan 44", "vlan and ip", "vlan and udp", "vlan and tcp port 80",
	"not vlan", "vlan 42 and vlan", "vlan and vlan 44",
	"ip proto 47", "ip proto \\tcp", "ip6 proto 17", "ip6 and tcp", "ip6 and udp port 53",
	"ip6 host 2000::1", "ip6 net 2000::/8", "ip6 multicast",
	"ip[8] < 64", "ip[8] = 64", "ip[1] & 0x80 != 0", "ip[6:2] & 0x1fff != 0",
	"ip[6:2] & 0x2000 != 0", "ip[0] & 0xf > 5", "ip[2:2] > 100",
	"tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-ack",
	"tcp[tcpflags] & tcp-fin != 0", "tcp[12] & 0xf0 > 0x50", "tcp[0:2] > 1023",
	"udp[8:2] & 0xc000 = 0x8000", "udp[9] >= 200", "udp[4:2] > 30", "icmp[icmptype] = icmp-echo",
	"icmp[icmpcode] != 0", "icmp[0] = 8 or icmp[0] = 0",
	"len > 100", "len < 80", "len <= 60", "greater 200", "less 100", "len = 60",
	"ip and len > 300", "udp and len >= 200",
	"tcp or udp", "tcp and (port 80 or port 443)", "not (port 53 or port 80)",
	"(ip and not tcp) or (ip6 and not udp)", "ip and ip[9] != 6 and ip[9] != 17",
	"inbound", "outbound", "ifindex 2",
	"ip[12:4] = 0x0a000001", "ip[16] = 192", "ip[9] = 1 and ip[20] = 8",
	"ip6[6] = 58", "ip6[6] = 44", "ip6[7] > 100", "ip6[40] = 17",
	"arp and ether[20:2] = 1", "arp[6:2] = 1", "ether[14] = 0x45 and ether[23] = 17",
	"tcp[2:2] = 80 or tcp[0:2] = 80", "udp[0:2] = 2152", "udp[8] & 0xe0 = 0x20",
	"ip[0] = 0x45 and udp", "ether[6:4] = 0x02000000",
	"ip and (ip[6:2] & 0x3fff = 0)", "ip[9] = 6 and tcp[13] = 0x18",
	"(tcp[0:2] > 1000 and tcp[2:2] < 1000) or (udp[0:2] < 1000 and udp[2:2] > 1000)",
	"len - 14 > 100", "ip[2:2] - ((ip[0] & 0xf) << 2) > 20", "ip[8] * 2 > 100",
	"ip[8] / 3 = 21", "ip[8] % 4 = 0", "ip[8] ^ 0xff = 0xbf", "ip[8] | 1 = 65",
	"ip[8] >> 1 = 32", "ip[8] << 1 = 128", "ip[2:2] - 1 > 60", "-ip[8] < 0",
	"ip and ip[8] & 0x40 = 0x40",
};
#define NEXPR (sizeof(exprs) / sizeof(exprs[0]))
#define NFRAMES 3000
#define BATCH 10

static struct testhost th;

struct seen {
	uint16_t id;
	uint32_t caplen, len;
};

static int open_socket(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	int buf = 32 << 20;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	return fd;
}

static void bind_b0(int fd)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex("b0") };

	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
}

static size_t drain(int fd, struct seen *out, size_t max)
{
	uint8_t buf[2048], cbuf[256];
	size_t n = 0;

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(fd, &m, MSG_TRUNC);

		if (r < 0)
			break;
		if (n == max || r < 12)
			continue;
		out[n].id = (uint16_t)(buf[10] << 8 | buf[11]);
		out[n].caplen = (uint32_t)r;
		out[n].len = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
				out[n].len = ((struct tpacket_auxdata *)CMSG_DATA(c))->tp_len;
		n++;
	}
	return n;
}

/* NFRAMES generated frames of 14 bytes or more, each with its index in the
 * last two bytes of the source MAC (the id drain() reads back) */
static void make_frames(uint64_t seed, uint8_t frames[][FRAMEGEN_MAX], size_t *lens)
{
	struct framegen g;

	framegen_init(&g, seed);
	for (int i = 0; i < NFRAMES; i++) {
		do
			lens[i] = framegen_next(&g, frames[i]);
		while (lens[i] < 14);
		frames[i][10] = (uint8_t)(i >> 8);
		frames[i][11] = (uint8_t)i;
	}
}

/* every frame from a0, then time for b0's sockets to get them */
static void send_frames(uint8_t frames[][FRAMEGEN_MAX], const size_t *lens)
{
	int sfd = th_sender(&th, "a0", 0);

	assert_true(sfd >= 0);
	for (int i = 0; i < NFRAMES; i++)
		sender_send(sfd, frames[i], lens[i]);
	sender_close(sfd);
	usleep(300 * 1000);
}

static void test_classic_vs_translated(void **state)
{
	static uint8_t frames[NFRAMES][FRAMEGEN_MAX];
	static size_t lens[NFRAMES];
	static struct seen a[NFRAMES], b[NFRAMES];
	static const int snaplens[] = { 65535, 96, 68, 262144 };
	long accepted = 0, total = 0;
	int some_none = 0, some_all = 0;

	(void)state;
	make_frames(7, frames, lens);
	for (size_t base = 0; base < NEXPR; base += BATCH) {
		int cfd[BATCH], efd[BATCH], h;
		size_t cnt = NEXPR - base < BATCH ? NEXPR - base : BATCH;

		h = th_enter(&th, 'b');
		for (size_t k = 0; k < cnt; k++) {
			struct bpf_program bp;
			struct sock_fprog fp;
			char err[256];
			int snap = snaplens[(base + k) % 4], prog;

			pcap_t *dead = pcap_open_dead(DLT_EN10MB, snap);

			if (!dead || pcap_compile(dead, &bp, exprs[base + k], 1, htonl(0xffffff00)) < 0)
				fail_msg("libpcap cannot compile '%s': %s", exprs[base + k],
					 dead ? pcap_geterr(dead) : "?");
			pcap_close(dead);
			fp.len = (unsigned short)bp.bf_len;
			fp.filter = (struct sock_filter *)bp.bf_insns;
			cfd[k] = open_socket();
			efd[k] = open_socket();
			assert_int_equal(setsockopt(cfd[k], SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)), 0);
			prog = cbpf_load(&fp, err, sizeof(err));
			if (prog < 0)
				fail_msg("'%s' (%u classic instructions): %s", exprs[base + k], bp.bf_len, err);
			assert_int_equal(setsockopt(efd[k], SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)), 0);
			close(prog);
			bind_b0(cfd[k]);
			bind_b0(efd[k]);
			pcap_freecode(&bp);
		}
		th_leave(h);
		send_frames(frames, lens);
		for (size_t k = 0; k < cnt; k++) {
			size_t na = drain(cfd[k], a, NFRAMES), nb = drain(efd[k], b, NFRAMES);

			if (na != nb)
				fail_msg("'%s': the classic filter took %zu frames, the translation %zu",
					 exprs[base + k], na, nb);
			for (size_t i = 0; i < na; i++)
				if (a[i].id != b[i].id || a[i].caplen != b[i].caplen || a[i].len != b[i].len)
					fail_msg("'%s': frame %u: classic caplen %u len %u, translation frame %u caplen %u len %u",
						 exprs[base + k], a[i].id, a[i].caplen, a[i].len, b[i].id,
						 b[i].caplen, b[i].len);
			accepted += (long)na;
			total += NFRAMES;
			some_none += na == 0;
			some_all += na == NFRAMES;
			close(cfd[k]);
			close(efd[k]);
		}
	}
	printf("classic vs translated: %zu expressions, %ld of %ld frame verdicts accept, all alike "
	       "(%d accepting none, %d accepting all)\n", NEXPR, accepted, total, some_none, some_all);
	assert_true(NEXPR >= 100);
	assert_true(accepted > total / 20 && accepted < total / 2);
}

/* PFQ/lang computations that only filter, compiled to classic BPF */
static const char *lang_filters[] = {
	"ip", "ip6", "vlan", "vlan_id_filter [42, 44]", "filter (has_vid 43 .||. not has_vlan)",
	"tcp >-> port 80", "when is_tcp drop", "filter (is_l3_proto 0x8100)",
	"udp >-> dst_addr \"10.0.0.0/8\"", "no_frag >-> flow", "par (vlan >-> ip6) icmp",
	"mac_broadcast", "filter (is_ip_multicast .||. is_frag)",
	"filter (ip_ttl .> 32) >-> udp >-> filter (udp_len .>= 20)",
	"tcp >-> filter ((tcp_hdrlen .> 20) .||. (tcp_dest .< 1024))",
};

#define NLANG (sizeof(lang_filters) / sizeof(lang_filters[0]))

/* a frame as a socket without filter got it: bytes and the VLAN tag the
 * kernel took out */
struct got {
	uint16_t id;
	uint32_t len;
	uint8_t data[FRAMEGEN_MAX];
	struct pfq_lang_meta meta;
};

static size_t drain_full(int fd, struct got *out, size_t max)
{
	uint8_t cbuf[256];
	size_t n = 0;

	for (;;) {
		struct got *g = &out[n < max ? n : max - 1];
		struct iovec iov = { g->data, sizeof(g->data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(fd, &m, 0);

		if (r < 0)
			break;
		if (n == max || r < 12)
			continue;
		memset(&g->meta, 0, sizeof(g->meta));
		g->len = (uint32_t)r;
		g->id = (uint16_t)(g->data[10] << 8 | g->data[11]);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
				struct tpacket_auxdata *aux = (void *)CMSG_DATA(c);

				g->meta.vlan_present = aux->tp_status & TP_STATUS_VLAN_VALID;
				g->meta.vlan_tci = aux->tp_vlan_tci;
				if (aux->tp_status & TP_STATUS_VLAN_TPID_VALID)
					g->meta.vlan_tpid = aux->tp_vlan_tpid;
			}
		n++;
	}
	return n;
}

/* On the wire the kernel takes the outer VLAN tag out of the frame before
 * the filter runs: the classic program reads it from the skb, and must
 * still decide what the interpreter decides for the frame and its tag. */
static void test_lang_classic_live(void **state)
{
	static uint8_t frames[NFRAMES][FRAMEGEN_MAX];
	static size_t lens[NFRAMES];
	static struct got ref[NFRAMES + 64];
	static struct seen seen[NFRAMES + 64];
	int fds[NLANG], rfd, h, tagged = 0;
	pfq_lang_program *progs[NLANG];
	size_t nref;
	long accepted = 0;

	(void)state;
	make_frames(11, frames, lens);
	h = th_enter(&th, 'b');
	rfd = open_socket();
	bind_b0(rfd);
	for (size_t k = 0; k < NLANG; k++) {
		struct pfq_lang_diag diag;
		struct sock_fprog fp;

		progs[k] = pfq_lang_compile(lang_filters[k], &diag);
		assert_non_null(progs[k]);
		if (pfq_lang_classic_compile(progs[k], 0xffff, &fp, &diag) < 0)
			fail_msg("'%s': %s", lang_filters[k], diag.msg);
		fds[k] = open_socket();
		if (setsockopt(fds[k], SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0)
			fail_msg("'%s': the kernel refuses its classic program (%u instructions): %s",
				 lang_filters[k], fp.len, strerror(errno));
		free(fp.filter);
		bind_b0(fds[k]);
	}
	th_leave(h);
	send_frames(frames, lens);
	nref = drain_full(rfd, ref, NFRAMES + 64);
	assert_true(nref >= NFRAMES * 9 / 10);
	for (size_t i = 0; i < nref; i++)
		tagged += ref[i].meta.vlan_present;
	for (size_t k = 0; k < NLANG; k++) {
		size_t n = drain(fds[k], seen, NFRAMES + 64), j = 0;

		/* both sockets got the frames in the same order */
		for (size_t i = 0; i < nref; i++) {
			struct pfq_lang_decision d;

			pfq_lang_run(progs[k], ref[i].data, ref[i].len, &ref[i].meta, &d);
			if (d.fate == PFQ_FATE_DROP)
				continue;
			if (j >= n || seen[j].id != ref[i].id)
				fail_msg("'%s': frame %u (%u bytes, tag %s 0x%04x) passes the interpreter "
					 "but not the classic filter", lang_filters[k], ref[i].id,
					 ref[i].len, ref[i].meta.vlan_present ? "yes" : "no",
					 ref[i].meta.vlan_tci);
			j++;
		}
		if (j != n)
			fail_msg("'%s': the classic filter took %zu frames, the interpreter passes %zu",
				 lang_filters[k], n, j);
		accepted += (long)n;
		close(fds[k]);
		pfq_lang_free(progs[k]);
	}
	close(rfd);
	printf("PFQ/lang classic filters on the wire: %zu programs x %zu frames (%d with the tag "
	       "taken out by the kernel), %ld accepted, all as the interpreter decides\n",
	       NLANG, nref, tagged, accepted);
	assert_true(tagged > 100);
}

static void test_invalid_programs(void **state)
{
	struct sock_filter ret0[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_filter nort[] = { BPF_STMT(BPF_LD | BPF_IMM, 1) };
	struct sock_filter badj[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
				      BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_filter mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 16), BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				      BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_filter anc[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_NLATTR),
				     BPF_STMT(BPF_RET | BPF_A, 0) };
	struct sock_fprog ok = { 1, ret0 }, bad[] = { { 1, nort }, { 2, badj }, { 2, mem },
						      { 2, div0 }, { 2, anc }, { 0, ret0 } };
	char err[256];
	int fd;

	(void)state;
	fd = cbpf_load(&ok, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		fd = cbpf_load(&bad[i], err, sizeof(err));
		assert_true(fd < 0);
		assert_true(err[0] != '\0');
	}
	assert_true(cbpf_load(NULL, err, sizeof(err)) < 0);
}

static int setup(void **state)
{
	(void)state;
	return th_create(&th, 1, 1);
}

static int teardown(void **state)
{
	(void)state;
	th_destroy(&th);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_programs),
		cmocka_unit_test(test_classic_vs_translated),
		cmocka_unit_test(test_lang_classic_live),
	};
	return cmocka_run_group_tests_name("classic-bpf", tests, setup, teardown);
}
