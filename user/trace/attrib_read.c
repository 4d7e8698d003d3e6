// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution's maps read back (attrib_collect, after the run and at each
 * interval): per-process or per-cgroup rows summed over the CPUs and named,
 * waiter and owner stacks, VMs grouped by VMM and PMU; their sort orders,
 * and which frames of a waiter's stack are the mutex's. Setting the
 * programs up and attaching them is attrib.c.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attrib.h"
#include "pmutrace.skel.h"

/* cgroup id -> path under the mount, for the ids seen. */
static struct attrib_result *walk_into;

static int name_cgroup(const char *path, const struct stat *st, int type,
		       struct FTW *ftw)
{
	struct attrib_result *a = walk_into;
	size_t n = strlen(a->cgroup_root);

	(void)ftw;
	if (type != FTW_D)
		return 0;
	for (int i = 0; i < a->nrows; i++)
		if (a->rows[i].id == (__u64)st->st_ino)
			snprintf(a->rows[i].name, sizeof(a->rows[i].name), "%s",
				 path[n] ? path + n : "/");
	return 0;
}

static void name_rows(struct attrib_result *a)
{
	for (int i = 0; i < a->nrows; i++) {
		struct attrib_row *row = &a->rows[i];
		char p[64];
		FILE *f;

		if (row->name[0] || a->by != BY_PROCESS)
			continue;
		/* The process had no comm in any CPU's copy: ask /proc. */
		snprintf(p, sizeof(p), "/proc/%llu/comm",
			 (unsigned long long)row->id);
		f = fopen(p, "r");
		if (f && fgets(row->name, sizeof(row->name), f))
			row->name[strcspn(row->name, "\n")] = '\0';
		if (f)
			fclose(f);
	}
	if (a->by == BY_CGROUP) {
		walk_into = a;
		nftw(a->cgroup_root, name_cgroup, 16, FTW_PHYS);
	}
}

static void val_add(struct attrib_val *into, const struct attrib_val *v)
{
	if (v->timed && (!into->timed || v->min_ns < into->min_ns))
		into->min_ns = v->min_ns;
	if (v->max_ns > into->max_ns)
		into->max_ns = v->max_ns;
	if (v->wait_max_ns > into->wait_max_ns)
		into->wait_max_ns = v->wait_max_ns;
	into->count += v->count;
	into->timed += v->timed;
	into->sum_ns += v->sum_ns;
	into->waits += v->waits;
	into->wait_ns += v->wait_ns;
	if (!into->comm[0] && v->comm[0])
		memcpy(into->comm, v->comm, sizeof(into->comm));
}

static struct attrib_row *row_for(struct attrib_result *a, __u64 id, int *cap)
{
	struct attrib_row *rows;

	for (int i = 0; i < a->nrows; i++)
		if (a->rows[i].id == id)
			return &a->rows[i];
	if (a->nrows == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		rows = realloc(a->rows, *cap * sizeof(*rows));
		if (!rows)
			return NULL;
		a->rows = rows;
	}
	rows = &a->rows[a->nrows++];
	memset(rows, 0, sizeof(*rows));
	rows->id = id;
	return rows;
}

static int row_cmp(const void *x, const void *y)
{
	const struct attrib_row *a = x, *b = y;

	if (a->calls != b->calls)
		return a->calls < b->calls ? 1 : -1;
	if (a->lock.waits != b->lock.waits)
		return a->lock.waits < b->lock.waits ? 1 : -1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int read_rows(struct pmutrace_bpf *s, struct attrib_result *a)
{
	int fd = bpf_map__fd(s->maps.attrib_rows), ncpus, cap = 0;
	struct attrib_key k, *prev = NULL;
	struct attrib_val *v;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->nrows = 0;
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		struct attrib_val sum = {};
		struct attrib_row *row;

		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (int c = 0; c < ncpus; c++)
			val_add(&sum, &v[c]);
		row = row_for(a, k.id, &cap);
		if (!row)
			break;
		if (k.slot == ATTRIB_LOCK_SLOT)
			val_add(&row->lock, &sum);
		else if (k.slot < PMUTRACE_MAX_TARGETS) {
			val_add(&row->t[k.slot], &sum);
			row->calls += sum.count;
		}
		if (!row->name[0] && sum.comm[0])
			snprintf(row->name, sizeof(row->name), "%.*s",
				 TASK_COMM_LEN_, sum.comm);
	}
	free(v);
	name_rows(a);
	attrib_sort_rows(a);
	return 0;
}

