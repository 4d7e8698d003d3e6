// SPDX-License-Identifier: GPL-2.0
/* The JSON document, schema pmutrace/2 (docs/json-schema.md). */
#include <string.h>
#include <json-c/json.h>
#include "pmu_domain.h"
#include "attrib.h"

#define ADD(obj, key, val) json_object_object_add(obj, key, val)

static struct json_object *u64_json(__u64 v)
{
	return json_object_new_uint64(v);
}

/* Percentiles are whole nanoseconds, null when nothing was measured. */
static struct json_object *pct_json(const struct hist *h, double q, __u64 min,
				    __u64 max)
{
	double v = hist_percentile(h, q, min, max);

	return v < 0 ? NULL : json_object_new_uint64((__u64)(v + 0.5));
}

static struct json_object *hist_json(const struct hist *h, __u64 n, __u64 sum,
				     __u64 min, __u64 max)
{
	struct json_object *o = json_object_new_object();
	struct json_object *b = json_object_new_array();

	ADD(o, "count", u64_json(n));
	ADD(o, "min", n ? u64_json(min) : NULL);
	ADD(o, "max", n ? u64_json(max) : NULL);
	ADD(o, "sum", u64_json(sum));
	ADD(o, "mean",
	    n ? json_object_new_double((double)sum / (double)n) : NULL);
	for (int i = 0; i < HIST_NQUANTILES; i++)
		ADD(o, hist_quantiles[i].key,
		    pct_json(h, hist_quantiles[i].q, min, max));
	for (__u32 i = 0; i < HIST_BUCKETS; i++) {
		struct json_object *e;

		if (!h->slots[i])
			continue;
		e = json_object_new_object();
		ADD(e, "low", u64_json(hist_bucket_low(i)));
		ADD(e, "high",
		    i + 1 < HIST_BUCKETS ?
			    u64_json(hist_bucket_low(i + 1) - 1) :
			    NULL);
		ADD(e, "count", u64_json(h->slots[i]));
		json_object_array_add(b, e);
	}
	ADD(o, "buckets", b);
	return o;
}

static struct json_object *returns_json(const struct target_stats *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	ADD(o, "zero", u64_json(s->ret_zero));
	ADD(o, "nonzero", u64_json(s->ret_nonzero));
	for (int i = 1; i <= PMUTRACE_MAX_ERRNO; i++) {
		char num[ERRNO_LABEL_LEN];

		if (s->ret_errno[i])
			ADD(e, errno_label(i, num), u64_json(s->ret_errno[i]));
	}
	if (s->ret_errno_other)
		ADD(e, "other", u64_json(s->ret_errno_other));
	ADD(o, "errno", e);
	ADD(o, "negative_other", u64_json(s->ret_neg_other));
	return o;
}

/* An inline figure less the kprobe pair's bias; null without calibration. */
static struct json_object *body_json(const struct run_result *r, int i, int k)
{
	struct json_object *o;
	struct body_estimate e;

	inline_body(r, i, k, &e);
	if (!e.corrected)
		return NULL;
	o = json_object_new_object();
	ADD(o, "measured_mean", json_object_new_double(e.measured_ns));
	ADD(o, "bias", json_object_new_double(e.bias_ns));
	ADD(o, "noise", json_object_new_double(e.noise_ns));
	ADD(o, "mean", e.in_noise ? NULL : json_object_new_double(e.body_ns));
	ADD(o, "within_noise", json_object_new_boolean(e.in_noise));
	ADD(o, "fast_path", json_object_new_double(e.fast_ns));
	return o;
}

static struct json_object *calibration_json(const struct run_result *r)
{
	struct json_object *arr = json_object_new_array();

