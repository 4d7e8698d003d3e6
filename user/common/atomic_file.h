/* SPDX-License-Identifier: GPL-2.0 */
/* Output files that appear whole or not at all (user/atomic_file.c). */
#ifndef PMUTRACE_ATOMIC_FILE_H
#define PMUTRACE_ATOMIC_FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct atomic_file {
	FILE *f; /* write here */
	char tmp[PATH_MAX]; /* "" when writing to stdout */
	const char *path;
};

int atomic_file_open(struct atomic_file *a, const char *path);
int atomic_file_close(struct atomic_file *a, bool commit);

#endif /* PMUTRACE_ATOMIC_FILE_H */
