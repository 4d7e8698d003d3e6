// SPDX-License-Identifier: GPL-2.0
/* The histogram layout shared with BPF, and percentiles against exact answers. */
#include <math.h>
#include <stdlib.h>
#include "pmutrace_user.h"
#include "unit.h"

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* The exact q-quantile of sorted v: the ceil(q * n)-th smallest. */
static __u64 exact_quantile(const __u64 *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n - 1e-9);

	return v[rank ? rank - 1 : 0];
}

static void test_layout(void)
{
	int bad = 0;

	for (__u64 v = 0; v < HIST_SUB; v++)
		bad += hist_bucket(v) != v || hist_bucket_low(v) != v;
	CHECK(bad == 0, "%d small values not exact", bad);
	CHECK(hist_bucket(16) == 16 && hist_bucket(31) == 31, "16..31 exact");
	CHECK(hist_bucket(32) == 32 && hist_bucket(33) == 32 &&
		      hist_bucket(34) == 33,
	      "32,33,34 -> %u,%u,%u", hist_bucket(32), hist_bucket(33),
	      hist_bucket(34));
	CHECK(hist_bucket(1ULL << HIST_MAX_EXP) == HIST_BUCKETS - 1 &&
		      hist_bucket(~0ULL) == HIST_BUCKETS - 1,
	      "overflow goes to the last bucket");
	CHECK(hist_bucket((1ULL << HIST_MAX_EXP) - 1) == HIST_BUCKETS - 1,
	      "largest exact value in the last regular bucket");

	/* Every value lies in its bucket, and buckets are at most 1/16 wide. */
	bad = 0;
	srand(1);
	for (int i = 0; i < 200000; i++) {
		__u64 v = ((__u64)rand() << 31 | rand()) >> (rand() % 62);
		__u32 b;

		if (v >= 1ULL << HIST_MAX_EXP)
			continue;
		b = hist_bucket(v);
		if (hist_bucket_low(b) > v ||
		    (b + 1 < HIST_BUCKETS && hist_bucket_low(b + 1) <= v) ||
		    (v >= HIST_SUB &&
		     (hist_bucket_low(b + 1) - hist_bucket_low(b)) * 16 > v))
			bad++;
	}
	CHECK(bad == 0, "%d values outside their bucket or in a wide one", bad);
	bad = 0;
	for (__u32 b = 0; b + 1 < HIST_BUCKETS; b++)
		bad += hist_bucket(hist_bucket_low(b)) != b ||
		       hist_bucket(hist_bucket_low(b + 1) - 1) != b;
	CHECK(bad == 0, "%d buckets whose edges map elsewhere", bad);
}

static void test_percentiles(void)
{
	static struct hist h;
	static __u64 v[100000];
	size_t n = sizeof(v) / sizeof(v[0]);
	double worst = 0;

	CHECK(hist_percentile(&h, 0.5, 0, 0) == -1,
	      "empty histogram has no percentile");

	/* 1..10: exact buckets, exact answers. */
	for (__u64 i = 1; i <= 10; i++)
		h.slots[hist_bucket(i)]++;
	CHECK(hist_percentile(&h, 0.5, 1, 10) == 5, "p50 of 1..10 = %g",
	      hist_percentile(&h, 0.5, 1, 10));
	CHECK(hist_percentile(&h, 0.9, 1, 10) == 9, "p90 of 1..10");
	CHECK(hist_percentile(&h, 0.99, 1, 10) == 10, "p99 of 1..10");
	CHECK(hist_percentile(&h, 0, 1, 10) == 1, "p0 of 1..10");

	/* Two far apart buckets: the extremes are the exact min and max. */
	memset(&h, 0, sizeof(h));
	h.slots[hist_bucket(1000)] = 7;
	h.slots[hist_bucket(179700)] = 1;
	CHECK(hist_percentile(&h, 0.99, 1000, 179700) == 179700,
	      "p99 of 8 samples is the largest: %g",
	      hist_percentile(&h, 0.99, 1000, 179700));
	CHECK(hist_percentile(&h, 0.01, 1000, 179700) == 1000,
	      "p1 is the smallest");

	/* One value, repeated: min and max pin it exactly. */
	memset(&h, 0, sizeof(h));
	h.slots[hist_bucket(123456)] = 1000;
	CHECK(hist_percentile(&h, 0.999, 123456, 123456) == 123456, "constant");

	/* Log-normal latencies around 20us: every percentile within 3.2%. */
	memset(&h, 0, sizeof(h));
	srand(7);
	for (size_t i = 0; i < n; i++) {
		double u1 = (rand() + 1.0) / (RAND_MAX + 2.0),
		       u2 = (rand() + 1.0) / (RAND_MAX + 2.0);
		double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

		v[i] = (__u64)(20000 * exp(0.8 * z)) + 1;
		h.slots[hist_bucket(v[i])]++;
	}
	qsort(v, n, sizeof(v[0]), cmp_u64);
	for (double q = 0.01; q < 1; q += 0.01) {
		double e = fabs(hist_percentile(&h, q, v[0], v[n - 1]) -
				exact_quantile(v, n, q)) /
			   exact_quantile(v, n, q);
		if (e > worst)
			worst = e;
	}
	CHECK(worst <= 0.032, "worst relative percentile error %.4f", worst);
	CHECK(fabs(hist_percentile(&h, 0.999, v[0], v[n - 1]) -
		   exact_quantile(v, n, 0.999)) /
			      exact_quantile(v, n, 0.999) <=
		      0.032,
	      "p99.9");
	CHECK(hist_total(&h) == n, "total %llu",
	      (unsigned long long)hist_total(&h));
}

static void test_merge(void)
{
	static struct target_stats a, b, sum;

	a.count = a.timed = 2;
	a.min_ns = 50;
	a.max_ns = 70;
	a.sum_ns = 120;
	b.count = 1; /* an exit without its entry: not timed, no min/max */
	b.min_ns = 0;
	target_stats_add(&sum, &a);
	target_stats_add(&sum, &b);
	CHECK(sum.count == 3 && sum.timed == 2, "counts add");
	CHECK(sum.min_ns == 50 && sum.max_ns == 70,
	      "a CPU without timed calls leaves min alone: %llu",
	      (unsigned long long)sum.min_ns);
}

int main(void)
{
	test_layout();
	test_percentiles();
	test_merge();
	UNIT_EXIT();
}
