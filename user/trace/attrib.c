// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution: options into read-only data, and the programs of
 * bpf/attrib.bpf.h loaded and attached (their maps are read back in
 * attrib_read.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "attrib.h"
#include "btf_lookup.h"
#include "pmutrace.skel.h"

#define MAX_ATTRIB_LINKS 4

static struct bpf_link *links[MAX_ATTRIB_LINKS];
static int nlinks;

/* The cgroup v2 mount (from mountinfo), /sys/fs/cgroup when not found. */
static const char *cgroup2_root(void)
{
	static char root[ATTRIB_NAME_LEN] = "/sys/fs/cgroup";
	char line[1024], mnt[ATTRIB_NAME_LEN], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 ||
		    strcmp(fstype, "cgroup2") ||
		    sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1)
			continue;
		snprintf(root, sizeof(root), "%s", mnt);
		break;
	}
	if (f)
		fclose(f);
	return root;
}

/* -c: an absolute path under the mount, or a path as /proc/PID/cgroup
 * shows it (relative to the mount). */
static int open_cgroup(struct attrib_result *a, const char *arg)
{
	char path[2 * ATTRIB_NAME_LEN];
	struct statfs fs;
	size_t n = strlen(a->cgroup_root);

	if (!strncmp(arg, a->cgroup_root, n) && (!arg[n] || arg[n] == '/'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/%s", a->cgroup_root,
			 arg[0] == '/' ? arg + 1 : arg);
	a->cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->cgroup_fd < 0)
		return report_error(EXIT_USAGE, "-c %s: cannot open %s: %s",
				    arg, path, strerror(errno));
	if (fstatfs(a->cgroup_fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC)
		return report_error(EXIT_USAGE,
				    "-c %s: %s is not a cgroup v2 directory",
				    arg, path);
	return 0;
}

/* --vms reads VMs with fexit programs, which any kernel with trampolines
 * runs, also where the targets are kprobed (PREEMPT_RT). */
static bool vms_traceable(const struct run_result *r)
{
	return r->probe == PROBE_FENTRY ||
	       (r->probe == PROBE_KPROBE &&
		r->probe_choice.why != PROBE_WHY_NO_FENTRY);
}

int attrib_prepare(const struct options *o, struct run_result *r,
		   const struct btf *btf)
{
	struct attrib_result *a;
	size_t len = 0;

	if (!o->by && !o->npids && !o->cgroup && !o->owners && !o->vms)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return report_error(EXIT_RUNTIME, "out of memory");
	r->attrib = a;
	/* The fsession programs (7.x) carry no attribution, the fentry/fexit
	 * pair's attrib_ twins do: such a run loads the plain object. */
	a->fentry_forced = r->probe == PROBE_SESSION;
	if (a->fentry_forced)
		r->probe = PROBE_FENTRY;
	a->by = o->by;
	a->top = o->top ? o->top : ATTRIB_DEFAULT_TOP;
	a->by_entries = o->by_entries;
	a->owners = o->owners && r->lock.traced;
	a->vms = o->vms;
	a->cgroup_fd = -1;
	a->cgroup_root = cgroup2_root();
	a->npids = o->npids;
	memcpy(a->pids, o->pids, sizeof(a->pids));
	for (int i = 0; i < o->npids; i++)
		len += snprintf(a->filter + len, sizeof(a->filter) - len,
				"%s-p %u", len ? " " : "", o->pids[i]);
	if (o->cgroup) {
		snprintf(a->filter + len, sizeof(a->filter) - len, "%s-c %s",
			 len ? " " : "", o->cgroup);
		if (open_cgroup(a, o->cgroup))
			return EXIT_USAGE;
	}
	/* 6.1 has no bpf_task_from_pid: owners, but not their stacks. */
	a->owner_stacks = a->owners && btf_lookup(btf, "bpf_task_from_pid",
						  BTF_KIND_FUNC) > 0;
	if (o->owners && !r->lock.traced)
		fprintf(stderr,
			"pmutrace: --owners: no lock is watched, so no owners\n");
	/* Each VM program names its function: load only those that exist. */
	a->vm_default_fn =
		btf_lookup(btf, "kvm_arm_set_default_pmu", BTF_KIND_FUNC) > 0;
	a->vm_set_fn =
		btf_lookup(btf, "kvm_arm_pmu_v3_set_attr", BTF_KIND_FUNC) > 0;
	if (a->vms && !vms_traceable(r))
		snprintf(a->vm_note, sizeof(a->vm_note),
			 "VMs are read at fexit: this kernel has no fentry");
	else if (a->vms && !a->vm_default_fn && !a->vm_set_fn)
		snprintf(
			a->vm_note, sizeof(a->vm_note),
			"neither kvm_arm_set_default_pmu nor kvm_arm_pmu_v3_set_attr is in this kernel's BTF");
	else if (a->vms && !a->vm_default_fn)
		snprintf(
			a->vm_note, sizeof(a->vm_note),
			"kvm_arm_set_default_pmu is not in this kernel: SET_PMU calls only");
	a->kallsyms = o->kallsyms;
	return 0;
}

void attrib_free(struct run_result *r)
{
	struct attrib_result *a = r->attrib;

	if (!a)
		return;
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	ksyms_free(a->ksyms);
	free(a->rows);
	free(a->waiters);
	free(a->owner_stacks_v);
	free(a->owner_v);
	free(a->vm_v);
	free(a->base.rows);
	free(a->base.owners);
	free(a);
	r->attrib = NULL;
}

bool attrib_per_call(const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;

	return a && (a->by || a->npids || a->cgroup_fd >= 0);
}

int attrib_configure(struct pmutrace_bpf *s, const struct run_result *r,
		     struct bpf_program **used, int *n)
{
	const struct attrib_result *a = r->attrib;
	bool lock_progs;

	if (!a) {
		/* Only attribution's own programs use these: not creating
		 * them spares their allocation at load (the stack map and
		 * four preallocated hashes). */
		struct bpf_map *unused[] = {
			s->maps.attrib_rows, s->maps.attrib_misses,
			s->maps.wait_stacks, s->maps.waiter_waits,
			s->maps.owner_waits, s->maps.owner_stack_waits,
			s->maps.vm_pmus,     s->maps.wait_states,
		};

		for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
			bpf_map__set_autocreate(unused[i], false);
		return 0;
	}
	for (int i = 0; i < a->npids; i++)
		s->rodata->filter_pids[i] = a->pids[i];
	s->rodata->filter_npids = a->npids;
	s->rodata->attrib_by = a->by;
	s->rodata->attrib_on = attrib_per_call(r);
	if (a->by && a->by_entries &&
	    bpf_map__set_max_entries(s->maps.attrib_rows, a->by_entries))
		return -EINVAL;
	s->rodata->attrib_owners = a->owners;
	s->rodata->filter_cgroup = a->cgroup_fd >= 0;
	lock_progs = r->lock.traced && (a->by || a->owners);
	if (lock_progs) {
		used[(*n)++] = a->owner_stacks ? s->progs.attrib_begin_stacks :
						 s->progs.attrib_begin_nostacks;
		used[(*n)++] = s->progs.attrib_end;
	}
	if (a->vms && vms_traceable(r)) {
		if (a->vm_default_fn)
			used[(*n)++] = s->progs.vm_default_pmu;
		if (a->vm_set_fn)
			used[(*n)++] = s->progs.vm_set_pmu;
	}
	return 0;
}

int attrib_loaded(struct pmutrace_bpf *s, const struct run_result *r)
{
	const struct attrib_result *a = r->attrib;
	__u32 zero = 0;

	if (!a || a->cgroup_fd < 0)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(s->maps.cgroup_filter), &zero,
				&a->cgroup_fd, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_prog(struct bpf_program *p)
{
	struct bpf_link *l;

	if (!bpf_program__autoload(p))
		return 0;
	l = bpf_program__attach(p);
	if (!l)
		return -errno;
	links[nlinks++] = l;
	return 0;
}

int attrib_attach(struct pmutrace_bpf *s, struct run_result *r)
{
	struct attrib_result *a = r->attrib;
	struct bpf_program *p[] = { s->progs.attrib_begin_stacks,
				    s->progs.attrib_begin_nostacks,
				    s->progs.attrib_end };
	int err;

	if (!a)
		return 0;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		err = attach_prog(p[i]);
		if (err)
			return err;
	}
	if (attach_prog(s->progs.vm_default_pmu) ||
	    attach_prog(s->progs.vm_set_pmu))
		snprintf(
			a->vm_note, sizeof(a->vm_note),
			"kvm_arm_set_default_pmu or kvm_arm_pmu_v3_set_attr cannot be traced here");
	/* Symbols now: every program is attached, so kallsyms lists their
	 * trampolines too; once privileges are dropped it shows zeros. */
	if (a->owners)
		a->ksyms = ksyms_load(a->kallsyms);
	return 0;
}

void attrib_detach(void)
{
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
}
