/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "handle.h"
#include "filter_run.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SLOTS 4096
#define DEFAULT_TX_SLOTS 1024 /* the TX queue of pcap_inject when tx_slots is not set */
#define SLOT_BYTES 2048
/* the most a pcap buffer size (-B) asks for: a ring of 1 GiB of full
 * slots, half of what a ring may be (PFQ_RING_BYTES_MAX) */
#define BUFFER_SLOTS_MAX (size_t)(PFQ_RING_BYTES_MAX / 2 / SLOT_BYTES)

struct pfqh *pfqh_new(const char *device, pcap_t *dead, char *errbuf)
{
	struct pfqh *h;

	if (!dead) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	h->p = dead;
	snprintf(h->device, sizeof(h->device), "%s", device);
	h->snaplen = 262144;
	h->timeout_ms = 0;
	h->buffer_size = 2 << 20;
	h->precision = PCAP_TSTAMP_PRECISION_MICRO;
	h->wake_fd = -1;
	h->dlt = DLT_EN10MB;
	h->ndlts = 2;
	h->direction = PCAP_D_INOUT;
	h->lo_ifindex = -1;
	pfq_pcap_config_init(&h->cfg);
	return h;
}

static void refilter_clear(struct pfqh *h)
{
	if (h->has_refilter)
		free(h->refilter.bf_insns);
	h->has_refilter = 0;
}

void pfqh_free(struct pfqh *h)
{
	if (h->q)
		pfq_close(h->q);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	free(h->oneshot);
	if (h->has_filter)
		free(h->filter.bf_insns);
	refilter_clear(h);
	free(h->untagged);
	pfq_pcap_config_free(&h->cfg);
	free(h);
}

/* In a set-user-ID or capability-raised program (AT_SECURE) the PFQ_*
 * variables are ignored: they come from the user who started it, and would
 * let that user choose groups, computations and forwarding. */
static const char *env(const char *name)
{
	return secure_getenv(name);
}

/* Silent unless PFQ_PCAP_DEBUG is set (to anything but 0): then what the
 * library decides goes to stderr, prefixed "libpfq-pcap:". */
