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

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API __attribute__((visibility("default")))
#define REAL(name) ((__typeof__(&name))real_sym(#name))

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
	void *f = dlsym(RTLD_NEXT, name), *lib;

	if (!f && (lib = shim_system_libpcap()))
		f = dlsym(lib, name);
	if (!f) {
		fprintf(stderr, "libpfq-pcap: the system libpcap (%s) has no %s\n",
			PFQ_SYSTEM_LIBPCAP, name);
		abort();
	}
	return f;
}

int shim_offline_filter(const struct bpf_program *fp, const struct pcap_pkthdr *h,
			const u_char *data)
{
	return REAL(pcap_offline_filter)(fp, h, data);
}

/* ---- the table of our handles ---- */
#define MAX_HANDLES 256
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct pfqh *handles[MAX_HANDLES];

static struct pfqh *ours(pcap_t *p)
{
	struct pfqh *h = NULL;

	if (!p)
		return NULL;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_HANDLES && !h; i++)
		if (handles[i] && handles[i]->p == p)
			h = handles[i];
	pthread_mutex_unlock(&lock);
	return h;
}

static int track(struct pfqh *h)
{
	int ok = -1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_HANDLES && ok < 0; i++)
		if (!handles[i]) {
			handles[i] = h;
			ok = 0;
		}
	pthread_mutex_unlock(&lock);
	return ok;
}

static void untrack(struct pfqh *h)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_HANDLES; i++)
		if (handles[i] == h)
			handles[i] = NULL;
	pthread_mutex_unlock(&lock);
}

/* ---- creating handles ---- */
API pcap_t *pcap_create(const char *source, char *errbuf)
{
	struct pfqh *h;

	if (!pfq_pcap_is_device(source))
		return REAL(pcap_create)(source, errbuf);
	h = pfqh_new(source, REAL(pcap_open_dead)(DLT_EN10MB, 262144), errbuf);
	if (!h)
		return NULL;
	if (track(h) < 0) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "too many pfq handles");
		REAL(pcap_close)(h->p);
		pfqh_free(h);
		return NULL;
	}
	return h->p;
}

API pcap_t *pcap_open_live(const char *device, int snaplen, int promisc, int to_ms, char *errbuf)
{
	pcap_t *p;
	struct pfqh *h;

	if (!pfq_pcap_is_device(device))
		return REAL(pcap_open_live)(device, snaplen, promisc, to_ms, errbuf);
	p = pcap_create(device, errbuf);
	h = ours(p);
	if (!h)
		return NULL;
	h->snaplen = snaplen;
	h->promisc = promisc;
	h->timeout_ms = to_ms;
	if (pfqh_activate(h) < 0) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", h->err);
		pcap_close(p);
		return NULL;
	}
	return p;
}

API int pcap_activate(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_activate(h) : REAL(pcap_activate)(p);
}

API void pcap_close(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (h) {
		untrack(h);
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
			return PCAP_ERROR_ACTIVATED;               \
		h->field = v;                                      \
		return 0;                                          \
	}
SETTER(pcap_set_snaplen, snaplen)
SETTER(pcap_set_promisc, promisc)
SETTER(pcap_set_timeout, timeout_ms)
SETTER(pcap_set_buffer_size, buffer_size)
SETTER(pcap_set_immediate_mode, immediate)

API int pcap_set_rfmon(pcap_t *p, int v)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_set_rfmon)(p, v);
	return h->activated ? PCAP_ERROR_ACTIVATED : 0; /* applied (refused) at activation */
}

API int pcap_can_set_rfmon(pcap_t *p)
{
	return ours(p) ? 0 : REAL(pcap_can_set_rfmon)(p);
}

API int pcap_set_tstamp_precision(pcap_t *p, int v)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_set_tstamp_precision)(p, v);
	if (h->activated)
		return PCAP_ERROR_ACTIVATED;
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
		return PCAP_ERROR_ACTIVATED;
	/* the kernel's receive stamp is the host clock */
	return v == PCAP_TSTAMP_HOST ? 0 : PCAP_WARNING_TSTAMP_TYPE_NOTSUP;
}

API int pcap_set_protocol_linux(pcap_t *p, int v)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_set_protocol_linux)(p, v);
	return h->activated ? PCAP_ERROR_ACTIVATED : 0;
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

API void pcap_breakloop(pcap_t *p)
{
	struct pfqh *h = ours(p);

	if (h)
		h->break_loop = 1;
	else
		REAL(pcap_breakloop)(p);
}

API int pcap_setfilter(pcap_t *p, struct bpf_program *fp)
{
	struct pfqh *h = ours(p);

	return h ? pfqh_setfilter(h, fp) : REAL(pcap_setfilter)(p, fp);
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

	return h ? (h->q ? pfq_get_fd(h->q) : -1) : REAL(pcap_get_selectable_fd)(p);
}

API int pcap_fileno(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? (h->q ? pfq_get_fd(h->q) : -1) : REAL(pcap_fileno)(p);
}

API const struct timeval *pcap_get_required_select_timeout(pcap_t *p)
{
	return ours(p) ? NULL : REAL(pcap_get_required_select_timeout)(p);
}

API int pcap_setnonblock(pcap_t *p, int nb, char *errbuf)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_setnonblock)(p, nb, errbuf);
	h->nonblock = nb != 0;
	return 0;
}

API int pcap_getnonblock(pcap_t *p, char *errbuf)
{
	struct pfqh *h = ours(p);

	return h ? h->nonblock : REAL(pcap_getnonblock)(p, errbuf);
}

API int pcap_snapshot(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? h->snaplen : REAL(pcap_snapshot)(p);
}

API int pcap_bufsize(pcap_t *p)
{
	struct pfqh *h = ours(p);

	return h ? h->buffer_size : REAL(pcap_bufsize)(p);
}

API int pcap_datalink(pcap_t *p)
{
	return ours(p) ? DLT_EN10MB : REAL(pcap_datalink)(p);
}

API int pcap_datalink_ext(pcap_t *p)
{
	return ours(p) ? DLT_EN10MB : REAL(pcap_datalink_ext)(p);
}

API int pcap_set_datalink(pcap_t *p, int dlt)
{
	struct pfqh *h = ours(p);

	if (!h)
		return REAL(pcap_set_datalink)(p, dlt);
	if (dlt == DLT_EN10MB)
		return 0;
	snprintf(h->err, sizeof(h->err), "pfq devices are Ethernet only (DLT_EN10MB)");
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
	return len >= 0 && pfqh_inject(h, buf, (size_t)len) == len ? 0 : -1;
}

/* ---- files: a dumper with our precision and snap length ---- */
static pcap_t *dump_template(struct pfqh *h)
{
	return REAL(pcap_open_dead_with_tstamp_precision)(DLT_EN10MB, h->snaplen, h->precision);
}

#define DUMPER(name, arg_t)                                                           \
	API pcap_dumper_t *name(pcap_t *p, arg_t a)                                   \
	{                                                                             \
		struct pfqh *h = ours(p);                                             \
		pcap_t *t;                                                            \
		pcap_dumper_t *d;                                                     \
		if (!h)                                                               \
			return REAL(name)(p, a);                                      \
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

/* ---- devices: the pfq pseudo-device is listed first ---- */
API int pcap_findalldevs(pcap_if_t **all, char *errbuf)
{
	int r = REAL(pcap_findalldevs)(all, errbuf);
	pcap_if_t *d;

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
	d->next = *all;
	*all = d;
	return 0;
}

/* ---- the rest of the calls that take a pcap_t: never let libpcap see our
 * state, even where its answer on the dead handle would do ---- */
API int pcap_compile(pcap_t *p, struct bpf_program *fp, const char *str, int optimize,
		     bpf_u_int32 netmask)
{
	struct pfqh *h = ours(p);
	/* compiled for the dead Ethernet handle: the frames we hand out carry
	 * their VLAN tags inline, as that code expects */
	int r = REAL(pcap_compile)(p, fp, str, optimize, netmask);

	if (h && r < 0)
		snprintf(h->err, sizeof(h->err), "%s", REAL(pcap_geterr)(p));
	return r;
}

API int pcap_is_swapped(pcap_t *p)
{
	return ours(p) ? 0 : REAL(pcap_is_swapped)(p);
}

API int pcap_major_version(pcap_t *p)
{
	return ours(p) ? PCAP_VERSION_MAJOR : REAL(pcap_major_version)(p);
}

API int pcap_minor_version(pcap_t *p)
{
	return ours(p) ? PCAP_VERSION_MINOR : REAL(pcap_minor_version)(p);
}

API FILE *pcap_file(pcap_t *p)
{
	return ours(p) ? NULL : REAL(pcap_file)(p);
}

/* a list of one value, freed by the application with pcap_free_* (free) */
static int one_value(struct pfqh *h, int **list, int value)
{
	*list = malloc(sizeof(int));
	if (!*list) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		return PCAP_ERROR;
	}
	**list = value;
	return 1;
}

API int pcap_list_datalinks(pcap_t *p, int **dlts)
{
	struct pfqh *h = ours(p);

	return h ? one_value(h, dlts, DLT_EN10MB) : REAL(pcap_list_datalinks)(p, dlts);
}

API int pcap_list_tstamp_types(pcap_t *p, int **types)
{
	struct pfqh *h = ours(p);

	return h ? one_value(h, types, PCAP_TSTAMP_HOST) : REAL(pcap_list_tstamp_types)(p, types);
}
