/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution's figures as the tracer reads them back
 * (user/trace/attrib_read.c) and the outputs render them: text and JSON
 * (user/trace), Prometheus (user/export).
 */
#ifndef PMUTRACE_ATTRIB_RESULT_H
#define PMUTRACE_ATTRIB_RESULT_H

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

/* Names for outputs. */
const char *attrib_by_name(enum attrib_by by);
const char *attrib_miss_name(int reason);
const char *attrib_field_name(int bit);
const char *vm_pmu_kind_name(__u32 kind);

#endif /* PMUTRACE_ATTRIB_RESULT_H */
