/* SPDX-License-Identifier: GPL-2.0 */
/* What several unit tests share beyond unit.h: a check run in a forked
 * child (privileges are dropped there, for good), a whole output file
 * written through atomic_file, a field of /proc's status files, and the
 * systemd unit's user. */
#ifndef UNIT_HELPERS_H
#define UNIT_HELPERS_H

#include <grp.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "atomic_file.h"
#include "unit.h"

/* fn(arg, flag) in a child; its checks print there, its failure here. */
static inline void in_child(void (*fn)(const char *, bool), const char *arg,
			    bool flag)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		unit_failed = 0;
		fn(arg, flag);
		fflush(stdout);
		_exit(unit_failed);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "the child failed or died (status %#x)", status);
}

static inline int write_file(const char *path, const char *text)
{
	struct atomic_file a;
	int err = atomic_file_open(&a, path);

	if (err)
		return err;
	fputs(text, a.f);
	return atomic_file_close(&a, true);
}

/* A hex field of a status file in /proc, ~0 when absent. */
static inline unsigned long long proc_hex(const char *path, const char *key)
{
	unsigned long long v = ~0ULL;
	char line[256], fmt[32];
	FILE *f = fopen(path, "r");

	snprintf(fmt, sizeof(fmt), "%s: %%llx", key);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* As root, become what the systemd unit runs pmutrace as: a transient
 * uid with the unit's AmbientCapabilities (debian/pmutrace.service). */
#define UNIT_USER 61000
static inline int become_unit_user(void)
{
	cap_value_t unit[] = { CAP_BPF, CAP_PERFMON, CAP_SYSLOG, CAP_SETPCAP,
			       CAP_DAC_OVERRIDE };
	cap_t caps = cap_init();
	int err = 0;

	cap_set_flag(caps, CAP_PERMITTED, 5, unit, CAP_SET);
	cap_set_flag(caps, CAP_EFFECTIVE, 5, unit, CAP_SET);
	prctl(PR_SET_KEEPCAPS, 1);
	if (setgroups(0, NULL) || setresgid(UNIT_USER, UNIT_USER, UNIT_USER) ||
	    setresuid(UNIT_USER, UNIT_USER, UNIT_USER) || cap_set_proc(caps))
		err = -1;
	cap_free(caps);
	return err;
}

#endif /* UNIT_HELPERS_H */
