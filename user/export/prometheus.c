// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus export (docs/prometheus.md): the text exposition format 0.0.4
 * and the node_exporter textfile. The HTTP server is http_server.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "prometheus.h"
#include "atomic_file.h"
#include "attrib_result.h"

/* Every edge must start a fine bucket, and the last one lie below the
 * catch-all bucket, for the coarse counts to be exact. */
_Static_assert(PROM_EDGE_MIN_EXP >= HIST_SUB_BITS &&
		       PROM_EDGE_MAX_EXP < HIST_MAX_EXP,
	       "Prometheus edges must be fine bucket boundaries");

/* A metric family: its samples must follow its HELP and TYPE lines. */
struct family {
	const char *name;
	const char *type;
	const char *help;
};

static const struct family fam_info = {
	"pmutrace_info", "gauge",
	"pmutrace's version, the traced kernel and its side of the PMU RCU patch"
};
static const struct family fam_up = {
	"pmutrace_up", "gauge", "1 while tracing, 0 once tracing has ended"
};
static const struct family fam_start = { "pmutrace_start_time_seconds", "gauge",
					 "Unix time at which tracing began" };
static const struct family fam_scrapes = {
	"pmutrace_scrapes_total", "counter",
	"Requests of /metrics (GET, HEAD) let through"
};
static const struct family fam_dropped = {
	"pmutrace_events_dropped_total", "counter",
	"Events the BPF programs could not record, by reason"
};
static const struct family fam_target_info = {
	"pmutrace_target_info", "gauge",
	"How each target is traced: mode direct, caller or absent (always 1)"
};
static const struct family fam_calls = {
	"pmutrace_calls_total", "counter",
	"Calls of the target that finished while traced"
};
static const struct family fam_missed = {
	"pmutrace_calls_missed_total", "counter",
	"Runs of the entry or exit program the kernel skipped"
};
static const struct family fam_errors = {
	"pmutrace_call_errors_total", "counter",
	"Calls that failed, by errno name (NULL: a pointer target returned NULL)"
};
static const struct family fam_duration = {
	"pmutrace_call_duration_seconds", "histogram",
	"Duration of the timed calls (le edges are 2^k-1 ns)"
};
static const struct family fam_contended = {
	"pmutrace_lock_contended_total", "counter",
	"Acquisitions of the lock that had to wait"
};
static const struct family fam_wait_failed = {
	"pmutrace_lock_wait_failed_total", "counter",
	"Waits for the lock that ended without it"
};
static const struct family fam_lock_missed = {
	"pmutrace_lock_events_missed_total", "counter",
	"Runs of the lock programs the kernel skipped"
};
static const struct family fam_waits = {
	"pmutrace_lock_waits_total", "counter",
	"Contended acquisitions by the target the waiter was inside (none: outside every target)"
};
static const struct family fam_wait = {
	"pmutrace_lock_wait_seconds", "histogram",
	"Time spent waiting for the lock (le edges are 2^k-1 ns)"
};
static const struct family fam_acquired = {
	"pmutrace_lock_acquired_total", "counter",
	"Acquisitions of the lock by the target they happened inside (hold mode)"
};
static const struct family fam_hold = {
	"pmutrace_lock_hold_seconds", "histogram",
	"Time the lock was held (hold mode; le edges are 2^k-1 ns)"
};

/* Attribution (--by, --owners, --vms): at most --top rows, the rest summed
 * in one series labelled "other", so a label set never grows past top+1
 * per target, whatever the host runs. */