	for (int c = 0; c < NR_CLASSES; c++) {
		const struct calib_result *k = &r->calib[c];
		const struct run_site *s = &r->calib_sites[c],
				      *x = &r->calib_exits[c];
		struct json_object *o = json_object_new_object();
		char at[SITE_AT_LEN];

		ADD(o, "class", json_object_new_string(insn_class_names[c]));
		ADD(o, "at",
		    r->has_calib[c] ?
			    json_object_new_string(site_at(s, at, sizeof(at))) :
			    NULL);
		ADD(o, "exit_at",
		    r->has_calib[c] ?
			    json_object_new_string(site_at(x, at, sizeof(at))) :
			    NULL);
		ADD(o, "pairs", u64_json(k->pairs));
		ADD(o, "mean_ns",
		    k->done ? json_object_new_double(k->mean_ns) : NULL);
		ADD(o, "fast_mean_ns",
		    k->done ? json_object_new_double(k->fast_mean_ns) : NULL);
		ADD(o, "min_ns", k->done ? u64_json(k->min_ns) : NULL);
		ADD(o, "max_ns", k->done ? u64_json(k->max_ns) : NULL);
		ADD(o, "why_not",
		    k->done ? NULL : json_object_new_string(k->why));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* An inline target's sites (pmutrace.schema.json, "inline_site"). */
static struct json_object *sites_json(const struct run_result *r, int i)
{
	struct json_object *arr = json_object_new_array();

	for (int k = 0; k < r->nsites; k++) {
		const struct run_site *rs = &r->sites[k];
		const struct site_stats *ss = &r->site_res[k];
		struct json_object *o;
		char at[SITE_AT_LEN];
		int cls;

		if (rs->target != i)
			continue;
		cls = rs->exit ? -1 : entry_class(r, k);
		o = json_object_new_object();
		ADD(o, "instance", json_object_new_int(rs->instance));
		ADD(o, "kind", json_object_new_string(site_kind_name(rs)));
		ADD(o, "at",
		    json_object_new_string(site_at(rs, at, sizeof(at))));
		ADD(o, "class",
		    cls < 0 ? NULL :
			      json_object_new_string(insn_class_names[cls]));
		ADD(o, "count", u64_json(ss->count));
		ADD(o, "latency_ns",
		    rs->exit ? hist_json(&ss->latency, ss->count, ss->sum_ns,
					 ss->min_ns, ss->max_ns) :
			       NULL);
		ADD(o, "body_ns", rs->exit ? body_json(r, i, k) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *target_json(const struct run_result *r, int i)
{
	const struct target *t = &r->targets[i];
	const struct target_stats *s = &r->res[i].s;
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_object();
	struct json_object *m = json_object_new_object();

	ADD(o, "name", json_object_new_string(t->name));
	ADD(a, "mode", json_object_new_string(attach_mode_name(t->mode)));
	ADD(a, "function",
	    t->mode == ATTACH_ABSENT ? NULL :
				       json_object_new_string(t->function));
	ADD(a, "filter",
	    t->filter[0] ? json_object_new_string(t->filter) : NULL);
	ADD(a, "probe",
	    t->mode == ATTACH_ABSENT ?
		    NULL :
	    t->mode == ATTACH_INLINE ?
		    json_object_new_string("kprobe") :
		    json_object_new_string(probe_kind_name(r->probe)));
	if (t->mode == ATTACH_INLINE) {
		ADD(a, "sites", sites_json(r, i));
		ADD(a, "body_ns", body_json(r, i, -1));
	}
	ADD(a, "reason", json_object_new_string(t->reason));
	ADD(o, "attach", a);
	ADD(o, "return_type",
	    t->mode == ATTACH_ABSENT ? NULL :
				       json_object_new_string(t->ret_type));
	ADD(o, "count", u64_json(s->count));
	ADD(o, "timed", u64_json(s->timed));
	ADD(o, "errors", u64_json(target_errors(t, s)));
	ADD(m, "entry", u64_json(r->res[i].missed_entry));
	ADD(m, "exit", u64_json(r->res[i].missed_exit));
	ADD(o, "missed", m);
	ADD(o, "returns", returns_json(s));
	ADD(o, "latency_ns",
	    hist_json(&s->latency, s->timed, s->sum_ns, s->min_ns, s->max_ns));
	if (r->lock.hold) {
		struct json_object *l = json_object_new_object();

		ADD(l, "name", json_object_new_string(r->lock.name));
		ADD(l, "acquired", u64_json(s->lock_acquired));
		ADD(l, "per_call",
		    s->count ? json_object_new_double((double)s->lock_acquired /
						      (double)s->count) :
			       NULL);
		ADD(l, "hold_ns_sum", u64_json(s->lock_hold_ns));
		ADD(o, "lock", l);
	}
	return o;
}

static struct json_object *lock_json(const struct run_result *r)
{
	const struct lock_stats *l = &r->lock_stats;
	struct json_object *o = json_object_new_object();
	struct json_object *w = json_object_new_object();
	char addr[32];

	snprintf(addr, sizeof(addr), "0x%llx",
		 (unsigned long long)r->lock.addr);
	ADD(o, "name", json_object_new_string(r->lock.name));
	ADD(o, "address", json_object_new_string(addr));
	ADD(o, "contended", u64_json(l->contended));
	ADD(o, "wait_failed", u64_json(l->wait_failed));
	ADD(o, "missed", u64_json(r->lock_missed));
	ADD(o, "wait_ns",
	    hist_json(&l->wait, l->contended, l->wait_sum_ns, l->wait_min_ns,
		      l->wait_max_ns));
	for (int i = 0; i < r->ntargets; i++)
		ADD(w, r->targets[i].name, u64_json(l->contended_in[i]));
	ADD(w, "(none)", u64_json(l->contended_in[PMUTRACE_OUTSIDE]));
	ADD(o, "waiters_inside", w);
	if (r->lock.hold) {
		struct json_object *h = json_object_new_object();

		ADD(h, "acquired", u64_json(l->acquired));
		ADD(h, "acquired_outside_targets",
		    u64_json(l->acquired_in[PMUTRACE_OUTSIDE]));
		ADD(h, "hold_ns",
		    hist_json(&l->hold, l->held, l->hold_sum_ns, l->hold_min_ns,
			      l->hold_max_ns));
		ADD(o, "hold", h);
	}
	return o;
}

struct json_object *result_to_json(const struct run_result *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *k = json_object_new_object();
	struct json_object *h = json_object_new_object();
	struct json_object *t = json_object_new_array();
	struct json_object *l = json_object_new_array();
	struct json_object *d = json_object_new_object();
	struct json_object *ps = json_object_new_object();
	const char *side;
	char why[256];

	ADD(o, "schema", json_object_new_string(PMUTRACE_SCHEMA));
	ADD(o, "version", json_object_new_string(PMUTRACE_VERSION));
	ADD(k, "release", json_object_new_string(r->release));
	ADD(k, "machine", json_object_new_string(r->machine));
	if (r->boot_id[0])
		ADD(k, "boot_id", json_object_new_string(r->boot_id));
	ADD(o, "kernel", k);
	ADD(o, "duration_s", json_object_new_double(r->duration_s));
	ADD(o, "label", r->label ? json_object_new_string(r->label) : NULL);
	side = patch_side(r, why, sizeof(why));
	ADD(ps, "side", json_object_new_string(side));
	ADD(ps, "evidence", json_object_new_string(why));
	ADD(o, "patch_side", ps);
	ADD(h, "unit", json_object_new_string("ns"));
	ADD(h, "layout", json_object_new_string("log2-linear"));
	ADD(h, "sub_buckets", json_object_new_int(HIST_SUB));
	ADD(o, "histogram", h);
	for (int i = 0; i < r->ntargets; i++)
		json_object_array_add(t, target_json(r, i));
	ADD(o, "targets", t);
	if (r->lock.traced)
		json_object_array_add(l, lock_json(r));
	ADD(o, "locks", l);
	ADD(d, "no_task_state", u64_json(r->drops[DROP_NO_TASK_STATE]));
	ADD(d, "too_deep", u64_json(r->drops[DROP_TOO_DEEP]));
	ADD(d, "stale_entry", u64_json(r->drops[DROP_STALE_ENTRY]));
	ADD(o, "dropped", d);
	if (r->nsites)
		ADD(o, "inline_calibration", calibration_json(r));
	if (r->attrib)
		ADD(o, "attribution", attrib_json(r));
	return o;
}

int write_json(FILE *out, const struct run_result *r)
{
	struct json_object *o = result_to_json(r);
	int err;

	err = fprintf(out, "%s\n",
		      json_object_to_json_string_ext(
			      o, JSON_C_TO_STRING_PRETTY |
					 JSON_C_TO_STRING_NOSLASHESCAPE)) < 0;
	json_object_put(o);
	return err ? -1 : 0;
}
