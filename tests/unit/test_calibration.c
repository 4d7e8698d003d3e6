// SPDX-License-Identifier: GPL-2.0
/*
 * Calibration of compare's verdicts on synthetic runs that vary as boots do.
 *
 * Each run gets its own level (a lognormal random effect: sigma 0.3, boots
 * 30% apart as in docs/report/raw), its own share of slow calls, and its own
 * contention (none at all in a quarter of the runs, as one before boot in
 * the committed report). Then its calls are drawn around that level. With
 * no true change, both sides come from one generator: a verdict is false,
 * and must come in at most 5% of comparisons per statistic (within the
 * binomial noise of the count, see within_alpha()). With every call twice
 * as slow, 8 runs a side must find it in at least 90% for mean, p50, p90
 * and p99; with the waits gone, 12 runs a side. Rates that depend on a
 * handful of calls per run (p99.9, max) and harder cases are printed as
 * "info" lines: they say how many boots to run, they are not promises.
 *
 * The seed is fixed, so the figures are the same on every run of the test.
 */
#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "compare.h"
#include "unit.h"

#define RUNS 8
#define CALLS 2000
#define NULL_CMPS 1000
#define POWER_CMPS 200

struct side {
	int runs;
	struct loaded_hist lat[CMP_MAX_RUNS];
	double waits[CMP_MAX_RUNS]; /* per 1000 calls */
};

/* How boots differ: the share of slow calls varies by tail_sigma. */
static double tail_share = 0.005, tail_sigma = 0.3;

static void add_call(struct loaded_hist *h, double ns)
{
	__u64 v = ns < 1 ? 1 : (__u64)ns;

	h->h.slots[hist_bucket(v)]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
}

/* One run: its level, tail share and contention, then its calls. */
static void gen_run(gsl_rng *rng, struct loaded_hist *h, double *waits,
		    double slower, double contention)
{
	double level = 1000 * slower * exp(gsl_ran_gaussian(rng, 0.3));
	double tail = tail_share * exp(gsl_ran_gaussian(rng, tail_sigma));
	double c = gsl_rng_uniform(rng) < 0.25 ?
			   0 :
			   contention * exp(gsl_ran_gaussian(rng, 1.0));

	memset(h, 0, sizeof(*h));
	for (int i = 0; i < CALLS; i++) {
		double ns = level * exp(gsl_ran_gaussian(rng, 0.2));

		if (gsl_rng_uniform(rng) < tail)
			ns *= 30 * exp(gsl_ran_gaussian(rng, 0.5));
		add_call(h, ns);
	}
	*waits = 1000.0 * gsl_ran_poisson(rng, CALLS * c / 1000) / CALLS;
}

static void gen_side(gsl_rng *rng, struct side *s, int runs, double slower,
		     double contention)
{
	s->runs = runs;
	for (int r = 0; r < runs; r++)
		gen_run(rng, &s->lat[r], &s->waits[r], slower, contention);
}

/* Verdicts per statistic: CMP_NS_STATS latency ones, then the waits. */
#define NSTATS (CMP_NS_STATS + 1)

/* size: where given, each statistic's exact chance of a verdict under no
 * change, given this comparison's values (rank_null_size), is added. */
static void compare_sides(const struct side *b, const struct side *a,
			  int found[NSTATS], bool want_lower, double *size)
{
	static struct hist_cmp c;
	struct stat_cmp *w;

	memset(&c, 0, sizeof(c));
	c.nb = c.na = b->runs;
	for (int r = 0; r < b->runs; r++) {
		c.hb[r] = &b->lat[r];
		c.ha[r] = &a->lat[r];
	}
	w = &c.s[CMP_NS_STATS];
	stat_init(w, "waits_per_1k", KIND_RATE);
	memcpy(w->vb, b->waits, sizeof(b->waits));
	memcpy(w->va, a->waits, sizeof(a->waits));
	w->nb = w->na = b->runs;
	c.nstats = NSTATS;
	compare_hists(&c, 0, 1);
	for (int s = CMP_MEAN; s < NSTATS; s++) {
		enum cmp_verdict v = c.s[s].verdict;

		if (want_lower ? v == VERDICT_LOWER :
				 v == VERDICT_LOWER || v == VERDICT_HIGHER)
			found[s]++;
		if (size)
			size[s] += rank_null_size(c.s[s].vb, c.s[s].nb,
						  c.s[s].va, c.s[s].na);
	}
}

static void report(const char *what, int hits, int total, bool ok)
{
	printf("%s calibration: %s %.1f%% (%d/%d)\n", ok ? "ok  " : "FAIL",
	       what, 100.0 * hits / total, hits, total);
	if (!ok)
		unit_failed = 1;
}

/*
 * The exact test's false-verdict rate is its size, at most CMP_ALPHA by
 * construction (4.99% at 8 runs a side without ties): the simulation checks
 * the implementation, and its count has binomial noise around that size.
 * Refused when the count is above what a rate of 5% gives in 99% of
 * simulations: P(X >= hits | n, 0.05) < 1%.
 */
static bool within_alpha(int hits, int total)
{
	return gsl_cdf_binomial_Q(hits - 1, CMP_ALPHA, total) >= 0.01;
}

/*
 * The false-verdict rate itself, without the counting's binomial noise:
 * each comparison's exact chance of a verdict given its values, averaged
 * (a Rao-Blackwell estimate of the same rate). It must be at most 5% to the
 * letter, and above 0: a test that never decides would also pass.
 */
