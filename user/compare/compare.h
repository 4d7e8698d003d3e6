/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmutrace compare: runs (pmutrace/1 documents) before and after a change.
 * One run is one replicate: boots differ far more than calls within a boot,
 * so every verdict is a rank test over per-run values (rank.c).
 */
#ifndef PMUTRACE_COMPARE_H
#define PMUTRACE_COMPARE_H

#include "schema.h"

#define CMP_MAX_RUNS 32 /* a side: the exact laws stay quick */
#define CMP_ALPHA 0.05 /* two-sided: a verdict at 95% */

enum cmp_kind {
	KIND_COUNT, /* timed calls: the workload, reported, never judged */
	KIND_NS, /* a latency statistic of each run */
	KIND_RATE, /* events per 1000 reader calls of each run */
};

enum cmp_verdict {
	VERDICT_NONE, /* no interval: see need_runs / within_run */
	VERDICT_LOWER,
	VERDICT_HIGHER,
	VERDICT_SAME, /* "no change shown": the interval holds 1 */
};

/* One statistic: its value in each run on both sides, and after/before. */
struct stat_cmp {
	const char *name; /* the JSON key */
	enum cmp_kind kind;
	int nb, na; /* runs with a value */
	double vb[CMP_MAX_RUNS], va[CMP_MAX_RUNS]; /* in the order given */
	double before, after; /* medians of the runs' values, -1: none */
	double ratio; /* Hodges-Lehmann after/before, -1: none, may be inf */
	double lo, hi; /* the interval of the ratio, -1: none */
	double level; /* its confidence: >= 0.95 when there is one */
	double p; /* two-sided p of the rank test, -1: none */
	int need_runs; /* > 0: no verdict, this many runs a side needed */
	bool within_run; /* 1 run a side: lo/hi are only the calls' noise */
	enum cmp_verdict verdict;
};

/* Latency statistics first, then up to two event rates. */
enum {
	CMP_COUNT,
	CMP_MEAN,
	CMP_P50,
	CMP_P90,
	CMP_P99,
	CMP_P999,
	CMP_MAX,
	CMP_NS_STATS,
	CMP_MAX_STATS = CMP_NS_STATS + 2
};

/* A target's latency, or the lock's wait time, across the runs. */
struct hist_cmp {
	char name[NAME_LEN];
	bool lock; /* the lock's waits, not a target */
	int nb, na;
	const struct loaded_hist *hb[CMP_MAX_RUNS], *ha[CMP_MAX_RUNS];
	int nstats; /* CMP_NS_STATS + the rates that were filled in */
	struct stat_cmp s[CMP_MAX_STATS];
	bool too_many_calls; /* 1 run a side, > 2^32-1 calls: no bootstrap */
};

struct comparison {
	const struct loaded_run *before[CMP_MAX_RUNS], *after[CMP_MAX_RUNS];
	int nb, na;
	int n; /* compared histograms: ntargets targets, then the lock's */
	int ntargets;
	struct hist_cmp h[PMUTRACE_MAX_TARGETS + 1];
	char warnings[12][2 * NAME_LEN];
	int nwarnings;
	unsigned int resamples;
	unsigned long seed;
};

/* rank.c */
int cmp_min_runs(void);
void rank_compare(struct stat_cmp *s);
double rank_null_size(const double *vb, int n, const double *va, int m);

/* compare.c */
void stat_init(struct stat_cmp *s, const char *name, enum cmp_kind kind);
void compare_hists(struct hist_cmp *c, unsigned int resamples,
		   unsigned long seed);
int compare_build(struct comparison *c);
/* One side: a file, or repeats of one scenario as FILE,FILE,...; -1 with
 * one line in err. */
int compare_load_side(char *list, const struct loaded_run **runs, int *n,
		      char *err, size_t errlen);

/* compare_render.c */
enum cmp_format { FMT_TEXT, FMT_MARKDOWN, FMT_SVG, FMT_JSON };
const char *verdict_text(const struct stat_cmp *s, char *buf, size_t len);
void render_comparison(FILE *out, const struct comparison *c,
		       enum cmp_format fmt);

#endif /* PMUTRACE_COMPARE_H */