static int agg_cmp(const struct wait_agg *a, const struct wait_agg *b)
{
	if (a->total_ns != b->total_ns)
		return a->total_ns < b->total_ns ? 1 : -1;
	return a->count < b->count ? 1 : a->count > b->count ? -1 : 0;
}

static int stack_cmp(const void *x, const void *y)
{
	return agg_cmp(&((const struct attrib_stack *)x)->w,
		       &((const struct attrib_stack *)y)->w);
}

static int owner_cmp(const void *x, const void *y)
{
	return agg_cmp(&((const struct attrib_owner *)x)->w,
		       &((const struct attrib_owner *)y)->w);
}

void attrib_sort_rows(struct attrib_result *a)
{
	qsort(a->rows, a->nrows, sizeof(*a->rows), row_cmp);
}

void attrib_sort_owners(struct attrib_result *a)
{
	qsort(a->owner_v, a->nowners, sizeof(*a->owner_v), owner_cmp);
}

static int stack_depth(const __u64 *ip)
{
	int d = 0;

	while (d < ATTRIB_STACK_DEPTH && ip[d])
		d++;
	return d;
}

/* Read a hash of wait_agg values with key_size keys into n records of
 * rec_size bytes: the key at key_off, the aggregate at agg_off. */
static int read_aggs(int fd, size_t key_size, void **out, int *n,
		     size_t rec_size, size_t key_off, size_t agg_off)
{
	char key[sizeof(struct stack_key)], next[sizeof(struct stack_key)];
	void *prev = NULL;
	int cap = 0;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		struct wait_agg w;
		char *rec;

		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &w))
			continue;
		if (*n == cap) {
			void *p;

			cap = cap ? 2 * cap : 32;
			p = realloc(*out, cap * rec_size);
			if (!p)
				return -ENOMEM;
			*out = p;
		}
		rec = (char *)*out + (size_t)(*n)++ * rec_size;
		memset(rec, 0, rec_size);
		memcpy(rec + key_off, key, key_size);
		memcpy(rec + agg_off, &w, sizeof(w));
	}
	return 0;
}

static int read_owners(struct pmutrace_bpf *s, struct attrib_result *a)
{
	int fd = bpf_map__fd(s->maps.waiter_waits), err, n;
	struct attrib_stack *st;
	__u32 id;

	/* Waiters: the key is a stack id, its frames are in wait_stacks. */
	err = read_aggs(fd, sizeof(__s32), (void **)&a->waiters, &a->nwaiters,
			sizeof(*a->waiters),
			offsetof(struct attrib_stack, depth),
			offsetof(struct attrib_stack, w));
	for (int i = 0; !err && i < a->nwaiters; i++) {
		st = &a->waiters[i];
		id = (__u32)st->depth;
		if (bpf_map_lookup_elem(bpf_map__fd(s->maps.wait_stacks), &id,
					st->ip))
			memset(st->ip, 0, sizeof(st->ip));
		st->depth = stack_depth(st->ip);
	}
	if (!err)
		err = read_aggs(bpf_map__fd(s->maps.owner_stack_waits),
				sizeof(struct stack_key),
				(void **)&a->owner_stacks_v, &a->nowner_stacks,
				sizeof(*a->owner_stacks_v),
				offsetof(struct attrib_stack, ip),
				offsetof(struct attrib_stack, w));
	for (int i = 0; !err && i < a->nowner_stacks; i++)
		a->owner_stacks_v[i].depth =
			stack_depth(a->owner_stacks_v[i].ip);
	if (!err)
		err = read_aggs(bpf_map__fd(s->maps.owner_waits),
				sizeof(struct owner_key), (void **)&a->owner_v,
				&n, sizeof(*a->owner_v),
				offsetof(struct attrib_owner, k),
				offsetof(struct attrib_owner, w));
	if (err)
		return err;
	a->nowners = n;
	qsort(a->waiters, a->nwaiters, sizeof(*a->waiters), stack_cmp);
	qsort(a->owner_stacks_v, a->nowner_stacks, sizeof(*a->owner_stacks_v),
	      stack_cmp);
	attrib_sort_owners(a);
	return 0;
}

