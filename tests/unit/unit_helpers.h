/* SPDX-License-Identifier: GPL-2.0 */
/* What several unit tests share beyond unit.h: a check run in a forked
 * child (privileges are dropped there, for good), a whole output file
 * written through atomic_file, and a field of /proc's status files. */
#ifndef UNIT_HELPERS_H
#define UNIT_HELPERS_H

#include <stdbool.h>
#include <unistd.h>
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

#endif /* UNIT_HELPERS_H */
