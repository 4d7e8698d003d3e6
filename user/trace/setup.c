// SPDX-License-Identifier: GPL-2.0
/*
 * Getting a run ready: privileges, how this kernel can be probed, where each
 * target and the lock are. Shared by the trace run and `pmutrace check`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pmu_domain.h"
#include "attrib.h"
#include "btf_lookup.h"
#include "text.h"
#include "sitetab.h"

/* The kernel's internal "operation not supported", not in uapi headers. */
#define KERNEL_ENOTSUPP 524

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	return libbpf_verbose ? vfprintf(stderr, fmt, ap) : 0;
}

/* libbpf's log on stderr with -v; without it, failures get a line of ours. */
void libbpf_log(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(print_libbpf);
}

/* A data symbol every kernel has: listed only with CONFIG_KALLSYMS_ALL. */
#define KALLSYMS_DATA_MARK "jiffies"

/*
 * Find the lock: a kallsyms symbol, or an address. An address must be where
 * kallsyms has a data symbol, when it lists data symbols at all; the lock is
 * then named by that symbol. What no one can check is that the object there
 * is a struct mutex: the kernel's BTF types per-CPU variables only.
 */
int resolve_lock(const struct options *o, struct lock_target *l,
		 const struct ksym_query *q, const struct ksym_query *mark)
{
	const char *name = o->lock ? o->lock : PMU_LOCK;

	if (o->no_lock)
		return 0;
	l->traced = true;
	l->hold = o->hold;
	if (!q->name) {
		l->addr = q->at;
		snprintf(l->name, sizeof(l->name), "%s",
			 q->addr ? q->found : name);
		if (q->addr)
			return 0;
		if (mark->addr)
			return report_error(
				EXIT_NO_LOCK,
				"%s has no data symbol at 0x%llx, so no mutex: give the address or the symbol of a mutex, or --no-lock",
				o->kallsyms, (unsigned long long)q->at);
		l->unchecked = true; /* said with "Tracing" */
		return 0;
	}
	if (!q->addr && o->lock)
		return report_error(
			EXIT_NO_LOCK,
			"lock symbol %s not found in %s: give --lock SYMBOL|ADDR, or --no-lock",
			name, o->kallsyms);
	if (!q->addr) {
		/* Kernels without CONFIG_KALLSYMS_ALL list no data symbols:
		 * the targets can still be traced, said with "Tracing". */
		l->traced = l->hold = false;
		l->default_missing = true;
		snprintf(l->name, sizeof(l->name), "%s", name);
		return 0;
	}
	l->addr = q->addr;
	snprintf(l->name, sizeof(l->name), "%s", q->found);
	return 0;
}

/* BPF_TRACE_FSESSION in the kernel's enum bpf_attach_type, and its cookie
 * kfunc: 7.x. */