void pfq_debug(const char *fmt, ...)
{
	const char *d = secure_getenv("PFQ_PCAP_DEBUG");
	va_list ap;

	if (!d || !*d || !strcmp(d, "0"))
		return;
	va_start(ap, fmt);
	fputs("libpfq-pcap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int fail(struct pfqh *h, int code, const char *fmt, const char *arg)
{
	if (arg != h->err) /* (h->err itself: said already) */
		snprintf(h->err, sizeof(h->err), fmt, arg);
	pfq_debug("%s: activation failed: %s", h->device, h->err);
	if (h->q) {
		pfq_close(h->q);
		h->q = NULL;
	}
	return code;
}

static int pcap_code(int err)
{
	switch (-err) {
	case ENODEV: case ERANGE: return PCAP_ERROR_NO_SUCH_DEVICE; /* device, or queue */
	case EPERM: case EACCES: return PCAP_ERROR_PERM_DENIED;
	default: return PCAP_ERROR;
	}
}

/* Is dev a loopback device (ARPHRD_LOOPBACK)? */
static bool is_loopback(const char *dev)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool lo = false;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		lo = ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK;
	close(fd);
	return lo;
}

/* the settings of a pfq device name: 0, or a PCAP_ERROR code with msg (as
 * stock: a name that names no device is PCAP_ERROR_NO_SUCH_DEVICE) */
static int configure(struct pfq_pcap_config *c, const char *name, char *msg, size_t len)
{
	if (pfq_pcap_parse_device(name, c, msg, len) < 0)
		return PCAP_ERROR_NO_SUCH_DEVICE;
	if (pfq_pcap_config_env(c, env, msg, len) < 0 ||
	    (c->config_path[0] && pfq_pcap_config_file(c, c->config_path, msg, len) < 0))
		return PCAP_ERROR;
	return 0;
}

int pfqh_first_device(const char *name, char dev[16], char *errbuf)
{
	struct pfq_pcap_config c;
	struct pfq_group_info *groups = NULL;
	int n, r = 0;

	dev[0] = '\0';
	pfq_pcap_config_init(&c);
	if (configure(&c, name, errbuf, PCAP_ERRBUF_SIZE) < 0)
		r = -1;
	else if (c.ndevs > 0)
		snprintf(dev, 16, "%s", c.devs[0].name);
	else if (c.group >= 0 && (groups = calloc(PFQ_MAX_GROUPS, sizeof(*groups)))) {
		n = pfq_groups_info(groups, PFQ_MAX_GROUPS, sizeof(groups[0]));
		for (int i = 0; i < n && i < PFQ_MAX_GROUPS; i++)
			if (groups[i].gid == c.group && groups[i].nbind > 0)
				snprintf(dev, 16, "%s", groups[i].bind[0].dev);
	}
	free(groups);
	pfq_pcap_config_free(&c);
	return r;
}

/* Does s name group gid ("group 42", not "group 420")? */
static bool names_group(const char *s, int gid)
{
	char g[24];
	size_t n = (size_t)snprintf(g, sizeof(g), "group %d", gid);

	for (const char *p = strstr(s, g); p; p = strstr(p + 1, g))
		if (!isdigit((unsigned char)p[n]))
			return true;
	return false;
}

/* "LEAD: group N: WHY" and what the format `more` adds, each prefix once:
 * WHY may be a message of ours already ("pfq: group N: ...", when the
 * direct join failed and the way through pfqd is tried), and libpfq's and
 * pfqd's messages often name the group themselves ("group N computation:
 * ...", "in group N's allow_users") */
static void group_msg(char *out, size_t n, const char *lead, int gid, const char *why,
		      const char *more, ...) __attribute__((format(printf, 6, 7)));
static void group_msg(char *out, size_t n, const char *lead, int gid, const char *why,
		      const char *more, ...)
{
	size_t l = strlen(lead);
	va_list ap;
	int w;

	if (!strncmp(why, lead, l) && !strncmp(why + l, ": ", 2))
		why += l + 2;
	if (names_group(why, gid))
		w = snprintf(out, n, "%s: %s", lead, why);
	else
		w = snprintf(out, n, "%s: group %d: %s", lead, gid, why);
	if (w < 0 || (size_t)w >= n)
		return;
	va_start(ap, more);
	vsnprintf(out + w, n - (size_t)w, more, ap);
	va_end(ap);
}

/* join the configured group and give it the computation and VLAN filters */
static int join_group(struct pfqh *h)
{
	char msg[PCAP_ERRBUF_SIZE];
	int gid = h->cfg.group, err;

	err = pfq_join_group(h->q, gid, PFQ_CLASS_DEFAULT, PFQ_POLICY_SHARED);
	if (err >= 0 && h->cfg.computation)
		err = pfq_set_group_computation_from_string(h->q, gid, h->cfg.computation);
	if (err >= 0 && h->cfg.nvlans) {
		err = pfq_vlan_filters_enable(h->q, gid, 1);
		for (int i = 0; err >= 0 && i < h->cfg.nvlans; i++)
			err = pfq_vlan_set_filter(h->q, gid, h->cfg.vlans[i]);
	}
	if (err >= 0)
		return 0;
	group_msg(msg, sizeof(msg), "pfq", gid, pfq_error(h->q), "%s", "");
	return fail(h, pcap_code(err), "%s", msg);
}

/* the devices listed, as pfqd reads them ("dev[@queue]:..."), or "" */
static void device_list(const struct pfq_pcap_config *c, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < c->ndevs && used < n; i++) {
		int w = c->devs[i].queue >= 0 ?
			snprintf(out + used, n - used, "%s%s@%d", i ? ":" : "", c->devs[i].name,
				 c->devs[i].queue) :
			snprintf(out + used, n - used, "%s%s", i ? ":" : "", c->devs[i].name);

		used += w > 0 ? (size_t)w : 0;
	}
}

