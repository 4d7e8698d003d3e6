/* SPDX-License-Identifier: GPL-2.0 */
/* Output files that appear whole or not at all (user/common/atomic_file.c). */
#ifndef PMUTRACE_ATOMIC_FILE_H
#define PMUTRACE_ATOMIC_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* The path exists and is not a regular file (device, symlink, FIFO,
 * socket): never replaced. Beyond every errno; see atomic_file_strerror(). */
#define ATOMIC_FILE_NOT_REGULAR 4096
/* Another user's file in a sticky directory (/tmp): the rename at the end
 * would fail with EPERM, so it is refused when opened. */
#define ATOMIC_FILE_NOT_OWNER 4097

struct atomic_file {
	FILE *f; /* write here */
	const char *path; /* NULL: stdout */
	int dirfd; /* the directory the file lands in */
	char base[NAME_MAX + 1];
	char tmp[NAME_MAX + 1]; /* named temporary, "" while unnamed */
	int slot; /* the broker's, -1 when opened here */
};

/* Where a process has given up the right to create its files, another
 * opens and commits them (user/trace/monitor.c): for every path but stdout,
 * atomic_file_open and atomic_file_close call these instead. */
struct atomic_file_broker {
	int (*open)(struct atomic_file *a, const char *path);
	int (*close)(struct atomic_file *a, bool commit);
};
extern const struct atomic_file_broker *atomic_file_broker;

/* Tests only: behave as on a filesystem without O_TMPFILE. */
extern bool atomic_file_no_tmpfile;

int atomic_file_check(const char *path);
int atomic_file_open(struct atomic_file *a, const char *path);
int atomic_file_close(struct atomic_file *a, bool commit);
bool atomic_file_same(const char *a, const char *b);
const char *atomic_file_strerror(int err);

#endif /* PMUTRACE_ATOMIC_FILE_H */
