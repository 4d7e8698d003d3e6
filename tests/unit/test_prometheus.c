// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus export: exact coarse buckets, seconds, label escaping,
 * errno labels, absent targets, the textfile, the HTTP server, and promtool
 * on the exposition and on docs/prometheus/ when it is installed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "pmutrace_user.h"
#include "prometheus.h"
#include "unit.h"

#define SET_PMU "kvm_arm_pmu_v3_set_pmu"
#define SET_PMU_HIST                                              \
	"pmutrace_call_duration_seconds_bucket{target=\"" SET_PMU \
	"\",function=\"kvm_arm_pmu_v3_set_attr\",mode=\"caller\",le=\""
#define WEIRD "we\"ird\\name\nx"
#define WEIRD_ESCAPED "we\\\"ird\\\\name\\nx"
#define LOCK "lock=\"arm_pmus_lock\""
#define EDGES (PROM_EDGE_MAX_EXP - PROM_EDGE_MIN_EXP + 1)

/* Observations around every power of two, and past the last fine bucket. */
static __u64 values[3 * 40 + 6];
static int nvalues;

/* The value of the sample whose name and labels are exactly series. */
static const char *value_of(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, series, n) && l[n] == ' ')
			return l + n + 1;
	return NULL;
}

static __u64 u64_of(const char *text, const char *series)
{
	const char *v = value_of(text, series);

	return v ? strtoull(v, NULL, 10) : ~0ULL;
}

/* u64_of() with the series given printf-style. */
static __u64 __attribute__((format(printf, 2, 3)))
count_of(const char *text, const char *fmt, ...)
{
	char series[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(series, sizeof(series), fmt, ap);
	va_end(ap);
	return u64_of(text, series);
}

/* An le label read as a whole number of nanoseconds, with no floating
 * point in between: "1.27e-07" is 127. Returns -1 if it is not whole. */
static int decimal_ns(const char *s, __u64 *ns)
{
	__u64 m = 0;
	int frac = 0, exp;
	bool point = false;

	for (; *s && *s != 'e' && *s != '"'; s++) {
		if (*s == '.') {
			point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		m = m * 10 + (__u64)(*s - '0');
		frac += point;
	}
	exp = (*s == 'e' ? atoi(s + 1) : 0) + 9 - frac;
	for (; exp > 0; exp--)
		m *= 10;
	for (; exp < 0; exp++) {
		if (m % 10)
			return -1;
		m /= 10;
	}
	*ns = m;
	return 0;
}

struct bucket {
	char le[32];
	__u64 count;
};

/* The _bucket lines of one histogram series, in order. */
static int buckets_of(const char *text, const char *prefix, struct bucket *b,
		      int max)
{
	size_t n = strlen(prefix);
	int nb = 0;

	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l) {
		const char *q;

		if (strncmp(l, prefix, n) || nb == max)
			continue;
		q = strchr(l + n, '"');
		if (!q || (size_t)(q - l - n) >= sizeof(b->le))
			return -1;
		snprintf(b[nb].le, sizeof(b->le), "%.*s", (int)(q - l - n),
			 l + n);
		b[nb++].count = strtoull(q + 3, NULL, 10); /* after "} " */
	}
	return nb;
}

static void build(struct run_result *r)
{
	struct target_stats *s = &r->res[0].s, *p = &r->res[2].s;

	snprintf(r->release, sizeof(r->release), "7.2.13+deb14-cloud-arm64");
	snprintf(r->machine, sizeof(r->machine), "aarch64");
	r->ntargets = 4;
	snprintf(r->targets[0].name, NAME_LEN, SET_PMU);
	r->targets[0].mode = ATTACH_CALLER;
	snprintf(r->targets[0].function, NAME_LEN, "kvm_arm_pmu_v3_set_attr");
	snprintf(r->targets[0].filter, NAME_LEN,
		 "attr->attr == KVM_ARM_VCPU_PMU_V3_SET_PMU");
	r->targets[0].ret_kind = RET_INT32;
	snprintf(r->targets[1].name, NAME_LEN, "kvm_supports_guest_pmuv3");
	r->targets[1].mode = ATTACH_ABSENT;
	snprintf(r->targets[2].name, NAME_LEN, "edges");
	r->targets[2].mode = ATTACH_DIRECT;
	snprintf(r->targets[2].function, NAME_LEN, "edges");
	r->targets[2].ret_kind = RET_PTR;
	snprintf(r->targets[3].name, NAME_LEN, WEIRD);
	r->targets[3].mode = ATTACH_DIRECT;
	snprintf(r->targets[3].function, NAME_LEN, WEIRD);

	/* 1000 calls: 900 at 10us, 100 at 100us; 3 -EBUSY, 2 -ENODEV and
	 * one errno beyond the table. */
	s->count = 1003;
	s->timed = 1000;
	s->latency.slots[hist_bucket(10000)] = 900;
	s->latency.slots[hist_bucket(100000)] = 100;
	s->sum_ns = 900 * 10000ULL + 100 * 100000ULL + 7;
	s->ret_zero = 997;
	s->ret_errno[EBUSY] = 3;
	s->ret_errno[ENODEV] = 2;
	s->ret_errno_other = 1;
	r->res[0].missed_entry = 3;
	r->res[0].missed_exit = 4;

	for (int k = 4; k <= 39; k++)
		for (int d = -1; d <= 1; d++)
			values[nvalues++] = (1ULL << k) + d;
	values[nvalues++] = 0;
	values[nvalues++] = 5;
	values[nvalues++] = 123456789;
	values[nvalues++] = 1ULL << 40;
	values[nvalues++] = 1ULL << 45;
	for (int i = 0; i < nvalues; i++) {
		p->latency.slots[hist_bucket(values[i])]++;
		p->sum_ns += values[i];
	}
	p->count = p->timed = nvalues;
	p->ret_zero = 2; /* NULL: errors for a pointer */

	r->lock.traced = true;
	r->lock.hold = true;
	r->lock.addr = 0xffff800081300000ULL;
	snprintf(r->lock.name, NAME_LEN, "arm_pmus_lock");
	r->lock_stats.contended = 5;
	r->lock_stats.contended_in[0] = 4;
	r->lock_stats.contended_in[PMUTRACE_OUTSIDE] = 1;
	r->lock_stats.wait.slots[hist_bucket(3000)] = 5;
	r->lock_stats.wait_sum_ns = 15000;
	r->lock_stats.acquired = 1010;
	r->lock_stats.acquired_in[0] = 1000;
	r->lock_stats.acquired_in[PMUTRACE_OUTSIDE] = 10;
	r->lock_stats.hold.slots[hist_bucket(500)] = 1010;
	r->lock_stats.hold_sum_ns = 505000;
	r->drops[DROP_TOO_DEEP] = 2;
}

static char *render(const struct run_result *r, const struct prom_self *self)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	prom_render(f, r, self);
	fclose(f);
	return text;
}

