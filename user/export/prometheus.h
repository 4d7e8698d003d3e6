/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus export (docs/prometheus.md): the text exposition format 0.0.4,
 * and an atomic textfile for node_exporter. http_server.h serves it.
 */
#ifndef PMUTRACE_PROMETHEUS_H
#define PMUTRACE_PROMETHEUS_H

#include <stdbool.h>
#include <stdio.h>
#include "pmutrace_user.h"

/*
 * Histogram edges: le = 2^k - 1 ns, in seconds, for every k in
 * [PROM_EDGE_MIN_EXP, PROM_EDGE_MAX_EXP] (127 ns .. about 17.2 s), then
 * +Inf. Observations are whole nanoseconds, so "<= 2^k - 1 ns" is exactly
 * "< 2^k ns", and 2^k ns is where one of pmutrace's fine buckets starts:
 * each coarse count is a sum of whole fine buckets.
 */
#define PROM_EDGE_MIN_EXP 7
#define PROM_EDGE_MAX_EXP 34

/* What the loader knows about itself, beyond the traced figures. */
struct prom_self {
	const char *patch_side; /* "before", "after"; NULL: "unknown" */
	double start_time; /* Unix time tracing began; 0: not exported */
	__u64 scrapes; /* /metrics requests let through so far */
	bool stopped; /* tracing has ended: pmutrace_up 0 */
};

void prom_render(FILE *out, const struct run_result *r,
		 const struct prom_self *self);

/* The exposition in a malloc'ed buffer (*len bytes), or NULL. */
char *prom_render_alloc(const struct run_result *r,
			const struct prom_self *self, size_t *len);

/* Both return 0 or -errno. The check creates and removes a file beside
 * path, so an unwritable place is found before anything is loaded. */
int prom_write_textfile(const char *path, const struct run_result *r,
			const struct prom_self *self);
int prom_textfile_check(const char *path);

#endif /* PMUTRACE_PROMETHEUS_H */
