// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace: latency of the traced functions and waits on one mutex.
 *
 * Every event is folded into per-CPU maps here; user space only reads them.
 * Each per-CPU field has a single writer program, and the kernel never runs
 * a program twice on one CPU at once (it skips and counts a "miss"), so plain
 * increments and min/max updates cannot race.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pmutrace.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Filled in by the loader before load; frozen afterwards, so the verifier
 * knows every field and drops the branches they rule out. The loads stay,
 * and each global costs an address load (4 instructions on arm64) of its
 * own: one struct shares one, and the hot paths read it once.
 */
const volatile struct pmutrace_config cfg;

/* scripts/bench/bench-insns.sh's breakdown: parts switched off (BENCH_SKIP_*)
 * in separate builds (make bench-skip); 0 in pmutrace itself. */
#ifndef PMUTRACE_BENCH_SKIP
#define PMUTRACE_BENCH_SKIP 0
#endif

/*
 * The session programs go into an object of their own (pmutrace_sess, built
 * with -DPMUTRACE_SESSION_OBJ), loaded on 7.x only: libbpf resolves every
 * kfunc extern of an object at load, and 6.12's bpf_session_cookie(void) of
 * kprobe sessions does not match 7.x's, which fails even a weak extern.
 */
#ifdef PMUTRACE_SESSION_OBJ
extern bool bpf_session_is_return(void *ctx) __ksym __weak;
extern __u64 *bpf_session_cookie(void *ctx) __ksym __weak;
#endif

#include "attrib.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PMUTRACE_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct target_stats);
} target_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lock_stats);
} lock_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

#include "task_state.h"

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} task_states SEC(".maps");

static __always_inline void count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &reason);

	/* Many programs count drops: the one shared counter. */
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline struct task_state *task_state(bool create)
{
	struct task_state *ts;

	ts = bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), 0,
				  create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!ts && create)
		count_drop(DROP_NO_TASK_STATE);
	return ts;
}

/*
 * hist_bucket()'s clamp, done here where the verifier sees it: the bucket is
 * pinned to one register, so older verifiers (6.1) see the clamped value
 * being used, and there is no second bounds check.
 */
static __always_inline void hist_add(struct hist *h, __u64 v)
{
	__u64 b = hist_bucket_unclamped(v);

	/* The clamp against an immediate: clang would compare with the bound
	 * in a register, and 6.1's verifier decides no branch whose constant
	 * is the left operand, so it walks the impossible one (b both above
	 * and below the bound) and refuses the access (inline sites' exit). */
	asm volatile("if %[b] <= %[max] goto +1\n\t%[b] = %[max]"
		     : [b] "+r"(b)
		     : [max] "i"(HIST_BUCKETS - 1));
	h->slots[b]++;
}

/* Bounded so the verifier accepts it even when clang reloads slot from the
 * stack and forgets it was a constant. */
#define SLOT(s) ((s) & (PMUTRACE_MAX_TARGETS - 1))

/* Does the call with this filter argument belong to the target? */
static __always_inline bool attr_matches(__u32 slot, __u64 arg)
{
	struct kvm_device_attr *attr = (struct kvm_device_attr *)arg;

	return BPF_CORE_READ(attr, attr) == cfg.filter_value[SLOT(slot)];
}

static __always_inline bool wanted(void *ctx, __u32 slot)
{
	__u64 arg;

	slot = SLOT(slot);
	if (cfg.filter_kind[slot] != FILTER_DEVICE_ATTR)
		return true;
	if (bpf_get_func_arg(ctx, cfg.filter_arg[slot], &arg))
		return false;
	return attr_matches(slot, arg);
}

