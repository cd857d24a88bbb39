/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "table.h"

#include <pthread.h>
#include <stddef.h>

#define MAX_HANDLES 4096 /* (a pfq handle is a socket with rings: far more than enough) */

/* A slot holds the application's pcap_t and our state. Readers load the
 * key and then the state, without a lock; writers (open and close, never
 * from a signal handler) take a mutex among themselves. A reader can only
 * meet a slot changing under it when the application closes the handle it
 * is using, which libpcap does not allow either. */
static struct slot {
	const pcap_t *key;
	struct pfqh *h;
} slots[MAX_HANDLES];
static int used; /* slots [0, used) may be in use: scans stop there */
static pthread_mutex_t writers = PTHREAD_MUTEX_INITIALIZER;
int pfq_table_live = 1;

struct pfqh *pfq_table_find(const pcap_t *p)
{
	int n = __atomic_load_n(&used, __ATOMIC_ACQUIRE);

	if (!p)
		return NULL;
	for (int i = 0; i < n; i++)
		if (__atomic_load_n(&slots[i].key, __ATOMIC_ACQUIRE) == p)
			return __atomic_load_n(&slots[i].h, __ATOMIC_ACQUIRE);
	return NULL;
}

int pfq_table_add(pcap_t *p, struct pfqh *h)
{
	int i, r = -1;

	pthread_mutex_lock(&writers);
	for (i = 0; i < MAX_HANDLES; i++)
		if (!slots[i].key)
			break;
	if (i < MAX_HANDLES) {
		/* the state before the key: a reader that finds the key finds it */
		__atomic_store_n(&slots[i].h, h, __ATOMIC_RELEASE);
		__atomic_store_n(&slots[i].key, p, __ATOMIC_RELEASE);
		if (i >= used)
			__atomic_store_n(&used, i + 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&pfq_table_live, 1, __ATOMIC_RELEASE);
		r = 0;
	}
	pthread_mutex_unlock(&writers);
	return r;
}

void pfq_table_remove(const pcap_t *p)
{
	pthread_mutex_lock(&writers);
	for (int i = 0; i < used; i++)
		if (slots[i].key == p) {
			__atomic_store_n(&slots[i].key, NULL, __ATOMIC_RELEASE);
			__atomic_store_n(&slots[i].h, NULL, __ATOMIC_RELEASE);
			__atomic_sub_fetch(&pfq_table_live, 1, __ATOMIC_RELEASE);
			break;
		}
	while (used > 0 && !slots[used - 1].key)
		__atomic_store_n(&used, used - 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&writers);
}
