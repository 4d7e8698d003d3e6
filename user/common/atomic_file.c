// SPDX-License-Identifier: GPL-2.0
/*
 * Files that are either whole or absent: written to a temporary file beside
 * the target, flushed to disk, then renamed over it. The report (-o) and the
 * node_exporter textfile both use it, so a reader never sees half a file.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "atomic_file.h"

/* path NULL: plain stdout, nothing to rename. */
int atomic_file_open(struct atomic_file *a, const char *path)
{
	char dir[PATH_MAX], base[PATH_MAX];
	int fd;

	a->path = path;
	a->f = stdout;
	a->tmp[0] = '\0';
	if (!path)
		return 0;
	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	strcpy(base, path);
	if (snprintf(a->tmp, sizeof(a->tmp), "%s/.%s.XXXXXX", dirname(dir),
		     basename(base)) >= (int)sizeof(a->tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(a->tmp);
	if (fd < 0) {
		a->tmp[0] = '\0';
		return -errno;
	}
	/* mkstemp() makes it 0600; node_exporter reads it as another user. */
	if (fchmod(fd, 0644) || !(a->f = fdopen(fd, "w"))) {
		int err = -errno;

		close(fd);
		unlink(a->tmp);
		a->tmp[0] = '\0';
		a->f = NULL;
		return err;
	}
	return 0;
}

/* Commit: flush, sync and rename into place. Otherwise remove the file. */
int atomic_file_close(struct atomic_file *a, bool commit)
{
	int err = 0;

	if (!a->tmp[0])
		return a->f && fflush(a->f) ? -errno : 0;
	errno = 0;
	if (commit && (fflush(a->f) || ferror(a->f) || fsync(fileno(a->f))))
		err = errno ? -errno : -EIO;
	if (fclose(a->f) && !err)
		err = -errno;
	if (commit && !err && rename(a->tmp, a->path))
		err = -errno;
	if (!commit || err)
		unlink(a->tmp);
	a->tmp[0] = '\0';
	a->f = NULL;
	return err;
}