static const struct family fam_by_calls = {
	"pmutrace_attrib_calls_total", "counter",
	"Calls by process (pid, comm) or cgroup, the top ones; the rest as other"
};
static const struct family fam_by_seconds = {
	"pmutrace_attrib_call_seconds_total", "counter",
	"Total duration of the timed calls, same rows as pmutrace_attrib_calls_total"
};
static const struct family fam_by_waits = {
	"pmutrace_attrib_lock_waits_total", "counter",
	"Contended waits for the lock by process or cgroup, the top ones; the rest as other"
};
static const struct family fam_by_wait_seconds = {
	"pmutrace_attrib_lock_wait_seconds_total", "counter",
	"Total time of those waits"
};
static const struct family fam_owner_waits = {
	"pmutrace_lock_owner_waits_total", "counter",
	"Waits for the lock by the process that held it, the top ones; the rest as other"
};
static const struct family fam_unattributed = {
	"pmutrace_attrib_unrecorded_total", "counter",
	"Events attribution could not record, by reason (a full map, an unknown owner, ...)"
};
static const struct family fam_vm_pmu = {
	"pmutrace_vm_pmu_calls_total", "counter",
	"PMU assignments to VMs by VMM process, how (default, set_pmu) and host PMU"
};

struct writer {
	FILE *f;
	const struct family *fam; /* whose HELP and TYPE came last */
};

static void family(struct writer *w, const struct family *fam)
{
	if (w->fam == fam)
		return;
	w->fam = fam;
	fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help,
		fam->name, fam->type);
}

static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* name{key="value",...,le="..."} value, the labels given as key, value
 * pairs ending in NULL. */
static void put_sample(struct writer *w, const char *suffix,
		       const char *const *labels, const char *le,
		       const char *value)
{
	char sep = '{';

	fprintf(w->f, "%s%s", w->fam->name, suffix);
	for (; labels && labels[0]; labels += 2, sep = ',') {
		fprintf(w->f, "%c%s=\"", sep, labels[0]);
		put_label_value(w->f, labels[1]);
		fputc('"', w->f);
	}
	if (le) {
		fprintf(w->f, "%cle=\"%s\"", sep, le);
		sep = ',';
	}
	fprintf(w->f, "%s %s\n", sep == ',' ? "}" : "", value);
}

static void sample_u64(struct writer *w, const struct family *fam,
		       const char *const *labels, __u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	family(w, fam);
	put_sample(w, "", labels, NULL, buf);
}

/* The shortest decimal that reads back as v, like the Go client's
 * FormatFloat(v, 'g', -1, 64): exact, and the same on every scrape. The
 * loader never calls setlocale(), so the point is a '.'. */
static void format_float(char *buf, size_t len, double v)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void ns_to_seconds(char *buf, size_t len, __u64 ns)
{
	format_float(buf, len, (double)ns / 1e9);
}

/*
 * Cumulative counts at the fixed edges, summed from the fine buckets below
 * each edge's own bucket. _count is the +Inf bucket, so the two always
 * agree even if the maps were read while a program updated them.
 */
static void put_histogram(struct writer *w, const struct family *fam,
			  const char *const *labels, const struct hist *h,
			  __u64 sum_ns)
{
	char le[32], v[32];
	__u64 below = 0;
	__u32 i = 0;

	family(w, fam);
	for (__u32 k = PROM_EDGE_MIN_EXP; k <= PROM_EDGE_MAX_EXP; k++) {
		__u32 edge_bucket = hist_bucket(1ULL << k);

		for (; i < edge_bucket; i++)
			below += h->slots[i];
		ns_to_seconds(le, sizeof(le), (1ULL << k) - 1);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)below);
		put_sample(w, "_bucket", labels, le, v);
	}
	for (; i < HIST_BUCKETS; i++)
		below += h->slots[i];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)below);
	put_sample(w, "_bucket", labels, "+Inf", v);
	ns_to_seconds(le, sizeof(le), sum_ns);
	put_sample(w, "_sum", labels, NULL, le);
	put_sample(w, "_count", labels, NULL, v);
}

static bool attached(const struct target *t)
{
	return t->mode != ATTACH_ABSENT;
}

