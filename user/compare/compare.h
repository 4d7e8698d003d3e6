/* SPDX-License-Identifier: GPL-2.0 */
/* pmutrace compare: two pmutrace/1 documents, before and after a change. */
#ifndef PMUTRACE_COMPARE_H
#define PMUTRACE_COMPARE_H

#include "schema.h"

/* One statistic on both sides, and after/before with its 95% interval. */
struct stat_cmp {
	const char *name;
	double before, after; /* -1: not measured */
	double ratio; /* after / before, -1 when undefined */
	double lo, hi; /* 95% interval of the ratio, -1 when none */
};

enum {
	CMP_COUNT,
	CMP_MEAN,
	CMP_P50,
	CMP_P90,
	CMP_P99,
	CMP_P999,
	CMP_MAX,
	CMP_STATS
};

struct hist_cmp {
	char name[NAME_LEN];
	const struct loaded_hist *before, *after;
	struct stat_cmp s[CMP_STATS];
	bool too_few; /* fewer than CMP_MIN_SAMPLES on a side */
};

#define CMP_MIN_SAMPLES 30

struct comparison {
	const struct loaded_run *before, *after;
	int n; /* compared histograms: ntargets targets, then the lock's */
	int ntargets;
	struct hist_cmp h[PMUTRACE_MAX_TARGETS + 1];
	bool lock_per_call; /* hold figures on both sides */
	double per_call_before[PMUTRACE_MAX_TARGETS + 1];
	double per_call_after[PMUTRACE_MAX_TARGETS + 1];
	char warnings[8][2 * NAME_LEN];
	int nwarnings;
	unsigned int resamples;
	unsigned long seed;
};

/* compare.c */
void compare_hists(struct hist_cmp *c, unsigned int resamples,
		   unsigned long seed);
int compare_main(int argc, char **argv);

/* compare_render.c */
enum cmp_format { FMT_TEXT, FMT_MARKDOWN, FMT_SVG, FMT_JSON };
void render_comparison(FILE *out, const struct comparison *c,
		       enum cmp_format fmt);

#endif /* PMUTRACE_COMPARE_H */
