// SPDX-License-Identifier: GPL-2.0
/* Attribution as text: the top rows, the rest summed as "other". */
#include <string.h>
#include "attrib.h"

/* A figure and its maximum; in an interval the figure alone, since maxima
 * cannot be subtracted. */
static void figure_max(FILE *out, bool interval, const char *figure, double ns)
{
	char max[32];

	if (interval) {
		fprintf(out, "%s\n", figure);
		return;
	}
	format_ns(max, sizeof(max), ns);
	fprintf(out, "%-8s max %s\n", figure, max);
}

static void print_val(FILE *out, bool interval, const char *what,
		      const struct attrib_val *v)
{
	char mean[32];

	format_ns(mean, sizeof(mean),
		  v->timed ? (double)v->sum_ns / v->timed : -1);
	fprintf(out, "    %-28s calls %-8llu untimed %-4llu mean ", what,
		(unsigned long long)v->count,
		(unsigned long long)(v->count - v->timed));
	figure_max(out, interval, mean, v->timed ? (double)v->max_ns : -1);
}

static void print_waits(FILE *out, bool interval, const char *lock,
			const struct attrib_val *v)
{
	char total[32];

	if (!v->waits)
		return;
	format_ns(total, sizeof(total), (double)v->wait_ns);
	fprintf(out, "    %-28s waits %-8llu total ", lock,
		(unsigned long long)v->waits);
	figure_max(out, interval, total, (double)v->wait_max_ns);
}

static void print_rows(FILE *out, const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;
	struct attrib_row other = {};
	int shown = a->nrows < a->top ? a->nrows : a->top;

	fprintf(out, "\nper %s%s (top %d of %d, most calls first):\n",
		attrib_by_name(a->by), a->interval ? " in this interval" : "",
		shown, a->nrows);
	for (int i = 0; i < a->nrows; i++) {
		const struct attrib_row *row = &a->rows[i];

		if (i >= a->top) {
			for (int t = 0; t < r->ntargets; t++)
				other.t[t].count += row->t[t].count;
			other.calls += row->calls;
			other.lock.waits += row->lock.waits;
			continue;
		}
		if (a->by == BY_PROCESS)
			fprintf(out, "  pid %llu %s: calls %llu\n",
				(unsigned long long)row->id, row->name,
				(unsigned long long)row->calls);
		else
			fprintf(out, "  cgroup %s (id %llu): calls %llu\n",
				row->name[0] ? row->name : "(gone)",
				(unsigned long long)row->id,
				(unsigned long long)row->calls);
		for (int t = 0; t < r->ntargets; t++)
			if (row->t[t].count)
				print_val(out, a->interval, r->targets[t].name,
					  &row->t[t]);
		print_waits(out, a->interval, r->lock.name, &row->lock);
	}
	if (a->nrows > a->top)
		fprintf(out, "  other (%d more): calls %llu, %s waits %llu\n",
			a->nrows - a->top, (unsigned long long)other.calls,
			r->lock.name, (unsigned long long)other.lock.waits);
	for (int t = 0; t < r->ntargets; t++)
		if (r->targets[t].mode == ATTACH_INLINE) {
			fprintf(out,
				"  (targets timed at inline sites: their means include the kprobe pair's cost, which each target's body line gives)\n");
			break;
		}
}

static void print_stack(FILE *out, const struct attrib_result *a,
			const struct attrib_stack *s, bool waiter)
{
	int from = waiter ? attrib_first_mutex_frame(s, a->ksyms) : 0;
	char name[160];

	if (from)
		fprintf(out, "      (%d frames of the tracepoint and BPF)\n",
			from);
	for (int i = from; i < s->depth; i++) {
		ksyms_name(a->ksyms, s->ip[i], name, sizeof(name));
		fprintf(out, "      %s\n", name);
	}
}

static void print_agg(FILE *out, bool interval, const struct wait_agg *w)
{
	char total[32], max[32];

	format_ns(total, sizeof(total), (double)w->total_ns);
	format_ns(max, sizeof(max), (double)w->max_ns);
	fprintf(out, "waits %llu  total %s", (unsigned long long)w->count,
		total);
	if (!interval)
		fprintf(out, "  max %s", max);
}

