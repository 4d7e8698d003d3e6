// SPDX-License-Identifier: GPL-2.0
/* Summing the per-CPU records and reading percentiles off the histograms. */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "pmutrace_user.h"

/*
 * The per-CPU records are walked as arrays of __u64 words: every word is a
 * counter that adds over CPUs and subtracts between intervals, except the
 * min/max pairs named below, which merge on add and are read off the
 * interval's histogram on subtract. A new counter in include/pmutrace.h is
 * covered without a change here; a new min/max pair must be named here
 * (tests/unit/test_stats.c checks the BPF object's BTF for that).
 */
struct extremum {
	size_t min, max; /* the pair */
	size_t have; /* the count that says whether the pair holds a value */
	size_t hist; /* the histogram it bounds */
};

#define EXTREMUM(type, mn, mx, n, h)                                       \
	{                                                                  \
		offsetof(type, mn), offsetof(type, mx), offsetof(type, n), \
			offsetof(type, h)                                  \
	}

static const struct extremum target_extrema[] = {
	EXTREMUM(struct target_stats, min_ns, max_ns, timed, latency),
};

/* An entry site's pair stays 0: only exits time. */
static const struct extremum site_extrema[] = {
	EXTREMUM(struct site_stats, min_ns, max_ns, count, latency),
};

