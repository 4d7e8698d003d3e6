// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols by exact name from the kernel's sorted name index (5.16+),
 * instead of reading all of /proc/kallsyms: the kernel formats its
 * ~160,000 lines slowly, and the default targets' text comes in the first
 * 2% of them. The loader fills names, runs this once and reads the answers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "pmutrace_ksym.h"

char LICENSE[] SEC("license") = "GPL";

struct ksym_names names;

SEC("syscall")
int lookup_names(void *ctx)
{
	for (__u32 i = 0; i < KSYM_MAX_NAMES; i++) {
		if (i >= names.n)
			break;
		names.err[i] = bpf_kallsyms_lookup_name(names.name[i],
							sizeof(names.name[i]),
							0, &names.addr[i]);
	}
	return 0;
}
