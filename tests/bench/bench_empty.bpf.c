// SPDX-License-Identifier: GPL-2.0
/*
 * bench_empty: fentry/fexit programs that do nothing. scripts/bench/bench.sh
 * attaches them where pmutrace attaches its own, so the difference between
 * the two is pmutrace's work alone, not the trampoline's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* The attach target is set by the loader (tests/bench/empty_probe.c). */
SEC("fentry")
int empty_entry(void *ctx)
{
	return 0;
}

SEC("fexit")
int empty_exit(void *ctx)
{
	return 0;
}
