// SPDX-License-Identifier: GPL-2.0
/*
 * Privileges: whether a run may start, and what it keeps once attached.
 * Started as root, a run also leaves uid 0 for an unprivileged user
 * (--user, default nobody), so a bug in the thread that talks to the
 * network cannot read /etc/shadow or write root's files. Under the systemd
 * unit's DynamicUser it is not root and keeps its uid. Its output files are
 * written through the file monitor (monitor.c), whose privileges are here
 * too.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <linux/securebits.h>
#include "pmutrace_user.h"

/* The overflow uid and gid: nobody, where /etc/passwd does not say. */
#define NOBODY_ID 65534

const char *run_user_passwd = "/etc/passwd";

/* Root, or both CAP_BPF and CAP_PERFMON in the effective set. */
bool has_privileges(void)
{
	cap_flag_value_t bpf = CAP_CLEAR, perfmon = CAP_CLEAR;
	cap_t caps;

	if (geteuid() == 0)
		return true;
	caps = cap_get_proc();
	if (!caps)
		return false;
	cap_get_flag(caps, CAP_BPF, CAP_EFFECTIVE, &bpf);
	cap_get_flag(caps, CAP_PERFMON, CAP_EFFECTIVE, &perfmon);
	cap_free(caps);
	return bpf == CAP_SET && perfmon == CAP_SET;
}

/* name's, or uid's, entry in /etc/passwd. fgetpwent, not getpwnam: the
 * static arm64 build has no NSS modules to load. */
static bool passwd_find(const char *name, uid_t uid, uid_t *u, gid_t *g)
{
	FILE *f = fopen(run_user_passwd, "re");
	struct passwd *p;
	bool found = false;

	while (f && !found && (p = fgetpwent(f)))
		if (name ? !strcmp(p->pw_name, name) : p->pw_uid == uid) {
			*u = p->pw_uid;
			*g = p->pw_gid;
			found = true;
		}
	if (f)
		fclose(f);
	return found;
}

/*
 * --user: a name from /etc/passwd, UID (its group from /etc/passwd, else
 * the same number) or UID:GID. NULL is nobody, 65534:65534 where
 * /etc/passwd has none (the lab's guest). Never root.
 */
int run_user_lookup(const char *spec, uid_t *uid, gid_t *gid)
{
	unsigned long long id[2];
	char *end;
	int n = 0;

	if (!spec) {
		if (!passwd_find("nobody", 0, uid, gid))
			*uid = *gid = NOBODY_ID;
		return 0;
	}
	if (*spec < '0' || *spec > '9') {
		if (!passwd_find(spec, 0, uid, gid))
			return -ENOENT;
		return *uid == 0 ? -EPERM : 0;
	}
	for (const char *p = spec; n < 2; p = end + 1) {
		errno = 0;
		id[n++] = strtoull(p, &end, 10);
		if (errno || end == p || *p < '0' || *p > '9' ||
		    id[n - 1] >= (uid_t)-1)
			return -EINVAL;
		if (*end != ':')
			break;
	}
	if (*end)
		return -EINVAL;
	if (n == 2) {
		*uid = id[0];
		*gid = id[1];
	} else if (!passwd_find(NULL, id[0], uid, gid)) {
		*uid = *gid = id[0];
	}
	return *uid == 0 ? -EPERM : 0;
}

/* As root, become uid:gid with no supplementary groups; glibc applies
 * each call to every thread. */
static int leave_root(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/*
 * Keep the capabilities in keep[n] only, for good: bounding set,
 * securebits so uid 0 regains nothing on exec, and no_new_privs. All of
 * these belong to a thread: linked with libpsx, libcap applies them to
 * every thread (those started through pthread_create, which psx wraps).
 * Between the securebits and the rest, a root caller leaves uid 0 (uid
 * not 0), keeping its capabilities through the change (NO_SETUID_FIXUP).
 */
static int keep_only(const cap_value_t *keep, int n, uid_t uid, gid_t gid)
{
	int err = 0;
	cap_t caps;

	if (cap_set_secbits(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			    SECBIT_NO_SETUID_FIXUP |
			    SECBIT_NO_SETUID_FIXUP_LOCKED |
			    SECBIT_KEEP_CAPS_LOCKED))
		return -errno;
	if (uid) {
		err = leave_root(uid, gid);
		if (err)
			return err;
	}
	/* cap_max_bits(): what the running kernel has, probed by libcap. */
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++) {
		bool kept = false;

		for (int i = 0; i < n; i++)
			kept |= cap == keep[i];
		if (!kept && cap_drop_bound(cap))
			return -errno;
	}
	caps = cap_init();
	if (!caps)
		return -errno;
	/* libcap refuses to set no flag at all: n == 0 keeps nothing. */
	if ((n && (cap_set_flag(caps, CAP_PERMITTED, n, keep, CAP_SET) ||
		   cap_set_flag(caps, CAP_EFFECTIVE, n, keep, CAP_SET))) ||
	    cap_set_proc(caps))
		err = -errno;
	cap_free(caps);
	if (!err && cap_prctlw(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0))
		err = -errno;
	return err;
}

/*
 * Once attached, pmutrace only reads its maps: CAP_BPF (6.1 refuses every
 * bpf() command without it), whatever the options. Its output files are
 * the monitor's (monitor.c).
 */
int drop_privileges(uid_t uid, gid_t gid)
{
	cap_value_t bpf = CAP_BPF;
	uid_t r = 1, e = 1, s = 1;

	getresuid(&r, &e, &s);
	return keep_only(&bpf, 1, !r || !e || !s ? uid : 0, gid);
}

/*
 * The monitor keeps its uid (root's files stay root's) and CAP_DAC_OVERRIDE,
 * so the files land wherever its user could put them, and nothing else:
 * not even a core dump or ptrace by the worker. At worst (no CAP_SETPCAP)
 * it is no more privileged than the run was before the fork.
 */
void drop_privileges_monitor(void)
{
	cap_flag_value_t had = CAP_CLEAR;
	cap_value_t dac = CAP_DAC_OVERRIDE;
	cap_t caps = cap_get_proc();

	prctl(PR_SET_DUMPABLE, 0);
	if (caps)
		cap_get_flag(caps, dac, CAP_PERMITTED, &had);
	cap_free(caps);
	keep_only(&dac, had == CAP_SET, 0, 0);
}