static void check_edges(void)
{
	bool boundary = true;

	/* 2^k ns starts a fine bucket, and 2^k - 1 ns ends the one before,
	 * so a fine bucket is wholly below or wholly above each edge. */
	for (int k = HIST_SUB_BITS; k < HIST_MAX_EXP; k++) {
		__u32 b = hist_bucket(1ULL << k);

		boundary &= hist_bucket_low(b) == 1ULL << k &&
			    hist_bucket((1ULL << k) - 1) == b - 1;
	}
	CHECK(boundary, "every 2^k ns is a fine bucket boundary");
}

static void check_histograms(const char *text, const struct run_result *r)
{
	struct bucket b[64];
	__u64 prev = 0, ns;
	bool monotonic = true, exact = true, edges = true;
	const char *wait_sum;
	int nb;

	nb = buckets_of(text, SET_PMU_HIST, b, 64);
	CHECK(nb == EDGES + 1, "%d buckets", nb);
	for (int i = 0; i < nb; i++) {
		monotonic &= b[i].count >= prev;
		prev = b[i].count;
	}
	CHECK(monotonic, "cumulative counts never decrease");
	CHECK(nb > 0 && !strcmp(b[nb - 1].le, "+Inf") &&
		      b[nb - 1].count == 1000,
	      "+Inf holds every timed call");
	CHECK(u64_of(text,
		     "pmutrace_call_duration_seconds_count{target=\"" SET_PMU
		     "\",function=\"kvm_arm_pmu_v3_set_attr\",mode=\"caller\"}") ==
		      b[nb - 1].count,
	      "_count equals +Inf");
	{
		const char *sum = value_of(
			text,
			"pmutrace_call_duration_seconds_sum{target=\"" SET_PMU
			"\",function=\"kvm_arm_pmu_v3_set_attr\",mode=\"caller\"}");

		CHECK(sum &&
			      strtod(sum, NULL) ==
				      (double)r->res[0].s.sum_ns / 1e9 &&
			      !strncmp(sum, "0.019000007\n", 12),
		      "_sum is sum_ns / 1e9 exactly: %.20s",
		      sum ? sum : "none");
	}
	/* 900 calls at 10us are below 2^14-1 ns, the 100 at 100us not. */
	CHECK(b[14 - PROM_EDGE_MIN_EXP].count == 900 &&
		      b[13 - PROM_EDGE_MIN_EXP].count == 0 &&
		      b[17 - PROM_EDGE_MIN_EXP].count == 1000,
	      "coarse counts of the 10us/100us calls");

	nb = buckets_of(
		text,
		"pmutrace_call_duration_seconds_bucket{target=\"edges\","
		"function=\"edges\",mode=\"direct\",le=\"",
		b, 64);
	CHECK(nb == EDGES + 1, "%d edge buckets", nb);
	for (int i = 0; i < nb - 1; i++) {
		__u64 want = 0;

		if (decimal_ns(b[i].le, &ns) ||
		    ns != (1ULL << (PROM_EDGE_MIN_EXP + i)) - 1) {
			edges = false;
			printf("  le=\"%s\" is not 2^%d-1 ns\n", b[i].le,
			       PROM_EDGE_MIN_EXP + i);
			continue;
		}
		for (int v = 0; v < nvalues; v++)
			want += values[v] <= ns;
		if (b[i].count != want) {
			exact = false;
			printf("  le=\"%s\": %llu, want %llu\n", b[i].le,
			       (unsigned long long)b[i].count,
			       (unsigned long long)want);
		}
	}
	CHECK(edges, "le edges are exactly 2^k-1 ns, k = %d..%d",
	      PROM_EDGE_MIN_EXP, PROM_EDGE_MAX_EXP);
	CHECK(exact, "each coarse count is the exact number of values <= le");
	CHECK(nb > 0 && b[nb - 1].count == (__u64)nvalues,
	      "+Inf counts values past the last fine bucket too");
	CHECK(!strcmp(b[0].le, "1.27e-07") &&
		      !strcmp(b[EDGES - 1].le, "17.179869183"),
	      "edge labels printed exactly: %s %s", b[0].le, b[EDGES - 1].le);

	wait_sum = value_of(text, "pmutrace_lock_wait_seconds_sum{" LOCK "}");
	CHECK(u64_of(text, "pmutrace_lock_wait_seconds_bucket{" LOCK
			   ",le=\"+Inf\"}") == 5,
	      "lock wait histogram: +Inf");
	CHECK(u64_of(text, "pmutrace_lock_wait_seconds_count{" LOCK "}") == 5,
	      "lock wait histogram: _count");
	CHECK(wait_sum && !strncmp(wait_sum, "1.5e-05\n", 8),
	      "lock wait histogram: _sum");
	CHECK(u64_of(text, "pmutrace_lock_hold_seconds_bucket{" LOCK
			   ",le=\"5.11e-07\"}") == 1010,
	      "hold histogram: 500 ns is below 2^9-1 ns");
}

