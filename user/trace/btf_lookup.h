/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PMUTRACE_BTF_LOOKUP_H
#define PMUTRACE_BTF_LOOKUP_H

#include <bpf/btf.h>

/* The FUNC and ENUM names of the kernel's BTF that start-up looks up, found
 * in one pass (btf_lookup.c). */
#define BTF_LOOKUP_MAX 32

void btf_lookup_prepare(const struct btf *btf, const char *const *names, int n);
__s32 btf_lookup(const struct btf *btf, const char *name, __u32 kind);
/* Before the BTF is freed: another one may come at the same address. */
void btf_lookup_forget(void);
/* The parsed kernel BTF, kept for libbpf's next load instead of a second
 * parse; btf_drop_kept() frees it if that load did not take it. */
void btf_keep(struct btf *btf);
void btf_drop_kept(void);

#endif /* PMUTRACE_BTF_LOOKUP_H */
