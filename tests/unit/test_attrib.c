// SPDX-License-Identifier: GPL-2.0
/* Attribution outputs: bounded Prometheus label sets, stack symbols. */
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "attrib.h"
#include "prometheus.h"

static char *render(const struct run_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	prom_render(f, r, NULL);
	fclose(f);
	return buf;
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

/* 40 processes, --top 3: 3 rows and "other" per target, whatever the 40. */
static void test_prom_bounded(void)
{
	static struct run_result r;
	static struct attrib_result a;
	char *text;
	__u64 sum = 0;

	r.ntargets = 2;
	snprintf(r.targets[0].name, NAME_LEN, "kvm_supports_guest_pmuv3");
	snprintf(r.targets[1].name, NAME_LEN, "kvm_arm_pmu_v3_set_pmu");
	r.targets[1].mode = ATTACH_ABSENT;
	snprintf(r.lock.name, NAME_LEN, "arm_pmus_lock");
	r.lock.traced = true;
	a.by = BY_PROCESS;
	a.top = 3;
	a.nrows = 40;
	a.rows = calloc(a.nrows, sizeof(*a.rows));
	for (int i = 0; i < a.nrows; i++) {
		a.rows[i].id = 1000 + i;
		snprintf(a.rows[i].name, sizeof(a.rows[i].name), "vmm-%d", i);
		a.rows[i].t[0].count = 100 - i;
		a.rows[i].calls = 100 - i;
		a.rows[i].lock.waits = 1;
		if (i >= 3)
			sum += 100 - i;
	}
	r.attrib = &a;
	text = render(&r);
	CHECK(count_lines(text, "pmutrace_attrib_calls_total{") == 4,
	      "%d series", count_lines(text, "pmutrace_attrib_calls_total{"));
	CHECK(count_lines(text, "# HELP pmutrace_attrib_calls_total ") == 1,
	      "one HELP");
	CHECK(count_lines(text, "pmutrace_attrib_lock_waits_total{") == 4,
	      "waits series");
	CHECK(strstr(text,
		     "pmutrace_attrib_calls_total{by=\"process\",pid=\"1000\",comm=\"vmm-0\",target=\"kvm_supports_guest_pmuv3\"} 100\n") !=
		      NULL,
	      "top row");
	char want[160];

	snprintf(
		want, sizeof(want),
		"pmutrace_attrib_calls_total{by=\"process\",pid=\"other\",comm=\"other\",target=\"kvm_supports_guest_pmuv3\"} %llu\n",
		(unsigned long long)sum);
	CHECK(strstr(text, want) != NULL, "other sums the rest: %s", want);
	CHECK(strstr(text,
		     "pmutrace_attrib_lock_waits_total{by=\"process\",pid=\"other\",comm=\"other\"} 37\n") !=
		      NULL,
	      "waits other");
	CHECK(!strstr(text, "kvm_arm_pmu_v3_set_pmu\"}"),
	      "absent target has no series");
	free(text);
	a.by = BY_CGROUP;
	snprintf(a.rows[0].name, sizeof(a.rows[0].name), "/machine.slice/vm-0");
	text = render(&r);
	CHECK(strstr(text,
		     "pmutrace_attrib_calls_total{by=\"cgroup\",cgroup=\"/machine.slice/vm-0\",target=\"kvm_supports_guest_pmuv3\"} 100\n") !=
		      NULL,
	      "cgroup row");
	free(text);
	free(a.rows);
}

static void test_ksyms(void)
{
	const char *path = "/tmp/pmutrace-test-kallsyms";
	FILE *f = fopen(path, "w");
	struct ksym_table *t;
	struct attrib_stack s = { .depth = 5 };
	char buf[64];

	fputs("ffff800080010000 T mutex_lock\n"
	      "ffff800080010100 t kvm_supports_guest_pmuv3\n"
	      "ffff800080010200 D some_data\n"
	      "ffff800080000000 T bpf_trampoline_1\n"
	      "ffff800080020000 T __mutex_lock_slowpath\n",
	      f);
	fclose(f);
	t = ksyms_load(path);
	ksyms_name(t, 0xffff800080010130ULL, buf, sizeof(buf));
	CHECK(!strcmp(buf, "kvm_supports_guest_pmuv3+0x30"), "%s", buf);
	ksyms_name(t, 0xffff800080010210ULL, buf, sizeof(buf));
	CHECK(!strcmp(buf, "kvm_supports_guest_pmuv3+0x110"),
	      "data symbols are not frames: %s", buf);
	ksyms_name(t, 0x10, buf, sizeof(buf));
	CHECK(!strcmp(buf, "0x10"), "below every symbol: %s", buf);
	/* __mutex_lock_slowpath, mutex_lock, a trampoline, the caller. */
	s.ip[0] = 0xffff800080020010ULL;
	s.ip[1] = 0xffff800080010050ULL;
	s.ip[2] = 0xffff8000800000acULL;
	s.ip[3] = 0xffff800080010008ULL;
	s.ip[4] = 0xffff800080010130ULL;
	CHECK(attrib_caller_frame(&s, t) == 4, "caller %d",
	      attrib_caller_frame(&s, t));
	CHECK(attrib_first_mutex_frame(&s, t) == 0, "first mutex frame");
	ksyms_free(t);
	unlink(path);
}

static char *render_interval(struct run_result *r, struct attrib_result *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	r->attrib = attrib_interval(a);
	CHECK(r->attrib != NULL, "an interval's attribution");
	if (r->attrib)
		render_attrib(f, r);
	attrib_interval_free(r->attrib);
	r->attrib = NULL;
	fclose(f);
	return buf;
}

static void set_row(struct attrib_row *row, __u64 id, __u64 calls, __u64 waits)
{
	row->id = id;
	snprintf(row->name, sizeof(row->name), "vmm-%llu",
		 (unsigned long long)id);
	row->t[0].count = row->t[0].timed = row->calls = calls;
	row->t[0].sum_ns = 100 * calls;
	row->t[0].max_ns = 900;
	row->lock.waits = waits;
	row->lock.wait_ns = 1000 * waits;
}

/* -i: each interval shows what changed since the last, matched by key. */
static void test_interval(void)
{
	static struct run_result r;
	static struct attrib_result a;
	char *text;

	r.ntargets = 1;
	snprintf(r.targets[0].name, NAME_LEN, "kvm_supports_guest_pmuv3");
	snprintf(r.lock.name, NAME_LEN, "arm_pmus_lock");
	a.by = BY_PROCESS;
	a.owners = a.owner_stacks = true;
	a.top = 10;
	a.rows = calloc(3, sizeof(*a.rows));
	a.owner_v = calloc(2, sizeof(*a.owner_v));
	a.nrows = 2;
	set_row(&a.rows[0], 7, 10, 2);
	set_row(&a.rows[1], 8, 4, 0);
	a.nowners = 1;
	a.owner_v[0].k.pid = a.owner_v[0].k.tgid = 8;
	a.owner_v[0].w.count = 2;
	a.owner_v[0].w.total_ns = 2000;
	a.miss[MISS_NO_OWNER] = 3;
	text = render_interval(&r, &a);
	CHECK(strstr(text, "per process in this interval (top 2 of 2") != NULL,
	      "first interval: everything so far\n%s", text);
	CHECK(strstr(text, "pid 7 vmm-7: calls 10\n") != NULL, "%s", text);
	CHECK(!strstr(text, " max "), "no maxima in an interval\n%s", text);
	CHECK(strstr(text, "owner_unknown 3") != NULL, "%s", text);
	free(text);

	/* The maps later: 7 made 5 more calls, 8 none, 9 is new; 8 held the
	 * lock for one more wait. Rows are read back in a new order. */
	set_row(&a.rows[0], 9, 2, 0);
	set_row(&a.rows[1], 8, 4, 0);
	set_row(&a.rows[2], 7, 15, 2);
	a.nrows = 3;
	a.owner_v[0].w.count = 3;
	a.owner_v[0].w.total_ns = 2500;
	a.owner_v[1].k.pid = a.owner_v[1].k.tgid = 7;
	a.owner_v[1].w.count = 1;
	a.owner_v[1].w.total_ns = 100;
	a.nowners = 2;
	text = render_interval(&r, &a);
	CHECK(strstr(text, "(top 2 of 2, most calls first)") != NULL,
	      "only rows with calls or waits\n%s", text);
	CHECK(strstr(text, "pid 7 vmm-7: calls 5\n") != NULL, "%s", text);
	CHECK(strstr(text, "pid 9 vmm-9: calls 2\n") != NULL, "%s", text);
	CHECK(!strstr(text, "pid 8 vmm-8: calls"), "no change: not shown");
	CHECK(strstr(text, "pid 8 (process 8 ): waits 1  total 500ns\n") !=
		      NULL,
	      "owner 8's one wait\n%s", text);
	CHECK(strstr(text, "pid 7 (process 7 ): waits 1  total 100ns\n") !=
		      NULL,
	      "owner 7's first\n%s", text);
	CHECK(strstr(text, "not attributed: none") != NULL, "no new misses\n%s",
	      text);
	free(text);
	free(a.rows);
	free(a.owner_v);
	free(a.base.rows);
	free(a.base.owners);
}

/* A target timed at its inline sites (--sites with --by): its rows as any
 * target's, in text and Prometheus, and the text says that their means
 * hold the kprobe pair's cost. */
static void test_inline_rows(void)
{
	static struct run_result r;
	static struct attrib_result a;
	static struct attrib_row row;
	char *text = NULL, *prom;
	size_t len = 0;
	FILE *f;

	r.ntargets = 1;
	snprintf(r.targets[0].name, NAME_LEN, "kvm_arm_pmu_v3_set_pmu");
	r.targets[0].mode = ATTACH_INLINE;
	r.targets[0].nsites = 2;
	snprintf(r.lock.name, NAME_LEN, "arm_pmus_lock");
	a.by = BY_PROCESS;
	a.top = 10;
	a.rows = &row;
	a.nrows = 1;
	set_row(&row, 7, 3, 0);
	r.attrib = &a;
	f = open_memstream(&text, &len);
	render_attrib(f, &r);
	fclose(f);
	CHECK(strstr(text,
		     "  pid 7 vmm-7: calls 3\n    kvm_arm_pmu_v3_set_pmu") !=
		      NULL,
	      "the inline target's row\n%s", text);
	CHECK(strstr(text, "targets timed at inline sites: their means include "
			   "the kprobe pair's cost") != NULL,
	      "the pair's cost said\n%s", text);
	prom = render(&r);
	CHECK(strstr(prom,
		     "pmutrace_attrib_calls_total{by=\"process\",pid=\"7\","
		     "comm=\"vmm-7\",target=\"kvm_arm_pmu_v3_set_pmu\"} 3\n") !=
		      NULL,
	      "its Prometheus row\n%s", prom);
	free(text);
	free(prom);
}

int main(void)
{
	test_inline_rows();
	test_prom_bounded();
	test_ksyms();
	test_interval();
	UNIT_EXIT();
}