static __always_inline void count_return(struct target_stats *s, __u32 kind,
					 __u64 ret)
{
	__s64 v;

	if (kind == RET_NONE)
		return;
	switch (kind) {
	case RET_INT32:
	case RET_INT64:
		v = kind == RET_INT32 ? (__s64)(__s32)ret : (__s64)ret;
		if (v == 0)
			s->ret_zero++;
		else if (v > 0)
			s->ret_nonzero++;
		else if (v >= -PMUTRACE_MAX_ERRNO)
			s->ret_errno[-v & 0xff]++;
		else if (v >= -PMUTRACE_MAX_ERRPTR)
			s->ret_errno_other++;
		else
			s->ret_neg_other++;
		break;
	case RET_PTR:
		v = (__s64)ret;
		if (ret == 0)
			s->ret_zero++;
		else if (v < 0 && v >= -PMUTRACE_MAX_ERRNO)
			s->ret_errno[-v & 0xff]++;
		else if (v < 0 && v >= -PMUTRACE_MAX_ERRPTR)
			s->ret_errno_other++;
		else
			s->ret_nonzero++;
		break;
	default:
		/* ret_nonzero is count - ret_zero: the loader works it out. */
		if (!ret)
			s->ret_zero++;
	}
}

/*
 * The slot stays a constant of each program as long as its address is
 * never taken: map keys are copies, so clang folds every rodata index.
 */
static __always_inline struct target_stats *stats_of(__u32 slot)
{
	__u32 key = slot;

	return bpf_map_lookup_elem(&target_stats, &key);
}

/* kind: the target's ret_kind, read once by the caller (each read of the
 * configuration is an instruction that stays). A bool, the common case, in
 * two instructions. */
static __always_inline void count_ret(struct target_stats *s, __u32 kind,
				      __u64 ret)
{
	if (PMUTRACE_BENCH_SKIP & BENCH_SKIP_RET)
		return;
	if (kind != RET_BOOL)
		count_return(s, kind, ret);
	else if (!ret)
		s->ret_zero++;
}

/* One timed call of d ns (inline sites time theirs themselves). */
static __always_inline void add_time(struct target_stats *s, __u64 d)
{
	if (!(PMUTRACE_BENCH_SKIP & BENCH_SKIP_MINMAX)) {
		if (d < s->min_ns)
			s->min_ns = d;
		if (d > s->max_ns)
			s->max_ns = d;
		s->sum_ns += d;
	}
	if (!(PMUTRACE_BENCH_SKIP & BENCH_SKIP_HIST))
		hist_add(&s->latency, d);
}

/* The call's time, from its entry's start (0: no entry seen); attrib: an
 * attrib_ twin's call, also counted in its process's or cgroup's row. */
static __always_inline void record_time(struct target_stats *s, __u32 slot,
					__u64 start, bool attrib)
{
	if (attrib)
		attrib_call(slot, start);
	/* Timed calls are counted by their histogram bucket alone. */
	if (!start) {
		s->count++;
		count_drop(DROP_EXIT_UNMATCHED);
		return;
	}
	add_time(s, bpf_ktime_get_ns() - start);
}

static __always_inline void record_exit(__u32 slot, __u64 start, __u64 ret,
					__u32 kind, bool attrib)
{
	struct target_stats *s = stats_of(slot);

	if (!s)
		return;
	count_ret(s, kind, ret);
	record_time(s, slot, start, attrib);
}

/*
 * Room for one more entry at depth d of the stack: its start time's place,
 * after slot and depth are set; NULL (counted) when the stack is full. The
 * one depth check of the fentry, kprobe and inline-site entries.
 */
static __always_inline __u64 *stack_push(struct task_state *ts, __u32 d,
					 __u32 slot)
{
	if (d >= PMUTRACE_MAX_DEPTH) {
		count_drop(DROP_TOO_DEEP);
		return NULL;
	}
	ts->slot[d] = slot;
	ts->depth = d + 1;
	return &ts->start[d];
}

/*
 * Find this call's entry: the nearest one of the same target (or inline
 * instance: bpf/sites.bpf.h). Entries above it belong to calls whose exit
 * the kernel skipped; drop them.
 */
