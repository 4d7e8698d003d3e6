// SPDX-License-Identifier: GPL-2.0
/*
 * Getting a run ready: privileges, how this kernel can be probed, where each
 * target and the lock are. Shared by the trace run and `pmutrace check`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <bpf/btf.h>
#include "pmutrace_user.h"

#define DEFAULT_LOCK "arm_pmus_lock"
/* The kernel's internal "operation not supported", not in uapi headers. */
#define KERNEL_ENOTSUPP 524

static const char *const default_targets[] = {
	"kvm_pmu_probe_armpmu",
	"kvm_arm_pmu_v3_set_pmu",
	"kvm_supports_guest_pmuv3",
};

const char *probe_kind_name(enum probe_kind kind)
{
	return kind == PROBE_SESSION ? "fsession" :
	       kind == PROBE_KPROBE  ? "kprobe" :
				       "fentry";
}

int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pmutrace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Root, or both CAP_BPF (39) and CAP_PERFMON (38) in the effective set. */
bool has_privileges(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff & (1ULL << 39)) && (eff & (1ULL << 38));
}

/* Find the lock: an address given as such, else a kallsyms symbol. */
static int resolve_lock(const struct options *o, struct lock_target *l,
			const struct ksym_query *q)
{
	const char *name = o->lock ? o->lock : DEFAULT_LOCK;

	if (o->no_lock)
		return 0;
	l->traced = true;
	l->hold = o->hold;
	if (!parse_lock_address(name, &l->addr)) {
		snprintf(l->name, sizeof(l->name), "%s", name);
		return 0;
	}
	if (!q->addr && o->lock)
		return fail(
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
	int id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	if (btf__find_by_name_kind(btf, "bpf_session_cookie", BTF_KIND_FUNC) <
	    0)
		return false;
	for (int i = 0; t && i < btf_vlen(t); i++)
		if (e[i].val == PMUTRACE_BPF_TRACE_FSESSION &&
		    !strcmp(btf__name_by_offset(btf, e[i].name_off),
			    "BPF_TRACE_FSESSION"))
			return true;
	return false;
}

/*
 * Can this kernel run our programs, and how? fsession where the kernel has
 * it (one program per call, the start time in its cookie); fentry where
 * trampolines exist; PMUTRACE_PROBE=fentry forces the latter (benchmarks);
 * kprobes where fentry is not supported (arm64 before 6.x direct calls);
 * nothing where tracing programs are refused.
 */
int choose_probe(const struct btf *btf, const struct options *o,
		 enum probe_kind *kind)
{
	const char *force = getenv("PMUTRACE_PROBE");
	bool session = has_fsession(btf) &&
		       !(force && !strcmp(force, "fentry"));
	/*
	 * Kernels with fsession have trampolines: loading says whether tracing
	 * programs are allowed. Elsewhere only a real attach tells fentry from
	 * the kprobe fallback (arm64 6.1 loads fentry, then cannot attach), and
	 * its detach costs an RCU-tasks grace period of start-up.
	 */
	int err = check_tracing_allowed(btf, session ? probe_fentry_load :
						       probe_fentry);

	*kind = PROBE_FENTRY;
	if (!err) {
		if (session)
			*kind = PROBE_SESSION;
		return 0;
	}
	if (err == -KERNEL_ENOTSUPP || err == -EOPNOTSUPP) {
		if (o->hold)
			return fail(
				EXIT_KERNEL,
				"--hold needs fentry, which this kernel does not support: run without --hold");
		*kind = PROBE_KPROBE; /* said with "Tracing", once attached */
		return 0;
	}
	return fail(
		EXIT_KERNEL,
		"this kernel refuses BPF tracing programs (fentry: %s); run pmutrace on a kernel that allows them, e.g. in the QEMU lab: sudo scripts/pmutrace.sh",
		strerror(-err));
}

/*
 * Resolve every target in this kernel. The kallsyms look-up covers the
 * targets, their callers (kprobes need exact symbols) and the lock.
 */
int resolve_all(const struct options *o, struct run_result *r,
		const struct btf *btf)
{
	const char *const *names = o->nfuncs ? o->funcs : default_targets;
	struct ksym_query q[2 * PMUTRACE_MAX_TARGETS + 1] = {};
	int n = o->nfuncs ? o->nfuncs : 3, nq = 0, attached = 0, err;

	for (int i = 0; i < n; i++) {
		q[nq++].name = names[i];
		if (known_caller(names[i]))
			q[nq++].name = known_caller(names[i]);
	}
	q[nq].name = o->lock ? o->lock : DEFAULT_LOCK;
	err = ksyms_lookup(o->kallsyms, q, nq + 1);
	if (err == -EPERM && !o->no_lock)
		fprintf(stderr,
			"pmutrace: %s shows no addresses (kptr_restrict?)\n",
			o->kallsyms);
	set_kprobe_symbols(q, nq);
	r->ntargets = n;
	for (int i = 0, k = 0; i < n; i++) {
		resolve_target(&r->targets[i], names[i], btf, &q[k],
			       r->probe == PROBE_KPROBE ? probe_kprobe :
							  probe_fentry_load);
		for (int j = k; j <= k + !!known_caller(names[i]); j++)
			if (!strcmp(q[j].name, r->targets[i].function)) {
				r->targets[i].func_lo = q[j].addr;
				r->targets[i].func_hi = q[j].end;
				break;
			}
		k += known_caller(names[i]) ? 2 : 1;
		attached += r->targets[i].mode != ATTACH_ABSENT;
	}
	if (!attached) {
		char why[1024] = "";
		size_t len = 0;

		for (int i = 0; i < n && len < sizeof(why); i++)
			len += snprintf(why + len, sizeof(why) - len,
					"%s%s: %s", i ? "; " : "",
					r->targets[i].name,
					r->targets[i].reason);
		return fail(EXIT_NO_TARGET,
			    "nothing can be traced in this kernel (%s)%s: %s",
			    r->release,
			    o->nfuncs ? "" : ", is this an arm64 KVM host?",
			    why);
	}
	err = resolve_lock(o, &r->lock, &q[nq]);
	/* Session mode finds a lock event's target by its text on the stack:
	 * without addresses, fentry's per-task stack does it. */
	for (int i = 0; i < n && r->probe == PROBE_SESSION; i++)
		if (r->lock.traced && r->targets[i].mode != ATTACH_ABSENT &&
		    !r->targets[i].func_hi)
			r->probe = PROBE_FENTRY;
	return err;
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
	r->label = o->label;
	if (!has_privileges())
		return fail(
			EXIT_NO_PERMISSION,
			"needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return fail(
			EXIT_KERNEL,
			"this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
	code = choose_probe(btf, o, &r->probe);
	if (!code)
		code = resolve_all(o, r, btf);
	btf__free(btf);
	return code;
}

/*
 * Once attached, pmutrace only reads its maps (CAP_BPF: 6.1 refuses every
 * bpf() command without it) and writes its output (CAP_DAC_OVERRIDE, kept
 * only when an output file was asked for, so it lands wherever root could
 * put it). Everything else goes, for good: bounding set, securebits so uid 0
 * regains nothing on exec, and no_new_privs.
 */
int drop_privileges(bool keep_dac)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3
	};
	struct __user_cap_data_struct data[2] = {};
	__u64 keep = 1ULL << CAP_BPF;
	int last = CAP_LAST_CAP;
	FILE *f;

	if (keep_dac)
		keep |= 1ULL << CAP_DAC_OVERRIDE;
	f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
					     SECBIT_NO_SETUID_FIXUP |
					     SECBIT_NO_SETUID_FIXUP_LOCKED |
					     SECBIT_KEEP_CAPS_LOCKED))
		return -errno;
	for (int cap = 0; cap <= last; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap) &&
		    errno != EINVAL)
			return -errno;
	data[0].effective = data[0].permitted = (__u32)keep;
	data[1].effective = data[1].permitted = (__u32)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