/* Each family once: HELP then TYPE, then only its own samples. */
static void check_format(const char *text)
{
	char fam[128] = "", seen[4096] = " ";
	bool grouped = true, help = true, lines = true;

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		const char *nl = strchr(l, '\n');
		char name[128], key[132];

		if (!nl) {
			lines = false;
			break;
		}
		if (!strncmp(l, "# HELP ", 7)) {
			sscanf(l + 7, "%127s", name);
			snprintf(key, sizeof(key), " %s ", name);
			grouped &= !strstr(seen, key);
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			snprintf(fam, sizeof(fam), "%s", name);
			help &= !strncmp(nl + 1, "# TYPE ", 7) &&
				!strncmp(nl + 8, name, strlen(name));
			continue;
		}
		if (l[0] == '#')
			continue;
		grouped &= !strncmp(l, fam, strlen(fam)) &&
			   strchr("{ _", l[strlen(fam)]);
		lines &= strspn(l, "abcdefghijklmnopqrstuvwxyz_") > 0;
	}
	CHECK(lines, "every line ends in a newline and names a metric");
	CHECK(help, "HELP comes with TYPE");
	CHECK(grouped, "each family once, its samples together");
}

static void check_labels(const char *text, const struct run_result *r)
{
	const char *errnos[] = { "EBUSY", "ENODEV", "other" };
	__u64 errors = 0;

	CHECK(value_of(text,
		       "pmutrace_calls_total{target=\"" WEIRD_ESCAPED "\"}"),
	      "backslash, quote and newline escaped in label values");
	for (int i = 0; i < 3; i++)
		errors += count_of(text,
				   "pmutrace_call_errors_total{target=\"%s\","
				   "errno=\"%s\"}",
				   SET_PMU, errnos[i]);
	CHECK(errors == target_errors(&r->targets[0], &r->res[0].s),
	      "errors by errno name add up to the target's errors");
	CHECK(count_of(text,
		       "pmutrace_call_errors_total{target=\"%s\","
		       "errno=\"EBUSY\"}",
		       SET_PMU) == 3,
	      "errno label is the errno's name");
	CHECK(count_of(text, "pmutrace_call_errors_total{target=\"edges\","
			     "errno=\"NULL\"}") == 2,
	      "NULL from a pointer target is an error");
	CHECK(!strstr(text, "errno=\"EPERM\""), "errnos never seen: no series");
	CHECK(count_of(text, "pmutrace_calls_total{target=\"%s\"}", SET_PMU) ==
		      1003,
	      "calls");
	CHECK(count_of(text,
		       "pmutrace_calls_missed_total{target=\"%s\","
		       "probe=\"exit\"}",
		       SET_PMU) == 4,
	      "missed exits");
	CHECK(!strstr(text, "_total{target=\"kvm_supports_guest_pmuv3\"") &&
		      !strstr(text, "{target=\"kvm_supports_guest_pmuv3\","
				    "function") &&
		      !strstr(text, "inside=\"kvm_supports_guest_pmuv3\""),
	      "absent target: no histogram, no counters");
	CHECK(value_of(text, "pmutrace_target_info{"
			     "target=\"kvm_supports_guest_pmuv3\","
			     "mode=\"absent\",function=\"\",filter=\"\"}"),
	      "absent target: in target_info");
	CHECK(value_of(text, "pmutrace_target_info{target=\"" SET_PMU "\","
			     "mode=\"caller\","
			     "function=\"kvm_arm_pmu_v3_set_attr\","
			     "filter=\"attr->attr == "
			     "KVM_ARM_VCPU_PMU_V3_SET_PMU\"}"),
	      "caller target: in target_info with its filter");
	CHECK(value_of(text, "pmutrace_info{version=\"" PMUTRACE_VERSION "\","
			     "kernel_release=\"7.2.13+deb14-cloud-arm64\","
			     "machine=\"aarch64\",patch_side=\"after\"}"),
	      "info metric");
	CHECK(count_of(text, "pmutrace_lock_contended_total{" LOCK "}") == 5,
	      "lock contended");
	CHECK(count_of(text,
		       "pmutrace_lock_waits_total{" LOCK ",inside=\"%s\"}",
		       SET_PMU) == 4,
	      "lock waits inside a target");
	CHECK(count_of(text, "pmutrace_lock_waits_total{" LOCK
			     ",inside=\"none\"}") == 1,
	      "lock waits outside every target");
	CHECK(count_of(text,
		       "pmutrace_lock_acquired_total{" LOCK ",inside=\"%s\"}",
		       SET_PMU) == 1000,
	      "hold mode: acquisitions inside the target");
	CHECK(count_of(text,
		       "pmutrace_events_dropped_total{reason=\"too_deep\"}") ==
		      2,
	      "drops by reason");
	CHECK(count_of(text, "pmutrace_up") == 1 &&
		      count_of(text, "pmutrace_scrapes_total") == 7 &&
		      value_of(text, "pmutrace_start_time_seconds"),
	      "self metrics");
}

