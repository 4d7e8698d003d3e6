// SPDX-License-Identifier: GPL-2.0
/*
 * Finding a kernel's vmlinux with DWARF by its build-id, so that a host
 * needs no path: where Debian's -dbg package puts it, or from a debuginfod
 * server (Debian's libdebuginfod; it keeps what it fetched in its cache,
 * $DEBUGINFOD_CACHE_PATH or ~/.cache/debuginfod_client). Every candidate's
 * build-id is checked: a vmlinux of another build gives wrong sites.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/debuginfod.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include "locate.h"
#include "sitetab.h"

int elf_file_build_id(const char *path, __u8 *id, int max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), len = -1;
	const void *p;
	Elf *elf;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf) {
		len = dwelf_elf_gnu_build_id(elf, &p);
		if (len > 0 && len <= max)
			memcpy(id, p, len);
		else
			len = -1;
		elf_end(elf);
	}
	close(fd);
	return len;
}

static bool has_build_id(const char *path, const __u8 *id, int len)
{
	__u8 got[SITETAB_MAX_BUILD_ID];

	return elf_file_build_id(path, got, sizeof(got)) == len &&
	       !memcmp(got, id, len);
}

/* Under root: .build-id/xx/rest.debug, then any boot/vmlinux-*. */
static int from_debug_root(const char *root, const char *hex, const __u8 *id,
			   int len, char *path, size_t pathlen)
{
	struct dirent *e;
	char dir[4096];
	int found = -1;
	DIR *d;

	snprintf(path, pathlen, "%s/.build-id/%.2s/%s.debug", root, hex,
		 hex + 2);
	if (has_build_id(path, id, len))
		return 0;
	snprintf(dir, sizeof(dir), "%s/boot", root);
	d = opendir(dir);
	while (d && found && (e = readdir(d))) {
		if (strncmp(e->d_name, "vmlinux-", 8))
			continue;
		snprintf(path, pathlen, "%s/%s", dir, e->d_name);
		if (has_build_id(path, id, len))
			found = 0;
	}
	if (d)
		closedir(d);
	return found;
}

/* debuginfod's copy: 0, or a negative errno (-ENOSYS: not configured). */
static int from_debuginfod(const __u8 *id, int len, char *path, size_t pathlen)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	debuginfod_client *c;
	char *got = NULL;
	int fd;

	if (!urls || !*urls)
		return -ENOSYS;
	c = debuginfod_begin();
	if (!c)
		return -ENOMEM;
	fd = debuginfod_find_debuginfo(c, id, len, &got);
	debuginfod_end(c);
	if (fd < 0)
		return fd;
	close(fd);
	snprintf(path, pathlen, "%s", got);
	free(got);
	return 0;
}

int vmlinux_locate(const char *root, const __u8 *id, int len, char *path,
		   size_t pathlen, char *err, size_t errlen)
{
	char hex[2 * SITETAB_MAX_BUILD_ID + 1];
	int rc;

	build_id_hex(id, len, hex, sizeof(hex));
	if (!from_debug_root(root, hex, id, len, path, pathlen))
		return 0;
	rc = from_debuginfod(id, len, path, pathlen);
	if (!rc && has_build_id(path, id, len))
		return 0;
	snprintf(
		err, errlen,
		"no vmlinux with build-id %s: none in %s (.build-id/%.2s/%s.debug, boot/vmlinux-*: install the kernel's -dbg package), and %s%s",
		hex, root, hex, hex + 2,
		rc == -ENOSYS ? "no debuginfod (DEBUGINFOD_URLS is not set)" :
				"debuginfod: ",
		rc == -ENOSYS ? "" :
		rc == -ENOENT ? "not found" :
		!rc	      ? "its file has another build-id" :
				strerror(-rc));
	return -1;
}