static void print_stacks(FILE *out, const struct attrib_result *a,
			 const char *title, const struct attrib_stack *v, int n,
			 bool waiter)
{
	struct wait_agg other = {};

	if (!n) {
		fprintf(out, "  %s: none recorded\n", title);
		return;
	}
	fprintf(out, "  %s (top %d of %d):\n", title, n < a->top ? n : a->top,
		n);
	for (int i = 0; i < n; i++) {
		if (i >= a->top) {
			other.count += v[i].w.count;
			other.total_ns += v[i].w.total_ns;
			continue;
		}
		fprintf(out, "    ");
		print_agg(out, false, &v[i].w);
		fputc('\n', out);
		print_stack(out, a, &v[i], waiter);
	}
	if (n > a->top) {
		fprintf(out, "    other (%d more stacks): ", n - a->top);
		print_agg(out, false, &other);
		fputc('\n', out);
	}
}

static void print_owners(FILE *out, const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;
	bool any = false;

	fprintf(out, "\n%s: who held it when a reader began to wait%s\n",
		r->lock.name, a->interval ? ", in this interval" : "");
	fprintf(out, "  owners (top %d of %d):\n",
		a->nowners < a->top ? a->nowners : a->top, a->nowners);
	for (int i = 0; i < a->nowners && i < a->top; i++) {
		const struct attrib_owner *o = &a->owner_v[i];

		fprintf(out, "    pid %u (process %u %.*s): ", o->k.pid,
			o->k.tgid, TASK_COMM_LEN_, o->k.comm);
		print_agg(out, a->interval, &o->w);
		fputc('\n', out);
	}
	if (a->interval)
		fprintf(out, "  (owner and waiter stacks: at the end)\n");
	else if (a->owner_stacks)
		print_stacks(out, a, "owner stacks", a->owner_stacks_v,
			     a->nowner_stacks, false);
	else
		fprintf(out,
			"  owner stacks: this kernel has no bpf_task_from_pid (6.2+)\n");
	if (!a->interval)
		print_stacks(out, a, "waiter stacks", a->waiters, a->nwaiters,
			     true);
	fprintf(out, "  not attributed:");
	for (int m = 0; m < MISS_REASONS; m++) {
		if (!a->miss[m] || m == MISS_VM_FULL || m == MISS_BY_FULL)
			continue;
		fprintf(out, " %s %llu", attrib_miss_name(m),
			(unsigned long long)a->miss[m]);
		any = true;
	}
	fprintf(out, "%s\n", any ? "" : " none");
}

static void print_vms(FILE *out, const struct attrib_result *a)
{
	fprintf(out, "\nVMs and host PMUs (per VMM process):\n");
	if (a->vm_note[0])
		fprintf(out, "  (%s)\n", a->vm_note);
	for (int i = 0; i < a->nvms; i++) {
		const struct attrib_vm *v = &a->vm_v[i];

		fprintf(out,
			"  pid %u %s: %s PMU %s: %llu VMs, %llu calls, %llu failed\n",
			v->tgid, v->comm, vm_pmu_kind_name(v->kind),
			v->pmu[0] ? v->pmu : "(none)",
			(unsigned long long)v->vms,
			(unsigned long long)v->calls,
			(unsigned long long)v->failed);
	}
	if (!a->nvms && !a->vm_note[0])
		fprintf(out, "  none seen\n");
}

void render_attrib(FILE *out, const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;

	if (!a)
		return;
	if (a->fentry_forced)
		fprintf(out,
			"\nattribution traced with fentry/fexit: this kernel's fsession programs carry none\n");
	if (a->filter[0])
		fprintf(out, "\nfiltered in BPF: only %s\n", a->filter);
	if (a->by)
		print_rows(out, r);
	if (a->owners)
		print_owners(out, r);
	if (a->vms)
		print_vms(out, a);
	for (int b = 1; b <= FIELD_ARM_PMU_NAME; b <<= 1)
		if (a->absent & b)
			fprintf(out,
				"this kernel lacks %s: what needs it is not shown\n",
				attrib_field_name(b));
	if (a->miss[MISS_BY_FULL] || a->miss[MISS_VM_FULL])
		fprintf(out,
			"did not fit in BPF maps: %llu %s updates, %llu VM updates\n",
			(unsigned long long)a->miss[MISS_BY_FULL],
			attrib_by_name(a->by),
			(unsigned long long)a->miss[MISS_VM_FULL]);
	if (a->prog_missed)
		fprintf(out,
			"attribution programs skipped by the kernel: %llu\n",
			(unsigned long long)a->prog_missed);
}
