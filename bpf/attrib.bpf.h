/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution, included once by pmutrace.bpf.c after its cfg:
 * - the -p/-c filter (attrib_selected), one early return in each entry and
 *   exit program;
 * - per-process or per-cgroup rows (attrib_add), opt-in with --by;
 *   both live only in the attrib_ twins of the slot and inline-site
 *   programs, so the default per-call path does not grow;
 * - who waited and who held arm_pmus_lock (attrib_begin/end, --owners):
 *   programs of their own on the contention tracepoints, which fire only
 *   on the slow path;
 * - which VM got which host PMU (vm_default_pmu, vm_set_pmu, --vms).
 */
#include "pmutrace_attrib.h"

#define ATTRIB_EEXIST 17

/* Any of --by, -p, -c: the attrib_ slot programs are loaded. */
const volatile bool attrib_on;
const volatile __u32 attrib_by;
const volatile __u32 filter_npids;
const volatile __u32 filter_pids[ATTRIB_MAX_PIDS];
const volatile bool filter_cgroup;
const volatile bool attrib_owners;
/* Kernel fields found missing by CO-RE (enum attrib_field bits); a plain
 * or: the bits are the same on every run of one kernel. */
__u32 attrib_absent;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* Per-CPU values, allocated on first use: memory follows the keys seen. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ATTRIB_DEFAULT_KEYS);
	__type(key, struct attrib_key);
	__type(value, struct attrib_val);
} attrib_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MISS_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} attrib_misses SEC(".maps");

static __always_inline void attrib_miss(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&attrib_misses, &reason);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Is the current task one -p/-c asked for? Everything, when neither. */
static __always_inline bool attrib_selected(void)
{
	if (filter_npids) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		bool found = false;

		for (int i = 0; i < ATTRIB_MAX_PIDS; i++)
			if (i < filter_npids && filter_pids[i] == tgid)
				found = true;
		if (!found)
			return false;
	}
	if (filter_cgroup &&
	    bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

/* An event on the watched lock by a task -p/-c select (all, without them):
 * what contention and hold programs record. */
static __always_inline bool lock_event_selected(void *lock)
{
	return (__u64)lock == cfg.lock_addr &&
	       (!attrib_on || attrib_selected());
}

static __always_inline void read_leader_comm(char *comm)
{
	struct task_struct *t = bpf_get_current_task_btf();

	BPF_CORE_READ_STR_INTO((char(*)[TASK_COMM_LEN_])comm, t, group_leader,
			       comm);
}

/* The current process's (or cgroup's) row for slot, created if new. */
static __always_inline struct attrib_val *attrib_row(__u32 slot)
{
	struct attrib_key k = { .slot = slot };
	struct attrib_val *v, zero = {};
	long err;

	k.id = attrib_by == BY_PROCESS ? bpf_get_current_pid_tgid() >> 32 :
					 bpf_get_current_cgroup_id();
	v = bpf_map_lookup_elem(&attrib_rows, &k);
	if (v)
		return v;
	if (attrib_by == BY_PROCESS)
		read_leader_comm(zero.comm);
	err = bpf_map_update_elem(&attrib_rows, &k, &zero, BPF_NOEXIST);
	if (err && err != -ATTRIB_EEXIST) {
		attrib_miss(MISS_BY_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&attrib_rows, &k);
}

/* One completed call of slot, d ns long; timed false: its entry was not
 * seen, and d means nothing. */
static __always_inline void attrib_add(__u32 slot, bool timed, __u64 d)
{
	struct attrib_val *v;

	if (attrib_by == BY_NONE)
		return;
	v = attrib_row(slot);
	if (!v)
		return;
	v->count++;
	if (!timed)
		return;
	if (!v->timed || d < v->min_ns)
		v->min_ns = d;
	if (d > v->max_ns)
		v->max_ns = d;
	v->timed++;
	v->sum_ns += d;
}

/* One completed call of slot from its entry's start (0: not seen). */
static __always_inline void attrib_call(__u32 slot, __u64 start)
{
	if (attrib_by != BY_NONE)
		attrib_add(slot, start != 0,
			   start ? bpf_ktime_get_ns() - start : 0);
}

/* Shared aggregates: atomic adds, a racy maximum. */
/*
 * Who waited and who held, and which VM got which PMU: attribution's own
 * programs, loaded with the plain object only. The session object (7.x,
 * PMUTRACE_SESSION_OBJ) never runs them, so it does not carry them or
 * create their maps.
 */
#ifndef PMUTRACE_SESSION_OBJ
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, ATTRIB_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, ATTRIB_STACK_DEPTH * sizeof(__u64));
} wait_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ATTRIB_MAX_STACKS);
	__type(key, __s32);
	__type(value, struct wait_agg);
} waiter_waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ATTRIB_MAX_STACKS);
	__type(key, struct owner_key);
	__type(value, struct wait_agg);
} owner_waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ATTRIB_MAX_STACKS);
	__type(key, struct stack_key);
	__type(value, struct wait_agg);
} owner_stack_waits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ATTRIB_MAX_STACKS);
	__type(key, struct vm_key);
	__type(value, struct vm_val);
} vm_pmus SEC(".maps");

