// SPDX-License-Identifier: GPL-2.0
/* compare: statistics on histograms with known answers, and bad input. */
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compare.h"
#include "unit.h"

/* p of test_rank's 5+5 case: 12/252, from tests/unit/bm_reference.py. */
#define BM_5_5_P (2.0 / 63)

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
	/* The rule: >= 4 a side, the larger at most 1.25x the smaller. */
	CHECK(cmp_verdict_possible(4, 4) && cmp_verdict_possible(4, 5) &&
		      cmp_verdict_possible(10, 8) &&
		      cmp_verdict_possible(12, 15) &&
		      !cmp_verdict_possible(3, 8) &&
		      !cmp_verdict_possible(2, 8) &&
		      !cmp_verdict_possible(4, 6) &&
		      !cmp_verdict_possible(12, 16) &&
		      cmp_runs_needed(2) == 0 && cmp_runs_needed(8) == 7,
	      "verdict possible: 4+4, 4+5, 10+8, 12+15; not 3+8, 2+8, 4+6, 12+16");
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
	CHECK(s.verdict == VERDICT_NONE && s.need_runs && s.p < 0,
	      "3 runs a side: no verdict");
	runs(&s, b8, 4, a8, 5);
	CHECK(s.verdict == VERDICT_HIGHER && fabs(s.p - 2.0 / 126) < 1e-12,
	      "4+5 separated: a verdict, p %g = 2/C(9,4)", s.p);
	runs(&s, b8, 3, a8, 8);
	CHECK(s.verdict == VERDICT_NONE && s.need_runs,
	      "3+8: no verdict (unbalanced)");
	runs(&s, b8, 4, a8, 4);
	CHECK(s.verdict == VERDICT_HIGHER && fabs(s.p - 2.0 / 70) < 1e-12,
	      "4 runs a side, separated: p %g = 2/70", s.p);
	/* U = 2 of 25: the permutation law of Brunner-Munzel's |T| puts
	 * 8 of the 252 arrangements at or beyond this one (enumerated by
	 * hand in tests/unit/bm_reference.py). */
	runs(&s, b5, 5, a5, 5);
	CHECK(fabs(s.p - BM_5_5_P) < 1e-12 && s.verdict == VERDICT_LOWER,
	      "5+5, U = 2: p %g, want %g", s.p, BM_5_5_P);
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
}

/* Brunner-Munzel keeps its level when only the spread differs; Mann-Whitney
 * calls such runs different. Same median, one side far wider. */
static void test_spread(void)
{
	static const double wide[] = { 0.1, 0.2, 5, 30, 60 };
	static const double narrow[] = { 4.6, 4.8, 4.9, 5.1, 5.2, 5.4 };
	struct stat_cmp s;

	int dir;

	runs(&s, wide, 5, narrow, 6);
	CHECK(s.verdict == VERDICT_NONE && s.withheld &&
		      strstr(s.withheld, "spread"),
	      "one side's runs spread 3x more: withheld (%s)",
	      s.withheld ? s.withheld : "judged");
	CHECK(bm_p(wide, 5, narrow, 6, &dir) > 0.5,
	      "Brunner-Munzel on them: p %g, no change",
	      bm_p(wide, 5, narrow, 6, &dir));
}

/* "No change shown" says what could have been seen: the ratio found 80% of
 * the time grows with the boots' spread, and is none without a verdict. */
static void test_detectable(void)
{
	static const double tight[] = { 100, 102, 98, 101, 99, 100, 103, 97 };
	static const double loose[] = { 100, 140, 70, 120, 85, 100, 160, 60 };
	static const double same[24] = { [0 ... 11] = 360, [12 ... 23] = 328 };
	struct stat_cmp s;
	double t, l;

	runs(&s, tight, 8, tight, 8);
	t = cmp_detectable(&s);
	runs(&s, loose, 8, loose, 8);
	l = cmp_detectable(&s);
	CHECK(t > 1 && t < 1.1 && l > 1.3 && l < 3,
	      "detectable ratio, 8+8 runs: %g with 2%% spread, %g with 30%%", t,
	      l);
	runs(&s, loose, 3, loose, 8);
	CHECK(cmp_detectable(&s) == 0, "3+8 runs, no verdict: no ratio");
	/* The instruction-driven clock's boots: 12 identical values a side,
	 * whose log spread is rounding only: any ratio, x1 exactly. */
	runs(&s, same, 12, same + 12, 12);
	t = cmp_detectable(&s);
	CHECK(t == 1, "12+12 identical boots: detectable x1 exactly (%.17g)",
	      t);
}