/* what every activation ends with, once the socket is set up: 0, or a
 * PCAP_ERROR code */
static int finish_activation(struct pfqh *h, size_t caplen)
{
	h->lo_ifindex = pfq_ifindex(h->q, "lo");
	for (int i = 0; i < h->cfg.ndevs; i++)
		if (is_loopback(h->cfg.devs[i].name))
			h->ndlts = 1; /* stock offers loopback as Ethernet only */
	free(h->oneshot); /* (an activation that failed before may have left it) */
	h->oneshot = malloc(caplen);
	if (!h->oneshot)
		return fail(h, PCAP_ERROR, "%s", "out of memory");
	if (!h->nonblock && pfqh_wake_open(h) < 0)
		return fail(h, PCAP_ERROR, "%s", h->err);
	h->activated = 1;
	return 0;
}

/* the rest of activation for a member pfqd made (it binds the group and
 * sets its computation and filters): what is left is ours to set up */
static int finish_pfqd_member(struct pfqh *h, size_t caplen, size_t slots)
{
	int err;

	err = finish_activation(h, caplen);
	if (err)
		return err;
	h->via_pfqd = true;
	pfq_debug("%s: socket %d of group %d through pfqd, caplen %zu, %zu slots", h->device,
		  pfq_id(h->q), pfq_group_id(h->q), caplen, slots);
	return 0;
}

/*
 * Without the privileges joining needs, ask pfqd for a member of the group
 * (pfq_join_pfqd): it checks our user against the group's permission list.
 * The group is pfqd's to configure: the devices we list must be its inputs
 * and a computation we give its computation (pfqd checks both); VLAN
 * filters cannot be asked for. why: what the direct way said.
 */
static int join_through_pfqd(struct pfqh *h, size_t caplen, size_t slots, const char *why)
{
	char devs[PFQ_PCAP_MAX_DEVS * 24], msg[PCAP_ERRBUF_SIZE];
	struct pfq_pfqd_opts o;
	int gid = h->cfg.group, e;

	if (h->q) {
		pfq_close(h->q);
		h->q = NULL;
	}
	if (h->cfg.nvlans) {
		group_msg(msg, sizeof(msg), "pfq", gid, why, "%s",
			  "; through pfqd, VLAN filters (PFQ_VLAN) are pfqd's to set");
		return fail(h, PCAP_ERROR_PERM_DENIED, "%s", msg);
	}
	device_list(&h->cfg, devs, sizeof(devs));
	o = PFQ_PFQD_OPTS(.caplen = caplen, .rx_slots = slots, .tstamp = 1,
			  .devices = devs[0] ? devs : NULL, .computation = h->cfg.computation);
	h->q = pfq_join_pfqd(gid, &o);
	if (h->q)
		return finish_pfqd_member(h, caplen, slots);
	e = errno;
	/* no pfqd: the direct way's reason first, then where to go (a program
	 * that drops CAP_BPF and CAP_SYS_PTRACE even as root, dumpcap, can
	 * join only through pfqd); pfqd's refusal: its own words */
	if (e == ENOENT || e == ECONNREFUSED)
		group_msg(msg, sizeof(msg), "pfq", gid, why, "; without privileges, join through "
			  "pfqd: %s", pfq_error(NULL));
	else
		group_msg(msg, sizeof(msg), "pfq", gid, pfq_error(NULL), "%s", "");
	return fail(h, e == ENOENT || e == ECONNREFUSED ? PCAP_ERROR_PERM_DENIED : pcap_code(-e),
		    "%s", msg);
}

/* The socket's TX queue on the first listed device, as the tx_* settings
 * say (tx_batch 1: every packet sent at once): at the first inject, or at
 * activation when a TX queue is asked for (a bad one is said then, while
 * the application still has the privileges the queue's TC program needs).
 * 0, or -1 with h->err "what: why". */
