// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace compare --before RUN... --after RUN...: per target and for the
 * lock, each statistic of each run on both sides, after/before, and a
 * verdict from a rank test over the runs (rank.c explains why, bm.c the
 * test). One run (file) is one replicate: runs are never summed.
 *
 * With one run a side there is nothing to compare boots with: the interval
 * is then a bootstrap of that run's calls (GSL's multinomial sampler over
 * the histogram), shown as such and never turned into a verdict.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "compare.h"

void stat_init(struct stat_cmp *s, const char *name, enum cmp_kind kind)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->kind = kind;
	s->before = s->after = s->ratio = s->lo = s->hi = s->p = -1;
}

/* The statistics of one histogram; min and max, when not 0, keep the
 * percentiles within the exact extremes. */
static void hist_stats(const struct hist *h, __u64 n, __u64 min, __u64 max,
		       double out[CMP_NS_STATS])
{
	double sum = 0;

	for (__u32 i = 0; i < HIST_BUCKETS; i++)
		sum += (double)h->slots[i] * hist_bucket_mid(i);
	out[CMP_COUNT] = (double)n;
	out[CMP_MEAN] = n ? sum / (double)n : -1;
	for (int i = 0; i < HIST_NQUANTILES; i++)
		out[CMP_P50 + i] =
			hist_percentile(h, hist_quantiles[i].q, min, max);
	out[CMP_MAX] = -1;
}

/* One run's figures: the exact mean and max where the document has them. */
static void point_stats(const struct loaded_hist *h, double out[CMP_NS_STATS])
{
	hist_stats(&h->h, h->count, h->min, h->max, out);
	out[CMP_MEAN] = h->count ? (double)h->sum / (double)h->count : -1;
	out[CMP_MAX] = h->count ? (double)h->max : -1;
}

/* The non-empty buckets of h, as multinomial probabilities. */
struct sampler {
	size_t k;
	__u32 idx[HIST_BUCKETS];
	double p[HIST_BUCKETS];
	unsigned int draw[HIST_BUCKETS];
	struct hist h;
};

static void sampler_init(struct sampler *s, const struct hist *h)
{
	s->k = 0;
	for (__u32 i = 0; i < HIST_BUCKETS; i++) {
		if (!h->slots[i])
			continue;
		s->idx[s->k] = i;
		s->p[s->k++] = (double)h->slots[i];
	}
}

/* n fits GSL's unsigned int: the caller refuses larger counts. */
static void resample(struct sampler *s, gsl_rng *rng, unsigned int n)
{
	gsl_ran_multinomial(rng, s->k, n, s->p, s->draw);
	memset(&s->h, 0, sizeof(s->h));
	for (size_t j = 0; j < s->k; j++)
		s->h.slots[s->idx[j]] = s->draw[j];
}

/*
 * One run a side: the 2.5% and 97.5% quantiles of after/before over
 * resamples of both runs' calls. Only the calls' sampling noise: a second
 * boot moves the figures further than this interval says.
 */
static void within_run(struct hist_cmp *c, unsigned int resamples,
		       unsigned long seed)
{
	static double ratios[CMP_NS_STATS][100000];
	static struct sampler sb, sa;
	const struct loaded_hist *b = c->hb[0], *a = c->ha[0];
	gsl_rng *rng;

	if (b->count > UINT_MAX || a->count > UINT_MAX) {
		c->too_many_calls = true;
		return;
	}
	if (!b->count || !a->count || !resamples)
		return;
	if (resamples > sizeof(ratios[0]) / sizeof(ratios[0][0]))
		resamples = sizeof(ratios[0]) / sizeof(ratios[0][0]);
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		return;
	gsl_rng_set(rng, seed);
	sampler_init(&sb, &b->h);
	sampler_init(&sa, &a->h);
	for (unsigned int r = 0; r < resamples; r++) {
		double rb[CMP_NS_STATS], ra[CMP_NS_STATS];

		resample(&sb, rng, b->count);
		resample(&sa, rng, a->count);
		hist_stats(&sb.h, b->count, 0, 0, rb);
		hist_stats(&sa.h, a->count, 0, 0, ra);
		for (int i = CMP_MEAN; i <= CMP_P999; i++)
			ratios[i][r] = rb[i] > 0 ? ra[i] / rb[i] : 0;
	}
	for (int i = CMP_MEAN; i <= CMP_P999; i++) {
		struct stat_cmp *s = &c->s[i];

		/* p99.9 needs enough samples beyond it to be resampled. */
		if (i == CMP_P999 && (b->count < 1000 || a->count < 1000))
			continue;
		gsl_sort(ratios[i], 1, resamples);
		s->lo = gsl_stats_quantile_from_sorted_data(ratios[i], 1,
							    resamples, 0.025);
		s->hi = gsl_stats_quantile_from_sorted_data(ratios[i], 1,
							    resamples, 0.975);
		s->level = 0.95;
		s->within_run = true;
	}
	gsl_rng_free(rng);
}

