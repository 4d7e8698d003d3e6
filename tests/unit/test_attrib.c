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

int main(void)
{
	test_prom_bounded();
	test_ksyms();
	UNIT_EXIT();
}
