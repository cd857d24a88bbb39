/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pfqd's log: one line per event on stderr, prefixed with its level (as
 * "<3>" when stderr is the journal, which reads it as the priority). */
#ifndef PFQD_LOG_H
#define PFQD_LOG_H

#include <syslog.h>

/* level: LOG_ERR, LOG_WARNING, LOG_INFO or LOG_DEBUG */
void pfqd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) pfqd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...) pfqd_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...) pfqd_log(LOG_INFO, __VA_ARGS__)

#endif