/* promtool's verdict, its output shown indented so tests/run ignores it. */
static int promtool(const char *args)
{
	char cmd[512], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "promtool %s 2>&1", args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		printf("  promtool: %s", line);
	return pclose(p);
}

static void check_promtool(const char *text)
{
	char path[] = "/tmp/pmutrace-prom.XXXXXX", args[64];
	int fd;

	if (system("command -v promtool >/dev/null 2>&1")) {
		SKIP("promtool not installed (Debian package prometheus)");
		return;
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		CHECK(0, "cannot write %s", path);
		return;
	}
	close(fd);
	snprintf(args, sizeof(args), "check metrics < %s", path);
	CHECK(promtool(args) == 0, "promtool check metrics");
	unlink(path);
	if (access("docs/prometheus/prometheus.yml", R_OK)) {
		SKIP("docs/prometheus not here (run from the top)");
		return;
	}
	CHECK(promtool("check config docs/prometheus/prometheus.yml") == 0,
	      "promtool check config");
	CHECK(promtool("check rules docs/prometheus/alerts.yml") == 0,
	      "promtool check rules");
	CHECK(promtool("test rules docs/prometheus/alerts_test.yml") == 0,
	      "promtool test rules: the alerts fire when they should");
}

static void check_textfile(const struct run_result *r,
			   const struct prom_self *self, const char *text)
{
	char dir[] = "/tmp/pmutrace-textfile.XXXXXX", path[64], buf[1 << 16];
	struct stat st;
	FILE *f;
	size_t n = 0;
	int entries = 0;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/pmutrace.prom", dir);
	CHECK(prom_textfile_check(path) == 0, "textfile place writable");
	CHECK(prom_write_textfile(path, r, self) == 0, "textfile written");
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	CHECK(!strcmp(buf, text), "textfile holds the exposition");
	CHECK(!stat(path, &st) && (st.st_mode & 0777) == 0644,
	      "textfile readable by node_exporter: %o", st.st_mode & 0777);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "ls -A %s", dir);
		f = popen(cmd, "r");
		while (f && fgets(buf, sizeof(buf), f))
			entries++;
		if (f)
			pclose(f);
	}
	CHECK(entries == 1, "no temporary file left: %d entries", entries);
	unlink(path);
	rmdir(dir);
	snprintf(path, sizeof(path), "%s/pmutrace.prom", dir);
	CHECK(prom_write_textfile(path, r, self) == -ENOENT &&
		      prom_textfile_check(path) == -ENOENT,
	      "missing directory: -ENOENT");
}