/*
 * max and p99.9 grow with the number of calls: with 200 calls a boot
 * against 20,000, 99.7% of max verdicts were false under no change. When
 * the sides' median call counts differ more than 2x they get no verdict.
 */
static void withhold_count_bound(struct hist_cmp *c)
{
	static const char why[] =
		"the sides' median call counts differ > 2x, and this statistic grows with the count";
	double b = c->s[CMP_COUNT].before, a = c->s[CMP_COUNT].after;

#ifdef CMP_BREAK_COUNTS
	return; /* the broken build of the calibration */
#endif
	if (b <= 0 || a <= 0 || (a <= 2 * b && b <= 2 * a))
		return;
	c->s[CMP_MAX].withheld = c->s[CMP_P999].withheld = why;
	cmp_set_verdict(&c->s[CMP_MAX], c->s[CMP_MAX].p);
	cmp_set_verdict(&c->s[CMP_P999], c->s[CMP_P999].p);
}

/*
 * The latency statistics of c from its runs (a run without calls has no
 * value), then every statistic compared, rates included: the caller fills
 * s[CMP_NS_STATS..nstats) with per-run values beforehand.
 */
void compare_hists(struct hist_cmp *c, unsigned int resamples,
		   unsigned long seed)
{
	static const char *names[CMP_NS_STATS] = {
		[CMP_COUNT] = "count", [CMP_MEAN] = "mean", [CMP_MAX] = "max"
	};

	for (int i = 0; i < HIST_NQUANTILES; i++)
		names[CMP_P50 + i] = hist_quantiles[i].label;
	if (c->nstats < CMP_NS_STATS)
		c->nstats = CMP_NS_STATS;
	for (int i = 0; i < CMP_NS_STATS; i++)
		stat_init(&c->s[i], names[i],
			  i == CMP_COUNT ? KIND_COUNT : KIND_NS);
	for (int side = 0; side < 2; side++) {
		int n = side ? c->na : c->nb;

		for (int r = 0; r < n; r++) {
			const struct loaded_hist *h = side ? c->ha[r] :
							     c->hb[r];
			double v[CMP_NS_STATS];

			point_stats(h, v);
			for (int i = 0; i < CMP_NS_STATS; i++) {
				struct stat_cmp *s = &c->s[i];

				if (v[i] < 0)
					continue;
				if (side)
					s->va[s->na++] = v[i];
				else
					s->vb[s->nb++] = v[i];
			}
		}
	}
	c->too_many_calls = false;
	for (int i = 0; i < c->nstats; i++)
		rank_compare(&c->s[i]);
	withhold_count_bound(c);
	if (c->nb == 1 && c->na == 1)
		within_run(c, resamples, seed);
}

static const struct loaded_target *find_target(const struct loaded_run *r,
					       const char *name)
{
	for (int i = 0; i < r->ntargets; i++)
		if (!strcmp(r->t[i].name, name))
			return &r->t[i];
	return NULL;
}

