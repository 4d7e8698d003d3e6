/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal harness: each CHECK prints "ok" or "FAIL" with its expression,
 * SKIP prints "skip" with the reason a check could not run; tests/run counts
 * those lines, and the exit status says if any failed.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (cond) {                                                   \
			printf("ok   %s:%d %s\n", __FILE__, __LINE__, #cond); \
		} else {                                                      \
			printf("FAIL %s:%d %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                  \
			putchar('\n');                                        \
			unit_failed = 1;                                      \
		}                                                             \
	} while (0)

/* A check that did not run is said, never passed: tests/run counts it. */
#define SKIP(...)                                          \
	do {                                               \
		printf("skip %s:%d ", __FILE__, __LINE__); \
		printf(__VA_ARGS__);                       \
		putchar('\n');                             \
	} while (0)

#define UNIT_EXIT() return unit_failed

#endif /* UNIT_H */
