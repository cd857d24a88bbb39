/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run parts of a thread in another network namespace (made by `ip netns`). */
#ifndef PFQ_UTIL_NETNS_H
#define PFQ_UTIL_NETNS_H

/* Enter /run/netns/name; returns a handle to return with, or -errno. */
int netns_enter(const char *name);
/* Go back to the namespace saved by netns_enter and close the handle. */
int netns_leave(int saved);

#endif