static int bind_tx(struct pfqh *h, const char *what)
{
	int queue = h->cfg.tx_queue >= 0 ? h->cfg.tx_queue : PFQ_ANY_QUEUE;
	int core = h->cfg.tx_node >= 0 ? h->cfg.tx_node : PFQ_NO_TX_THREAD;

	if (h->cfg.ndevs < 1) {
		snprintf(h->err, sizeof(h->err), "%s: no device to send on", what);
		return -1;
	}
	if (pfq_set_tx_batch(h->q, h->cfg.tx_batch > 0 ? (size_t)h->cfg.tx_batch : 1) < 0 ||
	    pfq_bind_tx(h->q, h->cfg.devs[0].name, queue, core) < 0) {
		snprintf(h->err, sizeof(h->err), "%s: %s", what, pfq_error(h->q));
		return -1;
	}
	h->tx_bound = true;
	return 0;
}

int pfqh_activate(struct pfqh *h)
{
	char msg[PCAP_ERRBUF_SIZE];
	size_t caplen, slots, tx_slots;
	int err;

	if (h->activated)
		return pfqh_activated(h);
	h->err[0] = '\0';
	err = configure(&h->cfg, h->device, msg, sizeof(msg));
	if (err < 0)
		return fail(h, err, "%s", msg);
	if (h->cfg.group < 0 && h->cfg.ndevs == 0)
		return fail(h, PCAP_ERROR_NO_SUCH_DEVICE, "%s",
			    "pfq: no device listed (pfq:dev[:dev...]) and no group to join "
			    "(PFQ_GROUP, or group = N in a config file)");
	if (h->cfg.group < 0 && h->cfg.nvlans)
		return fail(h, PCAP_ERROR, "%s",
			    "pfq: VLAN filters (PFQ_VLAN) need a group (PFQ_GROUP); without "
			    "one, PFQ_COMPUTATION='vlan_id_filter [...]' selects VLANs");
	/* as stock: 0, negative or too large is the largest (262144) */
	caplen = (size_t)(h->cfg.caplen > 0 ? h->cfg.caplen : h->snaplen);
	if (caplen == 0 || caplen > PFQ_CAPLEN_MAX)
		caplen = PFQ_CAPLEN_MAX;
	h->snaplen = (int)caplen;
	slots = h->cfg.rx_slots > 0 ? (size_t)h->cfg.rx_slots : DEFAULT_SLOTS;
	/* the pcap buffer (-B) fits; as stock, 0 or less is the default and
	 * too much is as much as a ring can be */
	if (h->cfg.rx_slots <= 0 && h->buffer_size > 0 &&
	    (size_t)h->buffer_size / SLOT_BYTES > slots)
		slots = (size_t)h->buffer_size / SLOT_BYTES;
	if (h->cfg.rx_slots <= 0 && slots > BUFFER_SLOTS_MAX)
		slots = BUFFER_SLOTS_MAX;
	/* as stock: a negative read timeout is non-blocking mode */
	if (h->timeout_ms < 0)
		h->nonblock = 1;
	/* without a group the socket's private group; with one, the socket
	 * joins it (default class, shared) and binds the group */
	/* tx_slots: the TX queue pcap_inject uses (0: none) */
	tx_slots = h->cfg.tx_slots >= 0 ? (size_t)h->cfg.tx_slots : DEFAULT_TX_SLOTS;
	if (h->cfg.group < 0)
		h->q = pfq_open(caplen, slots, 0, tx_slots);
	else
		h->q = pfq_open_nogroup(caplen, slots, 0, tx_slots);
	/* as stock: no monitor mode on anything but 802.11 (said once the
	 * socket is tried: without the privilege for it, that is the error) */
	if (h->rfmon && !h->q)
		return fail(h, pcap_code(-errno), "pfq: %s", pfq_error(NULL));
	if (h->rfmon)
		return fail(h, PCAP_ERROR_RFMON_NOTSUP, "%s", "That device doesn't support monitor mode");
	if (!h->q && h->cfg.group >= 0 && (errno == EPERM || errno == EACCES)) {
		/* (pfq_error's buffer is the next call's too) */
		snprintf(msg, sizeof(msg), "%s", pfq_error(NULL));
		return join_through_pfqd(h, caplen, slots, msg);
	}
	if (!h->q)
		return fail(h, pcap_code(-errno), "pfq: %s", pfq_error(NULL));
	pfq_timestamping_enable(h->q, 1);
	if (h->cfg.group >= 0) {
		err = join_group(h);
		if (err == PCAP_ERROR_PERM_DENIED) {
			/* no privilege for the group's programs (CAP_BPF), or a
			 * policy that keeps us out: pfqd may let us in */
			snprintf(msg, sizeof(msg), "%s", h->err);
			return join_through_pfqd(h, caplen, slots, msg);
		}
		if (err)
			return err;
	} else if (h->cfg.computation) {
		/* the socket's own computation: one that only filters, run as
		 * a classic socket filter */
		err = pfq_set_computation(h->q, h->cfg.computation);
		if (err) {
			snprintf(msg, sizeof(msg), "pfq: %s%s", pfq_error(h->q),
				 err == -EOPNOTSUPP ? " (PFQ_GROUP)" : "");
			return fail(h, PCAP_ERROR, "%s", msg);
		}
		pfq_debug("%s: computation '%s' in the socket's classic filter", h->device,
			  h->cfg.computation);
	}
	for (int i = 0; i < h->cfg.ndevs; i++) {
		/* "any" (every device) has no promiscuous mode: as stock,
		 * asking for it changes nothing and says nothing */
		bool any = strcmp(h->cfg.devs[i].name, PFQ_ANY_DEVICE) == 0;

		err = pfq_bind(h->q, h->cfg.devs[i].name, h->cfg.devs[i].queue);
		if (!err && h->promisc && !any)
			err = pfq_set_promisc(h->q, h->cfg.devs[i].name, 1);
		if (err) {
			snprintf(msg, sizeof(msg), "pfq: %s", pfq_error(h->q));
			return fail(h, pcap_code(err), "%s", msg);
		}
	}
	err = pfq_enable(h->q);
	if (err) {
		snprintf(msg, sizeof(msg), "pfq: %s", pfq_error(h->q));
		return fail(h, pcap_code(err), "%s", msg);
	}
	/* (not for "any", nor without a TX queue: inject says those) */
	if (h->cfg.tx_queue >= 0 && h->cfg.ndevs > 0 && h->cfg.tx_slots != 0 &&
	    strcmp(h->cfg.devs[0].name, PFQ_ANY_DEVICE) != 0 && bind_tx(h, "pfq: PFQ_TX_QUEUE") < 0)
		return fail(h, PCAP_ERROR, "%s", h->err);
	err = finish_activation(h, caplen);
	if (err)
		return err;
	pfq_debug("%s: socket %d, group %d, %d device(s), caplen %zu, %zu slots", h->device,
		  pfq_id(h->q), pfq_group_id(h->q), h->cfg.ndevs, caplen, slots);
	return 0;
}

