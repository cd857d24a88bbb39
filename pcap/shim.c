/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpfq-pcap: the libpcap ABI for unmodified programs. Devices named
 * `pfq...` are served by a PFQ socket; every other call goes to the system
 * libpcap (found with dlsym(RTLD_NEXT)), which also compiles filters and
 * reads and writes files.
 *
 * A pfq handle is a real pcap_t made by pcap_open_dead (Ethernet), so that
 * the calls we pass on to libpcap (pcap_compile, pcap_datalink_*, ...) work
 * on it, and a call we would not know about meets a harmless dead handle,
 * never our state. Our state is found from the pcap_t in a small table.
 *
 * Groups, computations and filters are the handle's business (handle.c):
 * with PFQ_GROUP the socket joins the group; pcap_setfilter becomes the
 * group's (or the socket's own) BPF filter in the kernel.
 */
#include "config.h"
#include "handle.h"
#include "table.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API __attribute__((visibility("default")))

#ifndef PFQ_SYSTEM_LIBPCAP
#define PFQ_SYSTEM_LIBPCAP "libpcap.so.0.8"
#endif

/*
 * The system libpcap. Preloaded (pfq-run), it comes after us in the search
 * order: RTLD_NEXT. Installed as the drop-in libpcap.so.0.8 (dropin.c), we
 * are the only libpcap the program knows, so the system one is opened by its
 * path; its own calls to pcap_* exports then come back through us and are
 * passed on, as every handle that is not ours is.
 */
void *shim_system_libpcap(void)
{
	static void *lib;

	if (!lib)
		lib = dlopen(PFQ_SYSTEM_LIBPCAP, RTLD_NOW | RTLD_LOCAL);
	return lib;
}

static void *real_sym(const char *name)
{
	void *f = NULL, *lib;

#ifndef PFQ_DROPIN
	f = dlsym(RTLD_NEXT, name);
#endif
	if (!f && (lib = shim_system_libpcap()))
		f = dlsym(lib, name);
	if (!f) {
		fprintf(stderr, "libpfq-pcap: the system libpcap (%s) has no %s\n",
			PFQ_SYSTEM_LIBPCAP, name);
		abort();
	}
	return f;
}

/*
 * Every system function we call, resolved once, before main (or at the
 * first call, for a library that calls libpcap from its own constructor).
 * Until then pfq_table_live holds an extra 1, so that the lock-free
 * "is it ours" (table.h) takes its slow path, which resolves first: the
 * fast path, for handles that are not ours, is one load and a jump.
 */
#define SYSTEM(X) X(pcap_create) X(pcap_open_live) X(pcap_open_dead) \
	X(pcap_open_dead_with_tstamp_precision) X(pcap_activate) X(pcap_close) \
	X(pcap_set_snaplen) X(pcap_set_promisc) X(pcap_set_timeout) X(pcap_set_buffer_size) \
	X(pcap_set_immediate_mode) X(pcap_set_rfmon) X(pcap_can_set_rfmon) \
	X(pcap_set_tstamp_precision) X(pcap_get_tstamp_precision) X(pcap_set_tstamp_type) \
	X(pcap_set_protocol_linux) X(pcap_dispatch) X(pcap_loop) X(pcap_next_ex) X(pcap_next) \
	X(pcap_breakloop) X(pcap_setfilter) X(pcap_setdirection) X(pcap_stats) \
	X(pcap_get_selectable_fd) X(pcap_fileno) X(pcap_get_required_select_timeout) \
	X(pcap_setnonblock) X(pcap_getnonblock) X(pcap_snapshot) X(pcap_bufsize) \
	X(pcap_datalink) X(pcap_datalink_ext) X(pcap_set_datalink) X(pcap_geterr) X(pcap_perror) \
	X(pcap_inject) X(pcap_sendpacket) X(pcap_dump_open) X(pcap_dump_open_append) \
	X(pcap_dump_fopen) X(pcap_findalldevs) X(pcap_compile) X(pcap_is_swapped) \
	X(pcap_major_version) X(pcap_minor_version) X(pcap_file) X(pcap_list_datalinks) \
	X(pcap_list_tstamp_types) X(pcap_offline_filter) X(pcap_lookupnet) \
	X(pcap_datalink_val_to_name) X(pcap_statustostr) X(bpf_validate)
