/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where inline-site tables live, by kernel build-id: the one place that
 * knows (pmutrace-sites --cache writes, pmutrace --sites auto reads):
 *
 *   $PMUTRACE_SITES_DIR, else /var/cache/pmutrace/sites   made on this host
 *   /usr/share/pmutrace/sites                              shipped (package)
 *
 * each as BUILDID.sites, BUILDID in lower-case hex.
 */
#ifndef PMUTRACE_SITEDIR_H
#define PMUTRACE_SITEDIR_H

#include <stddef.h>
#include <linux/types.h>

#define SITES_DIR_ENV "PMUTRACE_SITES_DIR"
#define SITES_CACHE_DIR "/var/cache/pmutrace/sites"
#define SITES_SHIPPED_DIR "/usr/share/pmutrace/sites"
#define SITES_NR_DIRS 2
#define SYS_NOTES "/sys/kernel/notes"

/* The i-th directory looked in (0: the cache, 1: the shipped tables). */
const char *sites_dir(int i);
/* dir/HEX.sites in buf; -1 when it does not fit. */
int sites_table_path(const char *dir, const char *hex, char *buf, size_t len);
/* The running kernel's GNU build-id from /sys/kernel/notes: its length,
 * or -1. */
int kernel_build_id(__u8 *id, int max);

#endif
