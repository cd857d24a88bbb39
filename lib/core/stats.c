/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Socket statistics, from the kernel's PACKET_STATISTICS. */
#include "pfq-int.h"
#include "tx.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>

/* PACKET_STATISTICS resets the kernel counters on every read: fold them
 * into the socket's running totals (main socket and fanout socket). */
int pfq_stats_collect(pfq_t *q)
{
	const struct pfq_ring *rings[] = { &q->ring, &q->gring };

	/* an exported socket's counters are its importer's to read */
	if (q->exported)
		return 0;
	for (int i = 0; i < 2; i++) {
		struct tpacket_stats_v3 st;
		socklen_t len = sizeof(st);

		if (!rings[i]->map)
			continue;
		memset(&st, 0, sizeof(st));
		if (getsockopt(rings[i]->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
			return pfq_seterr(q, errno, "cannot read socket statistics: %s",
					  strerror(errno));
		/* with TPACKET_V3, tp_packets counts the dropped packets too */
		q->acc.recv += st.tp_packets - st.tp_drops;
		q->acc.lost += st.tp_drops;
	}
	return 0;
}

int pfq_get_stats(pfq_t *q, struct pfq_stats *stats)
{
	int err;

	if (!q || !stats)
		return pfq_seterr(q, EINVAL, "pfq_get_stats: NULL argument");
	err = pfq_stats_collect(q);
	if (err)
		return err;
	*stats = q->acc;
	pfq_tx_stats(q, stats);
	return 0;
}
