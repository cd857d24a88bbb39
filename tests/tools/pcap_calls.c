/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pcap_calls: the libpcap calls that libpcap's own test programs exercise
 * (breakloop from a signal handler and from another thread, non-blocking
 * mode, device list and default device, lookupnet, select/poll wake-ups,
 * monitor mode, link types, snapshot length, calls before and after
 * activation, a negative timeout, buffer sizes, breakloop from the
 * callback, a new filter over packets captured already, tagged or not,
 * programs libpcap's validator refuses), each
 * printing what it saw in a form that does not depend on timing or on the
 * device's name, so that a run on a plain device with stock libpcap and a
 * run on a pfq device (through pfq-run or the drop-in) can be compared
 * line by line. Linked against the system libpcap only.
 *
 *   pcap_calls COMMAND DEVICE [ARG [MODE]]    (DEVICE is printed as "DEV")
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <net/if.h>

#define UNUSED __attribute__((unused))

static const char *dev;
static pcap_t *pd;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "pcap_calls: %s: %s\n", what, why);
	exit(2);
}

/* the text with the device name replaced by DEV, so runs compare */
static const char *anon(const char *s)
{
	static char out[4 * PCAP_ERRBUF_SIZE];
	size_t n = strlen(dev), o = 0;

	while (*s && o < sizeof(out) - 4) {
		if (n && !strncmp(s, dev, n)) {
			memcpy(out + o, "DEV", 3);
			o += 3;
			s += n;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return out;
}

/* A watchdog: a hang is reported, not waited for. */
static void *watchdog(void *arg)
{
	sleep((unsigned)(long)arg);
	printf("HANG: no answer within %ld s\n", (long)arg);
	fflush(stdout);
	_exit(3);
}

static void start_watchdog(long seconds)
{
	pthread_t t;

	if (pthread_create(&t, NULL, watchdog, (void *)seconds) != 0)
		die("watchdog", strerror(errno));
	pthread_detach(t);
}

static int immediate;

static pcap_t *open_dev(int nonblock, int timeout_ms)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(dev, err);
	int st;

	if (!p)
		die("pcap_create", anon(err));
	pcap_set_snaplen(p, 65535);
	pcap_set_timeout(p, timeout_ms);
	pcap_set_immediate_mode(p, immediate);
	st = pcap_activate(p);
	if (st < 0)
		die("pcap_activate", anon(pcap_geterr(p)));
	if (nonblock && pcap_setnonblock(p, 1, err) < 0)
		die("pcap_setnonblock", anon(err));
	return p;
}

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	(void)h;
	(void)data;
	(*(int *)user)++;
}

/* --- breakloop from a signal handler, non-blocking mode, 50 runs --- */
static void on_sigint(int sig)
{
	(void)sig;
	pcap_breakloop(pd);
}

struct kicker {
	pthread_t target;
	long delay_us;
};

static void *kick(void *arg)
{
	struct kicker *k = arg;

	usleep((useconds_t)k->delay_us);
	pthread_kill(k->target, SIGINT);
	return NULL;
}

static int cmd_breaksig(int runs, const char *mode UNUSED)
{
	struct sigaction sa = { .sa_handler = on_sigint }; /* no SA_RESTART */
	int broken = 0, other = 0;

	if (runs <= 0)
		runs = 50;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	start_watchdog(60);
	for (int i = 0; i < runs; i++) {
		struct kicker k = { pthread_self(), 1000 + (i % 10) * 700 };
		pthread_t t;
		int st, n = 0;

		pd = open_dev(1, 1000);
		pthread_create(&t, NULL, kick, &k);
		do
			st = pcap_dispatch(pd, -1, count, (u_char *)&n);
		while (st >= 0);
		pthread_join(t, NULL);
		if (st == PCAP_ERROR_BREAK)
			broken++;
		else
			other++;
		pcap_close(pd);
	}
	printf("breaksig: %d runs, %d broken out with PCAP_ERROR_BREAK, %d otherwise\n", runs,
	       broken, other);
	return 0;
}

/* --- breakloop from another thread, the reader blocked --- */
static void *break_later(void *arg)
{
	usleep((useconds_t)(long)arg);
	pcap_breakloop(pd);
	return NULL;
}

