/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-task call stack of bpf/pmutrace.bpf.c and the question it answers
 * for lock events: plain C, so tests/unit/test_task_state.c runs it on the
 * host too.
 */
#ifndef PMUTRACE_TASK_STATE_H
#define PMUTRACE_TASK_STATE_H

/*
 * Per task: the stack of traced calls in progress, so concurrent callers
 * never share a start time and nested calls each get their own.
 */
struct task_state {
	__u32 depth;
	__u32 slot[PMUTRACE_MAX_DEPTH];
	__u64 start[PMUTRACE_MAX_DEPTH];
	__u64 wait_start; /* in a contended wait on the lock since */
	__u64 hold_start; /* holding the lock since */
	__u32 hold_slot; /* target the lock was taken in */
	__u32 wanted; /* session mode: filter verdict of the last call, by slot bit */
};

/*
 * The target the task is inside, or PMUTRACE_OUTSIDE: the innermost entry
 * on its stack that is the target's. Kprobe entries push start 0 for calls
 * the filter rejected; those are not inside the target.
 */
static __always_inline __u32 stack_of_entries_slot(struct task_state *ts)
{
	__u32 d;

	if (!ts)
		return PMUTRACE_OUTSIDE;
	d = ts->depth;
	if (d > PMUTRACE_MAX_DEPTH)
		return PMUTRACE_OUTSIDE;
	for (int i = 0; i < PMUTRACE_MAX_DEPTH; i++) {
		__u32 top;

		if (d == 0)
			break;
		top = --d & (PMUTRACE_MAX_DEPTH - 1);
		if (ts->start[top])
			return ts->slot[top] & (PMUTRACE_MAX_TARGETS - 1);
	}
	return PMUTRACE_OUTSIDE;
}

#endif /* PMUTRACE_TASK_STATE_H */
