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
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "pmutrace_user.h"
#include "compare.h"
#include "pmutrace.skel.h"

#define DEFAULT_LOCK "arm_pmus_lock"

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

/* Sum a per-CPU array element over every possible CPU. */
static int read_percpu(int map_fd, __u32 key, void *buf, size_t size, int ncpus,
		       void (*add)(void *into, const void *cpu), void *into)
{
	if (bpf_map_lookup_elem(map_fd, &key, buf))
		return -errno;
	memset(into, 0, size);
	for (int c = 0; c < ncpus; c++)
		add(into, (const char *)buf + (size_t)c * size);
	return 0;
}

static void add_target(void *into, const void *cpu)
{
	target_stats_add(into, cpu);
}

static void add_lock(void *into, const void *cpu)
{
	lock_stats_add(into, cpu);
}

static __u64 prog_misses(const struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

struct tracer {
	struct pmutrace_bpf *skel;
	struct bpf_program *entry[PMUTRACE_MAX_TARGETS];
	struct bpf_program *exit[PMUTRACE_MAX_TARGETS];
	int ncpus;
	void *buf;
};

static int collect(struct tracer *tr, struct run_result *r)
{
	struct pmutrace_bpf *s = tr->skel;
	int err;

	for (int i = 0; i < r->ntargets; i++) {
		if (r->targets[i].mode == ATTACH_ABSENT)
			continue;
		err = read_percpu(bpf_map__fd(s->maps.target_stats), i, tr->buf,
				  sizeof(struct target_stats), tr->ncpus,
				  add_target, &r->res[i].s);
		if (err)
			return err;
		r->res[i].missed_entry = prog_misses(tr->entry[i]);
		r->res[i].missed_exit = prog_misses(tr->exit[i]);
	}
	if (r->lock.traced) {
		err = read_percpu(bpf_map__fd(s->maps.lock_stats), 0, tr->buf,
				  sizeof(struct lock_stats), tr->ncpus,
				  add_lock, &r->lock_stats);
		if (err)
			return err;
		r->lock_missed = prog_misses(s->progs.lock_contention_begin) +
				 prog_misses(s->progs.lock_contention_end);
		if (r->lock.hold)
			r->lock_missed += prog_misses(s->progs.lock_acquired) +
					  prog_misses(s->progs.lock_released);
	}
	for (__u32 k = 0; k < DROP_REASONS; k++) {
		__u64 *v = tr->buf, sum = 0;

		if (bpf_map_lookup_elem(bpf_map__fd(s->maps.drops), &k, v))
			return -errno;
		for (int c = 0; c < tr->ncpus; c++)
			sum += v[c];
		r->drops[k] = sum;
	}
	return 0;
}

/* Point the slot programs at the resolved functions; unused stay unloaded. */
static int configure(struct tracer *tr, struct run_result *r, bool hold)
{
	struct pmutrace_bpf *s = tr->skel;
	struct bpf_program *entry[] = {
		s->progs.target_entry_0, s->progs.target_entry_1,
		s->progs.target_entry_2, s->progs.target_entry_3,
		s->progs.target_entry_4, s->progs.target_entry_5,
		s->progs.target_entry_6, s->progs.target_entry_7,
	};
	struct bpf_program *exit[] = {
		s->progs.target_exit_0, s->progs.target_exit_1,
		s->progs.target_exit_2, s->progs.target_exit_3,
		s->progs.target_exit_4, s->progs.target_exit_5,
		s->progs.target_exit_6, s->progs.target_exit_7,
	};
	int err;

	for (int i = 0; i < PMUTRACE_MAX_TARGETS; i++) {
		const struct target *t = &r->targets[i];
		bool used = i < r->ntargets && t->mode != ATTACH_ABSENT;

		tr->entry[i] = entry[i];
		tr->exit[i] = exit[i];
		bpf_program__set_autoload(entry[i], used);
		bpf_program__set_autoload(exit[i], used);
		if (!used)
			continue;
		err = bpf_program__set_attach_target(entry[i], 0, t->function);
		if (!err)
			err = bpf_program__set_attach_target(exit[i], 0,
							     t->function);
		if (err)
			return err;
		s->rodata->ret_kind[i] = t->ret_kind;
		s->rodata->filter_kind[i] = t->filter_kind;
		s->rodata->filter_arg[i] = t->filter_arg;
		s->rodata->filter_value[i] = t->filter_value;
	}
	s->rodata->lock_addr = r->lock.addr;
	bpf_program__set_autoload(s->progs.lock_contention_begin,
				  r->lock.traced);
	bpf_program__set_autoload(s->progs.lock_contention_end, r->lock.traced);
	bpf_program__set_autoload(s->progs.lock_acquired, hold);
	bpf_program__set_autoload(s->progs.lock_released, hold);
	return 0;
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
	if (!q->addr)
		return fail(
			EXIT_NO_LOCK,
			"lock symbol %s not found in %s: give --lock SYMBOL|ADDR, or --no-lock",
			name, o->kallsyms);
	l->addr = q->addr;
	snprintf(l->name, sizeof(l->name), "%s", q->found);
	return 0;
}

static void say_tracing(const struct run_result *r)
{
	int n = 0;

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

static void delta_hist(struct hist *d, const struct hist *cur,
		       const struct hist *prev)
{
	for (__u32 i = 0; i < HIST_BUCKETS; i++)
		d->slots[i] = cur->slots[i] - prev->slots[i];
}

/* What happened since prev: counts and histograms subtract; min and max
 * do not, so the interval's come from its histogram's outer buckets. */
static void interval_result(struct run_result *d, const struct run_result *cur,
			    const struct run_result *prev)
{
	*d = *cur;
	for (int i = 0; i < cur->ntargets; i++) {
		struct target_stats *s = &d->res[i].s;
		const struct target_stats *p = &prev->res[i].s;

		delta_hist(&s->latency, &cur->res[i].s.latency, &p->latency);
		s->count -= p->count;
		s->timed -= p->timed;
		s->sum_ns -= p->sum_ns;
		s->ret_zero -= p->ret_zero;
		s->ret_nonzero -= p->ret_nonzero;
		for (int e = 0; e <= PMUTRACE_MAX_ERRNO; e++)
			s->ret_errno[e] -= p->ret_errno[e];
		s->ret_errno_other -= p->ret_errno_other;
		s->lock_acquired -= p->lock_acquired;
		s->lock_hold_ns -= p->lock_hold_ns;
		d->res[i].missed_entry -= prev->res[i].missed_entry;
		d->res[i].missed_exit -= prev->res[i].missed_exit;
		s->min_ns = (__u64)hist_percentile(&s->latency, 0, 0, 0);
		s->max_ns = (__u64)hist_percentile(&s->latency, 1, 0, 0);
	}
	delta_hist(&d->lock_stats.wait, &cur->lock_stats.wait,
		   &prev->lock_stats.wait);
	d->lock_stats.contended -= prev->lock_stats.contended;
	d->lock_stats.wait_sum_ns -= prev->lock_stats.wait_sum_ns;
	d->lock_stats.wait_min_ns =
		(__u64)hist_percentile(&d->lock_stats.wait, 0, 0, 0);
	d->lock_stats.wait_max_ns =
		(__u64)hist_percentile(&d->lock_stats.wait, 1, 0, 0);
	for (int i = 0; i <= PMUTRACE_MAX_TARGETS; i++)
		d->lock_stats.contended_in[i] -=
			prev->lock_stats.contended_in[i];
	d->lock.hold = false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL); /* a signal ends it early: that is wanted */
}

static int run(const struct options *o, struct run_result *r,
	       struct run_result *prev, struct run_result *delta)
{
	struct ksym_query q[PMUTRACE_MAX_TARGETS + 1] = {};
	const char *const *names = o->nfuncs ? o->funcs : default_targets;
	int n = o->nfuncs ? o->nfuncs : 3, err, attached = 0, code = EXIT_OK;
	struct tracer tr = {};
	struct output out;
	struct btf *btf;
	struct utsname u;
	double start, last;

	/* User errors first, before anything is loaded or created. */
	err = output_open(&out, o->output);
	if (err)
		return fail(EXIT_OUTPUT, "cannot write %s: %s", o->output,
			    strerror(-err));
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
	err = check_tracing_allowed(btf);
	if (err) {
		btf__free(btf);
		code = fail(
			EXIT_KERNEL,
			"this kernel refuses BPF tracing programs (fentry: %s); run pmutrace on a kernel that allows them, e.g. in the QEMU lab: sudo scripts/pmutrace.sh",
			strerror(-err));
		goto cleanup;
	}
	for (int i = 0; i < n; i++)
		q[i].name = names[i];
	q[n].name = o->lock ? o->lock : DEFAULT_LOCK;
	err = ksyms_lookup(o->kallsyms, q, n + 1);
	if (err == -EPERM && !o->no_lock)
		fprintf(stderr,
			"pmutrace: %s shows no addresses (kptr_restrict?)\n",
			o->kallsyms);
	uname(&u);
	snprintf(r->release, sizeof(r->release), "%s", u.release);
	snprintf(r->machine, sizeof(r->machine), "%s", u.machine);
	r->ntargets = n;
	r->label = o->label;
	for (int i = 0; i < n; i++) {
		resolve_target(&r->targets[i], names[i], btf, &q[i],
			       probe_fentry);
		attached += r->targets[i].mode != ATTACH_ABSENT;
	}
	btf__free(btf);
	if (!attached) {
		char why[1024] = "";
		size_t len = 0;

		for (int i = 0; i < n && len < sizeof(why); i++)
			len += snprintf(why + len, sizeof(why) - len,
					"%s%s: %s", i ? "; " : "",
					r->targets[i].name,
					r->targets[i].reason);
		code = fail(EXIT_NO_TARGET,
			    "nothing can be traced in this kernel (%s)%s: %s",
			    r->release,
			    o->nfuncs ? "" : ", is this an arm64 KVM host?",
			    why);
		goto cleanup;
	}
	code = resolve_lock(o, &r->lock, &q[n]);
	if (code)
		goto cleanup;

	tr.ncpus = libbpf_num_possible_cpus();
	tr.buf = calloc(tr.ncpus, sizeof(struct lock_stats) >
						  sizeof(struct target_stats) ?
					  sizeof(struct lock_stats) :
					  sizeof(struct target_stats));
	tr.skel = pmutrace_bpf__open();
	if (!tr.buf || !tr.skel) {
		code = fail(EXIT_RUNTIME, "cannot open the BPF object: %s",
			    strerror(errno));
		goto cleanup;
	}
	err = configure(&tr, r, o->hold);
	if (!err)
		err = pmutrace_bpf__load(tr.skel);
	if (!err)
		err = pmutrace_bpf__attach(tr.skel);
	if (err) {
		code = fail(
			EXIT_RUNTIME,
			"cannot load or attach the BPF programs: %s (run with -v for libbpf's log)",
			strerror(-err));
		goto cleanup;
	}
	say_tracing(r);

	start = last = now_s();
	while (!exiting) {
		double t = now_s(),
		       step = o->interval ? o->interval - (t - last) : 1;

		if (o->duration && t - start >= o->duration)
			break;
		if (o->duration && start + o->duration - t < step)
			step = start + o->duration - t;
		if (step > 0)
			sleep_s(step);
		if (exiting || !o->interval ||
		    now_s() - last < o->interval - 1e-3)
			continue;
		err = collect(&tr, r);
		if (err)
			break;
		interval_result(delta, r, prev);
		delta->duration_s = now_s() - last;
		last = now_s();
		render_text(stderr, delta, true);
		*prev = *r;
	}
	r->duration_s = now_s() - start;
	err = collect(&tr, r);
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

cleanup:
	pmutrace_bpf__destroy(tr.skel);
	free(tr.buf);
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

	if (argc > 1 && !strcmp(argv[1], "compare"))
	{
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