static __always_inline bool pop_start(struct task_state *ts, __u32 slot,
				      __u64 *start)
{
	__u32 d = ts->depth, i;

	if (d > PMUTRACE_MAX_DEPTH)
		d = PMUTRACE_MAX_DEPTH;
	for (i = 0; i < PMUTRACE_MAX_DEPTH; i++) {
		__u32 top;

		if (d == 0)
			break;
		top = (d - 1) & (PMUTRACE_MAX_DEPTH - 1);
		d--;
		if (ts->slot[top] == slot) {
			*start = ts->start[top];
			ts->depth = d;
			return true;
		}
		count_drop(DROP_STALE_ENTRY);
	}
	return false;
}

/*
 * fentry/fexit with the start time in task storage: 6.12, PMUTRACE_PROBE=fentry,
 * attribution, and (through push_entry and pop_start) the kprobe twins of
 * 6.1. The session object (7.x) traces with its fsession programs and
 * attribution with the plain object, so it carries none of these.
 */
#ifndef PMUTRACE_SESSION_OBJ
/* start 0 marks a call that is not the target's (kprobe entries decide
 * for their kretprobes, which no longer see the arguments). */
static __always_inline void push_entry(__u32 slot, __u64 start)
{
	struct task_state *ts = task_state(true);
	__u64 *at = ts ? stack_push(ts, ts->depth, slot) : NULL;

	if (at)
		*at = start;
}

/* A call that is not the target's (its filter says no) leaves start 0, as
 * the kprobe twins do: its exit then need not read the argument again. */
static __always_inline int on_entry(void *ctx, __u32 slot, bool attrib)
{
	if (attrib && !attrib_selected())
		return 0;
	push_entry(slot, wanted(ctx, slot) ? bpf_ktime_get_ns() : 0);
	return 0;
}

static __always_inline int on_exit(void *ctx, __u32 slot, bool attrib)
{
	struct task_state *ts;
	__u64 start = 0, ret = 0;
	__u32 kind;
	bool found;

	if (attrib && !attrib_selected())
		return 0;
	ts = task_state(false);
	found = ts && pop_start(ts, slot, &start);
	/* Not the target's call: its entry said so, or, where the kernel
	 * skipped the entry, the filter says so now. */
	if (found ? !start : !wanted(ctx, slot))
		return 0;
	kind = cfg.ret_kind[SLOT(slot)];
	if (kind != RET_NONE)
		bpf_get_func_ret(ctx, &ret);
	record_exit(slot, start, ret, kind, attrib);
	return 0;
}

/* One entry and one exit program per target slot; the loader picks the
 * function each attaches to and leaves unused slots unloaded. The attrib_
 * twins (-p, -c, --by) are separate programs, so the default ones stay the
 * code without attribution, instruction for instruction. */
#define TARGET_SLOT(n)                          \
	SEC("fentry")                           \
	int target_entry_##n(void *ctx)         \
	{                                       \
		return on_entry(ctx, n, false); \
	}                                       \
	SEC("fexit")                            \
	int target_exit_##n(void *ctx)          \
	{                                       \
		return on_exit(ctx, n, false);  \
	}                                       \
	SEC("fentry")                           \
	int attrib_entry_##n(void *ctx)         \
	{                                       \
		return on_entry(ctx, n, true);  \
	}                                       \
	SEC("fexit")                            \
	int attrib_exit_##n(void *ctx)          \
	{                                       \
		return on_exit(ctx, n, true);   \
	}

TARGET_SLOT(0)
TARGET_SLOT(1)
TARGET_SLOT(2)
TARGET_SLOT(3)
TARGET_SLOT(4)
TARGET_SLOT(5)
TARGET_SLOT(6)
TARGET_SLOT(7)
#endif /* !PMUTRACE_SESSION_OBJ */

#ifdef PMUTRACE_SESSION_OBJ
/*
 * fsession (7.x): one program runs at entry and at return, and the start
 * time lives in the call's session cookie, which the trampoline zeroes
 * before the entry. So no per-task state, no lookup: cookie 0 at return
 * means the entry run was skipped, COOKIE_FILTERED a call the filter
 * rejected.
 */
