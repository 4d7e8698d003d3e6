/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution (who waited, who held, which VM got which PMU): the layout the
 * BPF side (bpf/attrib.bpf.h) and the loader (user/trace/attrib*.c) share.
 * Every map here is bounded; what does not fit is counted, never lost
 * silently.
 */
#ifndef PMUTRACE_ATTRIB_H
#define PMUTRACE_ATTRIB_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* -p PID given at most this many times. */
#define ATTRIB_MAX_PIDS 8
/* Default size of the per-process/cgroup map (--by-entries changes it). */
#define ATTRIB_DEFAULT_KEYS 1024
/* Distinct waiter stacks, owners, owner stacks and VMs kept. */
#define ATTRIB_MAX_STACKS 512
/* Frames kept of a waiter's and of an owner's kernel stack. */
#define ATTRIB_STACK_DEPTH 32
/* Row of a process or cgroup that holds its lock waits, not a target. */
#define ATTRIB_LOCK_SLOT 15
#define TASK_COMM_LEN_ 16
#define PMU_NAME_LEN 32

enum attrib_by {
	BY_NONE = 0,
	BY_PROCESS, /* key: tgid */
	BY_CGROUP, /* key: cgroup v2 id (its directory's inode number) */
};

struct attrib_key {
	__u64 id;
	__u32 slot; /* target slot, or ATTRIB_LOCK_SLOT */
	__u32 pad;
};

/* Per key, per CPU: one writer per CPU, plain adds. */
struct attrib_val {
	__u64 count; /* calls completed */
	__u64 timed; /* of those, with their entry: in sum/min/max */
	__u64 sum_ns;
	__u64 min_ns;
	__u64 max_ns;
	__u64 waits; /* ATTRIB_LOCK_SLOT: contended waits */
	__u64 wait_ns;
	__u64 wait_max_ns;
	char comm[TASK_COMM_LEN_]; /* BY_PROCESS: the group leader's */
};

/* Waits summed by one thing (a stack, an owner): a shared hash, atomics. */
struct wait_agg {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns; /* racy maximum: good enough for a report */
};

struct owner_key {
	__u32 pid; /* the thread that held the lock */
	__u32 tgid;
	char comm[TASK_COMM_LEN_];
};

struct stack_key {
	__u64 ip[ATTRIB_STACK_DEPTH];
};

enum vm_pmu_kind {
	VM_PMU_DEFAULT, /* kvm_arm_set_default_pmu: probed at vCPU init */
	VM_PMU_SET, /* KVM_ARM_VCPU_PMU_V3_SET_PMU */
	VM_PMU_KINDS,
};

struct vm_key {
	__u64 kvm; /* the struct kvm: one VM */
	__u32 vm_pid; /* kvm->userspace_pid: the thread that created it */
	__u32 kind;
	char pmu[PMU_NAME_LEN]; /* arm_pmu->name, "" when none */
};

struct vm_val {
	__u64 count;
	__u64 failed; /* the call returned an error */
	__u32 tgid; /* the caller: the VMM process */
	char comm[TASK_COMM_LEN_];
};

/* Why attribution missed something; per-CPU counters, one slot each. */
enum attrib_miss {
	MISS_BY_FULL, /* per-process/cgroup map full */
	MISS_STACK, /* bpf_get_stackid failed (stack map full or collision) */
	MISS_WAITER_FULL, /* waiter-stack aggregate full */
	MISS_OWNER_FULL, /* owner aggregate full */
	MISS_OWNER_STACK_FULL, /* owner-stack aggregate full */
	MISS_NO_OWNER, /* owner field empty when the wait began */
	MISS_OWNER_RUNNING, /* owner on a CPU, or ran while its stack was read */
	MISS_OWNER_STACK, /* owner gone, or its stack unreadable */
	MISS_NO_STATE, /* no task storage for the waiter */
	MISS_VM_FULL, /* VM map full */
	MISS_REASONS,
};

/* Kernel fields the CO-RE reads found missing: bits of attrib_absent. */
enum attrib_field {
	FIELD_MUTEX_OWNER = 1 << 0, /* struct mutex.owner */
	FIELD_TASK_ON_CPU = 1 << 1, /* struct task_struct.on_cpu */
	FIELD_KVM_USERSPACE_PID = 1 << 2, /* struct kvm.userspace_pid */
	FIELD_KVM_ARM_PMU = 1 << 3, /* struct kvm_arch.arm_pmu */
	FIELD_ARM_PMU_NAME = 1 << 4, /* struct arm_pmu.name */
};

#endif /* PMUTRACE_ATTRIB_H */
