// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict of compare: a Mann-Whitney rank test over per-run values, and
 * the interval that goes with it.
 *
 * Why runs, and why ranks. A boot is the unit of variation: in the committed
 * report runs, p50 of one reader moved from 688 to 1696 ns between boots of
 * the same kernel, far more than calls within a boot move it. Kalibera and
 * Jones (ISMM 2013) model such an experiment as nested random effects and
 * base the interval on the top level, with as many degrees of freedom as it
 * has repetitions. Here each run is summarised by its own statistic (p50,
 * mean, waits per 1000 calls, ...) and the two sides' lists are compared:
 *
 * - The test is exact at any size (it enumerates the rank arrangements), and
 *   needs no model of how boots differ: boot levels are skewed, one boot's
 *   p99 can be 30 times another's. A two-level bootstrap (resample runs,
 *   then calls) is only asymptotically right: with 3 to 8 runs its
 *   percentile interval is too narrow, and it would claim changes that the
 *   runs do not support.
 * - Zero is a value like any other: waits in every run before and none
 *   after are the most extreme ranking, not "too few samples".
 * - The fewest runs that can give a verdict follows from it, as in Go's
 *   benchstat: with n runs a side the smallest two-sided p is 2 / C(2n, n):
 *   0.1 at n = 3, 0.029 at n = 4. Below that compare says so.
 *
 * The interval of the ratio after/before is the one that inverts the test
 * (Hodges-Lehmann, Bauer 1972): with all n*m ratios a_j / b_i sorted, it runs
 * from the k-th smallest to the k-th largest, k the largest with
 * 2 P(U < k) <= alpha. Without ties it excludes 1 exactly when the test
 * rejects, so the verdict and the interval agree.
 *
 * Ties are common: runs without a single wait, percentiles that fall in one
 * bucket. The test then uses mid-ranks and the exact law of the rank sum
 * given those ties (the permutation distribution), as a conditional test
 * must; counting ties against a verdict instead lost the patch's own effect
 * (waits gone) whenever a before boot happened to see no contention. The
 * interval counts a tied pair as ratio 1, so with ties it can reach 1 while
 * the test, which weighs ties by half, gives a verdict.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"

#define MAX_PAIRS (CMP_MAX_RUNS * CMP_MAX_RUNS)
/* Doubled mid-ranks of m after-runs sum to at most this. */
#define MAX_RANKSUM (CMP_MAX_RUNS * (3 * CMP_MAX_RUNS + 1))

/*
 * P(U <= u) under no change, for U the count of pairs in which the after
 * run is the higher (the same law as the lower), n runs before and m after,
 * u = 0..n*m. dp[k][u] counts
 * the ways the first t ranks hold k after-runs with U = u: an after-run at
 * rank t, the k-th so far, lies below t - k before-runs. Only additions, so
 * the tails stay exact in doubles. The last sizes are kept: a calibration
 * asks for the same ones thousands of times.
 */
static const double *u_cdf(int n, int m)
{
	static int cn = -1, cm = -1;
	static double cdf[MAX_PAIRS + 1];
	static double dp[CMP_MAX_RUNS + 1][MAX_PAIRS + 1];
	double total = 0, acc = 0;
	int top = n * m;

	if (n == cn && m == cm)
		return cdf;
	for (int k = 0; k <= m; k++)
		memset(dp[k], 0, (top + 1) * sizeof(dp[0][0]));
	dp[0][0] = 1;
	for (int t = 1; t <= n + m; t++)
		for (int k = t < m ? t : m; k >= 1; k--) {
			int below = t - k; /* before-runs under this one */

			if (below > n)
				continue;
			for (int u = top; u >= below; u--)
				dp[k][u] += dp[k - 1][u - below];
		}
	for (int u = 0; u <= top; u++)
		total += dp[m][u];
	for (int u = 0; u <= top; u++) {
		acc += dp[m][u];
		cdf[u] = acc / total;
	}
	cn = n;
	cm = m;
	return cdf;
}

static int cmp_double(const void *a, const void *b);

/*
 * The exact law of the after-runs' sum of doubled mid-ranks given the n + m
 * pooled values, over all ways to pick m of them (dp[k][s]: ways to pick k
 * of the first t with sum s), in law[0..*top]; *obs is the observed sum.
 * The law is kept for the last set of ranks: without ties it is always the
 * same.
 */
static const double *rank_sum_law(const double *vb, int n, const double *va,
				  int m, int *obs, int *top)
{
	static int last_w[2 * CMP_MAX_RUNS], last_n = -1, last_m = -1;
	static double dp[CMP_MAX_RUNS + 1][MAX_RANKSUM + 1];
	static double law[MAX_RANKSUM + 1];
	double pool[2 * CMP_MAX_RUNS];
	int w[2 * CMP_MAX_RUNS], N = n + m;

	memcpy(pool, vb, n * sizeof(*vb));
	memcpy(pool + n, va, m * sizeof(*va));
	qsort(pool, N, sizeof(*pool), cmp_double);
	/* Doubled mid-rank of each sorted position: the ties' ranks averaged. */
	for (int i = 0; i < N;) {
		int j = i;

		while (j < N && pool[j] == pool[i])
			j++;
		for (int q = i; q < j; q++)
			w[q] = i + j + 1; /* 2 * ((i + 1) + j) / 2 */
		i = j;
	}
	*obs = *top = 0;
	for (int i = 0; i < m; i++) {
		double *at =
			bsearch(&va[i], pool, N, sizeof(*pool), cmp_double);

		*obs += w[at - pool];
	}
	for (int i = N - m; i < N; i++)
		*top += w[i];
	if (n != last_n || m != last_m || memcmp(w, last_w, N * sizeof(*w))) {
		for (int k = 0; k <= m; k++)
			memset(dp[k], 0, (*top + 1) * sizeof(dp[0][0]));
		dp[0][0] = 1;
		for (int t = 0; t < N; t++)
			for (int k = t + 1 < m ? t + 1 : m; k >= 1; k--)
				for (int s = *top; s >= w[t]; s--)
					dp[k][s] += dp[k - 1][s - w[t]];
		memcpy(law, dp[m], (*top + 1) * sizeof(*law));
		memcpy(last_w, w, N * sizeof(*w));
		last_n = n;
		last_m = m;
	}
	return law;
}