static int cmd_breakthread(int arg UNUSED, const char *mode UNUSED)
{
	pthread_t t;
	int n = 0, st, zeros = 0;

	pd = open_dev(0, 1000);
	start_watchdog(20);
	/* 2.5 s: a reader that wakes up once per timeout (1 s) would say so */
	pthread_create(&t, NULL, break_later, (void *)2500000L);
	while ((st = pcap_dispatch(pd, -1, count, (u_char *)&n)) == 0)
		zeros++;
	pthread_join(t, NULL);
	printf("breakthread: blocked reader returned %d (%s) after %d empty returns, %d packets\n",
	       st, pcap_statustostr(st), zeros, n);
	pcap_close(pd);
	return 0;
}

/* --- non-blocking mode, as nonblocktest checks it --- */
static int cmd_nonblock(int arg UNUSED, const char *mode UNUSED)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct rlimit rl;
	int r;

	pd = pcap_create(dev, err);
	if (!pd)
		die("pcap_create", anon(err));
	r = pcap_setnonblock(pd, 1, err);
	printf("nonblock: setnonblock(1) before activation: %d\n", r);
	r = pcap_getnonblock(pd, err);
	printf("nonblock: getnonblock before activation: %d (%s)\n", r, pcap_statustostr(r));
	if (pcap_activate(pd) < 0)
		die("pcap_activate", anon(pcap_geterr(pd)));
	printf("nonblock: getnonblock after activation: %d\n", pcap_getnonblock(pd, err));
	for (int i = 0; i < 3; i++) {
		r = pcap_setnonblock(pd, 1, err);
		printf("nonblock: setnonblock(1): %d, get %d\n", r, pcap_getnonblock(pd, err));
	}
	for (int i = 0; i < 3; i++) {
		r = pcap_setnonblock(pd, 0, err);
		printf("nonblock: setnonblock(0): %d, get %d\n", r, pcap_getnonblock(pd, err));
	}
	/* with a full descriptor table, blocking mode (its eventfd) fails */
	pcap_setnonblock(pd, 1, err);
	rl.rlim_cur = rl.rlim_max = 64;
	setrlimit(RLIMIT_NOFILE, &rl);
	while (dup(0) >= 0)
		;
	err[0] = '\0';
	r = pcap_setnonblock(pd, 0, err);
	printf("nonblock: setnonblock(0) with a full fd table: %d [%s], get %d\n", r, err,
	       pcap_getnonblock(pd, err));
	return 0;
}

/* --- the device list and the default device --- */
static int cmd_devs(int arg UNUSED, const char *mode UNUSED)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int i = 0;

	if (pcap_findalldevs(&all, err) < 0)
		die("pcap_findalldevs", err);
	printf("devs: default %s\n", all ? all->name : "(none)");
	for (d = all; d; d = d->next)
		printf("devs: %d %s\n", ++i, d->name);
	pcap_freealldevs(all);
	return 0;
}

static int cmd_lookupnet(int arg UNUSED, const char *mode UNUSED)
{
	char err[PCAP_ERRBUF_SIZE] = "", a[32], m[32];
	bpf_u_int32 net = 0, mask = 0;
	int r = pcap_lookupnet(dev, &net, &mask, err);

	inet_ntop(AF_INET, &net, a, sizeof(a));
	inet_ntop(AF_INET, &mask, m, sizeof(m));
	if (r < 0)
		printf("lookupnet: %d [%s]\n", r, anon(err));
	else
		printf("lookupnet: %d net %s mask %s\n", r, a, m);
	return 0;
}

/* --- select/poll: readable means a packet to read (MODE "t0": read
 * timeout 0, "imm": immediate mode) --- */
static int cmd_selpoll(int want, const char *mode)
{
	int fd, got = 0, empty = 0, wakeups = 0;

	immediate = !strcmp(mode, "imm");
	pd = open_dev(1, !strcmp(mode, "t0") ? 0 : 1000);
	fd = pcap_get_selectable_fd(pd);
	if (fd < 0)
		die("pcap_get_selectable_fd", "none");
	printf("selpoll: ready\n");
	fflush(stdout);
	start_watchdog(60);
	/* until the packets are in and the link has been idle for 1.5 s */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = 0, r = poll(&p, 1, got >= want ? 1500 : 20000);

		if (r <= 0)
			break;
		wakeups++;
		r = pcap_dispatch(pd, -1, count, (u_char *)&n);
		if (r < 0)
			die("pcap_dispatch", anon(pcap_geterr(pd)));
		if (n == 0)
			empty++;
		got += n;
	}
	printf("selpoll: %d packets, %s, %d readable with nothing to read\n", got,
	       got == want ? "all" : "NOT all", empty);
	(void)wakeups;
	return 0;
}

