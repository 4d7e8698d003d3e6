/* SPDX-License-Identifier: GPL-2.0 */
/* Finding a kernel's vmlinux with DWARF by its build-id (locate.c). */
#ifndef PMUTRACE_LOCATE_H
#define PMUTRACE_LOCATE_H

#include <stddef.h>
#include <linux/types.h>

#define DEBUG_ROOT "/usr/lib/debug" /* where -dbg packages install */

/*
 * The path of a vmlinux whose GNU build-id is id[0, len), in path: under
 * root (.build-id/xx/rest.debug, then boot/vmlinux-*, Debian's -dbg
 * package), else from debuginfod when DEBUGINFOD_URLS is set. 0, or -1
 * with what was tried in err.
 */
int vmlinux_locate(const char *root, const __u8 *id, int len, char *path,
		   size_t pathlen, char *err, size_t errlen);
/* The build-id of the ELF file at path: its length, or -1. */
int elf_file_build_id(const char *path, __u8 *id, int max);

#endif