static void render_errors(struct writer *w, const struct target *t,
			  const struct target_stats *s)
{
	const char *labels[] = { "target", t->name, "errno", NULL, NULL };
	char num[ERRNO_LABEL_LEN];

	/* Only the errnos seen: 133 mostly empty series per target would
	 * cost more than a counter appearing late does. */
	for (int e = 1; e <= PMUTRACE_MAX_ERRNO; e++) {
		if (!s->ret_errno[e])
			continue;
		labels[3] = errno_label(e, num);
		sample_u64(w, &fam_errors, labels, s->ret_errno[e]);
	}
	if (s->ret_errno_other) {
		labels[3] = "other";
		sample_u64(w, &fam_errors, labels, s->ret_errno_other);
	}
	if (t->ret_kind == RET_PTR && s->ret_zero) {
		labels[3] = "NULL";
		sample_u64(w, &fam_errors, labels, s->ret_zero);
	}
}

static void render_targets(struct writer *w, const struct run_result *r)
{
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];
		const char *labels[] = {
			"target",   t->name,
			"mode",	    attach_mode_name(t->mode),
			"function", attached(t) ? t->function : "",
			"filter",   t->filter,
			NULL
		};

		family(w, &fam_target_info);
		put_sample(w, "", labels, NULL, "1");
	}
	/* Absent targets measure nothing: no series rather than zeros. */
	for (int i = 0; i < r->ntargets; i++) {
		const char *labels[] = { "target", r->targets[i].name, NULL };

		if (attached(&r->targets[i]))
			sample_u64(w, &fam_calls, labels, r->res[i].s.count);
	}
	for (int i = 0; i < r->ntargets; i++) {
		const char *labels[] = { "target", r->targets[i].name, "probe",
					 "entry", NULL };

		if (!attached(&r->targets[i]))
			continue;
		sample_u64(w, &fam_missed, labels, r->res[i].missed_entry);
		labels[3] = "exit";
		sample_u64(w, &fam_missed, labels, r->res[i].missed_exit);
	}
	for (int i = 0; i < r->ntargets; i++)
		if (attached(&r->targets[i]))
			render_errors(w, &r->targets[i], &r->res[i].s);
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];
		const char *labels[] = { "target",   t->name,
					 "function", t->function,
					 "mode",     attach_mode_name(t->mode),
					 NULL };

		if (attached(t))
			put_histogram(w, &fam_duration, labels,
				      &r->res[i].s.latency, r->res[i].s.sum_ns);
	}
}

/* Per-target lock counts, the waiters outside every target as "none". */
static void render_inside(struct writer *w, const struct family *fam,
			  const struct run_result *r, const __u64 *in)
{
	const char *labels[] = { "lock", r->lock.name, "inside", NULL, NULL };

	for (int i = 0; i < r->ntargets; i++) {
		if (!attached(&r->targets[i]))
			continue;
		labels[3] = r->targets[i].name;
		sample_u64(w, fam, labels, in[i]);
	}
	labels[3] = "none";
	sample_u64(w, fam, labels, in[PMUTRACE_OUTSIDE]);
}

static void render_lock(struct writer *w, const struct run_result *r)
{
	const struct lock_stats *l = &r->lock_stats;
	const char *labels[] = { "lock", r->lock.name, NULL };

	sample_u64(w, &fam_contended, labels, l->contended);
	sample_u64(w, &fam_wait_failed, labels, l->wait_failed);
	sample_u64(w, &fam_lock_missed, labels, r->lock_missed);
	render_inside(w, &fam_waits, r, l->contended_in);
	put_histogram(w, &fam_wait, labels, &l->wait, l->wait_sum_ns);
	if (!r->lock.hold)
		return;
	render_inside(w, &fam_acquired, r, l->acquired_in);
	put_histogram(w, &fam_hold, labels, &l->hold, l->hold_sum_ns);
}

/* What a row series carries. */
enum row_value { ROW_CALLS, ROW_CALL_NS, ROW_WAITS, ROW_WAIT_NS };

static __u64 row_value(const struct attrib_row *row, int t, enum row_value v)
{
	switch (v) {
	case ROW_CALLS:
		return row->t[t].count;
	case ROW_CALL_NS:
		return row->t[t].sum_ns;
	case ROW_WAITS:
		return row->lock.waits;
	default:
		return row->lock.wait_ns;
	}
}