#define SLOT(name) __typeof__(&name) name;
static struct { SYSTEM(SLOT) } real;
#define REAL(name) (real.name)

static int resolved_all; /* set once every pointer of real is in place */

static void resolve_all(void)
{
#define RESOLVE(name) real.name = (__typeof__(&name))real_sym(#name);
	SYSTEM(RESOLVE)
	__atomic_store_n(&resolved_all, 1, __ATOMIC_RELEASE);
}

static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void resolve(void)
{
	if (!__atomic_load_n(&resolved_all, __ATOMIC_ACQUIRE))
		pthread_once(&resolved, resolve_all);
}

__attribute__((constructor(101))) static void shim_init(void)
{
	resolve();
	__atomic_sub_fetch(&pfq_table_live, 1, __ATOMIC_RELEASE);
}

/* with pfq handles open (or before the constructor): the table */
__attribute__((noinline)) static struct pfqh *ours_slow(const pcap_t *p)
{
	resolve();
	return pfq_table_find(p);
}

/* The pfq state behind p, or NULL: then REAL() is ready too. */
static inline struct pfqh *ours(const pcap_t *p)
{
	if (__builtin_expect(__atomic_load_n(&pfq_table_live, __ATOMIC_ACQUIRE) == 0, 1))
		return NULL;
	return ours_slow(p);
}

/* for calls that take no pcap_t */
static void ready(void)
{
	if (__atomic_load_n(&pfq_table_live, __ATOMIC_ACQUIRE) != 0)
		resolve();
}

int shim_offline_filter(const struct bpf_program *fp, const struct pcap_pkthdr *h,
			const u_char *data)
{
	return REAL(pcap_offline_filter)(fp, h, data);
}

int shim_filter_valid(const struct bpf_insn *f, u_int len)
{
	resolve();
	return len <= INT_MAX && REAL(bpf_validate)(f, (int)len);
}

const char *shim_datalink_name(int dlt)
{
	return REAL(pcap_datalink_val_to_name)(dlt);
}

/* ---- creating handles ---- */
API pcap_t *pcap_create(const char *source, char *errbuf)
{
	struct pfqh *h;

	ready();
	if (!pfq_pcap_is_device(source))
		return REAL(pcap_create)(source, errbuf);
	h = pfqh_new(source, REAL(pcap_open_dead)(DLT_EN10MB, PFQ_CAPLEN_MAX), errbuf);
	if (!h)
		return NULL;
	if (pfq_table_add(h->p, h) < 0) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "too many pfq handles");
		REAL(pcap_close)(h->p);
		pfqh_free(h);
		return NULL;
	}
	return h->p;
}

