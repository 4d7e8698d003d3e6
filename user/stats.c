// SPDX-License-Identifier: GPL-2.0
/* Summing the per-CPU records and reading percentiles off the histograms. */
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
		if (i == HIST_BUCKETS - 1) {
			v = (double)hist_bucket_low(i);
		} else {
			__u64 lo = hist_bucket_low(i);
			__u64 width = hist_bucket_low(i + 1) - lo;

			v = (double)lo + (double)(width - 1) / 2.0;
		}
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
