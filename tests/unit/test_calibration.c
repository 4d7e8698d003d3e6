// SPDX-License-Identifier: GPL-2.0
/*
 * Counted calibration of compare's verdicts on synthetic runs that vary as
 * boots do.
 *
 * Each run gets its own level (a lognormal random effect, boots 30% apart
 * as in docs/report/raw), its own share of slow calls and its own
 * contention (none in a quarter of the runs). Its calls are then drawn into
 * the histogram at once: the largest call from the law of the maximum, the
 * rest as a multinomial over the buckets below it.
 *
 * Under no change (both sides from one generator) every verdict is false.
 * Per scenario and statistic they are counted over SEEDS x NULL_CMPS
 * comparisons and refused above a binomial bound: the count a true 5% rate
 * exceeds in only 0.1% of such experiments. A statistic that gets no verdict
 * by rule says so and why. The adversarial nulls: unequal call counts (200
 * vs 20,000 a boot), 3 vs 8 runs, zero-inflated waits, unequal boot spread
 * (sigma 0.9 vs 0.1 at one median), and under a global null the share of
 * whole compares (a target and the lock's waits, adjusted as a family) that
 * claim anything. make calibration-broken builds this test with each fix
 * taken out: each must print FAIL.
 *
 * The seeds are fixed, so the figures are the same on every run.
 */
#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "compare.h"
#include "unit.h"

#ifndef SEEDS
#define SEEDS 5
#endif
#ifndef NULL_CMPS
#define NULL_CMPS 1000
#endif
#define POWER_CMPS 200
#define TAIL_SD 0.5385 /* sqrt(0.2^2 + 0.5^2): a slow call's spread */

/* How the runs of one side vary. */
struct gen {
	int runs;
	unsigned long calls;
	double slower; /* the level's factor */
	double boot_sd; /* sigma of the boot level */
	double contention; /* waits per 1000 calls where there are any */
	double no_waits; /* the share of boots without a single wait */
};

struct side {
	int runs;
	struct loaded_hist lat[CMP_MAX_RUNS];
	double waits[CMP_MAX_RUNS]; /* per 1000 calls */
};

/* The calls' law: body lognormal(mu, 0.2), a share tau 30x slower. */
static double mix_cdf(double x, double mu, double tau)
{
	double lx = log(x);

	if (x <= 0)
		return 0;
	return (1 - tau) * gsl_cdf_gaussian_P(lx - mu, 0.2) +
	       tau * gsl_cdf_gaussian_P(lx - mu - log(30), TAIL_SD);
}

/* n calls at once: the maximum from F^n, the rest below it. */
static void draw_hist(gsl_rng *rng, struct loaded_hist *h, unsigned long n,
		      double mu, double tau)
{
	static double p[HIST_BUCKETS];
	static unsigned int k[HIST_BUCKETS];
	double u = pow(gsl_rng_uniform_pos(rng), 1.0 / n), lo = mu - 12,
	       hi = mu + 16, mx, fmax;
	__u32 first, last;

	for (int i = 0; i < 60; i++) {
		double mid = (lo + hi) / 2;

		if (mix_cdf(exp(mid), mu, tau) < u)
			lo = mid;
		else
			hi = mid;
	}
	mx = exp(hi) < 1 ? 1 : exp(hi);
	fmax = mix_cdf(mx, mu, tau);
	memset(h, 0, sizeof(*h));
	first = hist_bucket((__u64)exp(mu - 1.5));
	last = hist_bucket((__u64)mx);
	first = first < last ? first : last;
	for (__u32 i = first; i <= last; i++) {
		double b = (double)hist_bucket_low(i);
		double e = i + 1 < HIST_BUCKETS ?
				   (double)hist_bucket_low(i + 1) :
				   INFINITY;

		p[i - first] = mix_cdf(e < mx ? e : mx, mu, tau) -
			       (i == first ? 0 : mix_cdf(b, mu, tau));
	}
	(void)fmax;
	gsl_ran_multinomial(rng, last - first + 1, n - 1, p, k);
	for (__u32 i = first; i <= last; i++) {
		h->h.slots[i] = k[i - first];
		h->sum += (__u64)(k[i - first] * hist_bucket_mid(i));
		if (k[i - first] && !h->min)
			h->min = hist_bucket_low(i);
	}
	h->h.slots[last]++;
	h->max = (__u64)mx;
	h->sum += h->max;
	h->count = n;
	if (!h->min)
		h->min = h->max;
}

