/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by bpf/ksym_lookup.bpf.c and user/trace/ksym_kernel.c: names for
 * the kernel's own symbol index (bpf_kallsyms_lookup_name), one BPF_PROG_RUN
 * for all of them, in the program's .bss.
 */
#ifndef PMUTRACE_KSYM_H
#define PMUTRACE_KSYM_H

#define KSYM_MAX_NAMES 32
#define KSYM_NAME_LEN 128 /* a name of at most 127 bytes, NUL-padded */

struct ksym_names {
	__u32 n;
	char name[KSYM_MAX_NAMES][KSYM_NAME_LEN];
	__u64 addr[KSYM_MAX_NAMES];
	__s64 err[KSYM_MAX_NAMES]; /* 0, -ENOENT, -EPERM (no CAP_SYSLOG) */
};

#endif /* PMUTRACE_KSYM_H */
