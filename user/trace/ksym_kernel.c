// SPDX-License-Identifier: GPL-2.0
/*
 * Symbols by exact name from the kernel's own index: one run of
 * bpf/ksym_lookup.bpf.c. Faster than reading /proc/kallsyms, and under the
 * same rule (kallsyms_show_value: CAP_SYSLOG, or -EPERM).
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pmutrace_user.h"
#include "pmutrace_ksym.h"
#include "ksym_lookup.skel.h"

int ksyms_kernel_lookup(struct ksym_query *q, int n)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct ksym_lookup_bpf *s;
	struct ksym_names *k;
	int err = 0;

	if (n > KSYM_MAX_NAMES)
		return -E2BIG;
	for (int i = 0; i < n; i++)
		if (!q[i].name || strlen(q[i].name) >= KSYM_NAME_LEN)
			return -EINVAL;
	s = ksym_lookup_bpf__open_and_load();
	if (!s)
		return errno ? -errno : -EINVAL;
	k = &s->bss->names;
	k->n = n;
	for (int i = 0; i < n; i++)
		strcpy(k->name[i], q[i].name);
	if (bpf_prog_test_run_opts(bpf_program__fd(s->progs.lookup_names),
				   &run))
		err = -errno;
	for (int i = 0; i < n; i++) {
		q[i].addr = q[i].end = 0;
		q[i].found[0] = '\0';
		if (err)
			continue;
		if (k->err[i] == -EPERM)
			err = -EPERM;
		else if (!k->err[i] && k->addr[i]) {
			q[i].addr = k->addr[i];
			snprintf(q[i].found, sizeof(q[i].found), "%s",
				 q[i].name);
		}
	}
	ksym_lookup_bpf__destroy(s);
	return err;
}