static void gen_side(gsl_rng *rng, struct side *s, const struct gen *g)
{
	s->runs = g->runs;
	for (int r = 0; r < g->runs; r++) {
		double level = 1000 * g->slower *
			       exp(gsl_ran_gaussian(rng, g->boot_sd));
		double tau = 0.005 * exp(gsl_ran_gaussian(rng, 0.3));
		double c =
			gsl_rng_uniform(rng) < g->no_waits ?
				0 :
				g->contention * exp(gsl_ran_gaussian(rng, 1.0));

		draw_hist(rng, &s->lat[r], g->calls, log(level), tau);
		s->waits[r] =
			1000.0 *
			gsl_ran_poisson(rng, (double)g->calls * c / 1000) /
			(double)g->calls;
	}
}

/* Statistics: CMP_NS_STATS latency ones, then the waits. */
#define NSTATS (CMP_NS_STATS + 1)
static const char *const names[NSTATS] = {
	"count", "mean", "p50", "p90", "p99", "p99.9", "max", "waits/1k"
};

struct tally {
	int found[NSTATS]; /* verdicts (of the wanted kind) */
	int judged[NSTATS]; /* comparisons that could give one */
	int none[NSTATS]; /* comparisons withheld or without a verdict */
	const char *withheld[NSTATS]; /* the last reason for none */
	int any; /* comparisons with any claim, family-adjusted */
};

/* One compare of a target and the lock's waits; fam: adjusted as a
 * family, else each test on its own. */
static void compare_sides(const struct side *b, const struct side *a,
			  struct tally *t, bool want_lower, bool fam)
{
	static struct hist_cmp c;
	static struct family f;
	struct stat_cmp *w;
	bool any = false;

	memset(&c, 0, sizeof(c));
	c.nb = b->runs;
	c.na = a->runs;
	for (int r = 0; r < b->runs; r++)
		c.hb[r] = &b->lat[r];
	for (int r = 0; r < a->runs; r++)
		c.ha[r] = &a->lat[r];
	w = &c.s[CMP_NS_STATS];
	stat_init(w, "waits_per_1k", KIND_RATE);
	memcpy(w->vb, b->waits, sizeof(b->waits));
	memcpy(w->va, a->waits, sizeof(a->waits));
	w->nb = b->runs;
	w->na = a->runs;
	c.nstats = NSTATS;
	compare_hists(&c, 0, 1);
	if (fam) {
		f.n = 0;
		for (int s = 0; s < NSTATS; s++)
			family_add(&f, &c.s[s]);
		family_adjust(&f);
	}
	for (int s = CMP_MEAN; s < NSTATS; s++) {
		enum cmp_verdict v = c.s[s].verdict;

		if (c.s[s].withheld)
			t->withheld[s] = c.s[s].withheld;
		else if (c.s[s].need_runs)
			t->withheld[s] =
				"the verdict rule: >= 4 runs a side, the larger at most 1.25x the smaller";
		t->none[s] += v == VERDICT_NONE;
		t->judged[s] += v != VERDICT_NONE;
		if (want_lower ? v == VERDICT_LOWER :
				 v == VERDICT_LOWER || v == VERDICT_HIGHER) {
			t->found[s]++;
			any = true;
		}
	}
	t->any += any;
}

/* The most false verdicts a true 5% rate gives in 99.9% of experiments. */
static int bound(int total)
{
	int k = 0;

	while (gsl_cdf_binomial_Q(k, CMP_ALPHA, total) >= 0.001)
		k++;
	return k;
}

static void rate_line(const char *scenario, const char *what, int hits,
		      int total)
{
	int b = bound(total);
	bool ok = hits <= b;

	printf("%s calibration: %s: %s false verdicts %.2f%% (%d/%d), bound %.2f%%\n",
	       ok ? "ok  " : "FAIL", scenario, what, 100.0 * hits / total, hits,
	       total, 100.0 * b / total);
	if (!ok)
		unit_failed = 1;
}

/* A null scenario: SEEDS x NULL_CMPS comparisons, each statistic counted. */
static void null_scenario(const char *scenario, const struct gen *gb,
			  const struct gen *ga, int first, int last)
{
	static struct side b, a;
	struct tally t = { 0 };
	int total = SEEDS * NULL_CMPS;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);

	for (int seed = 1; seed <= SEEDS; seed++) {
		gsl_rng_set(rng, seed);
		for (int i = 0; i < NULL_CMPS; i++) {
			gen_side(rng, &b, gb);
			gen_side(rng, &a, ga);
			compare_sides(&b, &a, &t, false, false);
		}
	}
	gsl_rng_free(rng);
	/* The workload ran: its figures are there to be judged. */
	if (b.lat[0].count != gb->calls || a.lat[0].count != ga->calls) {
		printf("FAIL calibration: %s: the generator made %llu and %llu calls\n",
		       scenario, b.lat[0].count, a.lat[0].count);
		unit_failed = 1;
	}
	for (int s = first; s <= last; s++) {
		if (!t.judged[s] && t.withheld[s]) {
			printf("ok   calibration: %s: %s no verdict in %d comparisons: %s\n",
			       scenario, names[s], total, t.withheld[s]);
			continue;
		}
		rate_line(scenario, names[s], t.found[s], total);
		if (t.withheld[s])
			printf("     (%d of %d without a verdict: %s)\n",
			       t.none[s], total, t.withheld[s]);
	}
}

