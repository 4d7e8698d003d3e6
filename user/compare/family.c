// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts that hold as a family, and what "no change shown" could have
 * shown.
 *
 * One compare of a target and the lock makes some 14 tests; a report of 15
 * cells, hundreds. Tested each at 5%, some claim a change when nothing
 * changed (25% of single compares claimed at least one). So the p of every
 * judged statistic of one invocation is adjusted by Benjamini-Hochberg at
 * q = CMP_ALPHA, which keeps the expected share of false claims among the
 * claims at 5%, and under no change at all the chance of any claim at 5%
 * (the calibration counts both). --per-test gives verdicts from raw p.
 * A statistic whose runs are all equal (no waits anywhere) cannot reject
 * and is left out, as Tarone's procedure leaves out untestable hypotheses.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "compare.h"

void family_add(struct family *f, struct stat_cmp *s)
{
	if (s->kind == KIND_COUNT || s->p < 0 || s->untestable || s->withheld ||
	    f->n == FAMILY_MAX)
		return;
	f->s[f->n++] = s;
}

void family_add_comparison(struct family *f, struct comparison *c)
{
	for (int i = 0; i < c->n; i++)
		for (int k = 0; k < c->h[i].nstats; k++)
			family_add(f, &c->h[i].s[k]);
}

static int by_p(const void *a, const void *b)
{
	const struct stat_cmp *x = *(struct stat_cmp *const *)a;
	const struct stat_cmp *y = *(struct stat_cmp *const *)b;

	return x->p < y->p ? -1 : x->p > y->p;
}

/* Benjamini-Hochberg: padj of the i-th smallest p (1-based) is the least
 * p_(j) n / j over j >= i; each verdict then from padj (or raw p). */
void family_adjust(struct family *f)
{
	static struct stat_cmp *sorted[FAMILY_MAX];
	double run = 1;

	memcpy(sorted, f->s, f->n * sizeof(*sorted));
	qsort(sorted, f->n, sizeof(*sorted), by_p);
	for (int i = f->n - 1; i >= 0; i--) {
		double a = sorted[i]->p * f->n / (i + 1);

		run = a < run ? a : run;
#ifdef CMP_BREAK_FAMILY
		run = sorted[i]->p; /* the broken build: no adjustment */
#endif
		sorted[i]->padj = run;
	}
	for (int i = 0; i < f->n; i++)
		cmp_set_verdict(f->s[i],
				f->per_test ? f->s[i]->p : f->s[i]->padj);
}

#define DETECT_SIMS 200
#define DETECT_POWER 0.8

/* The simulations' draws, the same for every statistic and ratio: power
 * then grows with the ratio, and bisection finds its 80%. z: standard
 * normals; u: uniforms, whether a boot of a rate is one without any. */
static double z[DETECT_SIMS][2 * CMP_MAX_RUNS],
	u[DETECT_SIMS][2 * CMP_MAX_RUNS];

static void draw(void)
{
	static bool drawn;
	gsl_rng *rng;

	if (drawn)
		return;
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 1);
	for (int i = 0; i < DETECT_SIMS; i++)
		for (int k = 0; k < 2 * CMP_MAX_RUNS; k++)
			z[i][k] = gsl_ran_gaussian(rng, 1);
	for (int i = 0; i < DETECT_SIMS; i++)
		for (int k = 0; k < 2 * CMP_MAX_RUNS; k++)
			u[i][k] = gsl_rng_uniform(rng);
	gsl_rng_free(rng);
	drawn = true;
}

/* The share of DETECT_SIMS simulated comparisons in which after = before x
 * r is found: boots spread sigma on a log scale, a share zero of them 0. */
static double power_at(int n, int m, double sigma, double zero, double r)
{
	int found = 0;

	for (int i = 0; i < DETECT_SIMS; i++) {
		double vb[CMP_MAX_RUNS], va[CMP_MAX_RUNS];
		int dir;

		for (int k = 0; k < n; k++)
			vb[k] = u[i][k] < zero ? 0 : exp(sigma * z[i][k]);
		for (int k = 0; k < m; k++)
			va[k] = u[i][n + k] < zero ?
					0 :
					r * exp(sigma * z[i][n + k]);
		found += bm_p(vb, n, va, m, &dir) <= CMP_ALPHA && dir > 0;
	}
	return (double)found / DETECT_SIMS;
}

/* A side's log values above 0 into *ss about their mean; their count. */
static int log_spread(const double *v, int n, double *ss)
{
	double mean = 0;
	int k = 0;

	for (int i = 0; i < n; i++)
		if (v[i] > 0) {
			mean += log(v[i]);
			k++;
		}
	mean /= k ? k : 1;
	for (int i = 0; i < n; i++)
		if (v[i] > 0)
			*ss += pow(log(v[i]) - mean, 2);
	return k;
}

/*
 * The smallest ratio the test finds 80% of the time at alpha 0.05 (per
 * test), with these runs' counts and their spread: boots drawn lognormal
 * with the sides' pooled standard deviation of log values, as many as
 * given, the after side scaled. A rate's boots without any event (waits
 * that can be 0, outside a log-normal law) are drawn 0 with their pooled
 * share, and the ratio scales the others: the rank test sees zeros as ties.
 * 0: not known (fewer than 2 a side, no verdict possible, or too few values
 * above 0 to know their spread); INFINITY: not even x1000. A lower ratio is
 * found as often as its inverse: the test is symmetric.
 */
double cmp_detectable(const struct stat_cmp *s)
{
	double ss = 0, sigma, zero, lo = 0, hi = log(1000);
	int kb, ka, df;

	if (s->kind == KIND_COUNT || !cmp_verdict_possible(s->nb, s->na))
		return 0;
	for (int i = 0; i < s->nb; i++)
		if (s->vb[i] < 0 || (s->vb[i] == 0 && s->kind != KIND_RATE))
			return 0;
	for (int i = 0; i < s->na; i++)
		if (s->va[i] < 0 || (s->va[i] == 0 && s->kind != KIND_RATE))
			return 0;
	kb = log_spread(s->vb, s->nb, &ss);
	ka = log_spread(s->va, s->na, &ss);
	df = kb + ka - (kb > 0) - (ka > 0);
	if (df < 1)
		return 0;
	sigma = sqrt(ss / df);
	zero = 1 - (double)(kb + ka) / (s->nb + s->na);
	draw();
	/* Identical boots leave only log()'s rounding (~1e-16), whose draws
	 * would tie at random and miss bm_p's cached law every time. */
	if (sigma < 1e-9 && !zero)
		return 1;
	if (power_at(s->nb, s->na, sigma, zero, exp(hi)) < DETECT_POWER)
		return INFINITY;
	for (int it = 0; it < 14; it++) {
		double mid = (lo + hi) / 2;

		if (power_at(s->nb, s->na, sigma, zero, exp(mid)) >=
		    DETECT_POWER)
			hi = mid;
		else
			lo = mid;
	}
	return exp(hi);
}