static void __attribute__((format(printf, 2, 3)))
warn(struct comparison *c, const char *fmt, ...)
{
	va_list ap;

	if (c->nwarnings == (int)(sizeof(c->warnings) / sizeof(c->warnings[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(c->warnings[c->nwarnings++], sizeof(c->warnings[0]), fmt, ap);
	va_end(ap);
}

/* Calls of a target: count is timed calls, missed.exit the untimed. */
static double calls(const struct loaded_target *t)
{
	return (double)t->count + (double)t->missed_exit;
}

/* Reader calls of a run: the denominator of the lock's rates. */
double reader_calls(const struct loaded_run *r)
{
	double n = 0;

	for (int i = 0; i < r->ntargets; i++)
		if (strcmp(r->t[i].mode, "absent"))
			n += calls(&r->t[i]);
	return n;
}

enum rate_of { RATE_ACQUIRED, RATE_MISSED, RATE_WAITS, RATE_LOCK_MISSED };

/* Events per 1000 calls in run r, or -1: not recorded, or no calls. */
static double rate(const struct loaded_run *r, const char *target,
		   enum rate_of what)
{
	const struct loaded_target *t = target ? find_target(r, target) : NULL;
	double ev, n = t ? calls(t) : reader_calls(r);

	switch (what) {
	case RATE_ACQUIRED:
		if (!t->has_lock)
			return -1;
		ev = (double)t->lock_acquired;
		break;
	case RATE_MISSED:
		if (!t->has_missed)
			return -1;
		ev = (double)t->missed_entry + (double)t->missed_exit;
		break;
	case RATE_WAITS:
		ev = (double)r->contended;
		break;
	default:
		if (!r->has_lock_missed)
			return -1;
		ev = (double)r->lock_missed;
	}
	return n > 0 ? 1000 * ev / n : -1;
}

/* A rate as one more statistic of h; a run that did not record it, or made
 * no calls, has no value. */
static void add_rate(struct comparison *c, struct hist_cmp *h, const char *name,
		     const char *target, enum rate_of what)
{
	struct stat_cmp *s = &h->s[h->nstats];

	stat_init(s, name, KIND_RATE);
	for (int side = 0; side < 2; side++) {
		int n = side ? c->na : c->nb;

		for (int i = 0; i < n; i++) {
			const struct loaded_run *r = side ? c->after[i] :
							    c->before[i];
			double v = rate(r, target, what);

			if (v < 0)
				continue;
			if (side)
				s->va[s->na++] = v;
			else
				s->vb[s->nb++] = v;
		}
	}
	if (s->nb + s->na)
		h->nstats++;
}

/* One compared target: its latency in every run, and its rates. */
static void add_target(struct comparison *c, const char *name)
{
	struct hist_cmp *h = &c->h[c->n++];

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	for (int i = 0; i < c->nb; i++)
		h->hb[h->nb++] = &find_target(c->before[i], name)->lat;
	for (int i = 0; i < c->na; i++)
		h->ha[h->na++] = &find_target(c->after[i], name)->lat;
	h->nstats = CMP_NS_STATS;
	add_rate(c, h, "lock_per_1k", name, RATE_ACQUIRED);
	add_rate(c, h, "missed_per_1k", name, RATE_MISSED);
}

static void add_lock(struct comparison *c)
{
	struct hist_cmp *h = &c->h[c->n++];

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s wait", c->before[0]->lock_name);
	h->lock = true;
	for (int i = 0; i < c->nb; i++)
		h->hb[h->nb++] = &c->before[i]->wait;
	for (int i = 0; i < c->na; i++)
		h->ha[h->na++] = &c->after[i]->wait;
	h->nstats = CMP_NS_STATS;
	add_rate(c, h, "waits_per_1k", NULL, RATE_WAITS);
	add_rate(c, h, "missed_per_1k", NULL, RATE_LOCK_MISSED);
}

/*
 * Pair up what both sides' runs measured (c->before[0..nb), c->after[0..na)
 * set, the rest zero), compare it, and say what makes it hard to compare.
 * -1: nothing in common.
 */
int compare_build(struct comparison *c)
{
	const struct loaded_run *b = c->before[0], *a = c->after[0];

	if (strcmp(b->release, a->release))
		warn(c, "kernels differ: %s vs %s", b->release, a->release);
	if (strcmp(b->machine, a->machine))
		warn(c, "machines differ: %s vs %s", b->machine, a->machine);
	if (strcmp(b->label, a->label))
		warn(c, "scenarios differ: '%s' vs '%s'", b->label, a->label);
	for (int i = 0; i < b->ntargets; i++) {
		const struct loaded_target *tb = &b->t[i];
		const struct loaded_target *ta = find_target(a, tb->name);

		if (!ta) {
			warn(c, "%s is only in %s", tb->name, b->path);
			continue;
		}
		if (!strcmp(tb->mode, "absent") ||
		    !strcmp(ta->mode, "absent")) {
			warn(c, "%s is absent on one side (%s vs %s)", tb->name,
			     tb->mode, ta->mode);
			continue;
		}
		if (strcmp(tb->mode, ta->mode) ||
		    strcmp(tb->function, ta->function))
			warn(c,
			     "%s is attached differently: %s %s vs %s %s: latencies are not like for like",
			     tb->name, tb->mode, tb->function, ta->mode,
			     ta->function);
		add_target(c, tb->name);
	}
	c->ntargets = c->n;
	for (int i = 0; i < a->ntargets; i++)
		if (!find_target(b, a->t[i].name))
			warn(c, "%s is only in %s", a->t[i].name, a->path);
	if (b->has_lock && a->has_lock && strcmp(b->lock_name, a->lock_name))
		warn(c, "locks differ, not compared: %s vs %s", b->lock_name,
		     a->lock_name);
	else if (b->has_lock && a->has_lock)
		add_lock(c);
	if (!c->n)
		return -1;
	if (c->nb == 1 && c->na == 1)
		warn(c,
		     "one run a side: intervals are the calls' noise within these two runs, and boots vary far more; no verdict");
	for (int i = 0; i < c->n; i++) {
		compare_hists(&c->h[i], c->resamples, c->seed);
		if (c->h[i].too_many_calls)
			warn(c,
			     "%s: more than %u calls in a run, too many to resample: no within-run interval",
			     c->h[i].name, UINT_MAX);
	}
	return 0;
}
