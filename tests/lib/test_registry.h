/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A group registry of the test's own (PFQ_RUN_DIR), so that tests never
 * see or disturb the groups of a running system. */
#ifndef PFQ_TEST_REGISTRY_H
#define PFQ_TEST_REGISTRY_H

/* make the directory from template (mkdtemp) and point PFQ_RUN_DIR at it;
 * 0 or -1 */
int test_registry_enter(char *template);
/* remove it with what it holds; returns rc, or 1 when rc was 0 and the
 * removal failed */
int test_registry_leave(const char *dir, int rc);

#endif