/* --- monitor mode on a wired device --- */
static int cmd_rfmon(int arg UNUSED, const char *mode UNUSED)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	int r;

	pd = pcap_create(dev, err);
	if (!pd)
		die("pcap_create", anon(err));
	printf("rfmon: can_set_rfmon %d\n", pcap_can_set_rfmon(pd));
	printf("rfmon: set_rfmon(1) %d\n", pcap_set_rfmon(pd, 1));
	r = pcap_activate(pd);
	printf("rfmon: activate %d (%s) [%s]\n", r, pcap_statustostr(r), anon(pcap_geterr(pd)));
	pcap_close(pd);
	return 0;
}

/* a list libpcap made: its length and names, then freed */
static void print_list(const char *what, int n, int *list, const char *(*name)(int),
		       void (*release)(int *))
{
	printf("dlt: %d %s:", n, what);
	for (int i = 0; i < n; i++)
		printf(" %s", name(list[i]));
	printf("\n");
	if (n > 0)
		release(list);
}

/* --- link types --- */
static int cmd_dlt(int arg UNUSED, const char *mode UNUSED)
{
	int *list, n, r;

	pd = open_dev(0, 1000);
	n = pcap_list_datalinks(pd, &list);
	print_list("link types", n, list, pcap_datalink_val_to_name, pcap_free_datalinks);
	printf("dlt: datalink_ext %d\n", pcap_datalink_ext(pd));
	r = pcap_set_datalink(pd, DLT_DOCSIS);
	printf("dlt: set DOCSIS %d, now %s\n", r, pcap_datalink_val_to_name(pcap_datalink(pd)));
	r = pcap_set_datalink(pd, DLT_IEEE802_11);
	printf("dlt: set IEEE802_11 %d [%s], now %s\n", r, r ? anon(pcap_geterr(pd)) : "",
	       pcap_datalink_val_to_name(pcap_datalink(pd)));
	r = pcap_set_datalink(pd, DLT_EN10MB);
	printf("dlt: set EN10MB %d, now %s\n", r, pcap_datalink_val_to_name(pcap_datalink(pd)));
	n = pcap_list_tstamp_types(pd, &list);
	print_list("time stamp types", n, list, pcap_tstamp_type_val_to_name,
		   pcap_free_tstamp_types);
	pcap_close(pd);
	return 0;
}

/* --- snapshot length: the default, and what the filter returns --- */
static int cmd_snaplen(int arg UNUSED, const char *mode UNUSED)
{
	static const int asked[] = { 0, 262144, 70000, 300000, 100 };
	char err[PCAP_ERRBUF_SIZE];

	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		struct bpf_program fp;
		pcap_t *p = pcap_create(dev, err);

		if (!p)
			die("pcap_create", anon(err));
		if (asked[i])
			pcap_set_snaplen(p, asked[i]);
		if (pcap_activate(p) < 0)
			die("pcap_activate", anon(pcap_geterr(p)));
		if (pcap_compile(p, &fp, "", 1, 0) < 0)
			die("pcap_compile", pcap_geterr(p));
		printf("snaplen: asked %d, snapshot %d, bufsize %d, filter %s\n", asked[i],
		       pcap_snapshot(p), pcap_bufsize(p), bpf_image(&fp.bf_insns[fp.bf_len - 1], 0));
		pcap_freecode(&fp);
		pcap_close(p);
	}
	return 0;
}

/* --- calls on a handle that is not activated yet --- */
static int cmd_notact(int arg UNUSED, const char *mode UNUSED)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct pcap_stat st;
	int *list, n = 0;

	pd = pcap_create(dev, err);
	if (!pd)
		die("pcap_create", anon(err));
	/* (first: these say nothing in the error buffer) */
	printf("notact: datalink %d, datalink_ext %d, snapshot %d, bufsize %d, getnonblock %d "
	       "[%s] [%s]\n", pcap_datalink(pd), pcap_datalink_ext(pd), pcap_snapshot(pd),
	       pcap_bufsize(pd), pcap_getnonblock(pd, err), err, pcap_geterr(pd));
	printf("notact: is_swapped %d, major %d, minor %d\n", pcap_is_swapped(pd),
	       pcap_major_version(pd), pcap_minor_version(pd));
	printf("notact: inject %d [%s]\n", pcap_inject(pd, "0123456789abcdef", 16),
	       pcap_geterr(pd));
	printf("notact: dump_open %s [%s]\n", pcap_dump_open(pd, "/dev/null") ? "yes" : "no",
	       pcap_geterr(pd));
	printf("notact: list_datalinks %d\n", pcap_list_datalinks(pd, &list));
	printf("notact: stats %d [%s]\n", pcap_stats(pd, &st), pcap_geterr(pd));
	printf("notact: dispatch %d [%s]\n", pcap_dispatch(pd, 1, count, (u_char *)&n),
	       pcap_geterr(pd));
	printf("notact: setdirection %d\n", pcap_setdirection(pd, PCAP_D_IN));
	printf("notact: getnonblock %d\n", pcap_getnonblock(pd, err));
	printf("notact: selectable_fd %d\n", pcap_get_selectable_fd(pd));
	n = pcap_list_tstamp_types(pd, &list);
	printf("notact: list_tstamp_types %d%s\n", n, n == 1 && list[0] == PCAP_TSTAMP_HOST ?
	       " (host)" : "");
	if (n > 0)
		pcap_free_tstamp_types(list);
	printf("notact: set_snaplen %d, set_timeout %d, set_promisc %d\n",
	       pcap_set_snaplen(pd, 100), pcap_set_timeout(pd, 10), pcap_set_promisc(pd, 1));
	pcap_close(pd);
	return 0;
}

/* --- programs libpcap's validator refuses: refused by setfilter (run
 * unchecked on the packets, they crashed the reader) --- */
static int cmd_badfilter(int arg UNUSED, const char *mode UNUSED)
{
	static const struct {
		const char *what;
		struct bpf_insn insn[2];
		u_int len;
	} bad[] = {
		{ "no instruction", { { BPF_RET | BPF_K, 0, 0, 0 } }, 0 },
		{ "jump beyond", { { BPF_JMP | BPF_JA, 0, 0, 5 }, { BPF_RET | BPF_K, 0, 0, 1 } }, 2 },
		{ "division by 0", { { BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0 },
				     { BPF_RET | BPF_K, 0, 0, 1 } }, 2 },
		{ "no return", { { BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 } }, 1 },
		{ "memory word 1000", { { BPF_LD | BPF_MEM, 0, 0, 1000 },
					{ BPF_RET | BPF_A, 0, 0, 0 } }, 2 },
	};

	pd = open_dev(0, 100);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bpf_program fp = { bad[i].len, (struct bpf_insn *)bad[i].insn };

		printf("badfilter: %s: %d [%s]\n", bad[i].what, pcap_setfilter(pd, &fp),
		       pcap_geterr(pd));
	}
	pcap_close(pd);
	return 0;
}

/* --- opening: the messages of a failed open --- */
static int cmd_open(int arg UNUSED, const char *mode UNUSED)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_live(dev, 65535, 0, 1000, err);
	int r;

	printf("open: open_live %s [%s]\n", p ? "ok" : "failed", anon(err));
	if (p)
		pcap_close(p);
	p = pcap_create(dev, err);
	if (!p) {
		printf("open: create failed [%s]\n", anon(err));
		return 0;
	}
	r = pcap_activate(p);
	printf("open: activate %d (%s) [%s]\n", r, pcap_statustostr(r), anon(pcap_geterr(p)));
	if (r == 0) {
		/* as reactivatetest: a second activation, and a second handle */
		pcap_t *q = pcap_create(dev, err);

		r = pcap_activate(p);
		printf("open: activate again %d (%s)\n", r, pcap_statustostr(r));
		r = q ? pcap_activate(q) : -100;
		printf("open: a second handle on the device: %d\n", r);
		if (q)
			pcap_close(q);
	}
	pcap_close(p);
	return 0;
}

/* --- a negative read timeout: non-blocking mode, as stock --- */
static int cmd_timeoutneg(int arg UNUSED, const char *mode UNUSED)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	int n = 0;

	pd = open_dev(0, -1);
	start_watchdog(10);
	printf("timeoutneg: getnonblock %d\n", pcap_getnonblock(pd, err));
	printf("timeoutneg: dispatch with nothing to read %d\n",
	       pcap_dispatch(pd, -1, count, (u_char *)&n));
	pcap_close(pd);
	return 0;
}

