/* SPDX-License-Identifier: GPL-2.0 */
/* What the benchmark's loaders share (empty_probe.c, limit_probe.c). */
#ifndef PROBE_COMMON_H
#define PROBE_COMMON_H

#include <signal.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Runs of prog the kernel skipped (it was already running on that CPU). */
static unsigned long long misses(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_program__fd(prog) < 0 ||
	    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.recursion_misses;
}

#endif
