// SPDX-License-Identifier: GPL-2.0
/*
 * Struct arithmetic on the per-CPU records: the per-CPU sum and the interval
 * must cover every counter, and the layout the BPF side really has (its BTF,
 * from the skeleton) must be the one the loader walks.
 */
#include <stddef.h>
#include <stdlib.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pmutrace_user.h"
#include "pmutrace.skel.h"
#include "unit.h"

/* The min/max fields, which neither add nor subtract; all else counts. */
static const struct {
	const char *type, *name;
	size_t off;
} extrema[] = {
	{ "target_stats", "min_ns", offsetof(struct target_stats, min_ns) },
	{ "target_stats", "max_ns", offsetof(struct target_stats, max_ns) },
	{ "site_stats", "min_ns", offsetof(struct site_stats, min_ns) },
	{ "site_stats", "max_ns", offsetof(struct site_stats, max_ns) },
	{ "lock_stats", "wait_min_ns",
	  offsetof(struct lock_stats, wait_min_ns) },
	{ "lock_stats", "wait_max_ns",
	  offsetof(struct lock_stats, wait_max_ns) },
	{ "lock_stats", "hold_min_ns",
	  offsetof(struct lock_stats, hold_min_ns) },
	{ "lock_stats", "hold_max_ns",
	  offsetof(struct lock_stats, hold_max_ns) },
};

static bool is_extremum(const char *type, size_t off)
{
	for (size_t i = 0; i < sizeof(extrema) / sizeof(extrema[0]); i++)
		if (!strcmp(extrema[i].type, type) && extrema[i].off == off)
			return true;
	return false;
}

static void fill(void *p, size_t size, __u64 base, __u64 step)
{
	__u64 *v = p;

	for (size_t i = 0; i < size / sizeof(__u64); i++)
		v[i] = base + step * i;
}

/* Counters of d that are not cur - prev, as "struct: word" for the message. */
static int count_wrong(const char *type, const void *d, const void *cur,
		       const void *prev, size_t size, char *why, size_t len)
{
	const __u64 *dv = d, *cv = cur, *pv = prev;
	int bad = 0;

	for (size_t i = 0; i < size / sizeof(__u64); i++) {
		if (is_extremum(type, i * sizeof(__u64)) ||
		    dv[i] == cv[i] - pv[i])
			continue;
		if (!bad++ && !*why)
			snprintf(why, len, "%s word %zu: %llu, want %llu", type,
				 i, (unsigned long long)dv[i],
				 (unsigned long long)(cv[i] - pv[i]));
	}
	return bad;
}

static void test_interval(void)
{
	static struct run_result cur, prev, d;
	char why[128] = "";
	int bad = 0;

	cur.ntargets = prev.ntargets = 2;
	for (int i = 0; i < PMUTRACE_MAX_TARGETS; i++) {
		fill(&cur.res[i], sizeof(cur.res[i]), 1000 + i, 7);
		fill(&prev.res[i], sizeof(prev.res[i]), 500 + i, 3);
	}
	fill(&cur.lock_stats, sizeof(cur.lock_stats), 2000, 5);
	fill(&prev.lock_stats, sizeof(prev.lock_stats), 1000, 2);
	cur.lock_missed = 40;
	prev.lock_missed = 15;
	for (int i = 0; i < DROP_REASONS; i++) {
		cur.drops[i] = 100 + i;
		prev.drops[i] = 10 + i;
	}
	result_interval(&d, &cur, &prev);
	for (int i = 0; i < PMUTRACE_MAX_TARGETS; i++)
		bad += count_wrong("target_stats", &d.res[i], &cur.res[i],
				   &prev.res[i], sizeof(d.res[i]), why,
				   sizeof(why));
	CHECK(bad == 0, "%d target counters are not per interval (%s)", bad,
	      why);
	bad = count_wrong("lock_stats", &d.lock_stats, &cur.lock_stats,
			  &prev.lock_stats, sizeof(d.lock_stats), why,
			  sizeof(why));
	CHECK(bad == 0, "%d lock counters are not per interval (%s)", bad, why);
	CHECK(d.lock_missed == 25, "lock_missed %llu, want 25",
	      (unsigned long long)d.lock_missed);
	bad = 0;
	for (int i = 0; i < DROP_REASONS; i++)
		bad += d.drops[i] != 90;
	CHECK(bad == 0, "%d drop reasons are running totals", bad);

	/* min and max come from the interval's own histogram. */
	CHECK(d.res[0].s.min_ns == (__u64)hist_percentile(&d.res[0].s.latency,
							  0, 0, 0) &&
		      d.res[0].s.max_ns ==
			      (__u64)hist_percentile(&d.res[0].s.latency, 1, 0,
						     0),
	      "latency min/max %llu/%llu not the histogram's",
	      (unsigned long long)d.res[0].s.min_ns,
	      (unsigned long long)d.res[0].s.max_ns);
	CHECK(d.lock_stats.hold_max_ns ==
		      (__u64)hist_percentile(&d.lock_stats.hold, 1, 0, 0),
	      "hold max %llu not the histogram's",
	      (unsigned long long)d.lock_stats.hold_max_ns);
}

