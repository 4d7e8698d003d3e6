// SPDX-License-Identifier: GPL-2.0
/*
 * Which traced call a lock event is inside (bpf/task_state.h), run on the
 * host. Issue 9 #10: a kprobe entry whose call the filter rejected (start
 * 0, e.g. a kvm_arm_pmu_v3_set_attr that is not SET_PMU) is not the target's
 * call: waits in it go to the traced call around it, or outside.
 */
#include <linux/types.h>
#include "unit.h"
#include "pmutrace.h"
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "../../bpf/task_state.h"

static void push(struct task_state *ts, __u32 slot, __u64 start)
{
	ts->slot[ts->depth] = slot;
	ts->start[ts->depth] = start;
	ts->depth++;
}

int main(void)
{
	struct task_state ts = {};

	CHECK(stack_of_entries_slot(NULL) == PMUTRACE_OUTSIDE, "no state");
	CHECK(stack_of_entries_slot(&ts) == PMUTRACE_OUTSIDE, "no call");
	push(&ts, 1, 0); /* set_attr, not SET_PMU: filtered out */
	CHECK(stack_of_entries_slot(&ts) == PMUTRACE_OUTSIDE,
	      "a filtered-out call is not inside its target: %u",
	      stack_of_entries_slot(&ts));
	ts.depth = 0;
	push(&ts, 0, 100); /* kvm_arm_set_default_pmu, timed */
	push(&ts, 1, 0); /* a filtered-out call inside it */
	CHECK(stack_of_entries_slot(&ts) == 0,
	      "credited to the timed call around it: %u",
	      stack_of_entries_slot(&ts));
	push(&ts, 2, 200);
	CHECK(stack_of_entries_slot(&ts) == 2, "the innermost timed call");
	ts.depth = PMUTRACE_MAX_DEPTH + 1;
	CHECK(stack_of_entries_slot(&ts) == PMUTRACE_OUTSIDE,
	      "a depth past the stack is refused");
	UNIT_EXIT();
}
