// SPDX-License-Identifier: GPL-2.0
/*
 * The file monitor (user/trace/monitor.c), for real, as root (skipped
 * otherwise): a forked child plays the worker, starts the monitor for an
 * -o in a root-owned 0755 directory and a --textfile in a 1777 one, and
 * drops to nobody with CAP_BPF only. It cannot read /etc/shadow, yet both
 * files land root's, with the umask's mode (or the old file's, when it was
 * root's); no path but those two can be asked for, not even by writing to
 * the socket by hand; and a worker killed with SIGKILL mid-write leaves
 * nothing, even with named temporaries. As the systemd unit's user, the
 * same split.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "atomic_file.h"
#include "pmutrace_user.h"
#include "unit.h"
#include "unit_helpers.h"

static char top[] = "/tmp/pmutrace-monitor-XXXXXX";
static char out[PATH_MAX], prom[PATH_MAX];

/* A hex field of /proc/PID/status, ~0 when absent. */
static unsigned long long status_hex(pid_t pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return proc_hex(path, key);
}

/* The entries of dir, each followed by a space (one at most here). */
static const char *listing(const char *dir)
{
	static char buf[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	buf[0] = '\0';
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
				 "%s ", e->d_name);
	if (d)
		closedir(d);
	return buf;
}

static void landed(const char *path, const char *text, uid_t uid, mode_t mode)
{
	char buf[64] = "";
	struct stat st;
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	CHECK(n >= 0 && !strncmp(buf, text, n) && (size_t)n == strlen(text),
	      "%s holds \"%.*s\"", path, (int)(n > 0 ? n : 0), buf);
	CHECK(!stat(path, &st) && st.st_uid == uid && st.st_gid == uid &&
		      (st.st_mode & 07777) == mode,
	      "%s: %u:%u %o, want %u:%u %o", path, (unsigned int)st.st_uid,
	      (unsigned int)st.st_gid, st.st_mode & 07777, (unsigned int)uid,
	      (unsigned int)uid, mode);
}

/* A raw message on the socket: what a compromised worker could send. */
static int32_t raw(const void *msg, size_t len)
{
	int32_t err = 1;
	int sock = monitor_socket();

	if (send(sock, msg, len, 0) != (ssize_t)len ||
	    recv(sock, &err, sizeof(err), 0) != sizeof(err))
		return 1;
	return err;
}

/* The worker: monitor started, then the drop as a run does it. */
static void worker(const char *arg, bool flag)
{
	const char *paths[MONITOR_SLOTS] = { out, prom };
	struct monitor_req q = { MONITOR_OPEN, MONITOR_SLOTS };
	char injected[64] = "";
	struct atomic_file a;
	int fd, err;

	(void)arg;
	(void)flag;
	CHECK(monitor_start(paths, 2) == 0, "monitor_start");
	err = drop_privileges(65534, 65534);
	CHECK(err == 0, "drop_privileges: %s", strerror(-err));
	CHECK(status_hex(getpid(), "CapEff") == 1ULL << CAP_BPF &&
		      status_hex(getpid(), "CapPrm") == 1ULL << CAP_BPF,
	      "the worker's CapEff %llx CapPrm %llx: CAP_BPF only",
	      status_hex(getpid(), "CapEff"), status_hex(getpid(), "CapPrm"));
	fd = open("/etc/shadow", O_RDONLY);
	CHECK(fd < 0 && errno == EACCES && getuid() == 65534,
	      "the worker (uid %d) opens /etc/shadow: %s", (int)getuid(),
	      fd < 0 ? strerror(errno) : "opened");
	CHECK(status_hex(monitor_pid(), "CapEff") == 1ULL << CAP_DAC_OVERRIDE &&
		      status_hex(monitor_pid(), "CapBnd") ==
			      1ULL << CAP_DAC_OVERRIDE,
	      "the monitor's CapEff %llx CapBnd %llx: CAP_DAC_OVERRIDE only",
	      status_hex(monitor_pid(), "CapEff"),
	      status_hex(monitor_pid(), "CapBnd"));

	err = write_file(out, "report\n");
	CHECK(err == 0, "-o in a root-owned 0755 directory: %s",
	      atomic_file_strerror(err));
	err = write_file(prom, "pmutrace_up 1\n");
	CHECK(err == 0, "--textfile in a 1777 directory: %s",
	      atomic_file_strerror(err));
	err = write_file(prom, "pmutrace_up 0\n"); /* replaces root's file */
	CHECK(err == 0, "--textfile again: %s", atomic_file_strerror(err));

	/* Aborted: the old content stays, nothing else appears. */
	CHECK(atomic_file_open(&a, out) == 0, "open -o again");
	fputs("half", a.f);
	CHECK(atomic_file_close(&a, false) == 0, "abort");

	/* Only the two paths, by slot: nothing else can be asked for. */
	err = atomic_file_open(&a, "/etc/pmutrace-injected");
	CHECK(err == -EPERM, "a path not named at start-up: %d", err);
	CHECK(raw(&q, sizeof(q)) == -EINVAL, "slot 2 of 2 refused");
	q.slot = 0;
	memcpy(injected, &q, sizeof(q));
	strcpy(injected + sizeof(q), "/etc/pmutrace-injected");
	CHECK(raw(injected, sizeof(injected)) == -EINVAL,
	      "a request with a path after it refused");
	CHECK(raw("/etc/pmutrace-injected", 22) == -EINVAL,
	      "a bare path refused");
	q.op = MONITOR_COMMIT;
	CHECK(raw(&q, sizeof(q)) == -EBADF, "a commit of nothing refused");
	monitor_stop();
	CHECK(access("/etc/pmutrace-injected", F_OK) && errno == ENOENT,
	      "nothing at /etc/pmutrace-injected");
}

/*
 * Not root, as under the systemd unit: the same split. The monitor, as the
 * same transient user, keeps the unit's CAP_DAC_OVERRIDE, so --textfile
 * lands in a root-owned directory (node_exporter's); the worker does not.
 */
static void unit_user(const char *arg, bool flag)
{
	const char *paths[MONITOR_SLOTS] = { NULL, arg };
	int err;

	(void)flag;
	CHECK(become_unit_user() == 0, "cannot become the unit's user: %s",
	      strerror(errno));
	CHECK(monitor_start(paths, 2) == 0, "monitor_start as the unit");
	err = drop_privileges(65534, 65534);
	CHECK(err == 0 && getuid() == UNIT_USER &&
		      status_hex(getpid(), "CapEff") == 1ULL << CAP_BPF,
	      "the unit's worker: %s, uid %d, CapEff %llx", strerror(-err),
	      (int)getuid(), status_hex(getpid(), "CapEff"));
	CHECK(status_hex(monitor_pid(), "CapEff") == 1ULL << CAP_DAC_OVERRIDE,
	      "the unit's monitor: CapEff %llx",
	      status_hex(monitor_pid(), "CapEff"));
	err = write_file(arg, "pmutrace_up 1\n");
	CHECK(err == 0,
	      "--textfile as the unit into a root-owned 0755 directory: %s",
	      atomic_file_strerror(err));
	monitor_stop();
}

/* SIGKILLed while writing: the monitor reads EOF, discards and exits. */
static void killed(const char *arg, bool named)
{
	const char *paths[MONITOR_SLOTS] = { arg, NULL };
	int ready[2], status;
	struct atomic_file a;
	pid_t w, mon = -1;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	atomic_file_no_tmpfile = named;
	if (pipe(ready))
		return;
	w = fork();
	if (w == 0) {
		if (monitor_start(paths, 1) || drop_privileges(65534, 65534) ||
		    atomic_file_open(&a, arg))
			_exit(1);
		fputs("half", a.f);
		fflush(a.f);
		mon = monitor_pid();
		if (write(ready[1], &mon, sizeof(mon)) != sizeof(mon))
			_exit(1);
		pause();
		_exit(1);
	}
	CHECK(read(ready[0], &mon, sizeof(mon)) == sizeof(mon),
	      "the worker wrote its file");
	kill(w, SIGKILL);
	waitpid(w, &status, 0);
	/* Reparented to us (subreaper): its exit is ours to wait for. */
	CHECK(mon > 0 && waitpid(mon, &status, 0) == mon && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "the monitor exits with its worker (status %#x)", status);
}

int main(void)
{
	char dir[PATH_MAX], sticky[PATH_MAX], kill_dir[PATH_MAX];
	char unit_prom[PATH_MAX];

	if (geteuid() != 0) {
		SKIP("monitor: not root, nothing to separate");
		UNIT_EXIT();
	}
	umask(022);
	if (!mkdtemp(top) || chmod(top, 0755))
		return 1;
	snprintf(dir, sizeof(dir), "%s/root", top);
	snprintf(sticky, sizeof(sticky), "%s/sticky", top);
	snprintf(kill_dir, sizeof(kill_dir), "%s/killed", top);
	snprintf(out, sizeof(out), "%s/r.json", dir);
	snprintf(prom, sizeof(prom), "%s/m.prom", sticky);
	if (mkdir(dir, 0755) || mkdir(sticky, 0755) || chmod(sticky, 01777) ||
	    mkdir(kill_dir, 0755))
		return 1;

	in_child(worker, NULL, false);
	landed(out, "report\n", 0, 0644);
	landed(prom, "pmutrace_up 0\n", 0, 0644);
	CHECK(!strcmp(listing(dir), "r.json "), "in %s: %s", dir, listing(dir));
	CHECK(!strcmp(listing(sticky), "m.prom "), "in %s: %s", sticky,
	      listing(sticky));
	/* Root's own 0600 file keeps its mode: the monitor is its owner. */
	chmod(out, 0600);
	in_child(worker, NULL, false);
	landed(out, "report\n", 0, 0600);

	snprintf(unit_prom, sizeof(unit_prom), "%s/u.prom", dir);
	in_child(unit_user, unit_prom, false);
	landed(unit_prom, "pmutrace_up 1\n", UNIT_USER, 0644);
	unlink(unit_prom);

	snprintf(out, sizeof(out), "%s/k.json", kill_dir);
	in_child(killed, out, false);
	CHECK(!strcmp(listing(kill_dir), ""), "O_TMPFILE, SIGKILL: left %s",
	      listing(kill_dir));
	in_child(killed, out, true);
	CHECK(!strcmp(listing(kill_dir), ""),
	      "named temporary, SIGKILL: left %s", listing(kill_dir));

	unlink(out);
	unlink(prom);
	snprintf(out, sizeof(out), "%s/r.json", dir);
	unlink(out);
	rmdir(dir);
	rmdir(sticky);
	rmdir(kill_dir);
	rmdir(top);
	UNIT_EXIT();
}
