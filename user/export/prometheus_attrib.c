// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution's series in the Prometheus exposition (--by, --owners,
 * --vms; docs/prometheus.md): rows by process or cgroup, the lock's owners,
 * VMs' PMUs, and what attribution could not record. prometheus.c writes
 * the rest and calls prom_render_attribution.
 */
#include "prometheus_attrib.h"
#include "attrib_result.h"

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
		prom_sample_u64(w, fam, labels, v);
		return;
	}
	prom_ns_to_seconds(buf, sizeof(buf), v);
	prom_family(w, fam);
	prom_put_sample(w, "", labels, NULL, buf);
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

		if (t >= 0 && !prom_attached(&r->targets[t]))
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
		prom_sample_u64(w, &fam_owner_waits, labels, sum[j]);
	}
	labels[3] = labels[5] = "other";
	prom_sample_u64(w, &fam_owner_waits, labels, other);
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
		prom_sample_u64(w, &fam_vm_pmu, labels, v->calls);
	}
	labels[1] = labels[3] = labels[5] = labels[7] = "other";
	prom_sample_u64(w, &fam_vm_pmu, labels, other);
}

void prom_render_attribution(struct writer *w, const struct run_result *r)
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

		prom_sample_u64(w, &fam_unattributed, labels, a->miss[m]);
	}
}
