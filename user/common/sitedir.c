// SPDX-License-Identifier: GPL-2.0
/* Where inline-site tables live, and the running kernel's build-id. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include "sitedir.h"

const char *sites_dir(int i)
{
	const char *env = getenv(SITES_DIR_ENV);

	if (i == 0)
		return env && *env ? env : SITES_CACHE_DIR;
	return i == 1 ? SITES_SHIPPED_DIR : NULL;
}

int sites_table_path(const char *dir, const char *hex, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.sites", dir, hex);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int kernel_build_id(__u8 *id, int max)
{
	char buf[4096];
	int fd = open(SYS_NOTES, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	size_t off = 0;

	if (fd >= 0)
		close(fd);
	while (n > 0 && off + sizeof(Elf64_Nhdr) <= (size_t)n) {
		Elf64_Nhdr h;
		size_t name, desc;

		memcpy(&h, buf + off, sizeof(h));
		name = off + sizeof(h);
		desc = name + ((h.n_namesz + 3) & ~3u);
		if (desc + h.n_descsz > (size_t)n)
			break;
		if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 &&
		    !memcmp(buf + name, "GNU", 4) && (int)h.n_descsz <= max) {
			memcpy(id, buf + desc, h.n_descsz);
			return h.n_descsz;
		}
		off = desc + ((h.n_descsz + 3) & ~3u);
	}
	return -1;
}
