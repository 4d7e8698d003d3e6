// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict of compare: a rank test over per-run values (the p from
 * Brunner-Munzel, bm.c), and the Hodges-Lehmann interval of the ratio.
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
 * - The fewest runs that can give a verdict: as in Go's benchstat, with n
 *   and m runs the smallest two-sided p of a permutation test is
 *   2 / C(n + m, n), which must reach alpha; and, so the test stays valid
 *   under unequal spread, sides of at least 4 runs and near the same size
 *   (cmp_verdict_possible). cmp_verdict_rule() states it in every output.
 *
 * The interval of the ratio after/before is the one that inverts the test
 * (Hodges-Lehmann, Bauer 1972): with all n*m ratios a_j / b_i sorted, it runs
 * from the k-th smallest to the k-th largest, k the largest with
 * 2 P(U < k) <= alpha. Without ties it excludes 1 exactly when the test
 * rejects, so the verdict and the interval agree.
 *
 * Ties are common: runs without a single wait, percentiles that fall in one
 * bucket. The test then uses mid-ranks and the permutation law given those
 * ties, as a conditional test must. The interval inverts Mann-Whitney, a
 * shift model, and counts a tied pair as ratio 1: it is the size of the
 * change, while the verdict is Brunner-Munzel's, adjusted over the family
 * (family.c), so the two can disagree at the margin.
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

/*
 * Whether n runs before and m after can give a verdict at all. The
 * permutation test's smallest p is 2 / C(n + m, n), so C(n + m, n) >= 40;
 * and with few runs no rank test holds its level when the sides spread
 * differently unless their sizes are close (Behrens-Fisher): 3 vs 8 runs
 * with boot sigma 0.9 against 0.1 gave false verdicts 19-23% of the time,
 * 4 vs 6 7.5%, while 4 vs 5 and 8 vs 10 stayed near 5% (the calibration).
 * Hence >= 4 runs a side, the larger side at most 1.25x the smaller.
 */
bool cmp_verdict_possible(int n, int m)
{
	int lo = n < m ? n : m, hi = n < m ? m : n;

#ifdef CMP_BREAK_SPREAD
	/* The broken build of the calibration: 2 a side, any balance. */
	hi = lo < 2 ? 0 : 4;
	lo = 4;
#endif
	if (lo < 4 || 4 * hi > 5 * lo)
		return false;
	return 2 / cmp_choose(n + m, n) <= CMP_ALPHA * (1 + 1e-12);
}

/* The fewest runs a side, the same on both, that can give a verdict. */
int cmp_min_runs(void)
{
	for (int n = 1; n <= CMP_MAX_RUNS; n++)
		if (cmp_verdict_possible(n, n))
			return n;
	return CMP_MAX_RUNS;
}

/* The fewest runs on the other side that make a verdict possible with n on
 * this one, 0: none (fewer than 4 here). */
int cmp_runs_needed(int n)
{
	for (int m = 1; m <= CMP_MAX_RUNS; m++)
		if (cmp_verdict_possible(n, m))
			return m;
	return 0;
}

/* The rule, as every output states it. */
const char *cmp_verdict_rule(void)
{
	return "a verdict needs >= 4 runs a side and the larger side at most 1.25x the smaller "
	       "(4+4, 4+5, 8+10, 12+15; not 3+8 or 4+6); a latency statistic also needs the sides' "
	       "spreads (standard deviation of log run values) within 3x, and max and p99.9 the "
	       "sides' median call counts within 2x; the verdict is then the family's "
	       "Benjamini-Hochberg adjusted p <= 0.05 (--per-test: raw p)";
}

static double median(const double *v, int n)
{
	double s[CMP_MAX_RUNS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double sd_log(const double *v, int n)
{
	double mean = 0, ss = 0;

	for (int i = 0; i < n; i++)
		mean += log(v[i]) / n;
	for (int i = 0; i < n; i++)
		ss += pow(log(v[i]) - mean, 2);
	return sqrt(ss / (n - 1));
}

/* The sides' spreads of log run values more than 3x apart, the larger
 * over 5% (below that both are flat); latencies only, all over 0. */
static bool spread_differs(const struct stat_cmp *s)
{
	double b, a, hi;

#ifdef CMP_BREAK_SPREAD
	return false; /* the broken build of the calibration */
#endif
	for (int i = 0; i < s->nb; i++)
		if (s->vb[i] <= 0)
			return false;
	for (int i = 0; i < s->na; i++)
		if (s->va[i] <= 0)
			return false;
	b = sd_log(s->vb, s->nb);
	a = sd_log(s->va, s->na);
	hi = a > b ? a : b;
	return hi > 0.05 && (b > 3 * a || a > 3 * b);
}

/* Every run of both sides has the same value: nothing to test. */
static bool all_equal(const struct stat_cmp *s)
{
	for (int i = 0; i < s->nb; i++)
		if (s->vb[i] != s->vb[0])
			return false;
	for (int i = 0; i < s->na; i++)
		if (s->va[i] != s->vb[0])
			return false;
	return true;
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
	int n = s->nb, m = s->na, np = n * m, k = 0;
	const double *cdf;

	s->before = n ? median(s->vb, n) : -1;
	s->after = m ? median(s->va, m) : -1;
	s->ratio = s->lo = s->hi = s->p = s->padj = -1;
	s->level = 0;
	s->verdict = VERDICT_NONE;
	s->need_runs = 0;
	s->dir = 0;
	s->untestable = false;
	s->withheld = NULL;
	if (!n || !m)
		return;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < m; j++)
			r[i * m + j] = ratio(s->va[j], s->vb[i]);
	qsort(r, np, sizeof(*r), cmp_double);
	s->ratio = r[(np - 1) / 2];
	if (np % 2 == 0 && isfinite(r[np / 2]) && s->ratio > 0)
		s->ratio = sqrt(s->ratio * r[np / 2]);
	if (s->kind == KIND_COUNT)
		return;
	cdf = u_cdf(n, m);
	while (k < np && 2 * cdf[k] <= CMP_ALPHA)
		k++;
	if (k) {
		s->lo = r[k - 1];
		s->hi = r[np - k];
		s->level = 1 - 2 * cdf[k - 1];
	}
	if (!cmp_verdict_possible(n, m)) {
		s->need_runs = 1;
		return;
	}
	if (s->kind == KIND_NS && spread_differs(s)) {
		s->withheld =
			"the sides' boot spreads differ > 3x: no rank test holds its level with this few runs";
		return;
	}
	if (all_equal(s)) {
		s->p = 1;
		s->untestable = true;
		s->verdict = VERDICT_SAME;
		return;
	}
	s->p = bm_p(s->vb, n, s->va, m, &s->dir);
	s->p = s->p < 1 ? s->p : 1;
	s->padj = s->p;
	cmp_set_verdict(s, s->p);
}

/* The verdict of s at its p (raw, or adjusted over the family). */
void cmp_set_verdict(struct stat_cmp *s, double p)
{
	if (s->p < 0 || s->withheld)
		s->verdict = VERDICT_NONE;
	else if (p > CMP_ALPHA || !s->dir)
		s->verdict = VERDICT_SAME;
	else
		s->verdict = s->dir < 0 ? VERDICT_LOWER : VERDICT_HIGHER;
}