/* --- calls on an activated handle, and their messages --- */
static int cmd_activated(int arg UNUSED, const char *mode UNUSED)
{
	u_char frame[64] = { 0 };
	int r;

	pd = open_dev(0, 100);
	r = pcap_set_snaplen(pd, 100);
	printf("activated: set_snaplen %d [%s]\n", r, pcap_geterr(pd));
	pcap_geterr(pd)[0] = '\0';
	r = pcap_set_buffer_size(pd, 1 << 20);
	printf("activated: set_buffer_size %d [%s]\n", r, pcap_geterr(pd));
	pcap_geterr(pd)[0] = '\0';
	r = pcap_set_tstamp_precision(pd, PCAP_TSTAMP_PRECISION_NANO);
	printf("activated: set_tstamp_precision %d [%s]\n", r, pcap_geterr(pd));
	printf("activated: can_set_rfmon %d\n", pcap_can_set_rfmon(pd));
	pcap_geterr(pd)[0] = '\0';
	errno = 0; /* (stock's message ends with the errno of the moment) */
	r = pcap_sendpacket(pd, frame, -1);
	printf("activated: sendpacket of -1 bytes %d [%s]\n", r, pcap_geterr(pd));
	pcap_close(pd);
	return 0;
}

/* --- buffer sizes stock takes: 0 or less (the default) and too much --- */
static int cmd_bufsizes(int arg UNUSED, const char *mode UNUSED)
{
	const int sizes[] = { -1, 0, 1, 2147483647 };
	char err[PCAP_ERRBUF_SIZE] = "";

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pcap_t *p = pcap_create(dev, err);
		int r;

		if (!p)
			die("pcap_create", anon(err));
		pcap_set_buffer_size(p, sizes[i]);
		r = pcap_activate(p);
		printf("bufsizes: buffer %d: activate %d (%s)\n", sizes[i], r, pcap_statustostr(r));
		pcap_close(p);
	}
	return 0;
}

/* --- pcap_breakloop from the callback, and one pending before next_ex
 * (a trickle of packets flows) --- */
static int seen;

static void break_at_second(u_char *user UNUSED, const struct pcap_pkthdr *h UNUSED,
			    const u_char *data UNUSED)
{
	if (++seen == 2)
		pcap_breakloop(pd);
}

static int cmd_breakcb(int arg UNUSED, const char *mode UNUSED)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int r = 0, calls = 0;

	pd = open_dev(0, 100);
	start_watchdog(20);
	while (seen < 2 && calls++ < 1000)
		r = pcap_dispatch(pd, -1, break_at_second, NULL);
	printf("breakcb: the call whose callback broke returned %s\n",
	       r == PCAP_ERROR_BREAK ? "PCAP_ERROR_BREAK" : r >= 0 ? "a count" : "an error");
	r = pcap_dispatch(pd, 1, break_at_second, NULL);
	printf("breakcb: the next call returned %s\n",
	       r == PCAP_ERROR_BREAK ? "PCAP_ERROR_BREAK" : r >= 0 ? "a count" : "an error");
	pcap_breakloop(pd);
	r = pcap_next_ex(pd, &h, &d);
	printf("breakcb: next_ex with a break pending %d\n", r);
	r = pcap_next_ex(pd, &h, &d);
	printf("breakcb: next_ex then %d\n", r);
	pcap_close(pd);
	return 0;
}

/* --- a new filter and the packets already captured: 20 UDP frames to
 * port 7777 sent out of the device (the capture sees them going out) while
 * nobody reads, then a filter for port 9999 and 5 frames to it --- */
static void send_udp_tagged(int fd, int ifindex, uint16_t dport, int n, uint16_t vid)
{
	uint8_t f[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
			  0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 9, 9, 1, 10, 9, 9, 2 };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
	size_t len = 60;

	f[34] = 0x30; /* source port 12345 */
	f[35] = 0x39;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[39] = 26; /* UDP length */
	if (vid) { /* an 802.1Q tag after the addresses */
		memmove(f + 16, f + 12, 48);
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = (uint8_t)(vid >> 8);
		f[15] = (uint8_t)vid;
		len = 64;
	}
	for (int i = 0; i < n; i++)
		if (sendto(fd, f, len, 0, (struct sockaddr *)&ll, sizeof(ll)) != (ssize_t)len)
			die("sendto", strerror(errno));
}

static void send_udp_out(int fd, int ifindex, uint16_t dport, int n)
{
	send_udp_tagged(fd, ifindex, dport, n, 0);
}

static int drain(void)
{
	int n = 0, r;

	while ((r = pcap_dispatch(pd, -1, count, (u_char *)&n)) > 0)
		;
	return r < 0 ? r : n;
}

