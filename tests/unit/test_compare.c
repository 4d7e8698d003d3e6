// SPDX-License-Identifier: GPL-2.0
/* compare: statistics on histograms with known answers, and bad input. */
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
}

static void test_statistics(void)
{
	static struct loaded_hist a, b;
	struct hist_cmp c = { .before = &a, .after = &b };

	/* The same distribution: ratio 1, the interval holds 1. */
	fill(&a, 5000, 10000, 4000);
	fill(&b, 5000, 10000, 4000);
	compare_hists(&c, 1000, 1);
	CHECK(c.s[CMP_P50].ratio == 1 && c.s[CMP_P50].lo <= 1 &&
		      c.s[CMP_P50].hi >= 1,
	      "same: p50 ratio %g [%g, %g]", c.s[CMP_P50].ratio,
	      c.s[CMP_P50].lo, c.s[CMP_P50].hi);
	CHECK(c.s[CMP_MEAN].lo <= 1 && c.s[CMP_MEAN].hi >= 1,
	      "same: mean interval holds 1");

	/* Everything twice as slow: ratios near 2, intervals exclude 1. */
	fill(&b, 5000, 20000, 8000);
	compare_hists(&c, 1000, 1);
	CHECK(c.s[CMP_MEAN].ratio > 1.99 && c.s[CMP_MEAN].ratio < 2.01,
	      "mean ratio %g (exact sums)", c.s[CMP_MEAN].ratio);
	CHECK(c.s[CMP_P50].ratio > 1.94 && c.s[CMP_P50].ratio < 2.06,
	      "p50 ratio %g", c.s[CMP_P50].ratio);
	CHECK(c.s[CMP_P50].lo > 1 && c.s[CMP_P99].lo > 1,
	      "slower: intervals above 1 [%g, %g]", c.s[CMP_P50].lo,
	      c.s[CMP_P50].hi);
	CHECK(c.s[CMP_MAX].lo < 0, "no interval for max");
	CHECK(c.s[CMP_COUNT].ratio == 1, "counts equal");

	/* Too few samples: figures, no intervals. */
	fill(&a, 10, 1000, 100);
	fill(&b, 10, 2000, 100);
	compare_hists(&c, 1000, 1);
	CHECK(c.too_few && c.s[CMP_P50].lo < 0, "too few: no interval");

	/* An empty side: no ratio rather than a division by zero. */
	fill(&b, 0, 1, 1);
	compare_hists(&c, 1000, 1);
	CHECK(c.s[CMP_P50].ratio < 0 || c.s[CMP_P50].after < 0,
	      "empty after side");
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
		{ "wrong schema", "{\"schema\":\"pmutrace/2\"}", "schema" },
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
	test_statistics();
	test_bad_input();
	UNIT_EXIT();
}
