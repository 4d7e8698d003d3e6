// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace: resolve the targets, load and attach the BPF programs, wait,
 * then read the per-CPU maps and print. One cleanup path.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pmutrace_user.h"
#include "compare.h"
#include "exporter.h"

#define DEFAULT_LOCK "arm_pmus_lock"
/* The kernel's internal "operation not supported", not in uapi headers. */
#define KERNEL_ENOTSUPP 524

static const char *const default_targets[] = {
	"kvm_pmu_probe_armpmu",
	"kvm_arm_pmu_v3_set_pmu",
	"kvm_supports_guest_pmuv3",
};

static volatile sig_atomic_t exiting;
static bool verbose;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* Failures get a line of our own; libbpf's detail is for -v. */
	(void)level;
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static int fail(int code, const char *fmt, ...)
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
static bool has_privileges(void)
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

/* Output goes to a temporary file renamed into place at the end, so a
 * failed run never leaves a half-written file behind. */
struct output {
	FILE *f;
	char tmp[4096];
	const char *path;
};

static int output_open(struct output *o, const char *path)
{
	char dir[4096];
	int fd;

	o->path = path;
	o->f = stdout;
	o->tmp[0] = '\0';
	if (!path)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(o->tmp, sizeof(o->tmp), "%s/.pmutrace.XXXXXX", dirname(dir));
	fd = mkstemp(o->tmp);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		o->tmp[0] = '\0';
		o->f = NULL;
		return -err;
	}
	return 0;
}

static int output_close(struct output *o, bool commit)
{
	int err = 0;

	if (!o->tmp[0])
		return fflush(stdout) ? -errno : 0;
	if (fclose(o->f))
		err = -errno;
	if (commit && !err && rename(o->tmp, o->path))
		err = -errno;
	if (!commit || err)
		unlink(o->tmp);
	return err;
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

/* Notes on how this kernel is traced, then the "Tracing" line itself. */
static void say_tracing(const struct run_result *r, const char *kallsyms)
{
	int n = 0;

	if (r->probe == PROBE_KPROBE)
		fprintf(stderr,
			"pmutrace: fentry is not supported by this kernel: using kprobes\n");
	if (r->lock.default_missing)
		fprintf(stderr,
			"pmutrace: %s is not in %s (no CONFIG_KALLSYMS_ALL?): not watching a lock; give --lock ADDR to watch it\n",
			r->lock.name, kallsyms);

	for (int i = 0; i < r->ntargets; i++)
		n += r->targets[i].mode != ATTACH_ABSENT;
	fprintf(stderr, "Tracing %d of %d targets", n, r->ntargets);
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];

		fprintf(stderr, "%s %s (%s%s%s)", i ? "," : ":", t->name,
			attach_mode_name(t->mode),
			t->mode == ATTACH_CALLER ? " via " : "",
			t->mode == ATTACH_CALLER ? t->function : "");
	}
	if (r->lock.traced)
		fprintf(stderr, "; lock %s%s", r->lock.name,
			r->lock.hold ? " with holds" : "");
	fprintf(stderr, ". Ctrl-C to end.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Can this kernel run our programs, and how? fentry where trampolines exist;
 * kprobes where fentry is not supported (arm64 before 6.x direct calls);
 * nothing where tracing programs are refused.
 */
static int choose_probe(const struct btf *btf, const struct options *o,
			enum probe_kind *kind)
{
	int err = check_tracing_allowed(btf);

	*kind = PROBE_FENTRY;
	if (!err)
		return 0;
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
static int resolve_all(const struct options *o, struct run_result *r,
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
							  probe_fentry);
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
	return resolve_lock(o, &r->lock, &q[nq]);
}

static int run(const struct options *o, struct run_result *r,
	       struct run_result *prev, struct run_result *delta)
{
	struct tracer *tr = NULL;
	int err, code = EXIT_OK;
	struct exporter x = {};
	struct output out;
	struct btf *btf;
	struct utsname u;
	double start, last;

	/* User errors first, before anything is loaded or created. */
	err = output_open(&out, o->output);
	if (err)
		return fail(EXIT_OUTPUT, "cannot write %s: %s", o->output,
			    strerror(-err));
	if (exporter_open(&x, o)) {
		code = fail(EXIT_OUTPUT, "%s", x.error);
		goto cleanup;
	}
	if (!has_privileges()) {
		code = fail(
			EXIT_NO_PERMISSION,
			"needs root (or CAP_BPF and CAP_PERFMON): run it with sudo");
		goto cleanup;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		code = fail(
			EXIT_KERNEL,
			"this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs CONFIG_DEBUG_INFO_BTF=y");
		goto cleanup;
	}
	uname(&u);
	snprintf(r->release, sizeof(r->release), "%s", u.release);
	snprintf(r->machine, sizeof(r->machine), "%s", u.machine);
	r->label = o->label;
	code = choose_probe(btf, o, &r->probe);
	if (!code)
		code = resolve_all(o, r, btf);
	btf__free(btf);
	if (code)
		goto cleanup;

	tr = tracer_start(r, &err);
	if (!tr) {
		code = fail(
			EXIT_RUNTIME,
			"cannot load or attach the BPF programs: %s (run with -v for libbpf's log)",
			strerror(-err));
		goto cleanup;
	}
	say_tracing(r, o->kallsyms);

	start = last = now_s();
	while (!exiting) {
		double t = now_s(),
		       step = o->interval ? o->interval - (t - last) : 1;

		if (o->duration && t - start >= o->duration)
			break;
		if (o->duration && start + o->duration - t < step)
			step = start + o->duration - t;
		if (step > 0)
			exporter_wait(&x, step);
		err = exporter_poll(&x, tr, r);
		if (err)
			break;
		if (exiting || !o->interval ||
		    now_s() - last < o->interval - 1e-3)
			continue;
		err = tracer_collect(tr, r);
		if (err)
			break;
		result_interval(delta, r, prev);
		delta->duration_s = now_s() - last;
		last = now_s();
		render_text(stderr, delta, true);
		*prev = *r;
	}
	r->duration_s = now_s() - start;
	err = tracer_collect(tr, r);
	if (err) {
		code = fail(EXIT_RUNTIME, "cannot read the BPF maps: %s",
			    strerror(-err));
		goto cleanup;
	}
	if (o->json)
		err = write_json(out.f, r);
	else
		render_text(out.f, r, false);
	if (err || ferror(out.f))
		code = fail(EXIT_OUTPUT, "cannot write the output");
	err = exporter_finish(&x, r);
	if (err && code == EXIT_OK)
		code = fail(EXIT_OUTPUT, "cannot write %s: %s", o->textfile,
			    strerror(-err));

cleanup:
	exporter_close(&x);
	tracer_stop(tr);
	err = output_close(&out, code == EXIT_OK);
	if (err && code == EXIT_OK)
		code = fail(EXIT_OUTPUT, "cannot write %s: %s", o->output,
			    strerror(-err));
	return code;
}

int main(int argc, char **argv)
{
	static struct run_result result, prev, delta;
	struct sigaction sa = { .sa_handler = on_signal };
	struct options opts;

	if (argc > 1 && !strcmp(argv[1], "compare")) {
		argv[1] = (char *)"pmutrace compare";
		return compare_main(argc - 1, argv + 1);
	}
	parse_options(argc, argv, &opts);
	verbose = opts.verbose;
	libbpf_set_print(print_libbpf);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return run(&opts, &result, &prev, &delta);
}