/* Under no change at all, how often one whole compare claims anything:
 * adjusted as a family, and (for the record) each test on its own. */
static void family_scenario(const struct gen *g)
{
	static struct side b, a;
	struct tally fam = { 0 }, each = { 0 };
	int total = SEEDS * NULL_CMPS;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);

	for (int seed = 1; seed <= SEEDS; seed++) {
		gsl_rng_set(rng, 100 + seed);
		for (int i = 0; i < NULL_CMPS; i++) {
			gen_side(rng, &b, g);
			gen_side(rng, &a, g);
			compare_sides(&b, &a, &fam, false, true);
			compare_sides(&b, &a, &each, false, false);
		}
	}
	gsl_rng_free(rng);
	rate_line(
		"global null, one compare (6 latency statistics and the waits, Benjamini-Hochberg)",
		"compares claiming anything", fam.any, total);
	printf("info calibration: the same, each test on its own (--per-test): %.2f%% of compares claim something\n",
	       100.0 * each.any / total);
}

static void power_line(const char *what, int hits, int total, double want)
{
	bool ok = hits >= want * total;

	printf("%s calibration: %s: found %.1f%% (%d/%d), want >= %.0f%%\n",
	       ok ? "ok  " : "FAIL", what, 100.0 * hits / total, hits, total,
	       100 * want);
	if (!ok)
		unit_failed = 1;
}

/* True changes must still be found, each test on its own. */
static void power(void)
{
	static struct side b, a;
	struct gen g = { 8, 2000, 1, 0.3, 10, 0.25 }, slow = g, gone = g;
	struct tally t = { 0 }, lower = { 0 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	char what[96];

	slow.slower = 2;
	gone.contention = 0;
	gsl_rng_set(rng, 7);
	for (int i = 0; i < POWER_CMPS; i++) {
		gen_side(rng, &b, &g);
		gen_side(rng, &a, &slow);
		compare_sides(&b, &a, &t, false, false);
		g.runs = gone.runs = 12;
		gen_side(rng, &b, &g);
		gen_side(rng, &a, &gone);
		compare_sides(&b, &a, &lower, true, false);
		g.runs = gone.runs = 8;
	}
	gsl_rng_free(rng);
	for (int s = CMP_MEAN; s <= CMP_P90; s++) {
		snprintf(what, sizeof(what),
			 "%s, every call 2x slower, 8 runs a side", names[s]);
		power_line(what, t.found[s], POWER_CMPS, 0.9);
	}
	/* p99 jumps between the body and the tail from boot to boot: the
	 * spread rule withholds some of its comparisons. */
	printf("info calibration: p99, every call 2x slower, 8 runs a side: found %.1f%%, %d of %d withheld (%s)\n",
	       100.0 * t.found[CMP_P99] / POWER_CMPS, t.none[CMP_P99],
	       POWER_CMPS, t.withheld[CMP_P99] ? t.withheld[CMP_P99] : "-");
	power_line("waits/1k, waits gone after, 12 runs a side",
		   lower.found[CMP_NS_STATS], POWER_CMPS, 0.9);
}

int main(void)
{
	struct gen eq = { 8, 2000, 1, 0.3, 10, 0.25 };
	struct gen few = eq, many = eq, zb = eq, wide = eq, narrow = eq;

	null_scenario("exchangeable, 8 vs 8 runs", &eq, &eq, CMP_MEAN,
		      NSTATS - 1);
	few.calls = 200;
	many.calls = 20000;
	null_scenario("unequal call counts, 200 vs 20000 calls a run", &few,
		      &many, CMP_MEAN, NSTATS - 1);
	few = eq;
	few.runs = 3;
	null_scenario("3 vs 8 runs", &few, &eq, CMP_MEAN, NSTATS - 1);
	zb.no_waits = 0.8;
	null_scenario("zero-inflated waits (80% of boots without one)", &zb,
		      &zb, CMP_NS_STATS, CMP_NS_STATS);
	wide.runs = 3;
	wide.boot_sd = 0.9;
	narrow.boot_sd = 0.1;
	null_scenario(
		"unequal boot spread, 3 runs sigma 0.9 vs 8 runs sigma 0.1",
		&wide, &narrow, CMP_MEAN, CMP_MAX);
	wide.runs = 8;
	wide.boot_sd = 0.9;
	narrow.boot_sd = 0.3;
	null_scenario("unequal boot spread, 8 vs 8 runs, sigma 0.9 vs 0.3",
		      &wide, &narrow, CMP_MEAN, CMP_MAX);
	family_scenario(&eq);
	power();
	UNIT_EXIT();
}
