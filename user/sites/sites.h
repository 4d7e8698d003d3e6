/* SPDX-License-Identifier: GPL-2.0 */
/* Inline sites from a vmlinux's DWARF (libdw): pmutrace-sites' work. */
#ifndef PMUTRACE_SITES_H
#define PMUTRACE_SITES_H

#include "sitetab.h"

struct vmlinux;

/* NULL with a one-line reason in err when path has no ELF or no DWARF. */
struct vmlinux *vmlinux_open(const char *path, char *err, size_t errlen);
void vmlinux_close(struct vmlinux *v);

/*
 * Append the entry and exits of every inline instance of function to t, and
 * set t's build-id. Returns the number of instances (0: none, the function
 * is not inlined anywhere), or -1 with the reason in err.
 */
int sites_find(struct vmlinux *v, const char *function, struct sitetab *t,
	       char *err, size_t errlen);

/* Append the kprobe-pair calibration lines (sitetab.h, calib_funcs):
 * the number of classes without one (the last said in err), or -1. */
int sites_calib(struct vmlinux *v, struct sitetab *t, char *err, size_t errlen);

#endif