/* VMs grouped by VMM process, kind and PMU; distinct struct kvm counted. */
static int read_vms(struct pmutrace_bpf *s, struct attrib_result *a)
{
	int fd = bpf_map__fd(s->maps.vm_pmus), cap = 0;
	struct vm_key k, *prev = NULL;
	struct vm_val v;

	a->nvms = 0;
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		struct attrib_vm *g = NULL;

		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		for (int i = 0; i < a->nvms && !g; i++)
			if (a->vm_v[i].tgid == v.tgid &&
			    a->vm_v[i].kind == k.kind &&
			    !strncmp(a->vm_v[i].pmu, k.pmu, PMU_NAME_LEN))
				g = &a->vm_v[i];
		if (!g) {
			if (a->nvms == cap) {
				void *p;

				cap = cap ? 2 * cap : 16;
				p = realloc(a->vm_v, cap * sizeof(*a->vm_v));
				if (!p)
					return -ENOMEM;
				a->vm_v = p;
			}
			g = &a->vm_v[a->nvms++];
			memset(g, 0, sizeof(*g));
			g->tgid = v.tgid;
			g->kind = k.kind;
			memcpy(g->comm, v.comm, sizeof(g->comm));
			memcpy(g->pmu, k.pmu, sizeof(g->pmu));
			g->pmu[PMU_NAME_LEN - 1] = '\0';
			g->comm[TASK_COMM_LEN_ - 1] = '\0';
		}
		g->vms++;
		g->calls += v.count;
		g->failed += v.failed;
	}
	return 0;
}

int attrib_collect(struct pmutrace_bpf *s, struct run_result *r)
{
	struct attrib_result *a = r->attrib;
	struct bpf_program *progs[] = { s->progs.attrib_begin_stacks,
					s->progs.attrib_begin_nostacks,
					s->progs.attrib_end,
					s->progs.vm_default_pmu,
					s->progs.vm_set_pmu };
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	__u64 *per;

	if (!a)
		return 0;
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	per = calloc(ncpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (__u32 m = 0; m < MISS_REASONS; m++) {
		a->miss[m] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(s->maps.attrib_misses), &m,
					per))
			continue;
		for (int c = 0; c < ncpus; c++)
			a->miss[m] += per[c];
	}
	free(per);
	a->prog_missed = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (bpf_program__autoload(progs[i]))
			a->prog_missed += prog_misses(progs[i]);
	a->absent = s->bss->attrib_absent;
	if (a->by)
		err = read_rows(s, a);
	if (!err && a->owners)
		err = read_owners(s, a);
	if (!err && a->vms)
		err = read_vms(s, a);
	return err;
}

static bool is_mutex_frame(const char *name)
{
	return !strncmp(name, "mutex_lock", 10) ||
	       !strncmp(name, "__mutex_lock", 12);
}

/* The frame that called mutex_lock: after the last mutex frame (the
 * tracepoint and BPF glue come before it), skipping trampolines. */
int attrib_caller_frame(const struct attrib_stack *s,
			const struct ksym_table *t)
{
	char name[128];
	int last = -1;

	for (int i = 0; i < s->depth; i++) {
		ksyms_name(t, s->ip[i], name, sizeof(name));
		if (is_mutex_frame(name))
			last = i;
	}
	if (last < 0)
		return -1;
	for (int i = last + 1; i < s->depth; i++) {
		ksyms_name(t, s->ip[i], name, sizeof(name));
		if (strncmp(name, "bpf_", 4))
			return i;
	}
	return -1;
}

/* Where a waiter's stack starts for people: its first mutex frame. */
int attrib_first_mutex_frame(const struct attrib_stack *s,
			     const struct ksym_table *t)
{
	char name[128];

	for (int i = 0; i < s->depth; i++) {
		ksyms_name(t, s->ip[i], name, sizeof(name));
		if (is_mutex_frame(name))
			return i;
	}
	return 0;
}
