// SPDX-License-Identifier: GPL-2.0
/* Summing the per-CPU records and reading percentiles off the histograms. */
#include <string.h>
#include "pmutrace_user.h"

static void hist_add_all(struct hist *into, const struct hist *h)
{
	for (__u32 i = 0; i < HIST_BUCKETS; i++)
		into->slots[i] += h->slots[i];
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

void target_stats_add(struct target_stats *into, const struct target_stats *c)
{
	merge_min_max(&into->min_ns, &into->max_ns, into->timed, c->min_ns,
		      c->max_ns, c->timed);
	into->count += c->count;
	into->timed += c->timed;
	into->sum_ns += c->sum_ns;
	into->ret_zero += c->ret_zero;
	into->ret_nonzero += c->ret_nonzero;
	into->ret_neg_other += c->ret_neg_other;
	into->ret_errno_other += c->ret_errno_other;
	for (int i = 0; i <= PMUTRACE_MAX_ERRNO; i++)
		into->ret_errno[i] += c->ret_errno[i];
	into->lock_acquired += c->lock_acquired;
	into->lock_hold_ns += c->lock_hold_ns;
	hist_add_all(&into->latency, &c->latency);
}

void lock_stats_add(struct lock_stats *into, const struct lock_stats *c)
{
	merge_min_max(&into->wait_min_ns, &into->wait_max_ns, into->contended,
		      c->wait_min_ns, c->wait_max_ns, c->contended);
	merge_min_max(&into->hold_min_ns, &into->hold_max_ns, into->held,
		      c->hold_min_ns, c->hold_max_ns, c->held);
	into->contended += c->contended;
	into->wait_failed += c->wait_failed;
	into->wait_sum_ns += c->wait_sum_ns;
	into->acquired += c->acquired;
	into->held += c->held;
	into->hold_sum_ns += c->hold_sum_ns;
	for (int i = 0; i <= PMUTRACE_MAX_TARGETS; i++) {
		into->contended_in[i] += c->contended_in[i];
		into->acquired_in[i] += c->acquired_in[i];
	}
	hist_add_all(&into->wait, &c->wait);
	hist_add_all(&into->hold, &c->hold);
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

static void delta_hist(struct hist *d, const struct hist *cur,
		       const struct hist *prev)
{
	for (__u32 i = 0; i < HIST_BUCKETS; i++)
		d->slots[i] = cur->slots[i] - prev->slots[i];
}

/* The interval's smallest (q 0) or largest (q 1) bucket; 0 when empty. */
static __u64 hist_edge(const struct hist *h, double q)
{
	double v = hist_percentile(h, q, 0, 0);

	return v < 0 ? 0 : (__u64)v;
}

/* What happened since prev: counts and histograms subtract; min and max
 * do not, so the interval's come from its histogram's outer buckets. */
void result_interval(struct run_result *d, const struct run_result *cur,
		     const struct run_result *prev)
{
	*d = *cur;
	for (int i = 0; i < cur->ntargets; i++) {
		struct target_stats *s = &d->res[i].s;
		const struct target_stats *p = &prev->res[i].s;

		delta_hist(&s->latency, &cur->res[i].s.latency, &p->latency);
		s->count -= p->count;
		s->timed -= p->timed;
		s->sum_ns -= p->sum_ns;
		s->ret_zero -= p->ret_zero;
		s->ret_nonzero -= p->ret_nonzero;
		for (int e = 0; e <= PMUTRACE_MAX_ERRNO; e++)
			s->ret_errno[e] -= p->ret_errno[e];
		s->ret_errno_other -= p->ret_errno_other;
		s->lock_acquired -= p->lock_acquired;
		s->lock_hold_ns -= p->lock_hold_ns;
		d->res[i].missed_entry -= prev->res[i].missed_entry;
		d->res[i].missed_exit -= prev->res[i].missed_exit;
		s->min_ns = hist_edge(&s->latency, 0);
		s->max_ns = hist_edge(&s->latency, 1);
	}
	delta_hist(&d->lock_stats.wait, &cur->lock_stats.wait,
		   &prev->lock_stats.wait);
	d->lock_stats.contended -= prev->lock_stats.contended;
	d->lock_stats.wait_sum_ns -= prev->lock_stats.wait_sum_ns;
	d->lock_stats.wait_min_ns = hist_edge(&d->lock_stats.wait, 0);
	d->lock_stats.wait_max_ns = hist_edge(&d->lock_stats.wait, 1);
	for (int i = 0; i <= PMUTRACE_MAX_TARGETS; i++)
		d->lock_stats.contended_in[i] -=
			prev->lock_stats.contended_in[i];
	d->lock.hold = false;
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