static void set_filter(const char *text)
{
	struct bpf_program bp;

	if (pcap_compile(pd, &bp, text, 1, PCAP_NETMASK_UNKNOWN) < 0 || pcap_setfilter(pd, &bp) < 0)
		die("setfilter", pcap_geterr(pd));
	pcap_freecode(&bp);
}

static int cmd_refilter(int arg UNUSED, const char *mode UNUSED)
{
	char name[IF_NAMESIZE] = "";
	int fd = socket(AF_PACKET, SOCK_RAW, 0), ifindex;

	/* the device the capture is on: b0 for both ("pfq:b0" names it too) */
	snprintf(name, sizeof(name), "%s", strrchr(dev, ':') ? strrchr(dev, ':') + 1 : dev);
	ifindex = (int)if_nametoindex(name);
	if (fd < 0 || !ifindex)
		die("socket", strerror(errno));
	pd = open_dev(1, 100);
	start_watchdog(20);
	printf("refilter: before, %d\n", drain() > 0 ? 1 : 0);
	send_udp_out(fd, ifindex, 7777, 20);
	usleep(200000);
	set_filter("udp port 9999");
	printf("refilter: port 7777 frames captured before the filter, read after it: %d\n",
	       drain());
	send_udp_out(fd, ifindex, 9999, 5);
	usleep(200000);
	printf("refilter: port 9999 frames: %d\n", drain());
	close(fd);
	pcap_close(pd);
	return 0;
}

/* --- the same with frames that arrive tagged on VLAN 42 from the other
 * end of the pair (the kernel took the tags off; the reader sees them put
 * back): 20 to port 7777 and 5 to port 9999 while nobody reads, then a
 * filter for port 9999, which keeps the 5. MODE is the other end's network
 * namespace (a file); its device is a0 or, for a device bN, aN --- */
static int cmd_refiltervlan(int arg UNUSED, const char *mode)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int other = open(mode, O_RDONLY | O_CLOEXEC), fd, ifindex;
	const char *d = strrchr(dev, ':') ? strrchr(dev, ':') + 1 : dev;
	char peer[IF_NAMESIZE];

	snprintf(peer, sizeof(peer), "a%s", d[0] == 'b' ? d + 1 : "0");
	if (self < 0 || other < 0 || setns(other, CLONE_NEWNET) < 0)
		die("setns", strerror(errno));
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	ifindex = (int)if_nametoindex(peer);
	if (fd < 0 || !ifindex || setns(self, CLONE_NEWNET) < 0)
		die("socket on the other end", strerror(errno));
	close(self);
	close(other);
	pd = open_dev(1, 100);
	start_watchdog(20);
	drain();
	send_udp_tagged(fd, ifindex, 7777, 20, 42);
	send_udp_tagged(fd, ifindex, 9999, 5, 42);
	usleep(200000);
	set_filter("udp port 9999");
	printf("refiltervlan: tagged frames captured before the filter, read after it: %d\n",
	       drain());
	close(fd);
	pcap_close(pd);
	return 0;
}

/* --- one UDP datagram of SIZE bytes to 127.0.0.1 (a big loopback frame) --- */
static int cmd_sendudp(int size, const char *mode UNUSED)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char *buf = calloc(1, (size_t)size);

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || !buf ||
	    sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&to, sizeof(to)) != size)
		die("sendto", strerror(errno));
	free(buf);
	close(fd);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(int arg, const char *mode);
} commands[] = {
	{ "breaksig", cmd_breaksig }, { "breakthread", cmd_breakthread },
	{ "nonblock", cmd_nonblock }, { "devs", cmd_devs }, { "lookupnet", cmd_lookupnet },
	{ "selpoll", cmd_selpoll }, { "rfmon", cmd_rfmon }, { "dlt", cmd_dlt },
	{ "snaplen", cmd_snaplen }, { "notact", cmd_notact }, { "open", cmd_open },
	{ "sendudp", cmd_sendudp }, { "timeoutneg", cmd_timeoutneg },
	{ "activated", cmd_activated }, { "bufsizes", cmd_bufsizes }, { "breakcb", cmd_breakcb },
	{ "refilter", cmd_refilter }, { "refiltervlan", cmd_refiltervlan },
	{ "badfilter", cmd_badfilter },
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: pcap_calls COMMAND DEVICE [ARG [MODE]]\ncommands:");
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			fprintf(stderr, " %s", commands[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	dev = argv[2];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc > 3 ? atoi(argv[3]) : 0, argc > 4 ? argv[4] : "");
	fprintf(stderr, "pcap_calls: unknown command '%s'\n", argv[1]);
	return 2;
}
