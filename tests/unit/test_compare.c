// SPDX-License-Identifier: GPL-2.0
/* compare: statistics on histograms with known answers, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include "compare.h"
#include "unit.h"

static void fill(struct loaded_hist *h, __u64 n, __u64 base, __u64 spread)
{
	memset(h, 0, sizeof(*h));
	h->min = ~0ULL;
	for (__u64 i = 0; i < n; i++) {
		__u64 v = base + (i * 7919) % spread; /* deterministic spread */

		h->h.slots[hist_bucket(v)]++;
		h->count++;
		h->sum += v;
		h->min = v < h->min ? v : h->min;
		h->max = v > h->max ? v : h->max;
	}
	if (!n)
		h->min = 0;
}

static void runs(struct stat_cmp *s, const double *b, int nb, const double *a,
		 int na)
{
	stat_init(s, "x", KIND_NS);
	memcpy(s->vb, b, nb * sizeof(*b));
	memcpy(s->va, a, na * sizeof(*a));
	s->nb = nb;
	s->na = na;
	rank_compare(s);
}

/* The rank test on per-run values with known answers. */
static void test_rank(void)
{
	static const double b8[] = { 10, 11, 12, 13, 14, 15, 16, 17 };
	static const double a8[] = { 20, 22, 24, 26, 28, 30, 32, 34 };
	static const double s8[] = { 17, 10, 16, 11, 15, 12, 14, 13 };
	static const double b5[] = { 1, 2, 3, 4, 5 };
	static const double a5[] = { 0.1, 0.2, 0.3, 1.5, 1.6 };
	static const double w4[] = { 7, 63, 8, 12 }, z4[] = { 0, 0, 0, 0 };
	static const double w8[] = { 7, 63, 0, 8, 12, 3, 40, 9 };
	static const double z8[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	struct stat_cmp s;

	CHECK(cmp_min_runs() == 4, "min runs %d: 2/C(8,4) = 0.029 <= 0.05",
	      cmp_min_runs());
	runs(&s, b8, 8, a8, 8);
	CHECK(s.verdict == VERDICT_HIGHER && s.lo > 1 && s.ratio >= s.lo &&
		      s.ratio <= s.hi,
	      "2x slower, 8 runs: higher, ratio %g [%g, %g]", s.ratio, s.lo,
	      s.hi);
	CHECK(s.p > 0 && s.p < 0.001 && s.level >= 0.95,
	      "separated 8+8: p %g, level %g", s.p, s.level);
	runs(&s, b8, 8, s8, 8);
	CHECK(s.verdict == VERDICT_SAME && s.lo <= 1 && s.hi >= 1 && s.p == 1,
	      "the same runs reordered: no change shown, p %g", s.p);
	runs(&s, b8, 3, a8, 3);
	CHECK(s.verdict == VERDICT_NONE && s.need_runs == 4 && s.lo < 0,
	      "3 runs a side: no verdict, need %d", s.need_runs);
	runs(&s, b8, 4, a8, 4);
	CHECK(s.verdict == VERDICT_HIGHER && fabs(s.p - 2.0 / 70) < 1e-12,
	      "4 runs a side, separated: p %g = 2/70", s.p);
	/* g = 2 pairs with after higher: p = 2 * 4/252 (exact U law). */
	runs(&s, b5, 5, a5, 5);
	CHECK(fabs(s.p - 8.0 / 252) < 1e-12 && s.verdict == VERDICT_LOWER,
	      "5+5, U = 2: p %g, want %g", s.p, 8.0 / 252);
	/* Zero events is data: waits in every run before, none after. */
	runs(&s, w4, 4, z4, 4);
	CHECK(s.verdict == VERDICT_LOWER && s.ratio == 0 && s.hi == 0,
	      "waits before, none after: lower, ratio %g [%g, %g]", s.ratio,
	      s.lo, s.hi);
	runs(&s, w8, 8, z8, 8);
	CHECK(s.verdict == VERDICT_LOWER,
	      "waits in 7 of 8 runs before, none after: lower (p %g)", s.p);
	runs(&s, z8, 8, w8, 8);
	CHECK(s.verdict == VERDICT_HIGHER && isinf(s.hi),
	      "none before, waits after: higher, hi %g", s.hi);
	runs(&s, z8, 8, z8, 8);
	CHECK(s.verdict == VERDICT_SAME && s.ratio == 1,
	      "no events on either side: no change shown");
	/* The test's exact size under no change, given the values. */
	CHECK(fabs(rank_null_size(b8, 4, a8, 4) - 2.0 / 70) < 1e-12,
	      "size of 4+4 without ties: %g, want 2/70",
	      rank_null_size(b8, 4, a8, 4));
	runs(&s, b8, 8, a8, 8);
	CHECK(fabs(rank_null_size(b8, 8, a8, 8) - (1 - s.level)) < 1e-12 &&
		      rank_null_size(b8, 8, a8, 8) <= CMP_ALPHA,
	      "size of 8+8 without ties %g = 1 - the interval's level %g",
	      rank_null_size(b8, 8, a8, 8), 1 - s.level);
	CHECK(rank_null_size(b8, 3, a8, 3) == 0,
	      "3 runs a side can give no verdict: size 0");
	CHECK(rank_null_size(z8, 8, z8, 8) == 0,
	      "every value tied: no arrangement differs, size 0");
	CHECK(rank_null_size(w8, 8, z8, 8) > 0 &&
		      rank_null_size(w8, 8, z8, 8) <= CMP_ALPHA,
	      "waits with ties at zero: size %g in (0, 0.05]",
	      rank_null_size(w8, 8, z8, 8));
}

static void test_statistics(void)
{
	static struct loaded_hist a, b, big;
	static struct hist_cmp c;

	/* One run a side: within-run figures, never a verdict. */
	memset(&c, 0, sizeof(c));
	c.nb = c.na = 1;
	c.hb[0] = &a;
	c.ha[0] = &b;
	fill(&a, 5000, 10000, 4000);
	fill(&b, 5000, 20000, 8000);
	compare_hists(&c, 1000, 1);
	CHECK(c.s[CMP_MEAN].ratio > 1.99 && c.s[CMP_MEAN].ratio < 2.01,
	      "mean ratio %g (exact sums)", c.s[CMP_MEAN].ratio);
	CHECK(c.s[CMP_P50].within_run && c.s[CMP_P50].lo > 1 &&
		      c.s[CMP_P50].verdict == VERDICT_NONE &&
		      c.s[CMP_P50].need_runs == 4,
	      "1 run a side: within-run interval [%g, %g], no verdict",
	      c.s[CMP_P50].lo, c.s[CMP_P50].hi);
	CHECK(c.s[CMP_COUNT].ratio == 1, "counts equal");

	/* An empty side: no ratio rather than a division by zero. */
	fill(&b, 0, 1, 1);
	compare_hists(&c, 1000, 1);
	CHECK(c.s[CMP_P50].ratio < 0 && c.s[CMP_P50].after < 0,
	      "empty after side");

	/* 2^32 calls: no 32-bit truncation, the bootstrap refuses them. */
	memset(&big, 0, sizeof(big));
	big.h.slots[hist_bucket(1000)] = 1ULL << 32;
	big.count = 1ULL << 32;
	big.min = big.max = 1000;
	big.sum = 1000ULL << 32;
	c.hb[0] = c.ha[0] = &big;
	compare_hists(&c, 100, 1);
	CHECK(c.too_many_calls && c.s[CMP_P50].lo < 0 &&
		      c.s[CMP_P50].ratio == 1 &&
		      c.s[CMP_COUNT].before == 4294967296.0,
	      "2^32 calls against itself: ratio %g, no interval",
	      c.s[CMP_P50].ratio);
	c.nb = c.na = 4;
	for (int i = 1; i < 4; i++)
		c.hb[i] = c.ha[i] = &big;
	compare_hists(&c, 100, 1);
	CHECK(c.s[CMP_P50].verdict == VERDICT_SAME &&
		      c.s[CMP_MEAN].verdict == VERDICT_SAME,
	      "4 runs of 2^32 calls against themselves: no change shown");
}

static char path[] = "/tmp/pmutrace-compare-XXXXXX";

static int load_text(const char *text, char *err, size_t len)
{
	static struct loaded_run run;
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return load_run(path, &run, err, len);
}

#define DOC_HEAD \
	"{\"schema\":\"pmutrace/1\",\"kernel\":{\"release\":\"r\",\"machine\":\"m\"},\"locks\":[],"
#define HIST_OK \
	"{\"count\":2,\"min\":16,\"max\":17,\"sum\":33,\"buckets\":[{\"low\":16,\"high\":16,\"count\":1},{\"low\":17,\"high\":17,\"count\":1}]}"
#define TARGET(h)                                                                                                        \
	"{\"name\":\"f\",\"attach\":{\"mode\":\"direct\",\"function\":\"f\"},\"count\":2,\"errors\":0,\"latency_ns\":" h \
	"}"

static void test_bad_input(void)
{
	static const struct {
		const char *what, *text, *says;
	} cases[] = {
		{ "empty file", "", "not JSON" },
		{ "not JSON", "hello", "not JSON" },
		{ "truncated", DOC_HEAD "\"targets\":[" TARGET(HIST_OK),
		  "not JSON" },
		{ "wrong schema", "{\"schema\":\"pmutrace/9\"}", "schema" },
		{ "schema not a string", "{\"schema\":2}", "should be string" },
		{ "no targets", DOC_HEAD "\"x\":1}", "targets: missing" },
		{ "targets not an array", DOC_HEAD "\"targets\":{}}",
		  "should be array" },
		{ "negative count",
		  DOC_HEAD "\"targets\":[" TARGET(
			  "{\"count\":-2,\"min\":null,\"max\":null,\"sum\":0,\"buckets\":[]}") "]}",
		  "negative" },
		{ "bucket not an edge",
		  DOC_HEAD "\"targets\":[" TARGET(
			  "{\"count\":1,\"min\":33,\"max\":33,\"sum\":33,\"buckets\":[{\"low\":33,\"high\":33,\"count\":1}]}") "]}",
		  "not a pmutrace bucket" },
		{ "buckets disagree with count",
		  DOC_HEAD "\"targets\":[" TARGET(
			  "{\"count\":5,\"min\":16,\"max\":17,\"sum\":33,\"buckets\":[{\"low\":16,\"high\":16,\"count\":1}]}") "]}",
		  "buckets hold 1" },
		{ "bucket twice",
		  DOC_HEAD "\"targets\":[" TARGET(
			  "{\"count\":2,\"min\":16,\"max\":16,\"sum\":32,\"buckets\":[{\"low\":16,\"high\":16,\"count\":1},{\"low\":16,\"high\":16,\"count\":1}]}") "]}",
		  "twice" },
		{ "min above max",
		  DOC_HEAD "\"targets\":[" TARGET(
			  "{\"count\":1,\"min\":17,\"max\":16,\"sum\":16,\"buckets\":[{\"low\":16,\"high\":16,\"count\":1}]}") "]}",
		  "min is above max" },
		{ "string for a number",
		  DOC_HEAD
		  "\"targets\":[{\"name\":\"f\",\"attach\":{\"mode\":\"direct\",\"function\":\"f\"},\"count\":\"2\"}]}",
		  "should be int" },
	};
	char err[512];
	int fd = mkstemp(path);

	close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		CHECK(load_text(cases[i].text, err, sizeof(err)) == -1 &&
			      strstr(err, cases[i].says) && strstr(err, path),
		      "%s: got '%s'", cases[i].what, err);
	}
	err[0] = '\0';
	CHECK(load_text(DOC_HEAD "\"targets\":[" TARGET(HIST_OK) "]}", err,
			sizeof(err)) == 0,
	      "a minimal valid document loads: %s", err);
	unlink(path);
	{
		static struct loaded_run run;

		CHECK(load_run(path, &run, err, sizeof(err)) == -1 &&
			      strstr(err, "No such file"),
		      "missing file: %s", err);
		CHECK(load_run("/tmp", &run, err, sizeof(err)) == -1,
		      "a directory: %s", err);
	}
}

int main(void)
{
	test_rank();
	test_statistics();
	test_bad_input();
	UNIT_EXIT();
}