/* a message in an error buffer, cut at its size as libpcap's are */
static void say(char *errbuf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, PCAP_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

API pcap_t *pcap_open_live(const char *device, int snaplen, int promisc, int to_ms, char *errbuf)
{
	pcap_t *p;
	struct pfqh *h;
	int status;

	ready();
	if (!pfq_pcap_is_device(device))
		return REAL(pcap_open_live)(device, snaplen, promisc, to_ms, errbuf);
	p = pcap_create(device, errbuf);
	h = ours(p);
	if (!h)
		return NULL;
	h->snaplen = snaplen;
	h->promisc = promisc;
	h->timeout_ms = to_ms;
	status = pfqh_activate(h);
	if (status < 0) {
		/* worded as stock pcap_open_live words it */
		if (status == PCAP_ERROR)
			say(errbuf, "%s: %s", device, h->err);
		else if (status == PCAP_ERROR_NO_SUCH_DEVICE || status == PCAP_ERROR_PERM_DENIED)
			say(errbuf, "%s: %s (%s)", device, REAL(pcap_statustostr)(status), h->err);
		else
			say(errbuf, "%s: %s", device, REAL(pcap_statustostr)(status));
		pcap_close(p);
		return NULL;
	}
	return p;
}

/*
 * The filter compiler of a pfq handle: a stock live handle on the same
 * device (or lo), so that pcap_compile writes what stock writes on Linux
 * (`vlan` read from the kernel's tag metadata, as the kernel takes the
 * outer tag out of a received frame) and the program runs in the kernel
 * as stock's does, with stock's results. It is bound to an EtherType that
 * nothing sends (0x88b5, local experimental), so it receives nothing and
 * costs no packet anything. It needs CAP_NET_RAW; without (a member made
 * by pfqd for an unprivileged user) the dead Ethernet handle compiles and
 * VLAN tests run in user space on the tagged frames (handle.c).
 */
static pcap_t *open_compiler(const struct pfqh *h)
{
	const char *names[2] = { h->cfg.ndevs ? h->cfg.devs[0].name : "lo", "lo" };
	char err[PCAP_ERRBUF_SIZE];

	for (int i = 0; i < 2; i++) {
		pcap_t *c = REAL(pcap_create)(names[i], err);

		if (!c)
			continue;
		REAL(pcap_set_snaplen)(c, h->snaplen);
		REAL(pcap_set_buffer_size)(c, 65536);
		REAL(pcap_set_protocol_linux)(c, 0x88b5);
		if (REAL(pcap_activate)(c) >= 0 && REAL(pcap_datalink)(c) == DLT_EN10MB) {
			pfq_debug("%s: filters compiled as stock's on %s", h->device, names[i]);
			return c;
		}
		REAL(pcap_close)(c);
	}
	pfq_debug("%s: no stock handle to compile with: VLAN tests in user space", h->device);
	return NULL;
}

API int pcap_activate(pcap_t *p)
{
	struct pfqh *h = ours(p);
	int r;

	if (!h)
		return REAL(pcap_activate)(p);
	r = pfqh_activate(h);
	if (r >= 0 && !h->compiler)
		h->compiler = open_compiler(h);
	return r;
}

API void pcap_close(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (h) {
		pfq_table_remove(p);
		if (h->compiler)
			REAL(pcap_close)(h->compiler);
		pfqh_free(h);
	}
	REAL(pcap_close)(p);
}

/* settings before activation */
#define SETTER(name, field)                                        \
	API int name(pcap_t *p, int v)                             \
	{                                                          \
		struct pfqh *h = ours(p);                          \
		if (!h)                                            \
			return REAL(name)(p, v);                   \
		if (h->activated)                                  \
			return pfqh_activated(h);                  \
		h->field = v;                                      \
		return 0;                                          \
	}
SETTER(pcap_set_snaplen, snaplen)
SETTER(pcap_set_promisc, promisc)
SETTER(pcap_set_timeout, timeout_ms)
SETTER(pcap_set_buffer_size, buffer_size)
SETTER(pcap_set_immediate_mode, immediate)
SETTER(pcap_set_rfmon, rfmon) /* refused at activation, as on a wired device */

API int pcap_can_set_rfmon(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_can_set_rfmon)(p);
	return 0; /* as stock on a wired device, activated or not */
}

API int pcap_set_tstamp_precision(pcap_t *p, int v)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_set_tstamp_precision)(p, v);
	if (h->activated)
		return pfqh_activated(h);
	if (v != PCAP_TSTAMP_PRECISION_MICRO && v != PCAP_TSTAMP_PRECISION_NANO)
		return PCAP_ERROR_TSTAMP_PRECISION_NOTSUP;
	h->precision = v;
	return 0;
}

API int pcap_get_tstamp_precision(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? h->precision : REAL(pcap_get_tstamp_precision)(p);
}

API int pcap_set_tstamp_type(pcap_t *p, int v)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_set_tstamp_type)(p, v);
	if (h->activated)
		return pfqh_activated(h);
	/* the kernel's receive stamp is the host clock */
	return v == PCAP_TSTAMP_HOST ? 0 : PCAP_WARNING_TSTAMP_TYPE_NOTSUP;
}

