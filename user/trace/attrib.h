/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution, read back from the BPF maps of bpf/attrib.bpf.h: per process
 * or cgroup, who held the lock and where the waiters were, which VM got
 * which host PMU. Outputs show the top rows and sum the rest as "other".
 */
#ifndef PMUTRACE_ATTRIB_USER_H
#define PMUTRACE_ATTRIB_USER_H

#include "pmutrace_user.h"

#define ATTRIB_DEFAULT_TOP 10
#define ATTRIB_NAME_LEN 256

/* One process or cgroup: a row per target, and its lock waits. */
struct attrib_row {
	__u64 id; /* tgid or cgroup id */
	char name[ATTRIB_NAME_LEN]; /* comm, or the cgroup's path */
	struct attrib_val t[PMUTRACE_MAX_TARGETS];
	struct attrib_val lock;
	__u64 calls; /* over all targets: the sort key */
};

struct attrib_stack {
	int depth;
	__u64 ip[ATTRIB_STACK_DEPTH];
	struct wait_agg w;
};

struct attrib_owner {
	struct owner_key k;
	struct wait_agg w;
};

/* VMs of one VMM process that got one host PMU one way. */
struct attrib_vm {
	__u32 tgid;
	char comm[TASK_COMM_LEN_];
	__u32 kind;
	char pmu[PMU_NAME_LEN];
	__u64 vms, calls, failed;
};

/* What -i's last interval ended with (attrib_interval.c). */
struct attrib_interval_base {
	struct attrib_row *rows; /* sorted by id */
	int nrows, nowners;
	struct attrib_owner *owners;
	__u64 miss[MISS_REASONS];
	__u64 prog_missed;
};

struct attrib_result {
	enum attrib_by by;
	int top;
	__u32 by_entries; /* 0: ATTRIB_DEFAULT_KEYS */
	bool owners, owner_stacks, vms;
	bool vm_default_fn, vm_set_fn; /* in this kernel's BTF */
	bool fentry_forced; /* fsession kernel, traced with fentry/fexit */
	int npids;
	__u32 pids[ATTRIB_MAX_PIDS];
	char filter[ATTRIB_NAME_LEN + 64]; /* -p/-c for people, "" for none */
	char vm_note[128]; /* why VMs are not attributed, "" when they are */
	const char *cgroup_root; /* where cgroup v2 is mounted */
	int cgroup_fd; /* -c's directory, -1 */
	const char *kallsyms; /* path, read once everything is attached */
	struct ksym_table *ksyms;

	int nrows, nwaiters, nowners, nowner_stacks, nvms;
	struct attrib_row *rows; /* sorted: most calls first */
	struct attrib_stack *waiters, *owner_stacks_v; /* most wait first */
	struct attrib_owner *owner_v;
	struct attrib_vm *vm_v;
	__u64 miss[MISS_REASONS];
	__u64 prog_missed; /* runs of attribution programs the kernel skipped */
	__u32 absent; /* enum attrib_field bits */
	bool interval; /* one -i interval: counts and totals, no maxima */
	struct attrib_interval_base base;
};

struct pmutrace_bpf;
struct bpf_program;
struct btf;

/* setup: options to a result, before loading; exit code or 0. */
int attrib_prepare(const struct options *o, struct run_result *r,
		   const struct btf *btf);
void attrib_free(struct run_result *r);
/* Does the per-call path attribute (--by, -p, -c)? Then the slot programs
 * are the attrib_ twins. */
bool attrib_per_call(const struct run_result *r);
/* tracer: before load, after load, attach, detach, read. */
int attrib_configure(struct pmutrace_bpf *s, const struct run_result *r,
		     struct bpf_program **used, int *n);
int attrib_loaded(struct pmutrace_bpf *s, const struct run_result *r);
int attrib_attach(struct pmutrace_bpf *s, struct run_result *r);
void attrib_detach(void);
int attrib_collect(struct pmutrace_bpf *s, struct run_result *r);

/* Most calls first; most total wait first. */
void attrib_sort_rows(struct attrib_result *a);
void attrib_sort_owners(struct attrib_result *a);

/* attrib_interval.c: the rows and owners since the last call (the start,
 * the first time), as a result to render and free; NULL without
 * attribution or memory. */
struct attrib_result *attrib_interval(struct attrib_result *a);
void attrib_interval_free(struct attrib_result *d);

/* Names for outputs. */
const char *attrib_by_name(enum attrib_by by);
const char *attrib_miss_name(int reason);
const char *attrib_field_name(int bit);
const char *vm_pmu_kind_name(__u32 kind);
/* The frame of a waiter's stack that called into the mutex, or NULL. */
int attrib_caller_frame(const struct attrib_stack *s,
			const struct ksym_table *t);
/* Its first mutex frame: the text output starts waiter stacks there. */
int attrib_first_mutex_frame(const struct attrib_stack *s,
			     const struct ksym_table *t);

/* attrib_json.c: the "attribution" object, NULL when none was asked for */
struct json_object;
struct json_object *attrib_json(const struct run_result *r);

/* attrib_render.c: the whole run's, or (a->interval) one interval's */
void render_attrib(FILE *out, const struct run_result *r);

#endif /* PMUTRACE_ATTRIB_USER_H */
