/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a PFQ/lang source file (pfq_lang_compile_file, and the group
 * computation of lib/core). */
#ifndef PFQ_LANG_SOURCE_H
#define PFQ_LANG_SOURCE_H

#include <stddef.h>

/* The text of file path, NUL-terminated and malloc'ed (*len its length), or
 * NULL with errno and a message in err: it cannot be opened or read (a
 * directory: EISDIR), is longer than max bytes (E2BIG), is not text (a NUL
 * byte) or is empty (EINVAL). */
char *lang_read_source(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif
