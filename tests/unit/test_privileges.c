// SPDX-License-Identifier: GPL-2.0
/*
 * Dropping privileges, for real, in forked children (as root; skipped
 * otherwise). The child sees a cap_last_cap that lies (a bind mount in its
 * own mount namespace): the drop must not trust a number read from a file
 * to shift by or to end its loop at. Root leaves uid 0 for nobody and can
 * no longer open /etc/shadow; a run that is not root keeps its uid.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/securebits.h>
#include "pmutrace_user.h"
#include "unit.h"
#include "unit_helpers.h"

#define CAP_LAST_CAP_FILE "/proc/sys/kernel/cap_last_cap"

static unsigned long long status_hex(const char *key)
{
	return proc_hex("/proc/self/status", key);
}

/* In a mount namespace of its own, cap_last_cap reads as last_cap. */
static int fake_cap_last_cap(const char *last_cap)
{
	char path[] = "/tmp/pmutrace-cap-XXXXXX";
	int fd = mkstemp(path), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, last_cap, strlen(last_cap)) < 0 || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(path, CAP_LAST_CAP_FILE, NULL, MS_BIND, NULL))
		err = -errno;
	close(fd);
	unlink(path);
	return err;
}

/* Real, effective, saved and filesystem uids (or gids) in a status file
 * all id? */
static bool status_ids(const char *path, const char *key, unsigned int id)
{
	unsigned int v[4] = { ~0U, ~0U, ~0U, ~0U };
	char line[256], fmt[64];
	FILE *f = fopen(path, "r");
	int n = 0;

	snprintf(fmt, sizeof(fmt), "%s:\t%%u\t%%u\t%%u\t%%u", key);
	while (f && fgets(line, sizeof(line), f) && n != 4)
		n = sscanf(line, fmt, &v[0], &v[1], &v[2], &v[3]);
	if (f)
		fclose(f);
	return n == 4 && v[0] == id && v[1] == id && v[2] == id && v[3] == id;
}

static bool all_ids(const char *key, unsigned int id)
{
	return status_ids("/proc/self/status", key, id);
}

/* Root is nobody after the drop: no group, and root's files are shut. */
static void check_left_root(const char *what)
{
	int fd = open("/etc/shadow", O_RDONLY);

	CHECK(getuid() == 65534 && all_ids("Uid", 65534) &&
		      all_ids("Gid", 65534) && getgroups(0, NULL) == 0,
	      "%s: uid %d, euid %d, gid %d, %d groups", what, (int)getuid(),
	      (int)geteuid(), (int)getgid(), getgroups(0, NULL));
	CHECK(fd < 0 && errno == EACCES, "%s: open(/etc/shadow): %s", what,
	      fd < 0 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
}

static void child_drop(const char *last_cap, bool flag)
{
	unsigned long long want = 1ULL << CAP_BPF;
	int err = fake_cap_last_cap(last_cap);

	if (err) {
		printf("skip privileges: no mount namespace for a fake %s (%s)\n",
		       CAP_LAST_CAP_FILE, strerror(-err));
		return;
	}
	(void)flag;
	err = drop_privileges(65534, 65534);
	CHECK(err == 0, "cap_last_cap %s: drop_privileges: %s", last_cap,
	      strerror(-err));
	CHECK(status_hex("CapEff") == want && status_hex("CapPrm") == want,
	      "cap_last_cap %s: CapEff %llx CapPrm %llx, want %llx", last_cap,
	      status_hex("CapEff"), status_hex("CapPrm"), want);
	CHECK(status_hex("CapBnd") == want,
	      "cap_last_cap %s: CapBnd %llx, want %llx", last_cap,
	      status_hex("CapBnd"), want);
	CHECK(status_hex("CapInh") == 0 && status_hex("CapAmb") == 0,
	      "cap_last_cap %s: CapInh %llx CapAmb %llx", last_cap,
	      status_hex("CapInh"), status_hex("CapAmb"));
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 &&
		      (prctl(PR_GET_SECUREBITS) & SECBIT_NOROOT_LOCKED),
	      "cap_last_cap %s: no_new_privs %d, securebits %#x", last_cap,
	      prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_SECUREBITS));
	check_left_root(last_cap);
}

static pid_t other_tid;
/* The other thread says it runs on ready, then waits on hold. */
static int ready[2], hold[2];

static void *other_thread(void *arg)
{
	char c;

	(void)arg;
	other_tid = gettid();
	if (write(ready[1], "", 1) < 0 || read(hold[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static unsigned long long task_hex(pid_t tid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	return proc_hex(path, key);
}

/*
 * Capabilities, the bounding set, securebits and no_new_privs belong to a
 * thread: one started before the drop (an HTTP server's, say) must lose
 * them too.
 */
static void child_threads(const char *arg, bool flag)
{
	unsigned long long want = 1ULL << CAP_BPF;
	char c, path[64];
	pthread_t t;

	(void)arg;
	(void)flag;
	if (pipe(ready) || pipe(hold) ||
	    pthread_create(&t, NULL, other_thread, NULL) ||
	    read(ready[0], &c, 1) != 1) {
		CHECK(0, "cannot start a thread: %s", strerror(errno));
		return;
	}
	CHECK(drop_privileges(65534, 65534) == 0,
	      "drop_privileges with a thread");
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", other_tid);
	CHECK(status_ids(path, "Uid", 65534), "the other thread is nobody too");
	CHECK(task_hex(other_tid, "CapEff") == want &&
		      task_hex(other_tid, "CapPrm") == want &&
		      task_hex(other_tid, "CapBnd") == want,
	      "the other thread kept CapEff %llx CapPrm %llx CapBnd %llx",
	      task_hex(other_tid, "CapEff"), task_hex(other_tid, "CapPrm"),
	      task_hex(other_tid, "CapBnd"));
	CHECK(task_hex(other_tid, "NoNewPrivs") == 1,
	      "the other thread has no_new_privs %llx",
	      task_hex(other_tid, "NoNewPrivs"));
	if (write(hold[1], "", 1) < 0 || pthread_join(t, NULL))
		CHECK(0, "cannot end the thread");
}

/* Not root, but CAP_BPF and CAP_PERFMON effective: enough. */
static void child_unprivileged(void)
{
	cap_value_t need[] = { CAP_BPF, CAP_PERFMON };
	cap_t caps = cap_init();

	cap_set_flag(caps, CAP_PERMITTED, 2, need, CAP_SET);
	cap_set_flag(caps, CAP_EFFECTIVE, 2, need, CAP_SET);
	prctl(PR_SET_KEEPCAPS, 1);
	CHECK(setresuid(65534, 65534, 65534) == 0 && cap_set_proc(caps) == 0,
	      "cannot become nobody with CAP_BPF + CAP_PERFMON: %s",
	      strerror(errno));
	CHECK(has_privileges(), "nobody with CAP_BPF + CAP_PERFMON refused");
	cap_set_flag(caps, CAP_EFFECTIVE, 1, &need[1], CAP_CLEAR);
	cap_set_proc(caps);
	CHECK(!has_privileges(), "nobody with CAP_BPF only accepted");
	cap_free(caps);
}

/*
 * Not root (the systemd unit's DynamicUser): the uid stays, and only
 * CAP_BPF is kept although the unit grants CAP_DAC_OVERRIDE (the file
 * monitor's, test_monitor.c).
 */
static void child_not_root(const char *arg, bool flag)
{
	unsigned long long want = 1ULL << CAP_BPF;
	int err;

	(void)arg;
	(void)flag;
	CHECK(become_unit_user() == 0,
	      "cannot become uid %d with the unit's capabilities: %s",
	      UNIT_USER, strerror(errno));
	err = drop_privileges(65534, 65534);
	CHECK(err == 0, "drop_privileges as uid 61000: %s", strerror(-err));
	CHECK(all_ids("Uid", 61000) && all_ids("Gid", 61000),
	      "a run that is not root keeps its uid: %d", (int)getuid());
	CHECK(status_hex("CapEff") == want && status_hex("CapPrm") == want,
	      "uid 61000: CapEff %llx CapPrm %llx, want %llx",
	      status_hex("CapEff"), status_hex("CapPrm"), want);
}

/* Root without CAP_SETUID cannot leave uid 0: said, so main.c stops. */
static void child_no_setuid(const char *arg, bool flag)
{
	cap_value_t setuid_cap = CAP_SETUID;
	cap_t caps = cap_get_proc();
	int err;

	(void)arg;
	(void)flag;
	cap_set_flag(caps, CAP_EFFECTIVE, 1, &setuid_cap, CAP_CLEAR);
	cap_set_flag(caps, CAP_PERMITTED, 1, &setuid_cap, CAP_CLEAR);
	CHECK(cap_set_proc(caps) == 0, "cannot drop CAP_SETUID");
	cap_free(caps);
	err = drop_privileges(65534, 65534);
	CHECK(err == -EPERM && geteuid() == 0,
	      "root without CAP_SETUID: drop_privileges says %d, euid %d", err,
	      (int)geteuid());
}

static void unprivileged(const char *arg, bool flag)
{
	(void)arg;
	(void)flag;
	child_unprivileged();
}

static void lookup_is(const char *spec, int want, uid_t wu, gid_t wg)
{
	uid_t u = 1;
	gid_t g = 1;
	int err = run_user_lookup(spec, &u, &g);

	CHECK(err == want && (want || (u == wu && g == wg)),
	      "--user %s: %d %u:%u, want %d %u:%u", spec ? spec : "(default)",
	      err, (unsigned int)u, (unsigned int)g, want, (unsigned int)wu,
	      (unsigned int)wg);
}

/* --user against a passwd file of our own; none gives nobody's ids. */
static void lookups(void)
{
	char path[] = "/tmp/pmutrace-passwd-XXXXXX";
	int fd = mkstemp(path);
	static const char passwd[] =
		"root:x:0:0:root:/root:/bin/sh\n"
		"nobody:x:65000:65001:nobody:/nonexistent:/usr/sbin/nologin\n"
		"prometheus:x:120:130::/var/lib/prometheus:/usr/sbin/nologin\n";

	CHECK(fd >= 0 && write(fd, passwd, sizeof(passwd) - 1) > 0,
	      "a passwd file");
	close(fd);
	run_user_passwd = path;
	lookup_is(NULL, 0, 65000, 65001);
	lookup_is("prometheus", 0, 120, 130);
	lookup_is("120", 0, 120, 130);
	lookup_is("4000", 0, 4000, 4000);
	lookup_is("4000:5000", 0, 4000, 5000);
	lookup_is("root", -EPERM, 0, 0);
	lookup_is("0", -EPERM, 0, 0);
	lookup_is("0:100", -EPERM, 0, 0);
	lookup_is("nosuch", -ENOENT, 0, 0);
	lookup_is("12x", -EINVAL, 0, 0);
	lookup_is("1:", -EINVAL, 0, 0);
	lookup_is("1:2:3", -EINVAL, 0, 0);
	lookup_is("1:-2", -EINVAL, 0, 0);
	lookup_is("99999999999", -EINVAL, 0, 0);
	lookup_is("4294967295", -EINVAL, 0, 0);
	unlink(path);
	run_user_passwd = "/nonexistent/passwd";
	lookup_is(NULL, 0, 65534, 65534);
	run_user_passwd = "/etc/passwd";
}

int main(void)
{
	lookups();
	if (geteuid() != 0) {
		printf("skip privileges: not root, nothing to drop\n");
		UNIT_EXIT();
	}
	/* A kernel with more than 64 capabilities, and one that under-reports. */
	in_child(child_drop, "70", false);
	in_child(child_drop, "37", false);
	in_child(unprivileged, NULL, false);
	in_child(child_threads, NULL, false);
	in_child(child_not_root, NULL, false);
	in_child(child_no_setuid, NULL, false);
	UNIT_EXIT();
}