/* One sample of a row (t < 0: the lock's), as a count or as seconds. */
static void row_sample(struct writer *w, const struct family *fam,
		       const char *const *labels, __u64 v, bool ns)
{
	char buf[32];

	if (!ns) {
		sample_u64(w, fam, labels, v);
		return;
	}
	ns_to_seconds(buf, sizeof(buf), v);
	family(w, fam);
	put_sample(w, "", labels, NULL, buf);
}

/* The top rows one by one, then the rest summed as "other". */
static void render_rows(struct writer *w, const struct family *fam,
			const struct run_result *r, enum row_value v)
{
	const struct attrib_result *a = r->attrib;
	bool cg = a->by == BY_CGROUP, per_target = v <= ROW_CALL_NS;
	bool ns = v == ROW_CALL_NS || v == ROW_WAIT_NS;
	/* by, pid|cgroup, [comm], [target] */
	const char *labels[9] = { "by", attrib_by_name(a->by),
				  cg ? "cgroup" : "pid" };
	int t0 = per_target ? 0 : -1, t1 = per_target ? r->ntargets : 0;
	int k = cg ? 4 : 6;
	char id[32];

	if (!cg)
		labels[4] = "comm";
	if (per_target)
		labels[k] = "target";
	for (int t = t0; t < t1; t++) {
		__u64 other = 0;

		if (t >= 0 && !attached(&r->targets[t]))
			continue;
		if (t >= 0)
			labels[k + 1] = r->targets[t].name;
		for (int i = 0; i < a->nrows; i++) {
			const struct attrib_row *row = &a->rows[i];

			if (i >= a->top) {
				other += row_value(row, t, v);
				continue;
			}
			snprintf(id, sizeof(id), "%llu",
				 (unsigned long long)row->id);
			labels[3] = cg ? row->name : id;
			labels[5] = cg ? labels[5] : row->name;
			row_sample(w, fam, labels, row_value(row, t, v), ns);
		}
		labels[3] = "other";
		if (!cg)
			labels[5] = "other";
		row_sample(w, fam, labels, other, ns);
	}
}

/* Owners by process (threads would churn), top ones and "other". */
static void render_owners(struct writer *w, const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;
	const char *labels[] = { "lock", r->lock.name, "pid", NULL,
				 "comm", NULL,	       NULL };
	__u64 seen[ATTRIB_MAX_STACKS], sum[ATTRIB_MAX_STACKS], other = 0;
	char comm[ATTRIB_MAX_STACKS][TASK_COMM_LEN_ + 1], id[32];
	int n = 0;

	for (int i = 0; i < a->nowners; i++) {
		const struct attrib_owner *o = &a->owner_v[i];
		int j = 0;

		while (j < n && seen[j] != o->k.tgid)
			j++;
		if (j == n && n < ATTRIB_MAX_STACKS) {
			seen[n] = o->k.tgid;
			sum[n] = 0;
			snprintf(comm[n], sizeof(comm[n]), "%.*s",
				 TASK_COMM_LEN_, o->k.comm);
			n++;
		}
		if (j < n)
			sum[j] += o->w.count;
	}
	for (int j = 0; j < n; j++) {
		if (j >= a->top) {
			other += sum[j];
			continue;
		}
		snprintf(id, sizeof(id), "%llu", (unsigned long long)seen[j]);
		labels[3] = id;
		labels[5] = comm[j];
		sample_u64(w, &fam_owner_waits, labels, sum[j]);
	}
	labels[3] = labels[5] = "other";
	sample_u64(w, &fam_owner_waits, labels, other);
}

