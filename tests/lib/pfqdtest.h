/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfqd on a test host, for the tests that run it (pfqdtest.c). */
#ifndef PFQ_TEST_PFQDTEST_H
#define PFQ_TEST_PFQDTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* the test's directory (0755) and pfqd's files in it */
extern char dir[48];
extern char conf_path[100], ctl_path[100], notify_path[100], log_path[100];

/* cmocka setup/teardown of every pfqd test (PFQD_TEST_LOG=1: the log is
 * printed at the end) */
int pt_setup(void **s);
int pt_teardown(void **s);

/* the configuration file: [pfqd] with the test's control socket (mode
 * 0666), then the groups given */
void write_conf(const char *groups);
void write_conf_keys(const char *keys, const char *groups);
/* wait for a notification holding what (READY=1, RELOADING=1, ...) */
void wait_notify(const char *what, int ms);
void drain_notify(void);
/* start pfqd in side B and wait for READY=1 */
pid_t pfqd_start(void);
/* SIGTERM, exit status 0, STOPPING=1 said */
void pfqd_stop(pid_t pid);
/* one request on the control socket, its answer parsed */
json_t *ctl(const char *req);
bool ok_of(json_t *j);
/* the status entry of group gid (borrowed from st), or NULL */
json_t *status_group(json_t *st, int gid);
/* pfqd's socket in group gid */
json_int_t socket_of(int gid);
/* does group gid exist in side B's namespace? */
bool group_exists(int gid);

#endif