/* A waiter's state between contention_begin and _end. */
struct wait_state {
	__u64 start;
	__s32 stackid;
	__u32 owner_stack; /* ip holds the owner's stack */
	__u32 owner_running; /* the owner was on a CPU: no stack */
	struct owner_key owner; /* pid 0: none seen */
	struct stack_key ip;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wait_state);
} wait_states SEC(".maps");

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

static __always_inline void wait_add(void *map, void *key, __u64 d, __u32 full)
{
	struct wait_agg *a = bpf_map_lookup_elem(map, key), zero = {};
	long err;

	if (!a) {
		err = bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		if (err && err != -ATTRIB_EEXIST) {
			attrib_miss(full);
			return;
		}
		a = bpf_map_lookup_elem(map, key);
		if (!a)
			return;
	}
	__sync_fetch_and_add(&a->count, 1);
	__sync_fetch_and_add(&a->total_ns, d);
	if (d > a->max_ns)
		a->max_ns = d;
}

/* PREEMPT_RT builds struct mutex on an rt_mutex, whose owner's bit 0 says
 * "has waiters". */
struct mutex___rt {
	struct rt_mutex_base rtmutex;
};

/* The task holding m, NULL when it is free: the owner field's low bits are
 * flags (3 in a mutex, 1 in an rt_mutex). *absent: neither layout here. */
static __always_inline struct task_struct *mutex_owner(struct mutex *m,
						       bool *absent)
{
	struct mutex___rt *rt = (void *)m;

	*absent = false;
	if (bpf_core_field_exists(m->owner))
		return (void *)(BPF_CORE_READ(m, owner.counter) & ~7UL);
	if (bpf_core_field_exists(rt->rtmutex))
		return (void *)((unsigned long)BPF_CORE_READ(rt,
							     rtmutex.owner) &
				~1UL);
	*absent = true;
	return NULL;
}

/* Context switches of task t: unchanged means it has not run in between. */
static __always_inline __u64 switch_count(struct task_struct *t)
{
	return BPF_CORE_READ(t, nvcsw) + BPF_CORE_READ(t, nivcsw);
}

/*
 * The owner as the mutex records it (the low 3 bits of owner are flags),
 * and its kernel stack when it is off CPU: arm64 unwinds another task
 * from where it last switched out, which for a running task is stale.
 * A mutex reports "begin" again before it sleeps, when the spinning gave
 * up, often because the owner was preempted: the stack is retried then.
 */
static __always_inline void note_owner(struct mutex *m, struct wait_state *ws,
				       bool with_stack)
{
	struct task_struct *owner, *t;
	__u64 switches;
	bool absent;
	long n;

	owner = mutex_owner(m, &absent);
	if (absent) {
		attrib_absent |= FIELD_MUTEX_OWNER;
		return;
	}
	if (!owner)
		return;
	ws->owner.pid = BPF_CORE_READ(owner, pid);
	ws->owner.tgid = BPF_CORE_READ(owner, tgid);
	BPF_CORE_READ_STR_INTO(&ws->owner.comm, owner, comm);
	if (!with_stack || ws->owner_stack)
		return;
	if (!bpf_core_field_exists(owner->on_cpu))
		attrib_absent |= FIELD_TASK_ON_CPU;
	else if (BPF_CORE_READ(owner, on_cpu)) {
		ws->owner_running = 1;
		return;
	}
	switches = switch_count(owner);
	t = bpf_task_from_pid(ws->owner.pid);
	if (!t)
		return;
	n = bpf_get_task_stack(t, &ws->ip, sizeof(ws->ip), 0);
	bpf_task_release(t);
	if (n <= 0)
		return;
	/*
	 * The owner may have run between the reads: released the lock and
	 * switched out elsewhere, or been running while its stack was read.
	 * The stack is its stack as holder only if it still holds the lock
	 * and has not switched since.
	 */
	if (mutex_owner(m, &absent) != owner ||
	    (bpf_core_field_exists(owner->on_cpu) &&
	     BPF_CORE_READ(owner, on_cpu)) ||
	    switch_count(owner) != switches) {
		ws->owner_running = 1;
		return;
	}
	ws->owner_stack = 1;
	ws->owner_running = 0;
}

static __always_inline int attrib_begin(void *ctx, void *lock, bool with_stack)
{
	struct wait_state *ws;

	if (!lock_event_selected(lock))
		return 0;
	ws = bpf_task_storage_get(&wait_states, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ws) {
		attrib_miss(MISS_NO_STATE);
		return 0;
	}
	if (!ws->start) {
		ws->start = bpf_ktime_get_ns();
		ws->stackid = -1;
		ws->owner_stack = 0;
		ws->owner_running = 0;
		ws->owner.pid = 0;
		if (attrib_owners) {
			ws->stackid = bpf_get_stackid(ctx, &wait_stacks, 0);
			if (ws->stackid < 0)
				attrib_miss(MISS_STACK);
		}
	}
	if (attrib_owners)
		note_owner(lock, ws, with_stack);
	return 0;
}

