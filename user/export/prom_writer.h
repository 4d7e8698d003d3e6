/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exposition's writer, shared by prometheus.c and prometheus_attrib.c:
 * metric families, samples with escaped labels, seconds as the shortest
 * exact decimal. Not for use outside user/export/prometheus*.c.
 */
#ifndef PMUTRACE_PROM_WRITER_H
#define PMUTRACE_PROM_WRITER_H

#include <stdio.h>
#include "pmutrace_user.h"

/* A metric family: its samples must follow its HELP and TYPE lines. */
struct family {
	const char *name;
	const char *type;
	const char *help;
};

struct writer {
	FILE *f;
	const struct family *fam; /* whose HELP and TYPE came last */
};

/* Its HELP and TYPE lines, unless they came last. */
void prom_family(struct writer *w, const struct family *fam);
/* name{key="value",...,le="..."} value, the labels given as key, value
 * pairs ending in NULL. */
void prom_put_sample(struct writer *w, const char *suffix,
		     const char *const *labels, const char *le,
		     const char *value);
void prom_sample_u64(struct writer *w, const struct family *fam,
		     const char *const *labels, __u64 v);
/* The shortest decimal that reads back as v (the Go client's 'g', -1). */
void prom_format_float(char *buf, size_t len, double v);
void prom_ns_to_seconds(char *buf, size_t len, __u64 ns);
/* Has the target a series of its own (it was attached)? */
bool prom_attached(const struct target *t);

#endif /* PMUTRACE_PROM_WRITER_H */
