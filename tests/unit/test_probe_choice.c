// SPDX-License-Identifier: GPL-2.0
/*
 * setup.c's PREEMPT_RT test, which makes pmutrace trace with kprobes: what
 * /sys/kernel/realtime says wins; without it, the uname version's word.
 */
#include "unit.h"
#include "pmutrace_user.h"

int main(void)
{
	CHECK(preempt_rt_kernel("1\n", NULL), "realtime 1: PREEMPT_RT");
	CHECK(!preempt_rt_kernel("0\n", "#1 SMP PREEMPT_RT Debian"),
	      "realtime 0 wins over the version");
	CHECK(preempt_rt_kernel(
		      NULL, "#1 SMP PREEMPT_RT Debian 7.2.13-1 (2026-11-20)"),
	      "no realtime file: Debian rt-arm64's uname -v");
	CHECK(!preempt_rt_kernel(NULL,
				 "#1 SMP PREEMPT_DYNAMIC Debian 7.2.13-1"),
	      "PREEMPT_DYNAMIC is not RT");
	CHECK(!preempt_rt_kernel(NULL, "#1 SMP PREEMPT_RTX"),
	      "only the whole word");
	CHECK(!preempt_rt_kernel(NULL, NULL), "nothing known: not RT");
	UNIT_EXIT();
}