static bool has_fsession(const struct btf *btf)
{
	int id = btf_lookup(btf, "bpf_attach_type", BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	if (btf_lookup(btf, "bpf_session_cookie", BTF_KIND_FUNC) < 0)
		return false;
	for (int i = 0; t && i < btf_vlen(t); i++)
		if (e[i].val == PMUTRACE_BPF_TRACE_FSESSION &&
		    !strcmp(btf__name_by_offset(btf, e[i].name_off),
			    "BPF_TRACE_FSESSION"))
			return true;
	return false;
}

/*
 * PREEMPT_RT runs trampoline programs preemptible, and the kernel's recursion
 * guard is per program and per CPU: while one task is preempted inside our
 * program, every other task's call on that CPU skips it (about a quarter of
 * the calls, 4 threads on 2 vCPUs; docs/performance.md). Kprobe handlers run
 * with preemption off, so none is skipped. /sys/kernel/realtime says 1 on
 * such kernels; the uname version says PREEMPT_RT on older ones.
 */
bool preempt_rt_kernel(const char *realtime, const char *version)
{
	if (realtime)
		return realtime[0] == '1';
	return version && strstr(version, " PREEMPT_RT ");
}

static bool running_preempt_rt(void)
{
	char buf[8] = "";
	struct utsname u;
	FILE *f = fopen("/sys/kernel/realtime", "re");
	bool got = f && fgets(buf, sizeof(buf), f);

	if (f)
		fclose(f);
	uname(&u);
	return preempt_rt_kernel(got ? buf : NULL, u.version);
}

/*
 * Can this kernel run our programs, and how? fsession where the kernel has
 * it (one program per call, the start time in its cookie); fentry where
 * trampolines exist; kprobes where fentry is not supported (arm64 before
 * 6.x direct calls) and on PREEMPT_RT (see above) unless --hold needs fentry;
 * nothing where tracing programs are refused. PMUTRACE_PROBE=fentry, fsession
 * or kprobe forces a kind (benchmarks), where the kernel has it.
 */
int choose_probe(const struct btf *btf, const struct options *o,
		 struct probe_choice *c)
{
	const char *force = getenv("PMUTRACE_PROBE");
	bool session = has_fsession(btf) &&
		       !(force && !strcmp(force, "fentry"));
	bool direct;
	int err;

	c->why = PROBE_WHY_BEST;
	c->preempt_rt = running_preempt_rt();
	if (!o->hold && force && !strcmp(force, "kprobe")) {
		c->kind = PROBE_KPROBE;
		c->why = PROBE_WHY_FORCED;
		return 0;
	}
	/*
	 * Trampolines attach where ftrace has direct calls (arm64 from 6.4;
	 * every kernel with fsession): there loading says whether tracing
	 * programs are allowed. Elsewhere only a real attach tells fentry from
	 * the kprobe fallback (arm64 6.1 loads fentry, then cannot attach),
	 * and its detach costs an RCU-tasks grace period of start-up (78 ms of
	 * guest time on trixie's 6.12, where it is not needed).
	 */
	direct = session ||
		 btf_lookup(btf, "register_ftrace_direct", BTF_KIND_FUNC) > 0;
	err = check_tracing_allowed(btf,
				    direct ? probe_fentry_load : probe_fentry);
	c->kind = PROBE_FENTRY;
	if (!err) {
		if (session)
			c->kind = PROBE_SESSION;
		if (c->preempt_rt && !o->hold && !force) {
			c->kind = PROBE_KPROBE;
			c->why = PROBE_WHY_PREEMPT_RT;
		}
		return 0;
	}
	if (err == -KERNEL_ENOTSUPP || err == -EOPNOTSUPP) {
		if (o->hold)
			return report_error(
				EXIT_KERNEL,
				"--hold needs fentry, which this kernel does not support: run without --hold");
		c->kind = PROBE_KPROBE; /* said with "Tracing", once attached */
		c->why = PROBE_WHY_NO_FENTRY;
		return 0;
	}
	return report_error(
		EXIT_KERNEL,
		"this kernel refuses BPF tracing programs (fentry: %s); run pmutrace on a kernel that allows them, e.g. in the QEMU lab: sudo scripts/pmutrace.sh",
		strerror(-err));
}

/*
 * The default run's symbols without reading all of /proc/kallsyms: exact
 * names from the kernel's index, then the file only as far as the targets'
 * ends. q[0..nfunc) are functions, then the lock and the data-symbol mark.
 * -EAGAIN (or the index's error) when the whole file must be read: an old
 * kernel, or a name not found exactly where a compiler's variant (.isra.0,
 * .llvm.NNN) may stand in: the lock where data symbols are listed, and
 * with all_named (-f) any function; a default reader that is not found is
 * inlined (user/common/pmu_domain.c). The ends serve only to tell which
 * target a lock waiter is inside: without a lock the file is not read.
 */
static int ksyms_fast(const char *path, struct ksym_query *q, int nfunc,
		      bool all_named, bool need_ends)
{
	int err = ksyms_kernel_lookup(q, nfunc + 2);

	startup_step("kernel's symbol index asked");
	if (err)
		return err;
	if (!q[nfunc].addr && q[nfunc + 1].addr)
		return -EAGAIN;
	/* -f names: one not found by its exact name may be a variant. */
	for (int i = 0; i < nfunc && all_named; i++)
		if (!q[i].addr)
			return -EAGAIN;
	err = need_ends ? ksyms_find_ends(path, q, nfunc) : 0;
	return err < 0 ? err : 0;
}

/* --sites: the inline-site table, checked against this kernel's build-id. */
static struct sitetab site_table;

/* --sites and --attach for resolve_all: the table, checked (sites_run.c). */
int inline_sites_setup(const struct options *o)
{
	int code = o->sites ? sites_load(o, &site_table) : 0;

	/* --sites auto without a table for this kernel: none, not an error */
	set_inline_sites(o->sites && !code && site_table.build_id_len ?
				 &site_table :
				 NULL,
			 o->attach);
	return code;
}

/*
 * Resolve every target in this kernel. The kallsyms look-up covers the
 * targets, their callers (kprobes need exact symbols) and the lock.
 */
int resolve_all(const struct options *o, struct run_result *r,
		const struct btf *btf)
{
	const char *names[PMUTRACE_MAX_TARGETS];
	struct ksym_query q[2 * PMUTRACE_MAX_TARGETS + 2] = {};
	int n = o->nfuncs ? o->nfuncs : PMU_NREADERS, nq = 0, attached = 0, err;
	int first[PMUTRACE_MAX_TARGETS]; /* each target's query, its caller's next */

	for (int i = 0; i < n; i++) {
		const struct pmu_reader *k;

		names[i] = o->nfuncs ? o->funcs[i] : pmu_readers[i].name;
		first[i] = nq;
		q[nq++].name = names[i];
		k = pmu_reader_find(names[i]);
		if (k && k->caller)
			q[nq++].name = k->caller;
	}
	/* The lock, by name or by address, and the data-symbol mark. */
	q[nq].name = o->lock ? o->lock : PMU_LOCK;
	if (o->lock && !parse_lock_address(o->lock, &q[nq].at))
		q[nq].name = NULL;
	q[nq + 1].name = KALLSYMS_DATA_MARK;
	err = -EAGAIN;
	if (q[nq].name && r->probe_choice.why != PROBE_WHY_NO_FENTRY &&
	    !strcmp(o->kallsyms, PROC_KALLSYMS))
		err = ksyms_fast(o->kallsyms, q, nq, o->nfuncs > 0,
				 !o->no_lock);
	if (err)
		err = ksyms_lookup(o->kallsyms, q, nq + 2);
	startup_step("kallsyms read");
	if (err == -EPERM && !o->no_lock)
		fprintf(stderr,
			"pmutrace: %s shows no addresses (kptr_restrict?)\n",
			o->kallsyms);
	set_kprobe_symbols(q, nq);
	r->ntargets = n;
	for (int i = 0; i < n; i++) {
		resolve_target(&r->targets[i], names[i], btf, &q[first[i]],
			       r->probe == PROBE_KPROBE ? probe_kprobe :
							  probe_fentry_load);
		for (int j = first[i]; j < (i + 1 < n ? first[i + 1] : nq); j++)
			if (!strcmp(q[j].name, r->targets[i].function)) {
				r->targets[i].func_lo = q[j].addr;
				r->targets[i].func_hi = q[j].end;
				break;
			}
	}
	if (o->sites)
		sites_prepare(r, &site_table, o->kallsyms);
	for (int i = 0; i < n; i++)
		attached += r->targets[i].mode != ATTACH_ABSENT;
	if (!attached) {
		char why[1024] = "";
		size_t len = 0;

		for (int i = 0; i < n && len < sizeof(why); i++)
			len += snprintf(why + len, sizeof(why) - len,
					"%s%s: %s", i ? "; " : "",
					r->targets[i].name,
					r->targets[i].reason);
		return report_error(
			EXIT_NO_TARGET,
			"nothing can be traced in this kernel (%s)%s: %s",
			r->release,
			o->nfuncs ? "" : ", is this an arm64 KVM host?", why);
	}
	err = resolve_lock(o, &r->lock, &q[nq], &q[nq + 1]);
	/* Session mode finds a lock event's target by its text on the stack:
	 * without addresses, fentry's per-task stack does it. */
	for (int i = 0; i < n && r->probe == PROBE_SESSION; i++)
		if (r->lock.traced && r->targets[i].mode != ATTACH_ABSENT &&
		    !r->targets[i].func_hi)
			r->probe = PROBE_FENTRY;
	return err;
}

/* Every FUNC or ENUM name start-up may look up, for one walk of the BTF. */
static void prepare_lookups(const struct options *o, const struct btf *btf)
{
	const char *names[BTF_LOOKUP_MAX];
	int n = 0;

	names[n++] = "bpf_attach_type"; /* has_fsession() */
	names[n++] = "bpf_session_cookie";
	names[n++] = "bpf_task_from_pid"; /* attrib_prepare() */
	names[n++] = "register_ftrace_direct"; /* choose_probe() */
	for (int i = 0; i < TRACING_PROBE_FUNCS; i++)
		names[n++] = tracing_probe_funcs[i];
	for (int i = 0; i < PMU_NREADERS; i++) {
		names[n++] = pmu_readers[i].name;
		names[n++] = pmu_readers[i].caller;
	}
	for (int i = 0; i < o->nfuncs && n + 1 < BTF_LOOKUP_MAX; i++) {
		const struct pmu_reader *k = pmu_reader_find(o->funcs[i]);

		names[n++] = o->funcs[i];
		names[n++] = k ? k->caller : NULL;
	}
	btf_lookup_prepare(btf, names, n);
}

/* This boot's identity, so that compare can refuse two runs of one boot
 * given as two boots: 36 characters of a UUID, "" where there is none. */
static void read_boot_id(char *id, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	id[0] = '\0';
	if (f && fgets(id, (int)len, f))
		id[strcspn(id, "\n")] = '\0';
	if (f)
		fclose(f);
	if (!text_is_clean(id, strlen(id)))
		id[0] = '\0';
}

/* Everything before loading: the first problem is said in one line and its
 * exit code returned. */
int prepare_run(const struct options *o, struct run_result *r)
{
	struct utsname u;
	struct btf *btf;
	int code;

	uname(&u);
	snprintf(r->release, sizeof(r->release), "%s", u.release);
	snprintf(r->machine, sizeof(r->machine), "%s", u.machine);
	read_boot_id(r->boot_id, sizeof(r->boot_id));
	r->label = o->label;
	if (!has_privileges())
		return report_error(
			EXIT_NO_PERMISSION,
			"needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
	startup_step("start");
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return report_error(
			EXIT_KERNEL,
			"this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
	startup_step("kernel BTF parsed");
	prepare_lookups(o, btf);
	startup_step("names looked up");
	code = choose_probe(btf, o, &r->probe_choice);
	r->probe = r->probe_choice.kind;
	startup_step("probe kind chosen");
	if (!code)
		code = inline_sites_setup(o);
	if (!code)
		code = resolve_all(o, r, btf);
	startup_step("targets resolved");
	if (!code)
		code = attrib_prepare(o, r, btf);
	btf_lookup_forget();
	if (code)
		btf__free(btf);
	else
		btf_keep(btf);
	startup_step("resolution's BTF kept for the load");
	return code;
}
