// SPDX-License-Identifier: GPL-2.0
/* Attribution in the JSON document (pmutrace/2, docs/json-schema.md). */
#include <json-c/json.h>
#include "attrib.h"

#define ADD(obj, key, val) json_object_object_add(obj, key, val)
#define U64(v) json_object_new_uint64(v)

static struct json_object *val_json(const struct attrib_val *v)
{
	struct json_object *o = json_object_new_object();

	ADD(o, "count", U64(v->count));
	ADD(o, "timed", U64(v->timed));
	ADD(o, "sum_ns", U64(v->sum_ns));
	ADD(o, "min_ns", v->timed ? U64(v->min_ns) : NULL);
	ADD(o, "max_ns", v->timed ? U64(v->max_ns) : NULL);
	return o;
}

static struct json_object *waits_json(__u64 count, __u64 total, __u64 max)
{
	struct json_object *o = json_object_new_object();

	ADD(o, "count", U64(count));
	ADD(o, "total_ns", U64(total));
	ADD(o, "max_ns", count ? U64(max) : NULL);
	return o;
}

static struct json_object *rows_json(const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;
	struct json_object *rows = json_object_new_array();
	__u64 calls = 0, waits = 0;

	for (int i = 0; i < a->nrows; i++) {
		const struct attrib_row *row = &a->rows[i];
		struct json_object *o, *t;

		if (i >= a->top) {
			calls += row->calls;
			waits += row->lock.waits;
			continue;
		}
		o = json_object_new_object();
		t = json_object_new_object();
		ADD(o, a->by == BY_PROCESS ? "pid" : "cgroup_id", U64(row->id));
		ADD(o, a->by == BY_PROCESS ? "comm" : "cgroup",
		    json_object_new_string(row->name));
		ADD(o, "calls", U64(row->calls));
		for (int k = 0; k < r->ntargets; k++)
			if (row->t[k].count)
				ADD(t, r->targets[k].name,
				    val_json(&row->t[k]));
		ADD(o, "targets", t);
		ADD(o, "lock_waits",
		    waits_json(row->lock.waits, row->lock.wait_ns,
			       row->lock.wait_max_ns));
		json_object_array_add(rows, o);
	}
	if (a->nrows > a->top) {
		struct json_object *o = json_object_new_object();

		ADD(o, "other", json_object_new_int(a->nrows - a->top));
		ADD(o, "calls", U64(calls));
		ADD(o, "lock_waits", waits_json(waits, 0, 0));
		json_object_array_add(rows, o);
	}
	return rows;
}

static struct json_object *stacks_json(const struct attrib_result *a,
				       const struct attrib_stack *v, int n)
{
	struct json_object *arr = json_object_new_array();

	for (int i = 0; i < n && i < a->top; i++) {
		struct json_object *o = waits_json(
			v[i].w.count, v[i].w.total_ns, v[i].w.max_ns);
		struct json_object *f = json_object_new_array();
		char name[160];
		int c = attrib_caller_frame(&v[i], a->ksyms);

		for (int d = 0; d < v[i].depth; d++) {
			ksyms_name(a->ksyms, v[i].ip[d], name, sizeof(name));
			json_object_array_add(f, json_object_new_string(name));
		}
		ADD(o, "frames", f);
		if (c >= 0)
			ksyms_name(a->ksyms, v[i].ip[c], name, sizeof(name));
		ADD(o, "caller", c >= 0 ? json_object_new_string(name) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *owners_json(const struct attrib_result *a)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ow = json_object_new_array();
	struct json_object *m = json_object_new_object();

	for (int i = 0; i < a->nowners && i < a->top; i++) {
		const struct attrib_owner *x = &a->owner_v[i];
		struct json_object *e =
			waits_json(x->w.count, x->w.total_ns, x->w.max_ns);
		char comm[TASK_COMM_LEN_ + 1];

		snprintf(comm, sizeof(comm), "%.*s", TASK_COMM_LEN_, x->k.comm);
		ADD(e, "pid", U64(x->k.pid));
		ADD(e, "tgid", U64(x->k.tgid));
		ADD(e, "comm", json_object_new_string(comm));
		json_object_array_add(ow, e);
	}
	ADD(o, "owners", ow);
	ADD(o, "owners_total", json_object_new_int(a->nowners));
	ADD(o, "owner_stacks",
	    a->owner_stacks ?
		    stacks_json(a, a->owner_stacks_v, a->nowner_stacks) :
		    NULL);
	ADD(o, "owner_stacks_total", json_object_new_int(a->nowner_stacks));
	ADD(o, "waiter_stacks", stacks_json(a, a->waiters, a->nwaiters));
	ADD(o, "waiter_stacks_total", json_object_new_int(a->nwaiters));
	for (int i = 0; i < MISS_REASONS; i++)
		ADD(m, attrib_miss_name(i), U64(a->miss[i]));
	ADD(o, "not_attributed", m);
	return o;
}

static struct json_object *vms_json(const struct attrib_result *a)
{
	struct json_object *o = json_object_new_object();
	struct json_object *v = json_object_new_array();

	ADD(o, "note",
	    a->vm_note[0] ? json_object_new_string(a->vm_note) : NULL);
	for (int i = 0; i < a->nvms; i++) {
		const struct attrib_vm *x = &a->vm_v[i];
		struct json_object *e = json_object_new_object();

		ADD(e, "pid", U64(x->tgid));
		ADD(e, "comm", json_object_new_string(x->comm));
		ADD(e, "how",
		    json_object_new_string(vm_pmu_kind_name(x->kind)));
		ADD(e, "pmu",
		    x->pmu[0] ? json_object_new_string(x->pmu) : NULL);
		ADD(e, "vms", U64(x->vms));
		ADD(e, "calls", U64(x->calls));
		ADD(e, "failed", U64(x->failed));
		json_object_array_add(v, e);
	}
	ADD(o, "vms", v);
	return o;
}

struct json_object *attrib_json(const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;
	struct json_object *o, *f;

	if (!a)
		return NULL;
	o = json_object_new_object();
	f = json_object_new_array();
	ADD(o, "filter",
	    a->filter[0] ? json_object_new_string(a->filter) : NULL);
	ADD(o, "by", json_object_new_string(attrib_by_name(a->by)));
	ADD(o, "top", json_object_new_int(a->top));
	if (a->by) {
		ADD(o, "rows", rows_json(r));
		ADD(o, "rows_total", json_object_new_int(a->nrows));
		ADD(o, "rows_unrecorded", U64(a->miss[MISS_BY_FULL]));
	}
	if (a->owners)
		ADD(o, "lock", owners_json(a));
	if (a->vms)
		ADD(o, "vms", vms_json(a));
	for (int b = 1; b <= FIELD_ARM_PMU_NAME; b <<= 1)
		if (a->absent & b)
			json_object_array_add(f, json_object_new_string(
							 attrib_field_name(b)));
	ADD(o, "kernel_lacks", f);
	ADD(o, "programs_skipped", U64(a->prog_missed));
	return o;
}