static const struct extremum lock_extrema[] = {
	EXTREMUM(struct lock_stats, wait_min_ns, wait_max_ns, contended, wait),
	EXTREMUM(struct lock_stats, hold_min_ns, hold_max_ns, held, hold),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define WORDS_ONLY(type)                                         \
	static_assert(sizeof(type) % sizeof(__u64) == 0 &&       \
			      _Alignof(type) == _Alignof(__u64), \
		      #type " must hold __u64 words only")
WORDS_ONLY(struct target_stats);
WORDS_ONLY(struct lock_stats);
WORDS_ONLY(struct site_stats);
WORDS_ONLY(struct target_result);
/* target_extrema apply to a whole target_result. */
static_assert(offsetof(struct target_result, s) == 0, "s first");
/* The counters of a run_result: res, lock_stats, then plain words up to the
 * end of the struct, with nothing in between (pmutrace_user.h). */
#define RUN_PLAIN offsetof(struct run_result, lock_missed)
static_assert(offsetof(struct run_result, lock_stats) ==
		      offsetof(struct run_result, res) +
			      sizeof(((struct run_result *)0)->res),
	      "lock_stats follows res");
static_assert(RUN_PLAIN == offsetof(struct run_result, lock_stats) +
				   sizeof(struct lock_stats),
	      "the plain counters follow lock_stats");
static_assert((sizeof(struct run_result) - RUN_PLAIN) % sizeof(__u64) == 0,
	      "only __u64 counters after lock_stats");

static __u64 *word(void *p, size_t off)
{
	return (__u64 *)((char *)p + off);
}

static __u64 cword(const void *p, size_t off)
{
	return *(const __u64 *)((const char *)p + off);
}

static bool is_extremum(const struct extremum *x, size_t nx, size_t off)
{
	for (size_t i = 0; i < nx; i++)
		if (off == x[i].min || off == x[i].max)
			return true;
	return false;
}

/* Merge a min/max pair where "have" says whether each side holds one. */
static void merge_min_max(__u64 *min, __u64 *max, bool have, __u64 cmin,
			  __u64 cmax, bool chave)
{
	if (!chave)
		return;
	if (!have || cmin < *min)
		*min = cmin;
	if (cmax > *max)
		*max = cmax;
}

static void counters_add(void *into, const void *c, size_t size,
			 const struct extremum *x, size_t nx)
{
	/* Before the counts add, "have" still says what into held. */
	for (size_t i = 0; i < nx; i++)
		merge_min_max(word(into, x[i].min), word(into, x[i].max),
			      cword(into, x[i].have), cword(c, x[i].min),
			      cword(c, x[i].max), cword(c, x[i].have));
	for (size_t off = 0; off < size; off += sizeof(__u64))
		if (!is_extremum(x, nx, off))
			*word(into, off) += cword(c, off);
}

/* The interval's smallest (q 0) or largest (q 1) bucket; 0 when empty. */
static __u64 hist_edge(const struct hist *h, double q)
{
	double v = hist_percentile(h, q, 0, 0);

	return v < 0 ? 0 : (__u64)v;
}

/* d = cur - prev; min and max do not subtract, so they come from the
 * interval's histogram's outer buckets. */
static void counters_sub(void *d, const void *cur, const void *prev,
			 size_t size, const struct extremum *x, size_t nx)
{
	for (size_t off = 0; off < size; off += sizeof(__u64))
		if (!is_extremum(x, nx, off))
			*word(d, off) = cword(cur, off) - cword(prev, off);
	for (size_t i = 0; i < nx; i++) {
		const struct hist *h = (const struct hist *)word(d, x[i].hist);

		*word(d, x[i].min) = hist_edge(h, 0);
		*word(d, x[i].max) = hist_edge(h, 1);
	}
}

void target_stats_add(struct target_stats *into, const struct target_stats *c)
{
	counters_add(into, c, sizeof(*into), target_extrema,
		     NELEM(target_extrema));
}

void lock_stats_add(struct lock_stats *into, const struct lock_stats *c)
{
	counters_add(into, c, sizeof(*into), lock_extrema, NELEM(lock_extrema));
}

void site_stats_add(struct site_stats *into, const struct site_stats *c)
{
	counters_add(into, c, sizeof(*into), site_extrema, NELEM(site_extrema));
}

const struct quantile hist_quantiles[HIST_NQUANTILES] = {
	{ "p50", "p50", 0.5 },
	{ "p90", "p90", 0.9 },
	{ "p99", "p99", 0.99 },
	{ "p99.9", "p999", 0.999 },
};

/* Representative value of a bucket: exact below HIST_SUB (one value wide),
 * else its middle; the open-ended last bucket is its low edge. */
double hist_bucket_mid(__u32 i)
{
	__u64 lo = hist_bucket_low(i);

	if (i + 1 >= HIST_BUCKETS)
		return (double)lo;
	return (double)lo + (double)(hist_bucket_low(i + 1) - lo - 1) / 2.0;
}

/* The fine buckets summed into powers of two: pow2[0] holds the value 0,
 * pow2[k] the values in [2^(k-1), 2^k). */
void hist_fold_pow2(const struct hist *h, __u64 pow2[HIST_MAX_EXP + 1])
{
	for (int p = 0; p <= HIST_MAX_EXP; p++)
		pow2[p] = 0;
	for (__u32 i = 0; i < HIST_BUCKETS; i++) {
		__u64 low = hist_bucket_low(i);

		pow2[low ? hist_log2(low) + 1 : 0] += h->slots[i];
	}
}

/* The errno's name (EINVAL), or its number where libc has no name. */
const char *errno_label(int e, char buf[ERRNO_LABEL_LEN])
{
	const char *name = strerrorname_np(e);

	if (name)
		return name;
	snprintf(buf, ERRNO_LABEL_LEN, "%d", e);
	return buf;
}

__u64 hist_total(const struct hist *h)
{
	__u64 n = 0;

	for (__u32 i = 0; i < HIST_BUCKETS; i++)
		n += h->slots[i];
	return n;
}

/*
 * The value below which a fraction q of the samples lie: the middle of the
 * bucket holding the ceil(q * n)-th smallest sample, kept within the exact
 * min and max (max == 0: not known). Buckets below HIST_SUB are exact.
 * Returns -1 for an empty histogram.
 */
double hist_percentile(const struct hist *h, double q, __u64 min, __u64 max)
{
	__u64 n = hist_total(h), rank, seen = 0;
	double v = -1;

	if (n == 0)
		return -1;
	rank = (__u64)(q * (double)n + 0.999999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	/* The smallest and largest samples are known exactly. */
	if (rank == n && max)
		return (double)max;
	if (rank == 1 && min)
		return (double)min;
	for (__u32 i = 0; i < HIST_BUCKETS; i++) {
		seen += h->slots[i];
		if (seen < rank)
			continue;
		v = hist_bucket_mid(i);
		break;
	}
	if (max && v > (double)max)
		v = (double)max;
	if (v < (double)min)
		v = (double)min;
	return v;
}

/* Failed calls: -errno returns, and NULL or ERR_PTR for pointers. */
__u64 target_errors(const struct target *t, const struct target_stats *s)
{
	__u64 n = s->ret_errno_other;

	for (int i = 1; i <= PMUTRACE_MAX_ERRNO; i++)
		n += s->ret_errno[i];
	if (t->ret_kind == RET_PTR)
		n += s->ret_zero;
	return n;
}

/* What happened since prev: every counter of the run, one walk each. */
void result_interval(struct run_result *d, const struct run_result *cur,
		     const struct run_result *prev)
{
	*d = *cur;
	for (int i = 0; i < PMUTRACE_MAX_TARGETS; i++)
		counters_sub(&d->res[i], &cur->res[i], &prev->res[i],
			     sizeof(d->res[i]), target_extrema,
			     NELEM(target_extrema));
	counters_sub(&d->lock_stats, &cur->lock_stats, &prev->lock_stats,
		     sizeof(d->lock_stats), lock_extrema, NELEM(lock_extrema));
	counters_sub((char *)d + RUN_PLAIN, (const char *)cur + RUN_PLAIN,
		     (const char *)prev + RUN_PLAIN, sizeof(*d) - RUN_PLAIN,
		     NULL, 0);
}

/* A duration for people: ns, us, ms or s. */
void format_ns(char *buf, size_t len, double ns)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}