static void test_add(void)
{
	static struct target_stats ts, tc;
	static struct lock_stats ls, lc;
	static struct site_stats ss, sc;
	char why[128] = "";
	int bad;

	/* Adding onto zeros gives the CPU's record back, counters and all. */
	fill(&tc, sizeof(tc), 1, 1);
	target_stats_add(&ts, &tc);
	bad = count_wrong("target_stats", &ts, &tc, &(struct target_stats){},
			  sizeof(ts), why, sizeof(why));
	CHECK(bad == 0, "target add forgot %d counters (%s)", bad, why);
	fill(&lc, sizeof(lc), 1, 1);
	lock_stats_add(&ls, &lc);
	bad = count_wrong("lock_stats", &ls, &lc, &(struct lock_stats){},
			  sizeof(ls), why, sizeof(why));
	CHECK(bad == 0, "lock add forgot %d counters (%s)", bad, why);
	fill(&sc, sizeof(sc), 1, 1);
	site_stats_add(&ss, &sc);
	bad = count_wrong("site_stats", &ss, &sc, &(struct site_stats){},
			  sizeof(ss), why, sizeof(why));
	CHECK(bad == 0, "site add forgot %d counters (%s)", bad, why);
	CHECK(ts.min_ns == tc.min_ns && ts.max_ns == tc.max_ns &&
		      ls.hold_min_ns == lc.hold_min_ns &&
		      ls.wait_max_ns == lc.wait_max_ns,
	      "the first CPU's min/max are taken as they are");

	/* A second CPU: counters add, min and max merge. */
	tc.min_ns = 1;
	tc.max_ns = 1000000;
	target_stats_add(&ts, &tc);
	CHECK(ts.count == 2 * tc.count && ts.min_ns == 1 &&
		      ts.max_ns == 1000000,
	      "count %llu min %llu max %llu", (unsigned long long)ts.count,
	      (unsigned long long)ts.min_ns, (unsigned long long)ts.max_ns);
	/* A CPU whose exit timed nothing leaves the pair as it was. */
	sc.min_ns = 1;
	sc.max_ns = 1000000;
	sc.count = 0;
	site_stats_add(&ss, &sc);
	CHECK(ss.min_ns == 3 && ss.max_ns == 4,
	      "site min %llu max %llu after an idle CPU (want 3, 4)",
	      (unsigned long long)ss.min_ns, (unsigned long long)ss.max_ns);
	sc.count = 1;
	site_stats_add(&ss, &sc);
	CHECK(ss.min_ns == 1 && ss.max_ns == 1000000,
	      "site min %llu max %llu (want 1, 1000000)",
	      (unsigned long long)ss.min_ns, (unsigned long long)ss.max_ns);
}

/*
 * The records as the BPF object has them: every member a __u64, an array of
 * __u64 or a struct hist (so the loader may walk them as __u64 words), the
 * same size as the loader's, and every min/max member one the loader knows.
 */
static void check_btf_struct(const struct btf *btf, const char *name,
			     size_t size)
{
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m;
	int bad = 0;

	CHECK(t && t->size == size, "struct %s: BPF size %u, loader %zu", name,
	      t ? t->size : 0, size);
	if (!t)
		return;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		const struct btf_type *mt =
			btf__type_by_id(btf, btf__resolve_type(btf, m->type));
		size_t off = btf_member_bit_offset(t, i) / 8;

		if (btf_is_array(mt))
			mt = btf__type_by_id(
				btf,
				btf__resolve_type(btf, btf_array(mt)->type));
		if (btf_is_struct(mt) &&
		    !strcmp(btf__name_by_offset(btf, mt->name_off), "hist"))
			continue;
		if (!btf_is_int(mt) || mt->size != 8 ||
		    (btf_int_encoding(mt) & BTF_INT_SIGNED)) {
			printf("FAIL %s.%s is not a __u64 counter\n", name, mn);
			bad++;
			continue;
		}
		if ((strstr(mn, "min") || strstr(mn, "max")) &&
		    !is_extremum(name, off)) {
			printf("FAIL %s.%s: a min/max the loader does not know\n",
			       name, mn);
			bad++;
		}
	}
	CHECK(bad == 0, "struct %s: %d members the loader cannot walk", name,
	      bad);
}

static void test_bpf_layout(void)
{
	size_t sz;
	const void *elf = pmutrace_bpf__elf_bytes(&sz);
	struct bpf_object *obj = bpf_object__open_mem(elf, sz, NULL);
	struct btf *btf = obj ? bpf_object__btf(obj) : NULL;

	CHECK(btf != NULL, "no BTF in the BPF object");
	if (!btf)
		return;
	check_btf_struct(btf, "target_stats", sizeof(struct target_stats));
	check_btf_struct(btf, "lock_stats", sizeof(struct lock_stats));
	check_btf_struct(btf, "site_stats", sizeof(struct site_stats));
	bpf_object__close(obj);
}

int main(void)
{
	libbpf_set_print(NULL);
	test_interval();
	test_add();
	test_bpf_layout();
	UNIT_EXIT();
}