SEC("tp_btf/contention_begin")
int BPF_PROG(attrib_begin_stacks, void *lock, unsigned int flags)
{
	return attrib_begin(ctx, lock, true);
}

/* Kernels without bpf_task_from_pid (6.1): owners without their stacks. */
SEC("tp_btf/contention_begin")
int BPF_PROG(attrib_begin_nostacks, void *lock, unsigned int flags)
{
	return attrib_begin(ctx, lock, false);
}

SEC("tp_btf/contention_end")
int BPF_PROG(attrib_end, void *lock, int ret)
{
	struct wait_state *ws;
	struct attrib_val *v;
	__u64 d;

	if ((__u64)lock != cfg.lock_addr)
		return 0;
	ws = bpf_task_storage_get(&wait_states, bpf_get_current_task_btf(), 0,
				  0);
	if (!ws || !ws->start)
		return 0;
	d = bpf_ktime_get_ns() - ws->start;
	ws->start = 0;
	if (ret)
		return 0;
	if (attrib_by != BY_NONE) {
		v = attrib_row(ATTRIB_LOCK_SLOT);
		if (v) {
			v->waits++;
			v->wait_ns += d;
			if (d > v->wait_max_ns)
				v->wait_max_ns = d;
		}
	}
	if (!attrib_owners)
		return 0;
	if (ws->stackid >= 0)
		wait_add(&waiter_waits, &ws->stackid, d, MISS_WAITER_FULL);
	if (!ws->owner.pid) {
		attrib_miss(MISS_NO_OWNER);
		return 0;
	}
	wait_add(&owner_waits, &ws->owner, d, MISS_OWNER_FULL);
	if (ws->owner_stack)
		wait_add(&owner_stack_waits, &ws->ip, d, MISS_OWNER_STACK_FULL);
	else
		attrib_miss(ws->owner_running ? MISS_OWNER_RUNNING :
						MISS_OWNER_STACK);
	return 0;
}

/* Which VM (struct kvm) got which host PMU, read where KVM stores it. */
static __always_inline void vm_record(struct kvm *kvm, __u32 kind, int ret)
{
	struct vm_key k = { .kvm = (__u64)kvm, .kind = kind };
	struct vm_val *v, zero = {};
	struct arm_pmu *pmu = NULL;
	long err;

	if (!attrib_selected())
		return;
	if (bpf_core_field_exists(kvm->userspace_pid))
		k.vm_pid = BPF_CORE_READ(kvm, userspace_pid);
	else
		attrib_absent |= FIELD_KVM_USERSPACE_PID;
	if (bpf_core_field_exists(kvm->arch.arm_pmu))
		pmu = BPF_CORE_READ(kvm, arch.arm_pmu);
	else
		attrib_absent |= FIELD_KVM_ARM_PMU;
	if (pmu && bpf_core_field_exists(pmu->name))
		bpf_probe_read_kernel_str(k.pmu, sizeof(k.pmu),
					  BPF_CORE_READ(pmu, name));
	else if (pmu)
		attrib_absent |= FIELD_ARM_PMU_NAME;
	v = bpf_map_lookup_elem(&vm_pmus, &k);
	if (!v) {
		zero.tgid = bpf_get_current_pid_tgid() >> 32;
		read_leader_comm(zero.comm);
		err = bpf_map_update_elem(&vm_pmus, &k, &zero, BPF_NOEXIST);
		if (err && err != -ATTRIB_EEXIST) {
			attrib_miss(MISS_VM_FULL);
			return;
		}
		v = bpf_map_lookup_elem(&vm_pmus, &k);
		if (!v)
			return;
	}
	__sync_fetch_and_add(&v->count, 1);
	if (ret)
		__sync_fetch_and_add(&v->failed, 1);
}

SEC("fexit/kvm_arm_set_default_pmu")
int BPF_PROG(vm_default_pmu, struct kvm *kvm, int ret)
{
	vm_record(kvm, VM_PMU_DEFAULT, ret);
	return 0;
}

SEC("fexit/kvm_arm_pmu_v3_set_attr")
int BPF_PROG(vm_set_pmu, struct kvm_vcpu *vcpu, struct kvm_device_attr *attr,
	     int ret)
{
	if (BPF_CORE_READ(attr, attr) != PMUTRACE_KVM_ARM_VCPU_PMU_V3_SET_PMU)
		return 0;
	vm_record(BPF_CORE_READ(vcpu, kvm), VM_PMU_SET, ret);
	return 0;
}
#endif /* !PMUTRACE_SESSION_OBJ */
