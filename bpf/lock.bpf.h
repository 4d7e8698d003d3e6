/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lock programs, included once at the end of pmutrace.bpf.c: the wait on
 * the watched mutex (contention tracepoints) and the opt-in hold programs,
 * and the question both ask, which traced call a lock event is inside (the
 * kernel stack in session mode, else the per-task stack of task_state.h).
 */

/* Return addresses searched for a traced function; the lock's callers are a
 * few frames below the tracepoint. */
#define STACK_FRAMES 32

/* A kernel stack searched for a traced function, one frame per bpf_loop
 * step. */
struct stack_search {
	__u64 ips[STACK_FRAMES];
	__u64 frames;
	__u32 wanted; /* the task's filter verdicts, by slot bit */
	__u32 slot;
};

/* bpf_loop's body: is frame i inside a traced function? 1 stops the loop. */
static int frame_slot(__u32 i, void *data)
{
	struct stack_search *s = data;
	__u64 ip;

	if (i >= s->frames || i >= STACK_FRAMES)
		return 1;
	ip = s->ips[i];
	for (__u32 t = 0; t < PMUTRACE_MAX_TARGETS; t++) {
		/* A constant per step: the verifier drops unused slots. */
		if (!cfg.func_hi[t])
			continue;
		if (ip <= cfg.func_lo[t] || ip >= cfg.func_hi[t])
			continue;
		if (cfg.filter_kind[t] != FILTER_NONE &&
		    !(s->wanted & (1u << t)))
			continue;
		s->slot = t;
		return 1;
	}
	return 0;
}

/*
 * Session mode keeps no per-task stack on the fast path: a lock event (the
 * slow path, and only for the watched lock) walks the kernel stack instead.
 * The innermost return address inside a traced function is the target; a
 * filtered target counts when its last call passed the filter. bpf_loop
 * has the verifier check one frame's search, not 32 unrolled (36k
 * instructions walked at load, a third of the start-up, on 7.2).
 */
static __always_inline __u32 kernel_stack_slot(void *ctx, struct task_state *ts)
{
	struct stack_search s = { .slot = PMUTRACE_OUTSIDE };
	long n = bpf_get_stack(ctx, s.ips, sizeof(s.ips), 0);

	if (n <= 0)
		return PMUTRACE_OUTSIDE;
	s.frames = n / sizeof(__u64);
	s.wanted = ts ? ts->wanted : 0;
	bpf_loop(STACK_FRAMES, frame_slot, &s, 0);
	return s.slot;
}

static __always_inline __u32 current_slot(void *ctx, struct task_state *ts)
{
	__u32 slot = cfg.session ? kernel_stack_slot(ctx, ts) :
				   stack_of_entries_slot(ts);

	return slot > PMUTRACE_OUTSIDE ? PMUTRACE_OUTSIDE : slot;
}

static __always_inline struct lock_stats *lock_stats_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lock_stats, &zero);
}

/*
 * Contention tracepoints fire only on the slow path, so uncontended
 * acquisitions cost nothing. A mutex may report "begin" twice (optimistic
 * spin, then sleep): the first one starts the wait.
 */
SEC("tp_btf/contention_begin")
int BPF_PROG(lock_contention_begin, void *lock, unsigned int flags)
{
	struct task_state *ts;

	if (!lock_event_selected(lock))
		return 0;
	ts = task_state(true);
	if (ts && !ts->wait_start)
		ts->wait_start = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/contention_end")
int BPF_PROG(lock_contention_end, void *lock, int ret)
{
	struct task_state *ts;
	struct lock_stats *ls;
	__u64 d;

	if ((__u64)lock != cfg.lock_addr)
		return 0;
	ts = task_state(false);
	if (!ts || !ts->wait_start)
		return 0;
	d = bpf_ktime_get_ns() - ts->wait_start;
	ts->wait_start = 0;
	ls = lock_stats_cpu();
	if (!ls)
		return 0;
	if (ret) {
		ls->wait_failed++;
		return 0;
	}
	if (!ls->contended || d < ls->wait_min_ns)
		ls->wait_min_ns = d;
	if (d > ls->wait_max_ns)
		ls->wait_max_ns = d;
	ls->contended++;
	ls->wait_sum_ns += d;
	ls->contended_in[current_slot(ctx, ts)]++;
	hist_add(&ls->wait, d);
	return 0;
}

/*
 * Hold mode (opt-in): every mutex_lock() and mutex_unlock() in the system
 * runs these, so they cost all mutex users, not only this lock's.
 */
SEC("fexit/mutex_lock")
int BPF_PROG(lock_acquired, struct mutex *lock)
{
	struct task_state *ts;
	struct lock_stats *ls;
	__u32 slot;

	/* An unselected task's hold is not recorded, so its release is not
	 * either (hold_start stays 0). */
	if (!lock_event_selected(lock))
		return 0;
	ts = task_state(true);
	ls = lock_stats_cpu();
	if (!ts || !ls)
		return 0;
	slot = current_slot(ctx, ts);
	ts->hold_start = bpf_ktime_get_ns();
	ts->hold_slot = slot;
	ls->acquired++;
	ls->acquired_in[slot]++;
	return 0;
}

SEC("fentry/mutex_unlock")
int BPF_PROG(lock_released, struct mutex *lock)
{
	struct target_stats *s;
	struct task_state *ts;
	struct lock_stats *ls;
	__u32 slot;
	__u64 d;

	if ((__u64)lock != cfg.lock_addr)
		return 0;
	ts = task_state(false);
	if (!ts || !ts->hold_start)
		return 0;
	d = bpf_ktime_get_ns() - ts->hold_start;
	ts->hold_start = 0;
	slot = ts->hold_slot & (PMUTRACE_MAX_TARGETS - 1);
	ls = lock_stats_cpu();
	if (!ls)
		return 0;
	if (!ls->held || d < ls->hold_min_ns)
		ls->hold_min_ns = d;
	if (d > ls->hold_max_ns)
		ls->hold_max_ns = d;
	ls->held++;
	ls->hold_sum_ns += d;
	hist_add(&ls->hold, d);
	if (ts->hold_slot == PMUTRACE_OUTSIDE)
		return 0;
	s = bpf_map_lookup_elem(&target_stats, &slot);
	if (s) {
		s->lock_acquired++;
		s->lock_hold_ns += d;
	}
	return 0;
}
