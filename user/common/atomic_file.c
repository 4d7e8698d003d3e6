// SPDX-License-Identifier: GPL-2.0
/*
 * Files that are either whole or absent. The data goes into an unnamed
 * O_TMPFILE in the target's directory, is flushed to disk, then gets a name
 * (linkat) and is renamed over the target, so a reader never sees half a
 * file and a SIGKILL leaves nothing behind: the temporary has a name only
 * between linkat and rename. Where the filesystem has no O_TMPFILE, a named
 * temporary (.NAME.XXXXXXXX) is written instead, which a SIGKILL can leave.
 *
 * Only regular files are replaced. A directory, device node, symlink (such
 * as /dev/stdout), FIFO or socket at the path is refused when the file is
 * opened, so a trace run refuses before it traces, and again just before
 * the rename. The new file keeps the old one's permission bits (without
 * set-id bits) when the old one belongs to the writer; otherwise (no file,
 * or another user's, whose 0666 would leave root's report writable by that
 * user) it gets 0666 less the umask. In a sticky directory (/tmp), another
 * user's file is refused when opened: the final rename would fail with
 * EPERM after the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "atomic_file.h"

bool atomic_file_no_tmpfile;
const struct atomic_file_broker *atomic_file_broker;

/* dir and base of path. A path ending in '/', "." or ".." names no file. */
static int split(const char *path, char dir[PATH_MAX], char base[NAME_MAX + 1])
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;
	size_t dlen = slash ? (size_t)(slash - path) : 0;

	if (!*b || !strcmp(b, ".") || !strcmp(b, ".."))
		return -EISDIR;
	if (strlen(b) > NAME_MAX || dlen >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!slash)
		strcpy(dir, ".");
	else if (!dlen)
		strcpy(dir, "/");
	else {
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
	}
	strcpy(base, b);
	return 0;
}

/* What is at base: 0 nothing, 1 a regular file (in *st), -err. */
static int target_state(int dirfd, const char *base, struct stat *st)
{
	if (fstatat(dirfd, base, st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -ATOMIC_FILE_NOT_REGULAR;
	return 1;
}

/* The kernel's rule for replacing a file in a sticky directory, as the
 * writer: its own file, or its own directory. Refused even where
 * CAP_FOWNER would allow it: a trace run's file monitor has none. */
static bool sticky_refuses(int dirfd, const struct stat *target)
{
	struct stat d;
	uid_t me = geteuid();

	return !fstat(dirfd, &d) && (d.st_mode & S_ISVTX) &&
	       target->st_uid != me && d.st_uid != me;
}

static void tmp_name(struct atomic_file *a)
{
	unsigned int r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned int)getpid() ^ (unsigned int)random();
	snprintf(a->tmp, sizeof(a->tmp), ".%.200s.%08x", a->base, r);
}

/* The fallback: a new name, O_EXCL and O_NOFOLLOW so nothing planted is
 * opened. The kernel applies the umask to 0666. */
static int open_named(struct atomic_file *a)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd;

		tmp_name(a);
		fd = openat(a->dirfd, a->tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0666);
		if (fd >= 0 || errno != EEXIST) {
			if (fd < 0)
				a->tmp[0] = '\0';
			return fd;
		}
	}
	a->tmp[0] = '\0';
	errno = EEXIST;
	return -1;
}

int atomic_file_open(struct atomic_file *a, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd = -1, state, err;

	memset(a, 0, sizeof(*a));
	a->f = stdout;
	a->dirfd = -1;
	a->slot = -1;
	a->path = path;
	if (!path)
		return 0;
	a->f = NULL;
	if (atomic_file_broker)
		return atomic_file_broker->open(a, path);
	err = split(path, dir, a->base);
	if (err)
		return err;
	a->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dirfd < 0)
		return -errno;
	state = target_state(a->dirfd, a->base, &st);
	if (state == 1 && sticky_refuses(a->dirfd, &st))
		state = -ATOMIC_FILE_NOT_OWNER;
	if (state < 0) {
		err = state;
		goto fail;
	}
	if (!atomic_file_no_tmpfile)
		fd = openat(a->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
			    0666);
	/* No O_TMPFILE: EOPNOTSUPP from the filesystem, EISDIR from kernels
	 * before 3.11. */
	if (fd < 0 &&
	    (atomic_file_no_tmpfile || errno == EOPNOTSUPP || errno == EISDIR))
		fd = open_named(a);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Another user's mode is not ours to keep. */
	if ((state == 1 && st.st_uid == geteuid() &&
	     fchmod(fd, st.st_mode & 0777)) ||
	    !(a->f = fdopen(fd, "w"))) {
		err = -errno;
		close(fd);
		goto fail;
	}
	return 0;