/* Waits per 1000 calls: boots without any are outside a log-normal law,
 * yet the ratio is known where most boots wait (drawn 0 with their share),
 * none at all where half never wait (ties at 0 cap P(after > before) at
 * 0.625), and not known where too few wait to know their spread. */
static void test_detectable_zeros(void)
{
	static const double most[12] = { 0,   1.3, 0, 1,   1.2, 0.8,
					 1.1, 0.9, 1, 1.4, 0.7, 1 };
	static const double half[12] = { 0, 0,	 0,   0,   0,	0,
					 1, 1.2, 0.8, 1.1, 0.9, 1 };
	static const double rare[12] = { [10] = 5, [11] = 6 };
	static const double one[12] = { [11] = 5 }, none[12] = { 0 };
	struct stat_cmp s;
	double m, h, r;

	runs(&s, most, 12, most, 12);
	s.kind = KIND_RATE;
	m = cmp_detectable(&s);
	runs(&s, half, 12, half, 12);
	s.kind = KIND_RATE;
	h = cmp_detectable(&s);
	runs(&s, rare, 12, none, 12);
	s.kind = KIND_RATE;
	r = cmp_detectable(&s);
	CHECK(m > 1 && m < 1000 && isinf(h) && isinf(r),
	      "waits in 10 of 12 boots: detectable x%g; in half: %g; in 2 of 24: %g",
	      m, h, r);
	runs(&s, one, 12, one, 12);
	s.kind = KIND_RATE;
	CHECK(cmp_detectable(&s) == 0,
	      "one boot a side waits: no spread, not known (%g)",
	      cmp_detectable(&s));
	runs(&s, half, 12, half, 12);
	CHECK(cmp_detectable(&s) == 0, "a latency of 0: not known");
}