int main(void)
{
	static struct run_result r;
	struct prom_self self = { .patch_side = "after",
				  .start_time = 1700000000.25,
				  .scrapes = 7 };
	char *text;

	build(&r);
	check_edges();
	text = render(&r, &self);
	check_format(text);
	check_histograms(text, &r);
	check_labels(text, &r);
	check_promtool(text);
	check_textfile(&r, &self, text);
	free(text);

	/* An inline target says so, with its sites' counts; promtool too. */
	r.targets[1].mode = ATTACH_INLINE;
	r.targets[1].nsites = 2;
	r.nsites = 2;
	r.sites[0] = (struct run_site){ .target = 1,
					.symbol = "caller",
					.offset = 0x1c };
	r.sites[1] = (struct run_site){
		.target = 1, .exit = true, .symbol = "caller", .offset = 0x78
	};
	r.site_res[0].count = 11;
	r.site_res[1].count = 11;
	text = render(&r, &self);
	CHECK(strstr(text,
		     "pmutrace_target_inline_sites{target=\"kvm_supports_guest_pmuv3\"} 2") &&
		      strstr(text,
			     "pmutrace_inline_site_calls_total{target=\"kvm_supports_guest_pmuv3\",site=\"caller+0x78\",kind=\"exit\"} 11") &&
		      strstr(text, "mode=\"inline\""),
	      "inline target in the exposition");
	check_format(text);
	check_promtool(text);
	free(text);
	r.targets[1].mode = ATTACH_ABSENT;
	r.nsites = 0;

	self.stopped = true;
	self.patch_side = NULL;
	r.lock.hold = false;
	text = render(&r, &self);
	CHECK(u64_of(text, "pmutrace_up") == 0 &&
		      strstr(text, "patch_side=\"unknown\"") &&
		      !strstr(text, "pmutrace_lock_acquired_total") &&
		      !strstr(text, "pmutrace_lock_hold_seconds"),
	      "stopped, side unknown, no hold figures without hold mode");
	free(text);
	r.lock.traced = false;
	text = render(&r, NULL);
	CHECK(!strstr(text, "pmutrace_lock_"), "no lock: no lock metrics");
	free(text);

	UNIT_EXIT();
}
