// SPDX-License-Identifier: GPL-2.0
/*
 * The atomic writer behind -o, --textfile and compare -o: only regular files
 * are replaced, modes are kept or follow the umask, and neither a refusal,
 * an abandoned write nor a SIGKILL leaves anything behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include "atomic_file.h"
#include "unit.h"
#include "unit_helpers.h"

static char dir[] = "/tmp/pmutrace-atomic.XXXXXX";

static const char *at(const char *name)
{
	static char buf[16][PATH_MAX];
	static int n;

	n = (n + 1) % 16;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);
	return buf[n];
}

/* Entries in dir other than the ones a test made on purpose. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.' ||
		     (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
	if (d)
		closedir(d);
	return n;
}

static void remove_leftovers(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, ".killed.json.", 13))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
}

static bool holds(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return !strcmp(buf, text);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? 0 : st.st_mode;
}

static void modes(void)
{
	const char *p = at("out.json");

	umask(027);
	CHECK(write_file(p, "one\n") == 0 && holds(p, "one\n"), "new file");
	CHECK((mode_of(p) & 07777) == 0640, "new file follows the umask: %o",
	      mode_of(p) & 07777);
	chmod(p, 0604);
	CHECK(write_file(p, "two\n") == 0 && holds(p, "two\n"), "replaced");
	CHECK((mode_of(p) & 07777) == 0604, "replacement keeps the mode: %o",
	      mode_of(p) & 07777);
	chmod(p, 04755);
	CHECK(write_file(p, "three\n") == 0 && (mode_of(p) & 07777) == 0755,
	      "set-id bits are not carried over: %o", mode_of(p) & 07777);
	umask(022);
	CHECK(entries() == 1, "only the output is left: %d entries", entries());
	unlink(p);
}

static uid_t owner_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? (uid_t)-1 : st.st_uid;
}

/*
 * Another user's file (nobody's, as root): its mode 0666 is not kept, and
 * in a sticky directory that is not the writer's either it is refused when
 * opened, as the rename at the end would be once CAP_FOWNER is dropped,
 * untouched and with nothing left beside it.
 */
static void others(void)
{
	const char *p = at("planted"), *sticky = at("sticky");
	char in_sticky[PATH_MAX], mine[PATH_MAX];
	struct atomic_file a;
	int err;

	if (geteuid() != 0) {
		printf("skip %s: chown needs root, another user's file not tried\n",
		       __FILE__);
		return;
	}
	CHECK(write_file(p, "theirs\n") == 0 && !chmod(p, 0666) &&
		      !chown(p, 65534, 65534),
	      "a file of nobody's, mode 0666");
	CHECK(write_file(p, "root's\n") == 0 && holds(p, "root's\n"),
	      "another user's file in a plain directory is replaced");
	CHECK((mode_of(p) & 07777) == 0644 && owner_of(p) == 0,
	      "its mode 0666 is not kept: %o (umask 022), owner %d",
	      mode_of(p) & 07777, (int)owner_of(p));
	unlink(p);

	snprintf(in_sticky, sizeof(in_sticky), "%s/theirs", sticky);
	snprintf(mine, sizeof(mine), "%s/mine", sticky);
	CHECK(!mkdir(sticky, 0755) && !chmod(sticky, 01777) &&
		      write_file(in_sticky, "theirs\n") == 0 &&
		      !chown(in_sticky, 65534, 65534) &&
		      !chown(sticky, 65534, 65534),
	      "a file of nobody's in a sticky directory of nobody's");
	err = atomic_file_open(&a, in_sticky);
	CHECK(err == -ATOMIC_FILE_NOT_OWNER && holds(in_sticky, "theirs\n"),
	      "another user's file in a sticky directory is refused at open: %d",
	      err);
	CHECK(strstr(atomic_file_strerror(err), "sticky") != NULL,
	      "the refusal is said in words: %s", atomic_file_strerror(err));
	CHECK(write_file(mine, "one\n") == 0 &&
		      write_file(mine, "two\n") == 0 && holds(mine, "two\n"),
	      "the writer's own file in a sticky directory is replaced");
	unlink(mine);
	unlink(in_sticky);
	CHECK(rmdir(sticky) == 0, "nothing left in the sticky directory");
}