fail:
	if (a->tmp[0])
		unlinkat(a->dirfd, a->tmp, 0);
	close(a->dirfd);
	a->dirfd = -1;
	a->tmp[0] = '\0';
	return err;
}

/* Name the unnamed file: through /proc, which needs no capability
 * (AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, which a trace run drops). */
static int link_tmpfile(struct atomic_file *a)
{
	int fd = fileno(a->f);
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int tries = 0; tries < 100; tries++) {
		int r;

		tmp_name(a);
		r = linkat(AT_FDCWD, proc, a->dirfd, a->tmp, AT_SYMLINK_FOLLOW);
		if (r && errno == ENOENT) /* no /proc */
			r = linkat(fd, "", a->dirfd, a->tmp, AT_EMPTY_PATH);
		if (!r)
			return 0;
		if (errno != EEXIST)
			break;
	}
	a->tmp[0] = '\0';
	return -errno;
}

static int publish(struct atomic_file *a)
{
	struct stat st;
	int state, err;

	if (!a->tmp[0]) {
		err = link_tmpfile(a);
		if (err)
			return err;
	}
	/* What is at the path may have changed since it was opened. */
	state = target_state(a->dirfd, a->base, &st);
	if (state < 0)
		return state;
	if (renameat(a->dirfd, a->tmp, a->dirfd, a->base))
		return -errno;
	a->tmp[0] = '\0';
	/* The rename itself on disk; a failure here loses nothing written. */
	fsync(a->dirfd);
	return 0;
}

/* Commit: flush, sync and put in place. Otherwise nothing appears. Writing
 * to stdout, the result says whether everything was written. */
int atomic_file_close(struct atomic_file *a, bool commit)
{
	int err = 0;

	if (!a->path) {
		/* A write that failed before (ferror) set errno then. */
		bool failed = ferror(a->f);

		if (fflush(a->f) || failed)
			return errno ? -errno : -EIO;
		return 0;
	}
	if (!a->f)
		return 0;
	if (a->slot >= 0)
		return atomic_file_broker->close(a, commit);
	errno = 0;
	if (commit && (fflush(a->f) || ferror(a->f) || fsync(fileno(a->f))))
		err = errno ? -errno : -EIO;
	if (commit && !err)
		err = publish(a);
	if (fclose(a->f) && !err && commit)
		err = -errno;
	if (a->tmp[0])
		unlinkat(a->dirfd, a->tmp, 0);
	close(a->dirfd);
	a->f = NULL;
	a->dirfd = -1;
	a->tmp[0] = '\0';
	return err;
}

/* Can path be an output: its directory writable, nothing but a regular
 * file at it? Leaves nothing behind. */
int atomic_file_check(const char *path)
{
	struct atomic_file a;
	int err = atomic_file_open(&a, path);

	return err ? err : atomic_file_close(&a, false);
}

/* Do a and b name the same file: the same name in the same directory? */
bool atomic_file_same(const char *a, const char *b)
{
	char da[PATH_MAX], db[PATH_MAX], ba[NAME_MAX + 1], bb[NAME_MAX + 1];
	struct stat sa, sb;

	if (!strcmp(a, b))
		return true;
	if (split(a, da, ba) || split(b, db, bb) || strcmp(ba, bb))
		return false;
	return !stat(da, &sa) && !stat(db, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

const char *atomic_file_strerror(int err)
{
	if (err == -ATOMIC_FILE_NOT_REGULAR)
		return "not a regular file (devices, symlinks, FIFOs and sockets are never replaced)";
	if (err == -ATOMIC_FILE_NOT_OWNER)
		return "another user's file in a sticky directory: it cannot be replaced (choose another name)";
	return strerror(-err);
}