#define COOKIE_FILTERED 1

/*
 * Entry runs per CPU and target, to split an fsession program's misses into
 * entries and exits (tracer.c). A plain array indexed by the CPU (the JIT
 * inlines its number) is half the instructions of a per-CPU map lookup; one
 * program is never running twice on a CPU, so each counter has one writer.
 * The loader takes fentry/fexit on hosts with more possible CPUs.
 */
__u64 entered[PMUTRACE_SESSION_MAX_CPUS][PMUTRACE_MAX_TARGETS];

/* The loader takes session mode only where every possible CPU's number is
 * below PMUTRACE_SESSION_MAX_CPUS (a power of two): the mask bounds the
 * index for the verifier, one instruction and no branch. */
static __always_inline void count_entry(__u32 slot)
{
	__u64 cpu = bpf_get_smp_processor_id();

	entered[cpu & (PMUTRACE_SESSION_MAX_CPUS - 1)][SLOT(slot)]++;
}

/* A filtered target's entry, out of the unfiltered targets' way. */
static __always_inline int session_filtered_entry(void *ctx, __u32 slot,
						  __u64 *cookie)
{
	bool want = wanted(ctx, slot);
	struct task_state *ts;

	if (want)
		count_entry(slot);
	/* Only a filtered target's lock events need the verdict. */
	if (cfg.lock_addr) {
		ts = task_state(true);
		if (ts)
			ts->wanted = want ? ts->wanted | (1u << slot) :
					    ts->wanted & ~(1u << slot);
	}
	*cookie = want ? bpf_ktime_get_ns() : COOKIE_FILTERED;
	return 0;
}

/*
 * filtered is a constant of each program: the loader gives a target with a
 * filter the target_fsess_ program of its slot, so the others read neither
 * the filter's configuration nor the cookie's COOKIE_FILTERED.
 */
static __always_inline int on_session(void *ctx, __u32 slot, bool filtered)
{
	__u64 *cookie = bpf_session_cookie(ctx);
	__u64 start, ret;
	__u32 kind;

	if (!bpf_session_is_return(ctx)) {
		if (filtered)
			return session_filtered_entry(ctx, slot, cookie);
		if (!(PMUTRACE_BENCH_SKIP & BENCH_SKIP_ENTRIES))
			count_entry(slot);
		*cookie = bpf_ktime_get_ns();
		return 0;
	}
	kind = cfg.ret_kind[slot];
	start = *cookie;
	if (filtered &&
	    (start == COOKIE_FILTERED || (!start && !wanted(ctx, slot))))
		return 0;
	/* In fsession the verifier inlines the helper as a load that always
	 * writes ret: no zeroing first. */
	if (kind != RET_NONE && !(PMUTRACE_BENCH_SKIP & BENCH_SKIP_RET))
		bpf_get_func_ret(ctx, &ret);
	else
		ret = 0;
	record_exit(slot, start, ret, kind, false);
	return 0;
}

/* Declared as fentry: the loader sets the attach type to fsession. */
#define SESSION_SLOT(n)                           \
	SEC("fentry")                             \
	int target_sess_##n(void *ctx)            \
	{                                         \
		return on_session(ctx, n, false); \
	}                                         \
	SEC("fentry")                             \
	int target_fsess_##n(void *ctx)           \
	{                                         \
		return on_session(ctx, n, true);  \
	}

SESSION_SLOT(0)
SESSION_SLOT(1)
SESSION_SLOT(2)
SESSION_SLOT(3)
SESSION_SLOT(4)
SESSION_SLOT(5)
SESSION_SLOT(6)
SESSION_SLOT(7)
#endif /* PMUTRACE_SESSION_OBJ */

#ifndef PMUTRACE_SESSION_OBJ
#include "kprobe.bpf.h" /* 6.1: no fentry, so no fsession either */
#endif

#include "sites.bpf.h"
#include "lock.bpf.h"
