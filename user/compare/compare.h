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
	double p; /* two-sided p of the test, -1: none */
	double padj; /* p adjusted over the family (family.c), -1: none */
	int dir; /* the side of the change: 1 after higher, -1 lower */
	int need_runs; /* 1: too few runs for any verdict (cmp_verdict_rule) */
	bool untestable; /* every run equal: p = 1, not in the family */
	const char *withheld; /* why no verdict despite the runs, or NULL */
	double detect; /* smallest ratio found 80% of the time, 0: not known */
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

/* A family of tests: every judged statistic of one compare invocation. */
#define FAMILY_MAX 4096
struct family {
	int n;
	struct stat_cmp *s[FAMILY_MAX];
	bool per_test; /* --per-test: verdicts from raw p */
	const char *name; /* what the family is, in the output */
};

/* rank.c */
bool cmp_verdict_possible(int n, int m);
int cmp_min_runs(void);
int cmp_runs_needed(int n);
const char *cmp_verdict_rule(void);
void rank_compare(struct stat_cmp *s);
void cmp_set_verdict(struct stat_cmp *s, double p);

/* bm.c */
/* C(n, k), as a double: the orderings of k runs among n. */
double cmp_choose(int n, int k);
/* qsort's order of doubles. */
int cmp_double(const void *a, const void *b);
double bm_p(const double *vb, int n, const double *va, int m, int *dir);

/* family.c */
void family_add_comparison(struct family *f, struct comparison *c);
void family_add(struct family *f, struct stat_cmp *s);
void family_adjust(struct family *f);
double cmp_detectable(const struct stat_cmp *s);

/* compare.c */
void stat_init(struct stat_cmp *s, const char *name, enum cmp_kind kind);
void compare_hists(struct hist_cmp *c, unsigned int resamples,
		   unsigned long seed);
int compare_build(struct comparison *c);
double reader_calls(const struct loaded_run *r);
/* One side's runs from paths (files, or folders of *.json); -1 with one
 * line in err. */
int compare_load_side(char *const *paths, int npaths,
		      const struct loaded_run **runs, int *n, char *err,
		      size_t errlen);
/* each() on every *.json file of folder dir, by name, whose name is clean
 * text (path is the caller's to keep), until one fails; -1 with one line in
 * err, also for a folder that cannot be listed or holds no *.json. */
typedef int (*compare_json_fn)(char *path, const char *name, void *arg,
			       char *err, size_t errlen);
int compare_each_json(const char *dir, compare_json_fn each, void *arg,
		      char *err, size_t errlen);
int compare_check_repeat(const struct loaded_run *first,
			 const struct loaded_run *r, char *err, size_t errlen);
/* -1 with one line in err when a run is given twice: the same content, or
 * the same boot (meta.txt's boot_id beside it) and label. */
int compare_check_duplicates(const struct loaded_run *const *runs, int n,
			     char *err, size_t errlen);

/* compare_render.c */
enum cmp_format { FMT_TEXT, FMT_MARKDOWN, FMT_SVG, FMT_JSON };
const char *verdict_text(const struct stat_cmp *s, char *buf, size_t len);
void render_comparison(FILE *out, const struct comparison *c,
		       const struct family *f, enum cmp_format fmt);

#endif /* PMUTRACE_COMPARE_H */