/* Benjamini-Hochberg over a family, with its known adjusted values. */
static void test_family(void)
{
	static const double p[] = { 0.001, 0.008, 0.039, 0.041, 0.042,
				    0.06,  0.074, 0.205, 0.212, 0.216 };
	static const double adj[] = {
		0.01,  0.04,  0.084, 0.084, 0.084, 0.1, 0.10571428571428572,
		0.216, 0.216, 0.216
	};
	static struct stat_cmp s[10];
	static struct family f;
	bool ok = true;

	f.n = 0;
	for (int i = 0; i < 10; i++) {
		stat_init(&s[i], "x", KIND_NS);
		s[i].p = p[9 - i]; /* in any order */
		s[i].dir = -1;
		family_add(&f, &s[i]);
	}
	family_adjust(&f);
	for (int i = 0; i < 10; i++)
		ok &= fabs(s[9 - i].padj - adj[i]) < 1e-9;
	CHECK(ok && f.n == 10 && s[9].verdict == VERDICT_LOWER &&
		      s[8].verdict == VERDICT_LOWER &&
		      s[7].verdict == VERDICT_SAME,
	      "BH adjusted p of 10 tests: two survive, not p = 0.039 (%g)",
	      s[7].padj);
	f.per_test = true;
	family_adjust(&f);
	CHECK(s[7].verdict == VERDICT_LOWER && s[4].verdict == VERDICT_SAME,
	      "--per-test: verdicts from raw p");
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
		      c.s[CMP_P50].need_runs,
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

/* max and p99.9 grow with the call count: withheld when the sides' median
 * counts differ more than 2x, judged when they do not. */
static void test_counts(void)
{
	static struct loaded_hist few[4], many[4];
	static struct hist_cmp c;

	memset(&c, 0, sizeof(c));
	c.nb = c.na = 4;
	for (int i = 0; i < 4; i++) {
		fill(&few[i], 200, 1000 + 10 * i, 500);
		fill(&many[i], 20000, 1000 + 12 * i, 500);
		c.hb[i] = &few[i];
		c.ha[i] = &many[i];
	}
	compare_hists(&c, 0, 1);
	CHECK(c.s[CMP_MAX].withheld && c.s[CMP_MAX].verdict == VERDICT_NONE &&
		      c.s[CMP_P999].withheld && !c.s[CMP_P50].withheld &&
		      c.s[CMP_P50].verdict != VERDICT_NONE,
	      "200 vs 20000 calls: max and p99.9 withheld, p50 judged");
	for (int i = 0; i < 4; i++)
		c.ha[i] = &few[3 - i];
	compare_hists(&c, 0, 1);
	CHECK(!c.s[CMP_MAX].withheld && c.s[CMP_MAX].verdict != VERDICT_NONE,
	      "equal counts: max judged");
}

/* One run given twice is refused: the same content, or the same boot_id in
 * meta.txt beside it with the same label. */
static void test_duplicates(void)
{
	static struct loaded_run r[3];
	const struct loaded_run *runs[3] = { &r[0], &r[1], &r[2] };
	char dir[] = "/tmp/pmutrace-dup-XXXXXX", p[3][64], meta[64], err[512];
	FILE *f;

	if (!mkdtemp(dir)) {
		SKIP("no temporary folder");
		return;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/%d.json", dir, i);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].path = p[i];
		r[i].duration_s = i < 2 ? 1 : 2; /* 0 and 1 hold the same */
	}
	CHECK(compare_check_duplicates(runs, 3, err, sizeof(err)) &&
		      strstr(err, "same content") && strstr(err, "0.json"),
	      "the same run under two names: refused: %s", err);
	CHECK(!compare_check_duplicates(runs + 1, 2, err, sizeof(err)),
	      "different runs, no meta.txt: accepted");
	snprintf(meta, sizeof(meta), "%s/meta.txt", dir);
	f = fopen(meta, "w");
	fputs("boot=01\nboot_id=6e0946b7\n", f);
	fclose(f);
	CHECK(compare_check_duplicates(runs + 1, 2, err, sizeof(err)) &&
		      strstr(err, "same boot"),
	      "two runs of one boot and label: refused: %s", err);
	snprintf(r[2].label, sizeof(r[2].label), "other");
	CHECK(!compare_check_duplicates(runs + 1, 2, err, sizeof(err)),
	      "two scenarios of one boot: accepted");
	unlink(meta);
	rmdir(dir);
	/* The document's own kernel.boot_id, wherever the files lie. */
	r[2].label[0] = '\0';
	snprintf(r[1].boot_id, sizeof(r[1].boot_id), "%s", "b0");
	snprintf(r[2].boot_id, sizeof(r[2].boot_id), "%s", "b0");
	CHECK(compare_check_duplicates(runs + 1, 2, err, sizeof(err)) &&
		      strstr(err, "same boot"),
	      "two runs with one kernel.boot_id and label: refused: %s", err);
	snprintf(r[2].boot_id, sizeof(r[2].boot_id), "%s", "b1");
	CHECK(!compare_check_duplicates(runs + 1, 2, err, sizeof(err)),
	      "two boot_ids: accepted");
}

/* Identical figures from two known, different boots (meta.txt boot_ids) are
 * two runs: the instruction-driven clock repeats a boot exactly. Without a
 * boot identity on one side identical content stays one run given twice. */
static void test_duplicates_two_boots(void)
{
	static struct loaded_run r[2];
	const struct loaded_run *runs[2] = { &r[0], &r[1] };
	char dir[] = "/tmp/pmutrace-dup2-XXXXXX", p[2][96], meta[2][96];
	char err[512];
	FILE *f;

	if (!mkdtemp(dir)) {
		SKIP("no temporary folder");
		return;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(meta[i], sizeof(meta[i]), "%s/%d", dir, i);
		mkdir(meta[i], 0700);
		snprintf(p[i], sizeof(p[i]), "%s/%d/run.json", dir, i);
		snprintf(meta[i], sizeof(meta[i]), "%s/%d/meta.txt", dir, i);
		f = fopen(meta[i], "w");
		fprintf(f, "boot_id=boot-%d\n", i);
		fclose(f);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].path = p[i];
		r[i].duration_s = 1; /* identical content */
	}
	CHECK(!compare_check_duplicates(runs, 2, err, sizeof(err)),
	      "identical figures of two known boots: accepted (%s)", err);
	unlink(meta[1]);
	CHECK(compare_check_duplicates(runs, 2, err, sizeof(err)) &&
		      strstr(err, "same content"),
	      "identical figures, one boot unknown: refused: %s", err);
	unlink(meta[0]);
	for (int i = 0; i < 2; i++) {
		snprintf(meta[i], sizeof(meta[i]), "%s/%d", dir, i);
		rmdir(meta[i]);
	}
	rmdir(dir);
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
		/* ESC and BEL never reach a terminal through a message. */
		{ "escapes in the schema",
		  "{\"schema\":\"\\u001b]0;title\\u0007\"}",
		  "'\\x1b]0;title\\x07'" },
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
	test_spread();
	test_detectable();
	test_detectable_zeros();
	test_family();
	test_counts();
	test_duplicates();
	test_duplicates_two_boots();
	test_statistics();
	test_bad_input();
	UNIT_EXIT();
}