API int pcap_set_protocol_linux(pcap_t *p, int v)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_set_protocol_linux)(p, v);
	return h->activated ? pfqh_activated(h) : 0;
}

/* ---- reading ---- */
API int pcap_dispatch(pcap_t *p, int cnt, pcap_handler cb, u_char *user)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_dispatch(h, cnt, cb, user) : REAL(pcap_dispatch)(p, cnt, cb, user);
}

API int pcap_loop(pcap_t *p, int cnt, pcap_handler cb, u_char *user)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_loop(h, cnt, cb, user) : REAL(pcap_loop)(p, cnt, cb, user);
}

API int pcap_next_ex(pcap_t *p, struct pcap_pkthdr **hdr, const u_char **data)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_next_ex(h, hdr, data) : REAL(pcap_next_ex)(p, hdr, data);
}

API const u_char *pcap_next(pcap_t *p, struct pcap_pkthdr *hdr)
{
	struct pfqh *h = ours(p);
	struct pcap_pkthdr *ph;
	const u_char *data;

	if (!h)
		return REAL(pcap_next)(p, hdr);
	if (pfqh_next_ex(h, &ph, &data) != 1)
		return NULL;
	*hdr = *ph;
	return data;
}

/* async-signal-safe, as stock's: no lock, no allocation */
API void pcap_breakloop(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (h)
		pfqh_breakloop(h);
	else
		REAL(pcap_breakloop)(p);
}

API int pcap_setfilter(pcap_t *p, struct bpf_program *fp)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_setfilter)(p, fp);
	return h->activated ? pfqh_setfilter(h, fp) : pfqh_not_activated(h);
}

API int pcap_setdirection(pcap_t *p, pcap_direction_t d)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_setdirection(h, d) : REAL(pcap_setdirection)(p, d);
}

API int pcap_stats(pcap_t *p, struct pcap_stat *ps)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_stats(h, ps) : REAL(pcap_stats)(p, ps);
}

API int pcap_get_selectable_fd(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? (h->activated ? pfq_get_fd(h->q) : -1) : REAL(pcap_get_selectable_fd)(p);
}

API int pcap_fileno(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? (h->activated ? pfq_get_fd(h->q) : -1) : REAL(pcap_fileno)(p);
}

API const struct timeval *pcap_get_required_select_timeout(pcap_t *p)
{
	return ours(p) ? NULL : REAL(pcap_get_required_select_timeout)(p);
}

API int pcap_setnonblock(pcap_t *p, int nb, char *errbuf)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_setnonblock(h, nb, errbuf) : REAL(pcap_setnonblock)(p, nb, errbuf);
}

API int pcap_getnonblock(pcap_t *p, char *errbuf)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_getnonblock(h, errbuf) : REAL(pcap_getnonblock)(p, errbuf);
}

API int pcap_snapshot(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_snapshot)(p);
	/* (stock says nothing in the error buffer for these four) */
	return h->activated ? h->snaplen : PCAP_ERROR_NOT_ACTIVATED;
}

API int pcap_bufsize(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_bufsize)(p);
	/* as stock on Linux, whatever the buffer size and snapshot length:
	 * the size of its buffer for one packet, not of the ring */
	return h->activated ? (int)PFQ_CAPLEN_MAX : PCAP_ERROR_NOT_ACTIVATED;
}

API int pcap_datalink(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_datalink)(p);
	return h->activated ? h->dlt : PCAP_ERROR_NOT_ACTIVATED;
}

API int pcap_datalink_ext(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_datalink_ext)(p);
	/* the link type's extension bits (none for ours), not the type */
	return h->activated ? 0 : PCAP_ERROR_NOT_ACTIVATED;
}

/* An Ethernet device offers DLT_EN10MB and DLT_DOCSIS (Ethernet frames
 * that a DOCSIS cable modem passes on), as with stock libpcap; loopback
 * only the first (h->ndlts). */
static const int dlts[] = { DLT_EN10MB, DLT_DOCSIS };