/* Two-sided p of a rank sum s under law[0..top]: twice its smaller tail. */
static double two_sided_p(const double *law, int top, int s)
{
	double total = 0, lo = 0, hi = 0;

	for (int v = 0; v <= top; v++) {
		total += law[v];
		lo += v <= s ? law[v] : 0;
		hi += v >= s ? law[v] : 0;
	}
	lo = 2 * (lo < hi ? lo : hi) / total;
	return lo < 1 ? lo : 1;
}

/* Two-sided p of the rank test with ties: the exact law given them, as a
 * conditional test must. */
static double tied_p(const double *vb, int n, const double *va, int m)
{
	int obs, top;
	const double *law = rank_sum_law(vb, n, va, m, &obs, &top);

	return two_sided_p(law, top, obs);
}

/*
 * The probability that the test gives a verdict when nothing changed, given
 * these pooled values: the law's weight on the sums whose p is at most
 * CMP_ALPHA. It is the test's exact size for this tie pattern, at most
 * CMP_ALPHA by construction; tests/unit/test_calibration.c averages it over
 * simulated comparisons, which measures the false-verdict rate without the
 * coin-flip noise of counting verdicts.
 */
double rank_null_size(const double *vb, int n, const double *va, int m)
{
	double total = 0, reject = 0;
	int obs, top;
	const double *law;

	/* Too few runs for any verdict (rank_compare's need_runs). */
	if (n < 1 || m < 1 || 2 * u_cdf(n, m)[0] > CMP_ALPHA)
		return 0;
	law = rank_sum_law(vb, n, va, m, &obs, &top);
	for (int v = 0; v <= top; v++) {
		total += law[v];
		if (law[v] && two_sided_p(law, top, v) <= CMP_ALPHA)
			reject += law[v];
	}
	return reject / total;
}

/* The fewest runs a side for which the test can reach CMP_ALPHA at all. */
int cmp_min_runs(void)
{
	double c = 2; /* C(2n, n) */

	for (int n = 1; n <= CMP_MAX_RUNS; n++) {
		if (n > 1)
			c = c * (2 * n) * (2 * n - 1) / ((double)n * n);
		if (2 / c <= CMP_ALPHA)
			return n;
	}
	return CMP_MAX_RUNS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[CMP_MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Ties within a side change the law too: pooled, they can split. */
static bool has_ties(const double *v, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (v[i] == v[j])
				return true;
	return false;
}

/* a/b for values >= 0: a tie of zeros is 1, anything over 0 is inf. */
static double ratio(double a, double b)
{
	if (b > 0)
		return a / b;
	return a > 0 ? INFINITY : 1;
}

/*
 * Fills before/after (medians), ratio, lo/hi, level, p and the verdict of s
 * from its per-run values vb[0..nb) and va[0..na).
 */
void rank_compare(struct stat_cmp *s)
{
	static double r[MAX_PAIRS];
	int n = s->nb, m = s->na, np = n * m, k = 0, g = 0, l = 0, t = 0;
	const double *cdf;

	s->before = n ? median(s->vb, n) : -1;
	s->after = m ? median(s->va, m) : -1;
	s->ratio = s->lo = s->hi = s->p = -1;
	s->level = 0;
	s->verdict = VERDICT_NONE;
	s->need_runs = 0;
	if (!n || !m)
		return;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < m; j++) {
			r[i * m + j] = ratio(s->va[j], s->vb[i]);
			g += s->va[j] > s->vb[i];
			l += s->va[j] < s->vb[i];
			t += s->va[j] == s->vb[i];
		}
	qsort(r, np, sizeof(*r), cmp_double);
	s->ratio = r[(np - 1) / 2];
	if (np % 2 == 0 && isfinite(r[np / 2]) && s->ratio > 0)
		s->ratio = sqrt(s->ratio * r[np / 2]);
	if (s->kind == KIND_COUNT)
		return;
	cdf = u_cdf(n, m);
	while (k < np && 2 * cdf[k] <= CMP_ALPHA)
		k++;
	if (!k) {
		s->need_runs = cmp_min_runs();
		return;
	}
	s->lo = r[k - 1];
	s->hi = r[np - k];
	s->level = 1 - 2 * cdf[k - 1];
	/* Without any tie this is 2 P(U <= min(g, l)): the interval's own
	 * test. With ties, the exact law given them. */
	s->p = t || has_ties(s->vb, n) || has_ties(s->va, m) ?
		       tied_p(s->vb, n, s->va, m) :
		       2 * cdf[g < l ? g : l];
	s->p = s->p < 1 ? s->p : 1;
	if (s->p > CMP_ALPHA || g == l)
		s->verdict = VERDICT_SAME;
	else
		s->verdict = l > g ? VERDICT_LOWER : VERDICT_HIGHER;
}
