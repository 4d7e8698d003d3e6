// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace check: is this host ready to be traced, and how would each target
 * be? Exit 0 when ready, else the code the trace run would fail with.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/kvm.h>
#include <bpf/btf.h>
#include "pmu_domain.h"

#define SELF_TEST_CALLS 16

static void line(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("  %-26s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/*
 * Which side of the RCU patch, observed rather than guessed: with the hold
 * programs attached for a moment, make KVM_CHECK_EXTENSION(KVM_CAP_ARM_PMU_V3)
 * calls ourselves, which run kvm_supports_guest_pmuv3() on 7.x kernels.
 */
static void observe_patch_side(struct run_result *r)
{
	struct tracer *tr;
	char why[256];
	int kvm, err;

	if (r->probe == PROBE_KPROBE || !r->lock.traced) {
		line("patch side", "unknown (%s)",
		     r->probe == PROBE_KPROBE ?
			     "holds cannot be traced without fentry" :
			     PMU_LOCK " is not watched");
		return;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		line("patch side", "unknown (/dev/kvm: %s)", strerror(errno));
		return;
	}
	r->lock.hold = true;
	tr = tracer_start(r, &err);
	if (!tr) {
		line("patch side", "unknown (cannot attach: %s)",
		     strerror(-err));
		close(kvm);
		return;
	}
	for (int i = 0; i < SELF_TEST_CALLS; i++)
		ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PMU_V3);
	err = tracer_collect(tr, r);
	tracer_stop(tr);
	close(kvm);
	if (err) {
		line("patch side", "unknown (cannot read the maps: %s)",
		     strerror(-err));
		return;
	}
	line("patch side",
	     "%s (%s; from %d KVM_CHECK_EXTENSION calls made by check)",
	     patch_side(r, why, sizeof(why)), why, SELF_TEST_CALLS);
}

static const char *probe_said(const struct probe_choice *c)
{
	if (c->kind == PROBE_SESSION)
		return "fsession";
	if (c->kind == PROBE_FENTRY)
		return "fentry/fexit";
	if (c->why == PROBE_WHY_PREEMPT_RT)
		return "kprobes (PREEMPT_RT: trampoline programs are preemptible here)";
	return "kprobes (fentry is not supported)";
}

int check_main(int argc, char **argv)
{
	static struct run_result r;
	struct options o;
	struct utsname u;
	struct btf *btf;
	int code, n = 0;

	parse_check_options(argc, argv, &o);
	libbpf_log(o.verbose);
	uname(&u);
	snprintf(r.release, sizeof(r.release), "%s", u.release);
	snprintf(r.machine, sizeof(r.machine), "%s", u.machine);
	printf("pmutrace check on %s (%s)\n", r.release, r.machine);
	if (!has_privileges()) {
		line("privileges", "FAIL: not root, no CAP_BPF + CAP_PERFMON");
		return report_error(EXIT_NO_PERMISSION,
				    "needs root: run it with sudo");
	}
	line("privileges", "ok");
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		line("BTF", "FAIL: no /sys/kernel/btf/vmlinux");
		return report_error(
			EXIT_KERNEL,
			"this kernel has no BTF: it needs CONFIG_DEBUG_INFO_BTF=y");
	}
	line("BTF", "ok (/sys/kernel/btf/vmlinux)");
	code = choose_probe(btf, &o, &r.probe_choice);
	r.probe = r.probe_choice.kind;
	if (code) {
		btf__free(btf);
		line("tracing programs", "FAIL: refused by this kernel");
		return code;
	}
	line("tracing programs", "ok, %s", probe_said(&r.probe_choice));
	/* The patch side is observed with holds, which need trampolines. */
	if (r.probe_choice.why == PROBE_WHY_PREEMPT_RT) {
		struct probe_choice hold;

		o.hold = true;
		if (!choose_probe(btf, &o, &hold))
			r.probe = hold.kind;
		o.hold = false;
	}
	line("/dev/kvm", "%s",
	     access("/dev/kvm", R_OK | W_OK) ? "absent: not a KVM host?" :
					       "present");
	code = inline_sites_setup(&o);
	if (!code)
		code = resolve_all(&o, &r, btf);
	btf__free(btf);
	for (int i = 0; i < r.ntargets; i++) {
		const struct target *t = &r.targets[i];
		char what[NAME_LEN + 8];

		snprintf(what, sizeof(what), "%s", t->name);
		n += t->mode != ATTACH_ABSENT;
		line(what, "%s%s%s%s%s (%s)", attach_mode_name(t->mode),
		     t->mode == ATTACH_CALLER ? " via " : "",
		     t->mode == ATTACH_CALLER ? t->function : "",
		     t->filter[0] ? ", " : "", t->filter, t->reason);
	}
	if (code)
		return code;
	if (r.lock.traced)
		line("lock", "%s at 0x%llx%s", r.lock.name,
		     (unsigned long long)r.lock.addr,
		     r.lock.unchecked ?
			     " (not checked: kallsyms lists no data symbols)" :
			     "");
	else
		line("lock", "%s",
		     r.lock.default_missing ? PMU_LOCK
			     " not in kallsyms: not watched" :
					      "none (--no-lock)");
	observe_patch_side(&r);
	printf("ready: pmutrace can trace %d of %d targets\n", n, r.ntargets);
	return EXIT_OK;
}
