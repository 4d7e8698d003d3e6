// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace compare BEFORE.json AFTER.json: per target and for the lock, the
 * change of each statistic as after/before, with a 95% interval from a
 * bootstrap over the two histograms (GSL's multinomial sampler). A verdict
 * is given only where the interval excludes 1.
 */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "atomic_file.h"
#include "compare.h"
#include "text.h"

/* The statistics a bootstrap replicate is judged on; min and max, when not
 * 0, keep the percentiles within the exact extremes. */
static void hist_stats(const struct hist *h, __u64 n, __u64 min, __u64 max,
		       double out[CMP_STATS])
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

/* Point estimates: the exact mean and max where the document has them. */
static void point_stats(const struct loaded_hist *h, double out[CMP_STATS])
{
	hist_stats(&h->h, h->count, h->min, h->max, out);
	out[CMP_MEAN] = h->count ? (double)h->sum / h->count : -1;
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

static void resample(struct sampler *s, gsl_rng *rng, __u64 n)
{
	gsl_ran_multinomial(rng, s->k, (unsigned int)n, s->p, s->draw);
	memset(&s->h, 0, sizeof(s->h));
	for (size_t j = 0; j < s->k; j++)
		s->h.slots[s->idx[j]] = s->draw[j];
}

/*
 * Point estimates use the exact figures (sum, min, max); intervals come from
 * resampling both histograms and taking the 2.5% and 97.5% quantiles of the
 * replicated ratios. Counts and max get no interval: a count is exact, and a
 * bootstrap of an extreme says nothing.
 */
void compare_hists(struct hist_cmp *c, unsigned int resamples,
		   unsigned long seed)
{
	const char *names[CMP_STATS] = {
		[CMP_COUNT] = "count", [CMP_MEAN] = "mean", [CMP_MAX] = "max"
	};
	const struct loaded_hist *b = c->before, *a = c->after;
	static double ratios[CMP_STATS][100000];
	static struct sampler sb, sa;
	double pb[CMP_STATS], pa[CMP_STATS];
	gsl_rng *rng;

	for (int i = 0; i < HIST_NQUANTILES; i++)
		names[CMP_P50 + i] = hist_quantiles[i].label;

	point_stats(b, pb);
	point_stats(a, pa);
	c->too_few = b->count < CMP_MIN_SAMPLES || a->count < CMP_MIN_SAMPLES;
	for (int i = 0; i < CMP_STATS; i++) {
		c->s[i] = (struct stat_cmp){ .name = names[i],
					     .before = pb[i],
					     .after = pa[i],
					     .ratio = -1,
					     .lo = -1,
					     .hi = -1 };
		if (pb[i] > 0 && pa[i] >= 0)
			c->s[i].ratio = pa[i] / pb[i];
	}
	if (c->too_few || !resamples)
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
		double rb[CMP_STATS], ra[CMP_STATS];

		resample(&sb, rng, b->count);
		resample(&sa, rng, a->count);
		hist_stats(&sb.h, b->count, 0, 0, rb);
		hist_stats(&sa.h, a->count, 0, 0, ra);
		for (int i = CMP_MEAN; i <= CMP_P999; i++)
			ratios[i][r] = rb[i] > 0 ? ra[i] / rb[i] : 0;
	}
	for (int i = CMP_MEAN; i <= CMP_P999; i++) {
		/* p99.9 needs enough samples beyond it to be resampled. */
		if (i == CMP_P999 && (b->count < 1000 || a->count < 1000))
			continue;
		gsl_sort(ratios[i], 1, resamples);
		c->s[i].lo = gsl_stats_quantile_from_sorted_data(
			ratios[i], 1, resamples, 0.025);
		c->s[i].hi = gsl_stats_quantile_from_sorted_data(
			ratios[i], 1, resamples, 0.975);
	}
	gsl_rng_free(rng);
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

/* Pair up what both sides measured, and say what makes them hard to compare. */
static int build_comparison(struct comparison *c)
{
	const struct loaded_run *b = c->before, *a = c->after;

	if (strcmp(b->release, a->release))
		warn(c, "kernels differ: %s vs %s", b->release, a->release);
	if (strcmp(b->machine, a->machine))
		warn(c, "machines differ: %s vs %s", b->machine, a->machine);
	if (strcmp(b->label, a->label))
		warn(c, "scenarios differ: '%s' vs '%s'", b->label, a->label);
	c->lock_per_call = true;
	for (int i = 0; i < b->ntargets; i++) {
		const struct loaded_target *tb = &b->t[i];
		const struct loaded_target *ta = find_target(a, tb->name);
		struct hist_cmp *h;

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
		h = &c->h[c->n];
		snprintf(h->name, sizeof(h->name), "%s", tb->name);
		h->before = &tb->lat;
		h->after = &ta->lat;
		c->lock_per_call &= tb->has_lock && ta->has_lock;
		c->per_call_before[c->n] =
			tb->count ? (double)tb->lock_acquired / tb->count : -1;
		c->per_call_after[c->n] =
			ta->count ? (double)ta->lock_acquired / ta->count : -1;
		c->n++;
	}
	c->ntargets = c->n;
	for (int i = 0; i < a->ntargets; i++)
		if (!find_target(b, a->t[i].name))
			warn(c, "%s is only in %s", a->t[i].name, a->path);
	if (b->has_lock && a->has_lock && strcmp(b->lock_name, a->lock_name)) {
		warn(c, "locks differ, not compared: %s vs %s", b->lock_name,
		     a->lock_name);
	} else if (b->has_lock && a->has_lock) {
		struct hist_cmp *h = &c->h[c->n++];

		snprintf(h->name, sizeof(h->name), "%s wait", b->lock_name);
		h->before = &b->wait;
		h->after = &a->wait;
	}
	if (!c->n)
		return -1;
	for (int i = 0; i < c->n; i++) {
		compare_hists(&c->h[i], c->resamples, c->seed);
		if (c->h[i].too_few)
			warn(c,
			     "%s: fewer than %d samples on a side (%llu vs %llu): no verdict",
			     c->h[i].name, CMP_MIN_SAMPLES,
			     (unsigned long long)c->h[i].before->count,
			     (unsigned long long)c->h[i].after->count);
	}
	return 0;
}

/* One side: a file, or repeats of one scenario as FILE,FILE,... summed. */
static int load_side(char *list, struct loaded_run *run, char *err,
		     size_t errlen)
{
	static struct loaded_run more;
	char *save, *path = strtok_r(list, ",", &save);

	if (!path || load_run(path, run, err, errlen))
		return -1;
	while ((path = strtok_r(NULL, ",", &save)))
		if (load_run(path, &more, err, errlen) ||
		    merge_run(run, &more, err, errlen))
			return -1;
	return 0;
}

struct compare_opts {
	char *files[2];
	int nfiles;
	enum cmp_format fmt;
	const char *output;
	unsigned int resamples;
	unsigned long seed;
};

static void __attribute__((noreturn))
compare_usage(const char *what, const char *arg)
{
	fprintf(stderr,
		"pmutrace compare: %s '%s' (see pmutrace compare --help)\n",
		what, arg);
	exit(EXIT_USAGE);
}

static error_t compare_opt(int key, char *arg, struct argp_state *state)
{
	struct compare_opts *o = state->input;
	char *end;

	switch (key) {
	case 'f':
		if (!strcmp(arg, "text"))
			o->fmt = FMT_TEXT;
		else if (!strcmp(arg, "markdown") || !strcmp(arg, "md"))
			o->fmt = FMT_MARKDOWN;
		else if (!strcmp(arg, "svg"))
			o->fmt = FMT_SVG;
		else if (!strcmp(arg, "json"))
			o->fmt = FMT_JSON;
		else
			compare_usage(
				"unknown format (text, markdown, svg, json)",
				arg);
		break;
	case 'o':
		o->output = arg;
		break;
	case 'r':
		errno = 0;
		o->resamples = strtoul(arg, &end, 10);
		if (errno || *end || !*arg || o->resamples > 100000)
			compare_usage("resamples must be 0..100000, not", arg);
		break;
	case 's':
		errno = 0;
		o->seed = strtoul(arg, &end, 10);
		if (errno || *end || !*arg)
			compare_usage("invalid seed", arg);
		break;
	case ARGP_KEY_ARG:
		/* File names go into every output: not echoed here. */
		if (!text_is_clean(arg, strlen(arg))) {
			fprintf(stderr,
				"pmutrace compare: file names must be UTF-8 text without control characters (see pmutrace compare --help)\n");
			exit(EXIT_USAGE);
		}
		if (o->nfiles == 2)
			compare_usage(
				"too many files: give BEFORE.json AFTER.json, not",
				arg);
		o->files[o->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (o->nfiles != 2)
			compare_usage("give two files",
				      "BEFORE.json AFTER.json");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int compare_main(int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "format", 'f', "FORMAT", 0,
		  "text (default), markdown, svg or json", 0 },
		{ "output", 'o', "FILE", 0, "Write to FILE instead of stdout",
		  0 },
		{ "resamples", 'r', "N", 0,
		  "Bootstrap resamples for the intervals (default 2000; 0: none)",
		  0 },
		{ "seed", 's', "N", 0,
		  "Random seed of the bootstrap (default 1)", 0 },
		{},
	};
	static const struct argp argp = {
		options,
		compare_opt,
		"BEFORE.json[,REPEAT.json...] AFTER.json[,REPEAT.json...]",
		"Compare two pmutrace --json runs (or repeats of each, comma-separated, summed): per target and for the lock, "
		"after/before ratios with 95% bootstrap intervals; a verdict only "
		"where the interval excludes 1. Needs no privileges.\v"
		"Exit status: 0 compared, 2 bad usage, 7 output not writable, "
		"8 an input is unreadable, not JSON, not pmutrace/1, or has "
		"nothing in common with the other.",
		NULL,
		NULL,
		NULL
	};
	struct compare_opts o = { .resamples = 2000, .seed = 1 };
	static struct loaded_run before, after;
	static struct comparison c;
	struct atomic_file out;
	char err[512];
	int e;

	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (load_side(o.files[0], &before, err, sizeof(err)) ||
	    load_side(o.files[1], &after, err, sizeof(err))) {
		fprintf(stderr, "pmutrace compare: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	c.before = &before;
	c.after = &after;
	c.resamples = o.resamples;
	c.seed = o.seed;
	if (build_comparison(&c)) {
		fprintf(stderr,
			"pmutrace compare: %s and %s have no target or lock in common\n",
			o.files[0], o.files[1]);
		return EXIT_BAD_INPUT;
	}
	/* The same writer as the trace run's -o; stdout errors count too. */
	e = atomic_file_open(&out, o.output);
	if (!e) {
		render_comparison(out.f, &c, o.fmt);
		e = atomic_file_close(&out, true);
	}
	if (e) {
		fprintf(stderr, "pmutrace compare: cannot write %s: %s\n",
			o.output ? o.output : "the output",
			atomic_file_strerror(e));
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}