/* Refused at open, and the thing at the path is untouched. */
static void refusals(void)
{
	const char *file = at("file"), *link = at("link"), *fifo = at("fifo");
	const char *sub = at("sub"), *dev = at("null");
	struct atomic_file a;
	int err;

	mkdir(sub, 0755);
	CHECK(write_file(file, "keep\n") == 0, "a file to point at");
	symlink(file, link);
	mkfifo(fifo, 0644);
	err = atomic_file_open(&a, sub);
	CHECK(err == -EISDIR, "a directory is refused: %d", err);
	err = atomic_file_open(&a, at("sub/"));
	CHECK(err == -EISDIR, "a path ending in / is refused: %d", err);
	err = atomic_file_open(&a, link);
	CHECK(err == -ATOMIC_FILE_NOT_REGULAR && S_ISLNK(mode_of(link)) &&
		      holds(file, "keep\n"),
	      "a symlink is refused, it and its target untouched: %d", err);
	err = atomic_file_open(&a, fifo);
	CHECK(err == -ATOMIC_FILE_NOT_REGULAR && S_ISFIFO(mode_of(fifo)),
	      "a FIFO is refused: %d", err);
	err = atomic_file_check(at("missing/out.json"));
	CHECK(err == -ENOENT, "a missing directory: %d", err);
	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
		err = atomic_file_open(&a, dev);
		CHECK(err == -ATOMIC_FILE_NOT_REGULAR && S_ISCHR(mode_of(dev)),
		      "a device node (as /dev/null) is refused, still a device: %d",
		      err);
		unlink(dev);
	} else {
		printf("skip %s: mknod needs root, device node not tried\n",
		       __FILE__);
	}
	CHECK(strstr(atomic_file_strerror(-ATOMIC_FILE_NOT_REGULAR),
		     "not a regular file") != NULL,
	      "the refusal is said in words");

	/* Swapped for a symlink while the output was being written. */
	CHECK(atomic_file_open(&a, at("late")) == 0, "open late");
	symlink(file, at("late"));
	fputs("late\n", a.f);
	err = atomic_file_close(&a, true);
	CHECK(err == -ATOMIC_FILE_NOT_REGULAR && S_ISLNK(mode_of(at("late"))) &&
		      holds(file, "keep\n"),
	      "a symlink planted during the write is not replaced: %d", err);
	unlink(at("late"));

	CHECK(atomic_file_open(&a, at("abandoned")) == 0, "open abandoned");
	fputs("half\n", a.f);
	CHECK(atomic_file_close(&a, false) == 0 &&
		      mode_of(at("abandoned")) == 0,
	      "an abandoned write leaves no file");
	CHECK(entries() == 4, "nothing but what the test made: %d entries",
	      entries());
	unlink(file);
	unlink(link);
	unlink(fifo);
	rmdir(sub);
}

/* A child opens the output, writes, and is killed with SIGKILL. */
static int killed_mid_write(bool no_tmpfile)
{
	int ready[2], status, n;
	char c;
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct atomic_file a;

		atomic_file_no_tmpfile = no_tmpfile;
		if (atomic_file_open(&a, at("killed.json")))
			_exit(1);
		fputs("half a document", a.f);
		fflush(a.f);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	n = read(ready[0], &c, 1);
	close(ready[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (n != 1 || !WIFSIGNALED(status))
		return -1;
	n = entries();
	remove_leftovers();
	return n;
}

static void sigkill(void)
{
	int n = killed_mid_write(false);

	CHECK(n == 0, "SIGKILL mid-write leaves nothing (O_TMPFILE): %d", n);
	/* The same check sees what a named temporary leaves behind. */
	n = killed_mid_write(true);
	CHECK(n == 1, "control: a named temporary is left by SIGKILL: %d", n);
}

static void fallback(void)
{
	const char *p = at("named.json");

	atomic_file_no_tmpfile = true;
	CHECK(write_file(p, "named\n") == 0 && holds(p, "named\n") &&
		      (mode_of(p) & 07777) == 0644,
	      "without O_TMPFILE: written, umask mode %o", mode_of(p) & 07777);
	CHECK(atomic_file_check(p) == 0 && entries() == 1,
	      "without O_TMPFILE: a check leaves nothing: %d entries",
	      entries());
	CHECK(atomic_file_check(dir) == -EISDIR,
	      "without O_TMPFILE: a directory is refused");
	atomic_file_no_tmpfile = false;
	unlink(p);
}

static void same(void)
{
	char cwd[PATH_MAX];

	CHECK(atomic_file_same("x.json", "x.json"), "same string");
	CHECK(!atomic_file_same("x.json", "y.json"), "different names");
	if (!getcwd(cwd, sizeof(cwd)) || chdir(dir)) {
		CHECK(0, "chdir");
		return;
	}
	mkdir("d", 0755);
	CHECK(atomic_file_same("x.json", "./x.json"), "x and ./x");
	CHECK(atomic_file_same("d/x.json", "d/../d/x.json"), "d/x, d/../d/x");
	CHECK(!atomic_file_same("d/x.json", "x.json"), "d/x and x differ");
	rmdir("d");
	if (chdir(cwd))
		CHECK(0, "chdir back");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		UNIT_EXIT();
	}
	modes();
	refusals();
	others();
	sigkill();
	fallback();
	same();
	CHECK(entries() == 0, "the directory is empty: %d", entries());
	rmdir(dir);
	UNIT_EXIT();
}
