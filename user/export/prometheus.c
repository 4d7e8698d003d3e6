// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus export (docs/prometheus.md): the text exposition format 0.0.4
 * and the node_exporter textfile. Attribution's series are
 * prometheus_attrib.c; the writer both use is prom_writer.c; the HTTP
 * server is http_server.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "prometheus.h"
#include "prom_writer.h"
#include "prometheus_attrib.h"
#include "atomic_file.h"

/* Every edge must start a fine bucket, and the last one lie below the
 * catch-all bucket, for the coarse counts to be exact. */
_Static_assert(PROM_EDGE_MIN_EXP >= HIST_SUB_BITS &&
		       PROM_EDGE_MAX_EXP < HIST_MAX_EXP,
	       "Prometheus edges must be fine bucket boundaries");

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
	"How each target is traced: mode direct, caller, inline or absent (always 1)"
};
static const struct family fam_inline_sites = {
	"pmutrace_target_inline_sites", "gauge",
	"Inline sites (entry and exits of every instance) a mode inline target is timed at"
};
static const struct family fam_site_calls = {
	"pmutrace_inline_site_calls_total", "counter",
	"Inline instances entered (kind entry) or left (kind exit) at each site"
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

	prom_family(w, fam);
	for (__u32 k = PROM_EDGE_MIN_EXP; k <= PROM_EDGE_MAX_EXP; k++) {
		__u32 edge_bucket = hist_bucket(1ULL << k);

		for (; i < edge_bucket; i++)
			below += h->slots[i];
		prom_ns_to_seconds(le, sizeof(le), (1ULL << k) - 1);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)below);
		prom_put_sample(w, "_bucket", labels, le, v);
	}
	for (; i < HIST_BUCKETS; i++)
		below += h->slots[i];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)below);
	prom_put_sample(w, "_bucket", labels, "+Inf", v);
	prom_ns_to_seconds(le, sizeof(le), sum_ns);
	prom_put_sample(w, "_sum", labels, NULL, le);
	prom_put_sample(w, "_count", labels, NULL, v);
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
		prom_sample_u64(w, &fam_errors, labels, s->ret_errno[e]);
	}
	if (s->ret_errno_other) {
		labels[3] = "other";
		prom_sample_u64(w, &fam_errors, labels, s->ret_errno_other);
	}
	if (t->ret_kind == RET_PTR && s->ret_zero) {
		labels[3] = "NULL";
		prom_sample_u64(w, &fam_errors, labels, s->ret_zero);
	}
}

static void render_targets(struct writer *w, const struct run_result *r)
{
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];
		const char *labels[] = {
			"target",   t->name,
			"mode",	    attach_mode_name(t->mode),
			"function", prom_attached(t) ? t->function : "",
			"filter",   t->filter,
			NULL
		};

		prom_family(w, &fam_target_info);
		prom_put_sample(w, "", labels, NULL, "1");
	}
	for (int i = 0; i < r->ntargets; i++) {
		const char *labels[] = { "target", r->targets[i].name, NULL };

		if (r->targets[i].mode == ATTACH_INLINE)
			prom_sample_u64(w, &fam_inline_sites, labels,
					r->targets[i].nsites);
	}
	for (int k = 0; k < r->nsites; k++) {
		const struct run_site *rs = &r->sites[k];
		char at[SITE_AT_LEN];
		const char *labels[] = { "target", r->targets[rs->target].name,
					 "site",   site_at(rs, at, sizeof(at)),
					 "kind",   site_kind_name(rs),
					 NULL };

		prom_sample_u64(w, &fam_site_calls, labels,
				r->site_res[k].count);
	}
	/* Absent targets measure nothing: no series rather than zeros. */
	for (int i = 0; i < r->ntargets; i++) {
		const char *labels[] = { "target", r->targets[i].name, NULL };

		if (prom_attached(&r->targets[i]))
			prom_sample_u64(w, &fam_calls, labels,
					r->res[i].s.count);
	}
	for (int i = 0; i < r->ntargets; i++) {
		const char *labels[] = { "target", r->targets[i].name, "probe",
					 "entry", NULL };

		if (!prom_attached(&r->targets[i]))
			continue;
		prom_sample_u64(w, &fam_missed, labels, r->res[i].missed_entry);
		labels[3] = "exit";
		prom_sample_u64(w, &fam_missed, labels, r->res[i].missed_exit);
	}
	for (int i = 0; i < r->ntargets; i++)
		if (prom_attached(&r->targets[i]))
			render_errors(w, &r->targets[i], &r->res[i].s);
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];
		const char *labels[] = { "target",   t->name,
					 "function", t->function,
					 "mode",     attach_mode_name(t->mode),
					 NULL };

		if (prom_attached(t))
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
		if (!prom_attached(&r->targets[i]))
			continue;
		labels[3] = r->targets[i].name;
		prom_sample_u64(w, fam, labels, in[i]);
	}
	labels[3] = "none";
	prom_sample_u64(w, fam, labels, in[PMUTRACE_OUTSIDE]);
}

static void render_lock(struct writer *w, const struct run_result *r)
{
	const struct lock_stats *l = &r->lock_stats;
	const char *labels[] = { "lock", r->lock.name, NULL };

	prom_sample_u64(w, &fam_contended, labels, l->contended);
	prom_sample_u64(w, &fam_wait_failed, labels, l->wait_failed);
	prom_sample_u64(w, &fam_lock_missed, labels, r->lock_missed);
	render_inside(w, &fam_waits, r, l->contended_in);
	put_histogram(w, &fam_wait, labels, &l->wait, l->wait_sum_ns);
	if (!r->lock.hold)
		return;
	render_inside(w, &fam_acquired, r, l->acquired_in);
	put_histogram(w, &fam_hold, labels, &l->hold, l->hold_sum_ns);
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

	prom_family(&w, &fam_info);
	prom_put_sample(&w, "", info, NULL, "1");
	prom_family(&w, &fam_up);
	prom_put_sample(&w, "", NULL, NULL, me->stopped ? "0" : "1");
	if (me->start_time > 0) {
		prom_format_float(buf, sizeof(buf), me->start_time);
		prom_family(&w, &fam_start);
		prom_put_sample(&w, "", NULL, NULL, buf);
	}
	prom_sample_u64(&w, &fam_scrapes, NULL, me->scrapes);
	for (int i = 0; i < DROP_REASONS; i++) {
		const char *labels[] = { "reason", drop_names[i], NULL };

		prom_sample_u64(&w, &fam_dropped, labels, r->drops[i]);
	}
	render_targets(&w, r);
	if (r->lock.traced)
		render_lock(&w, r);
	if (r->attrib)
		prom_render_attribution(&w, r);
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
