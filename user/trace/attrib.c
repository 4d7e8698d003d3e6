// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution: options into read-only data, the programs of
 * bpf/attrib.bpf.h attached, and their maps read back and sorted.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "attrib.h"
#include "pmutrace.skel.h"

#define MAX_ATTRIB_LINKS 4

static struct bpf_link *links[MAX_ATTRIB_LINKS];
static int nlinks;

/* The cgroup v2 mount (from mountinfo), /sys/fs/cgroup when not found. */
static const char *cgroup2_root(void)
{
	static char root[ATTRIB_NAME_LEN] = "/sys/fs/cgroup";
	char line[1024], mnt[ATTRIB_NAME_LEN], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 ||
		    strcmp(fstype, "cgroup2") ||
		    sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1)
			continue;
		snprintf(root, sizeof(root), "%s", mnt);
		break;
	}
	if (f)
		fclose(f);
	return root;
}

/* -c: an absolute path under the mount, or a path as /proc/PID/cgroup
 * shows it (relative to the mount). */
static int open_cgroup(struct attrib_result *a, const char *arg)
{
	char path[2 * ATTRIB_NAME_LEN];
	struct statfs fs;
	size_t n = strlen(a->cgroup_root);

	if (!strncmp(arg, a->cgroup_root, n) && (!arg[n] || arg[n] == '/'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/%s", a->cgroup_root,
			 arg[0] == '/' ? arg + 1 : arg);
	a->cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->cgroup_fd < 0)
		return report_error(EXIT_USAGE, "-c %s: cannot open %s: %s",
				    arg, path, strerror(errno));
	if (fstatfs(a->cgroup_fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		return report_error(EXIT_USAGE,
				    "-c %s: %s is not a cgroup v2 directory",
				    arg, path);
	return 0;
}

int attrib_prepare(const struct options *o, struct run_result *r,
		   const struct btf *btf)
{
	struct attrib_result *a;
	size_t len = 0;

	if (!o->by && !o->npids && !o->cgroup && !o->owners && !o->vms)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return report_error(EXIT_RUNTIME, "out of memory");
	r->attrib = a;
	/* The fsession programs (7.x) carry no attribution, the fentry/fexit
	 * pair's attrib_ twins do: such a run loads the plain object. */
	a->fentry_forced = r->probe == PROBE_SESSION;
	if (a->fentry_forced)
		r->probe = PROBE_FENTRY;
	a->by = o->by;
	a->top = o->top ? o->top : ATTRIB_DEFAULT_TOP;
	a->by_entries = o->by_entries;
	a->owners = o->owners && r->lock.traced;
	a->vms = o->vms;
	a->cgroup_fd = -1;
	a->cgroup_root = cgroup2_root();
	a->npids = o->npids;
	memcpy(a->pids, o->pids, sizeof(a->pids));
	for (int i = 0; i < o->npids; i++)
		len += snprintf(a->filter + len, sizeof(a->filter) - len,
				"%s-p %u", len ? " " : "", o->pids[i]);
	if (o->cgroup) {
		snprintf(a->filter + len, sizeof(a->filter) - len, "%s-c %s",
			 len ? " " : "", o->cgroup);
		if (open_cgroup(a, o->cgroup))
			return EXIT_USAGE;
	}
	/* 6.1 has no bpf_task_from_pid: owners, but not their stacks. */
	a->owner_stacks = a->owners &&
			  btf__find_by_name_kind(btf, "bpf_task_from_pid",
						 BTF_KIND_FUNC) > 0;
	if (o->owners && !r->lock.traced)
		fprintf(stderr,
			"pmutrace: --owners: no lock is watched, so no owners\n");
	/* Each VM program names its function: load only those that exist. */
	a->vm_default_fn = btf__find_by_name_kind(btf,
						  "kvm_arm_set_default_pmu",
						  BTF_KIND_FUNC) > 0;
	a->vm_set_fn = btf__find_by_name_kind(btf, "kvm_arm_pmu_v3_set_attr",
					      BTF_KIND_FUNC) > 0;
	if (a->vms && r->probe != PROBE_FENTRY)
		snprintf(a->vm_note, sizeof(a->vm_note),
			 "VMs are read at fexit: this kernel has no fentry");
	else if (a->vms && !a->vm_default_fn && !a->vm_set_fn)
		snprintf(
			a->vm_note, sizeof(a->vm_note),
			"neither kvm_arm_set_default_pmu nor kvm_arm_pmu_v3_set_attr is in this kernel's BTF");
	else if (a->vms && !a->vm_default_fn)
		snprintf(
			a->vm_note, sizeof(a->vm_note),
			"kvm_arm_set_default_pmu is not in this kernel: SET_PMU calls only");
	a->kallsyms = o->kallsyms;
	return 0;
}

void attrib_free(struct run_result *r)
{
	struct attrib_result *a = r->attrib;

	if (!a)
		return;
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	ksyms_free(a->ksyms);
	free(a->rows);
	free(a->waiters);
	free(a->owner_stacks_v);
	free(a->owner_v);
	free(a->vm_v);
	free(a->base.rows);
	free(a->base.owners);
	free(a);
	r->attrib = NULL;
}

bool attrib_per_call(const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;

	return a && (a->by || a->npids || a->cgroup_fd >= 0);
}

int attrib_configure(struct pmutrace_bpf *s, const struct run_result *r,
		     struct bpf_program **used, int *n)
{
	const struct attrib_result *a = r->attrib;
	bool lock_progs;

	if (!a)
		return 0;
	for (int i = 0; i < a->npids; i++)
		s->rodata->filter_pids[i] = a->pids[i];
	s->rodata->filter_npids = a->npids;
	s->rodata->attrib_by = a->by;
	s->rodata->attrib_on = attrib_per_call(r);
	if (a->by && a->by_entries &&
	    bpf_map__set_max_entries(s->maps.attrib_rows, a->by_entries))
		return -EINVAL;
	s->rodata->attrib_owners = a->owners;
	s->rodata->filter_cgroup = a->cgroup_fd >= 0;
	lock_progs = r->lock.traced && (a->by || a->owners);
	if (lock_progs) {
		used[(*n)++] = a->owner_stacks ? s->progs.attrib_begin_stacks :
						 s->progs.attrib_begin_nostacks;
		used[(*n)++] = s->progs.attrib_end;
	}
	if (a->vms && r->probe == PROBE_FENTRY) {
		if (a->vm_default_fn)
			used[(*n)++] = s->progs.vm_default_pmu;
		if (a->vm_set_fn)
			used[(*n)++] = s->progs.vm_set_pmu;
	}
	return 0;
}

int attrib_loaded(struct pmutrace_bpf *s, const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;
	__u32 zero = 0;

	if (!a || a->cgroup_fd < 0)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(s->maps.cgroup_filter), &zero,
				&a->cgroup_fd, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_prog(struct bpf_program *p)
{
	struct bpf_link *l;

	if (!bpf_program__autoload(p))
		return 0;
	l = bpf_program__attach(p);
	if (!l)
		return -errno;
	links[nlinks++] = l;
	return 0;
}

int attrib_attach(struct pmutrace_bpf *s, struct run_result *r)
{
	struct attrib_result *a = r->attrib;
	struct bpf_program *p[] = { s->progs.attrib_begin_stacks,
				    s->progs.attrib_begin_nostacks,
				    s->progs.attrib_end };
	int err;

	if (!a)
		return 0;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		err = attach_prog(p[i]);
		if (err)
			return err;
	}
	if (attach_prog(s->progs.vm_default_pmu) ||
	    attach_prog(s->progs.vm_set_pmu))
		snprintf(
			a->vm_note, sizeof(a->vm_note),
			"kvm_arm_set_default_pmu or kvm_arm_pmu_v3_set_attr cannot be traced here");
	/* Symbols now: every program is attached, so kallsyms lists their
	 * trampolines too; once privileges are dropped it shows zeros. */
	if (a->owners)
		a->ksyms = ksyms_load(a->kallsyms);
	return 0;
}

void attrib_detach(void)
{
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
}

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