API int pcap_set_datalink(pcap_t *p, int dlt)
{
	struct pfqh *h = ours(p);
	const char *name;

	if (!h)
		return REAL(pcap_set_datalink)(p, dlt);
	/* (as stock: before activation the handle's link type is 0, and
	 * asking for the one it has is no error) */
	if (!h->activated && dlt == 0)
		return 0;
	for (int i = 0; i < h->ndlts; i++)
		if (h->activated && dlt == dlts[i]) {
			h->dlt = dlt;
			return 0;
		}
	name = dlt >= 0 ? shim_datalink_name(dlt) : NULL;
	if (name)
		snprintf(h->err, sizeof(h->err),
			 "%s is not one of the DLTs supported by this device", name);
	else
		snprintf(h->err, sizeof(h->err),
			 "DLT %d is not one of the DLTs supported by this device", dlt);
	return -1;
}

API char *pcap_geterr(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? h->err : REAL(pcap_geterr)(p);
}

API void pcap_perror(pcap_t *p, const char *prefix)
{
	struct pfqh *h = ours(p);

	if (h)
		fprintf(stderr, "%s: %s\n", prefix, h->err);
	else
		REAL(pcap_perror)(p, prefix);
}

API int pcap_inject(pcap_t *p, const void *buf, size_t len)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_inject(h, buf, len) : REAL(pcap_inject)(p, buf, len);
}

API int pcap_sendpacket(pcap_t *p, const u_char *buf, int len)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_sendpacket)(p, buf, len);
	if (len <= 0) {
		/* (stock adds the errno of the moment, whatever it is) */
		snprintf(h->err, sizeof(h->err),
			 "The number of bytes to be sent must be positive: %s", strerror(errno));
		return PCAP_ERROR;
	}
	return pfqh_inject(h, buf, (size_t)len) == len ? 0 : -1;
}

/* ---- files: a dumper with our precision and snap length ---- */
static pcap_t *dump_template(struct pfqh *h)
{
	return REAL(pcap_open_dead_with_tstamp_precision)(h->dlt, h->snaplen, h->precision);
}

/* how stock names the output in its messages: the file's name, or "stream" */
static const char *dump_file_name(const char *fname)
{
	return fname;
}

static const char *dump_stream_name(FILE *f)
{
	(void)f;
	return "stream";
}

#define dump_name(a) _Generic((a), FILE *: dump_stream_name, default: dump_file_name)(a)