static void size_report(const char *name, double rate)
{
	char what[96];

	snprintf(what, sizeof(what),
		 "%s, no change, %d runs a side: exact false-verdict rate",
		 name, RUNS);
	printf("%s calibration: %s %.2f%% (mean over %d comparisons)\n",
	       rate > 0 && rate <= CMP_ALPHA ? "ok  " : "FAIL", what,
	       100 * rate, NULL_CMPS);
	if (!(rate > 0 && rate <= CMP_ALPHA))
		unit_failed = 1;
}

int main(void)
{
	static const char *names[NSTATS] = {
		"count", "mean", "p50", "p90", "p99", "p99.9", "max", "waits/1k"
	};
	static struct side b, a;
	int fp[NSTATS] = { 0 }, pw[NSTATS] = { 0 }, gone[NSTATS] = { 0 };
	double size[NSTATS] = { 0 };
	int pw_waits[NSTATS] = { 0 }, gone12[NSTATS] = { 0 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	char what[96];

	gsl_rng_set(rng, 1);
	/* Positive control: the generator makes boots differ. */
	gen_side(rng, &b, RUNS, 1, 10);
	{
		double lo = 1e18, hi = 0;

		for (int r = 0; r < RUNS; r++) {
			double p50 = hist_percentile(&b.lat[r].h, 0.5, 0, 0);

			lo = p50 < lo ? p50 : lo;
			hi = p50 > hi ? p50 : hi;
		}
		snprintf(what, sizeof(what),
			 "boots differ: p50 of %d runs from %.0f to %.0f ns",
			 RUNS, lo, hi);
		report(what, 1, 1, hi > 1.3 * lo && b.lat[0].count == CALLS);
	}
	for (int i = 0; i < NULL_CMPS; i++) {
		gen_side(rng, &b, RUNS, 1, 10);
		gen_side(rng, &a, RUNS, 1, 10);
		compare_sides(&b, &a, fp, false, size);
	}
	for (int i = 0; i < POWER_CMPS; i++) {
		gen_side(rng, &b, RUNS, 1, 10);
		gen_side(rng, &a, RUNS, 2, 20);
		compare_sides(&b, &a, pw, false, NULL);
		gen_side(rng, &a, RUNS, 1, 0);
		compare_sides(&b, &a, gone, true, NULL);
		gen_side(rng, &a, RUNS, 1, 20);
		compare_sides(&b, &a, pw_waits, false, NULL);
		gen_side(rng, &b, 12, 1, 10);
		gen_side(rng, &a, 12, 1, 0);
		compare_sides(&b, &a, gone12, true, NULL);
	}
	for (int s = CMP_MEAN; s < NSTATS; s++) {
		snprintf(what, sizeof(what),
			 "%s, no change, %d runs a side: false verdicts",
			 names[s], RUNS);
		report(what, fp[s], NULL_CMPS, within_alpha(fp[s], NULL_CMPS));
		printf("     (P(this many or more | a 5%% rate) = %.3f)\n",
		       gsl_cdf_binomial_Q(fp[s] - 1, CMP_ALPHA, NULL_CMPS));
		size_report(names[s], size[s] / NULL_CMPS);
	}
	for (int s = CMP_MEAN; s <= CMP_P99; s++) {
		snprintf(what, sizeof(what),
			 "%s, every call 2x slower, %d runs a side: found",
			 names[s], RUNS);
		report(what, pw[s], POWER_CMPS, pw[s] * 10 >= POWER_CMPS * 9);
	}
	/* p99.9 and max rest on a handful of slow calls per run. */
	for (int s = CMP_P999; s <= CMP_MAX; s++)
		printf("info calibration: %s, every call 2x slower, %d runs a side: found %.1f%% (%d/%d)\n",
		       names[s], RUNS, 100.0 * pw[s] / POWER_CMPS, pw[s],
		       POWER_CMPS);
	/* A quarter of the boots see no contention at all, as one of three
	 * before boots in the committed report: 8 runs are not quite enough. */
	printf("info calibration: waits/1k, waits gone after, %d runs a side: lower %.1f%% (%d/%d)\n",
	       RUNS, 100.0 * gone[CMP_NS_STATS] / POWER_CMPS,
	       gone[CMP_NS_STATS], POWER_CMPS);
	report("waits/1k, waits gone after, 12 runs a side: lower",
	       gone12[CMP_NS_STATS], POWER_CMPS,
	       gone12[CMP_NS_STATS] * 10 >= POWER_CMPS * 9);
	/* Contention varies 10x between boots: 2x more is hard to see. */
	printf("info calibration: waits/1k, 2x more waits, %d runs a side: found %.1f%% (%d/%d)\n",
	       RUNS, 100.0 * pw_waits[CMP_NS_STATS] / POWER_CMPS,
	       pw_waits[CMP_NS_STATS], POWER_CMPS);
	/* Boots whose share of slow calls straddles 1%: p99 jumps between
	 * the body and the tail from boot to boot. */
	tail_share = 0.01;
	tail_sigma = 0.5;
	memset(pw, 0, sizeof(pw));
	for (int i = 0; i < POWER_CMPS; i++) {
		gen_side(rng, &b, RUNS, 1, 10);
		gen_side(rng, &a, RUNS, 2, 20);
		compare_sides(&b, &a, pw, false, NULL);
	}
	printf("info calibration: p99, 2x slower, tails straddling p99 between boots, %d runs a side: found %.1f%% (%d/%d)\n",
	       RUNS, 100.0 * pw[CMP_P99] / POWER_CMPS, pw[CMP_P99], POWER_CMPS);
	gsl_rng_free(rng);
	UNIT_EXIT();
}