static void render_vms(struct writer *w, const struct attrib_result *a)
{
	const char *labels[] = { "pid", NULL,  "comm", NULL, "how",
				 NULL,	"pmu", NULL,   NULL };
	__u64 other = 0;
	char id[32];

	for (int i = 0; i < a->nvms; i++) {
		const struct attrib_vm *v = &a->vm_v[i];

		if (i >= a->top) {
			other += v->calls;
			continue;
		}
		snprintf(id, sizeof(id), "%u", v->tgid);
		labels[1] = id;
		labels[3] = v->comm;
		labels[5] = vm_pmu_kind_name(v->kind);
		labels[7] = v->pmu[0] ? v->pmu : "none";
		sample_u64(w, &fam_vm_pmu, labels, v->calls);
	}
	labels[1] = labels[3] = labels[5] = labels[7] = "other";
	sample_u64(w, &fam_vm_pmu, labels, other);
}

static void render_attribution(struct writer *w, const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;

	if (a->by) {
		render_rows(w, &fam_by_calls, r, ROW_CALLS);
		render_rows(w, &fam_by_seconds, r, ROW_CALL_NS);
		if (r->lock.traced) {
			render_rows(w, &fam_by_waits, r, ROW_WAITS);
			render_rows(w, &fam_by_wait_seconds, r, ROW_WAIT_NS);
		}
	}
	if (a->owners)
		render_owners(w, r);
	if (a->vms)
		render_vms(w, a);
	for (int m = 0; m < MISS_REASONS; m++) {
		const char *labels[] = { "reason", attrib_miss_name(m), NULL };

		sample_u64(w, &fam_unattributed, labels, a->miss[m]);
	}
}

void prom_render(FILE *out, const struct run_result *r,
		 const struct prom_self *self)
{
	static const char *const drop_names[DROP_REASONS] = {
		[DROP_NO_TASK_STATE] = "no_task_state",
		[DROP_TOO_DEEP] = "too_deep",
		[DROP_EXIT_UNMATCHED] = "exit_unmatched",
		[DROP_STALE_ENTRY] = "stale_entry",
	};
	static const struct prom_self defaults;
	const struct prom_self *me = self ? self : &defaults;
	const char *side = me->patch_side && *me->patch_side ? me->patch_side :
							       "unknown";
	const char *info[] = {
		"version", PMUTRACE_VERSION, "kernel_release", r->release,
		"machine", r->machine,	     "patch_side",     side,
		NULL
	};
	struct writer w = { .f = out };
	char buf[32];

	family(&w, &fam_info);
	put_sample(&w, "", info, NULL, "1");
	family(&w, &fam_up);
	put_sample(&w, "", NULL, NULL, me->stopped ? "0" : "1");
	if (me->start_time > 0) {
		format_float(buf, sizeof(buf), me->start_time);
		family(&w, &fam_start);
		put_sample(&w, "", NULL, NULL, buf);
	}
	sample_u64(&w, &fam_scrapes, NULL, me->scrapes);
	for (int i = 0; i < DROP_REASONS; i++) {
		const char *labels[] = { "reason", drop_names[i], NULL };

		sample_u64(&w, &fam_dropped, labels, r->drops[i]);
	}
	render_targets(&w, r);
	if (r->lock.traced)
		render_lock(&w, r);
	if (r->attrib)
		render_attribution(&w, r);
}

char *prom_render_alloc(const struct run_result *r,
			const struct prom_self *self, size_t *len)
{
	char *body = NULL;
	FILE *f = open_memstream(&body, len);
	bool ok;

	if (!f)
		return NULL;
	prom_render(f, r, self);
	ok = !ferror(f);
	if (fclose(f) || !ok) {
		free(body);
		return NULL;
	}
	return body;
}

/* "<dir>/.<name>.XXXXXX": same filesystem for rename(), and a name that
 * node_exporter's textfile collector (*.prom) does not read half-written. */
int prom_textfile_check(const char *path)
{
	struct atomic_file a;
	int err = atomic_file_open(&a, path);

	return err ? err : atomic_file_close(&a, false);
}

int prom_write_textfile(const char *path, const struct run_result *r,
			const struct prom_self *self)
{
	struct atomic_file a;
	int err = atomic_file_open(&a, path);

	if (err)
		return err;
	prom_render(a.f, r, self);
	return atomic_file_close(&a, true);
}