/* Does the program look for VLAN tags inside the frame? pcap_compile on our
 * dead (Ethernet) handle writes `vlan` as EtherType tests at fixed offsets,
 * while the kernel has taken the outer tag out of the frame: such a filter
 * must run where the tag is back in place, on the packets we hand out. */
static bool looks_for_tags(const struct bpf_insn *p, u_int n)
{
	for (u_int i = 0; i < n; i++)
		if (BPF_CLASS(p[i].code) == BPF_JMP && BPF_SRC(p[i].code) == BPF_K &&
		    (p[i].k == 0x8100 || p[i].k == 0x88a8 || p[i].k == 0x9100))
			return true;
	return false;
}

/* A margin after the kernel took a filter: a packet the old filter
 * accepted on another CPU in the moment of the swap is stamped a little
 * later. The new filter run again on a packet it accepted changes nothing. */
#define REFILTER_MARGIN_NS 50000000ull

/* the packets already in the ring get program copy (taken) here */
static void refilter_queued(struct pfqh *h, struct bpf_insn *copy, u_int len, bool meta)
{
	struct timespec now;

	refilter_clear(h);
	/* room to try a tagged packet without its tag (refilter_passes) */
	if (!h->untagged)
		h->untagged = malloc((size_t)h->snaplen);
	if (!h->untagged) {
		pfq_debug("no memory to filter the packets already captured again");
		free(copy);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	h->refilter.bf_len = len;
	h->refilter.bf_insns = copy;
	h->has_refilter = 1;
	h->refilter_meta = meta;
	h->refilter_until = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec +
			    REFILTER_MARGIN_NS;
}

/* A filter that runs in user space replaces the one before it, also when
 * the kernel ran that one: the socket's own filter goes (a group's is the
 * group's, shared by its members: it stays), and so does the refilter. */
static void kernel_filter_reset(struct pfqh *h)
{
	if (h->q && !h->via_pfqd && pfq_group_id(h->q) < 0 && pfq_set_fprog(h->q, NULL) < 0)
		pfq_debug("cannot take the kernel's filter away: %s", pfq_error(h->q));
	refilter_clear(h);
}

/* keep the program for the user-space filter (replacing any) */
static void user_filter(struct pfqh *h, struct bpf_insn *copy, u_int len, bool meta)
{
	if (h->has_filter)
		free(h->filter.bf_insns);
	h->filter.bf_len = len;
	h->filter.bf_insns = copy;
	h->has_filter = copy != NULL;
	h->filter_meta = meta;
	/* (passes, read.c: the frame without its tag) */
	if (meta && copy && !h->untagged)
		h->untagged = malloc((size_t)h->snaplen);
}

/*
 * Where the filter runs: in the kernel (the socket's own filter without a
 * group, the group's BPF filter with one: it then applies to every member,
 * as with the original), so that refused packets are never copied and count
 * as stock libpcap counts them; in user space when, compiled for the dead
 * handle, it looks for VLAN tags inside the frame (see looks_for_tags), or
 * the kernel refuses it. Stock's code (open_compiler in shim.c) reads the
 * tag from the kernel's metadata: it runs in the kernel, and where it must
 * run here it runs on the kernel's view of the frame (filter_run.h).
 */
int pfqh_setfilter(struct pfqh *h, const struct bpf_program *fp)
{
	struct bpf_insn *copy;
	struct sock_fprog sf;
	int gid, err;

	if (!fp || (fp->bf_len && !fp->bf_insns) || fp->bf_len > 0xffff) {
		snprintf(h->err, sizeof(h->err), "setfilter: no filter program");
		return -1;
	}
	/* as stock, before anything: a program the kernel refuses runs in
	 * user space here, where an unchecked one would crash the reader */
	if (!shim_filter_valid(fp->bf_insns, fp->bf_len)) {
		snprintf(h->err, sizeof(h->err), "BPF program is not valid");
		return -1;
	}
	copy = malloc(sizeof(*copy) * (fp->bf_len ? fp->bf_len : 1));
	if (!copy) {
		snprintf(h->err, sizeof(h->err), "setfilter: out of memory");
		return -1;
	}
	memcpy(copy, fp->bf_insns, sizeof(*copy) * fp->bf_len);
	if (h->via_pfqd && fp->bf_len == 1 && copy[0].code == (BPF_RET | BPF_K) && copy[0].k) {
		/* accept-all on pfqd's member: nothing to filter */
		free(copy);
		user_filter(h, NULL, 0, false);
		return 0;
	}
	bool meta = filter_uses_metadata(copy, fp->bf_len);

	/* pfqd's member cannot change the group's filter (it is pfqd's): its
	 * own filter runs on the share it gets. (With a stock compiler, a
	 * program that tests 0x8100 at offset 12 is stock's too: in the
	 * kernel, where it sees untagged frames.) */
	if (!h->q || fp->bf_len == 0 || h->via_pfqd ||
	    (!meta && !h->compiler && looks_for_tags(copy, fp->bf_len))) {
		pfq_debug("filter of %u instructions: in user space", fp->bf_len);
		kernel_filter_reset(h);
		user_filter(h, copy, fp->bf_len, meta);
		return 0;
	}
	sf.len = (unsigned short)fp->bf_len;
	sf.filter = (struct sock_filter *)copy;
	gid = pfq_group_id(h->q);
	if (gid >= 0) {
		/* tcpdump sets an accept-all program when given no expression:
		 * that instance has no filter to give, so the group keeps the
		 * one another member set */
		bool accept_all = fp->bf_len == 1 && copy[0].code == (BPF_RET | BPF_K) &&
				  copy[0].k != 0;

		err = accept_all ? 0 : pfq_group_fprog(h->q, gid, &sf);
		if (err == -EPERM) {
			/* A changed group filter is a new program, and loading
			 * one needs CAP_BPF, which this process lacks (joining a
			 * group that exists does not need it; the same expression
			 * again changes nothing): the group keeps its filter,
			 * and this instance's own runs on what it gets */
			pfq_debug("group filter unchanged (%s): this instance's filter in user "
				  "space", pfq_error(h->q));
			kernel_filter_reset(h);
			user_filter(h, copy, fp->bf_len, meta);
			return 0;
		}
		if (err < 0) {
			group_msg(h->err, sizeof(h->err), "setfilter", gid, pfq_error(h->q), "%s", "");
			free(copy);
			return -1;
		}
		pfq_debug("filter of %u instructions: %s", fp->bf_len,
			  accept_all ? "accept-all, the group's filter stays" : "the group's, in the kernel");
		if (accept_all)
			free(copy);
		else
			refilter_queued(h, copy, fp->bf_len, meta);
		user_filter(h, NULL, 0, false);
		return 0;
	}
	if (pfq_set_fprog(h->q, &sf) < 0) {
		pfq_debug("kernel refused the filter (%s): in user space", pfq_error(h->q));
		kernel_filter_reset(h);
		user_filter(h, copy, fp->bf_len, meta);
		return 0;
	}
	pfq_debug("filter of %u instructions: the socket's, in the kernel", fp->bf_len);
	refilter_queued(h, copy, fp->bf_len, meta);
	user_filter(h, NULL, 0, false);
	return 0;
}

int pfqh_setdirection(struct pfqh *h, pcap_direction_t d)
{
	if (!h->activated)
		return pfqh_not_activated(h);
	if (d != PCAP_D_IN && d != PCAP_D_OUT && d != PCAP_D_INOUT) {
		snprintf(h->err, sizeof(h->err), "Invalid direction");
		return -1;
	}
	/* applied when reading (read.c), as stock does: the kernel still
	 * takes both directions and counts them in ps_recv */
	h->direction = d;
	return 0;
}

int pfqh_inject(struct pfqh *h, const void *buf, size_t len)
{
	int n;

	if (!h->activated)
		return pfqh_not_activated(h);
	if (len > INT_MAX) {
		snprintf(h->err, sizeof(h->err), "inject: a packet of %zu bytes is too long", len);
		return PCAP_ERROR;
	}
	if (!h->tx_bound && bind_tx(h, "inject") < 0)
		return PCAP_ERROR;
	if (h->cfg.tx_batch <= 1) {
		n = pfq_send(h->q, buf, len, 1);
	} else {
		/* batched: flushed every tx_batch packets and at pcap_close;
		 * a full queue is flushed rather than a packet lost */
		n = pfq_send_async(h->q, buf, len, 1);
		if (n == 0 && pfq_sync_queue(h->q, 0) == 0)
			n = pfq_send_async(h->q, buf, len, 1);
		if (n == 0) {
			snprintf(h->err, sizeof(h->err), "inject: the TX queue is full");
			return PCAP_ERROR;
		}
	}
	if (n < 0) {
		snprintf(h->err, sizeof(h->err), "inject: %s", pfq_error(h->q));
		return PCAP_ERROR;
	}
	return n;
}