#define DUMPER(name, arg_t)                                                           \
	API pcap_dumper_t *name(pcap_t *p, arg_t a)                                   \
	{                                                                             \
		struct pfqh *h = ours(p);                                             \
		pcap_t *t;                                                            \
		pcap_dumper_t *d;                                                     \
		if (!h)                                                               \
			return REAL(name)(p, a);                                      \
		if (!h->activated) {                                                  \
			snprintf(h->err, sizeof(h->err), "%s: not-yet-activated pcap_t " \
				 "passed to " #name, dump_name(a));                    \
			return NULL;                                                  \
		}                                                                     \
		t = dump_template(h);                                                 \
		if (!t) {                                                             \
			snprintf(h->err, sizeof(h->err), "out of memory");            \
			return NULL;                                                  \
		}                                                                     \
		d = REAL(name)(t, a);                                                 \
		if (!d)                                                               \
			snprintf(h->err, sizeof(h->err), "%s", REAL(pcap_geterr)(t)); \
		REAL(pcap_close)(t);                                                  \
		return d;                                                             \
	}
DUMPER(pcap_dump_open, const char *)
DUMPER(pcap_dump_open_append, const char *)
DUMPER(pcap_dump_fopen, FILE *)

/* ---- devices ---- */
/* The pfq pseudo-device comes last, after stock's own pseudo-devices
 * ("any", ...): the first device is the default one (tcpdump without -i,
 * pcap_lookupdev) and the indexes of tcpdump -D stay what they were. */
API int pcap_findalldevs(pcap_if_t **all, char *errbuf)
{
	int r;
	pcap_if_t *d, **end;

	ready();
	r = REAL(pcap_findalldevs)(all, errbuf);
	if (r < 0)
		return r;
	d = calloc(1, sizeof(*d));
	if (!d)
		return 0;
	d->name = strdup("pfq");
	d->description = strdup("PFQ capture: pfq[/config]:dev[:dev...], groups with PFQ_GROUP");
	if (!d->name || !d->description) {
		free(d->name);
		free(d->description);
		free(d);
		return 0;
	}
	d->flags = PCAP_IF_UP | PCAP_IF_RUNNING | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE;
	for (end = all; *end; end = &(*end)->next)
		;
	*end = d;
	return 0;
}

/* A pfq device's network is its first device's; a group's, that of the
 * first device the group is bound to; with neither, none (0, as stock
 * answers for "any"). */
API int pcap_lookupnet(const char *device, bpf_u_int32 *net, bpf_u_int32 *mask, char *errbuf)
{
	char dev[16];

	ready();
	if (!pfq_pcap_is_device(device))
		return REAL(pcap_lookupnet)(device, net, mask, errbuf);
	if (pfqh_first_device(device, dev, errbuf) < 0)
		return PCAP_ERROR;
	if (dev[0])
		return REAL(pcap_lookupnet)(dev, net, mask, errbuf);
	*net = *mask = 0;
	return 0;
}

/* ---- the rest of the calls that take a pcap_t: never let libpcap see our
 * state, even where its answer on the dead handle would do ---- */
API int pcap_compile(pcap_t *p, struct bpf_program *fp, const char *str, int optimize,
		     bpf_u_int32 netmask)
{
	struct pfqh *h = ours(p);
	int r;

	if (h && !h->activated) {
		snprintf(h->err, sizeof(h->err), "not-yet-activated pcap_t passed to pcap_compile");
		return PCAP_ERROR;
	}
	/* as stock compiles for the device (open_compiler); else for the
	 * dead Ethernet handle, whose code expects the VLAN tags inline, as
	 * in the frames we hand out */
	pcap_t *c = h && h->compiler && h->dlt == DLT_EN10MB ? h->compiler : p;

	r = REAL(pcap_compile)(c, fp, str, optimize, netmask);
	if (h && r < 0)
		snprintf(h->err, sizeof(h->err), "%s", REAL(pcap_geterr)(c));
	return r;
}

/* a live handle's answer, once activated (as stock: before, not one) */
static int live_answer(const struct pfqh *h, int value)
{
	return h->activated ? value : PCAP_ERROR_NOT_ACTIVATED;
}

API int pcap_is_swapped(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? live_answer(h, 0) : REAL(pcap_is_swapped)(p);
}

API int pcap_major_version(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? live_answer(h, PCAP_VERSION_MAJOR) : REAL(pcap_major_version)(p);
}

API int pcap_minor_version(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? live_answer(h, PCAP_VERSION_MINOR) : REAL(pcap_minor_version)(p);
}

API FILE *pcap_file(pcap_t *p)
{
	return ours(p) ? NULL : REAL(pcap_file)(p);
}

/* a list for the application to free with pcap_free_* (free) */
static int list_of(struct pfqh *h, int **list, const int *values, int n, bool any_time)
{
	if (!h->activated && !any_time)
		return pfqh_not_activated(h);
	*list = malloc(sizeof(int) * (size_t)n);
	if (!*list) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		return PCAP_ERROR;
	}
	memcpy(*list, values, sizeof(int) * (size_t)n);
	return n;
}

API int pcap_list_datalinks(pcap_t *p, int **list)
{
	struct pfqh *h = ours(p);

	return h ? list_of(h, list, dlts, h->ndlts, false) : REAL(pcap_list_datalinks)(p, list);
}

API int pcap_list_tstamp_types(pcap_t *p, int **types)
{
	static const int host = PCAP_TSTAMP_HOST;
	struct pfqh *h = ours(p);

	/* (as stock: known before activation too) */
	return h ? list_of(h, types, &host, 1, true) : REAL(pcap_list_tstamp_types)(p, types);
}
