// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace: resolve the targets, load and attach the BPF programs, wait,
 * then read the per-CPU maps and print. One cleanup path.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "pmutrace_user.h"
#include "exporter.h"
#include "atomic_file.h"
#include "attrib.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* Notes on how this kernel is traced, then the "Tracing" line itself. */
static void say_tracing(const struct run_result *r, const char *kallsyms)
{
	int n = 0, inl = 0;

	if (r->probe_choice.why == PROBE_WHY_NO_FENTRY)
		fprintf(stderr,
			"pmutrace: fentry is not supported by this kernel: using kprobes\n");
	if (r->probe_choice.why == PROBE_WHY_PREEMPT_RT)
		fprintf(stderr,
			"pmutrace: PREEMPT_RT kernel: using kprobes, which run with preemption off (a preempted fentry or fsession program makes the kernel skip the other tasks' calls on its CPU)\n");
	if (r->probe_choice.preempt_rt && r->probe != PROBE_KPROBE)
		fprintf(stderr,
			"pmutrace: PREEMPT_RT kernel: %s programs are preemptible here, so calls made while one is preempted go untimed (see missed)%s\n",
			probe_kind_name(r->probe),
			r->lock.hold ? "; --hold needs them" : "");
	if (r->attrib && r->attrib->fentry_forced)
		fprintf(stderr,
			"pmutrace: attribution needs fentry/fexit here (the fsession programs have none): each call costs what PMUTRACE_PROBE=fentry does\n");
	if (r->lock.unchecked)
		fprintf(stderr,
			"pmutrace: %s lists no data symbols (no CONFIG_KALLSYMS_ALL?): cannot check that 0x%llx is a mutex\n",
			kallsyms, (unsigned long long)r->lock.addr);
	if (r->lock.default_missing)
		fprintf(stderr,
			"pmutrace: %s is not in %s (no CONFIG_KALLSYMS_ALL?): not watching a lock; give --lock ADDR to watch it\n",
			r->lock.name, kallsyms);

	for (int i = 0; i < r->ntargets; i++) {
		n += r->targets[i].mode != ATTACH_ABSENT;
		inl += r->targets[i].mode == ATTACH_INLINE;
	}
	/* Inline sites are kprobes whatever r->probe is (the rest's kind). */
	fprintf(stderr, "Tracing %d of %d targets", n, r->ntargets);
	if (n > inl)
		fprintf(stderr, " with %s", probe_kind_name(r->probe));
	if (inl)
		fprintf(stderr, "%s%d at inline sites with kprobes%s",
			n > inl ? " (" : ", ", inl, n > inl ? ")" : "");
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

static __u64 seconds_ns(double s)
{
	return (__u64)(s * NSEC_PER_SEC + 0.5);
}

static int collect(void *tr, struct run_result *r)
{
	return tracer_collect(tr, r);
}

/*
 * Trace until a signal or the end of -d, printing each -i interval on
 * stderr; in between, the exporter serves scrapes and its textfile (its one
 * hook). Every deadline is computed from the start on one clock. A failure
 * ends the run with one line and EXIT_RUNTIME: a run whose maps stopped
 * being read must not look like a complete one.
 */
static int trace_loop(const struct options *o, struct tracer *tr,
		      struct exporter *x, struct run_result *r,
		      struct run_result *prev, struct run_result *delta)
{
	__u64 start = monotonic_ns(), last = start;
	__u64 end = start + seconds_ns(o->duration);
	__u64 period = seconds_ns(o->interval);
	__u64 next = period ? start + period : UINT64_MAX;
	int err;

	while (!exiting) {
		/* At least once a second, for the exporter's own period. */
		__u64 now = monotonic_ns(), wake = now + NSEC_PER_SEC;

		if (o->duration && now >= end)
			break;
		if (next < wake)
			wake = next;
		if (o->duration && end < wake)
			wake = end;
		if (wake > now)
			exporter_wait(x, (double)(wake - now) / NSEC_PER_SEC);
		err = exporter_poll(x, collect, tr, r);
		if (err)
			return report_error(
				EXIT_RUNTIME,
				"stopped after %.1f s: the exporter cannot read the BPF maps: %s",
				(double)(monotonic_ns() - start) / NSEC_PER_SEC,
				strerror(-err));
		now = monotonic_ns();
		if (exiting || now < next)
			continue;
		err = tracer_collect(tr, r);
		if (err)
			return report_error(
				EXIT_RUNTIME,
				"stopped after %.1f s: cannot read the BPF maps: %s",
				(double)(now - start) / NSEC_PER_SEC,
				strerror(-err));
		result_interval(delta, r, prev);
		delta->duration_s = (double)(now - last) / NSEC_PER_SEC;
		last = now;
		next = next_deadline(start, period, now);
		delta->attrib = attrib_interval(r->attrib);
		render_text(stderr, delta, true);
		attrib_interval_free(delta->attrib);
		delta->attrib = NULL;
		*prev = *r;
	}
	r->duration_s = (double)(monotonic_ns() - start) / NSEC_PER_SEC;
	return EXIT_OK;
}

static int run(const struct options *o, struct run_result *r,
	       struct run_result *prev, struct run_result *delta)
{
	struct tracer *tr = NULL;
	int err, code = EXIT_OK;
	struct exporter x = {};
	struct atomic_file out;
	const char *files[MONITOR_SLOTS] = { o->output, o->textfile };

	/* Before anything is loaded or listened on: the monitor that writes
	 * the files holds none of it. */
	err = o->output || o->textfile ? monitor_start(files, MONITOR_SLOTS) :
					 0;
	if (err)
		return report_error(EXIT_RUNTIME,
				    "cannot start the file monitor: %s",
				    strerror(-err));
	/* User errors first, before anything is loaded or created. */
	err = atomic_file_open(&out, o->output);
	if (err) {
		code = report_error(EXIT_OUTPUT, "cannot write %s: %s",
				    o->output, atomic_file_strerror(err));
		goto cleanup;
	}
	err = o->textfile ? atomic_file_check(o->textfile) : 0;
	if (err) {
		code = report_error(EXIT_OUTPUT, "cannot write %s: %s",
				    o->textfile, atomic_file_strerror(err));
		goto cleanup;
	}
	if (exporter_open(&x, o)) {
		code = report_error(EXIT_OUTPUT, "%s", x.error);
		goto cleanup;
	}
	code = prepare_run(o, r);
	if (code)
		goto cleanup;

	tr = tracer_start(r, &err);
	if (!tr) {
		code = report_error(
			EXIT_RUNTIME,
			"cannot load or attach the BPF programs: %s (run with -v for libbpf's log)",
			strerror(-err));
		goto cleanup;
	}
	err = drop_privileges(o->run_uid, o->run_gid);
	/* Root that could not leave uid 0 stops; a capability left over
	 * (no CAP_SETPCAP to drop it) is only said. */
	if (err && !geteuid()) {
		code = report_error(EXIT_RUNTIME,
				    "cannot switch to uid %u (--user): %s",
				    (unsigned int)o->run_uid, strerror(-err));
		goto cleanup;
	}
	if (err)
		fprintf(stderr, "pmutrace: could not drop privileges: %s\n",
			strerror(-err));
	/* Only now: the server thread inherits the reduced privileges. */
	if (exporter_start(&x)) {
		code = report_error(EXIT_RUNTIME, "%s", x.error);
		goto cleanup;
	}
	startup_step("privileges dropped, exporter started");
	say_tracing(r, o->kallsyms);

	code = trace_loop(o, tr, &x, r, prev, delta);
	if (code) {
		exporter_finish(&x, r); /* the textfile says pmutrace_up 0 */
		goto cleanup;
	}
	err = tracer_collect(tr, r);
	if (err) {
		code = report_error(EXIT_RUNTIME,
				    "cannot read the BPF maps: %s",
				    strerror(-err));
		goto cleanup;
	}
	if (o->json)
		err = write_json(out.f, r);
	else
		render_text(out.f, r, false);
	if (err || ferror(out.f))
		code = report_error(EXIT_OUTPUT, "cannot write the output");
	err = exporter_finish(&x, r);
	if (err && code == EXIT_OK)
		code = report_error(EXIT_OUTPUT, "cannot write %s: %s",
				    o->textfile, strerror(-err));

cleanup:
	exporter_close(&x);
	tracer_stop(tr);
	attrib_free(r);
	err = atomic_file_close(&out, code == EXIT_OK);
	if (err && code == EXIT_OK)
		code = report_error(EXIT_OUTPUT, "cannot write %s: %s",
				    o->output ? o->output : "the output",
				    atomic_file_strerror(err));
	monitor_stop();
	return code;
}

/*
 * pmutrace compare is a program of its own, pmutrace-compare, so that the
 * tracer links no GSL: it is run from the tracer's folder, before anything
 * is privileged or loaded. Returns only when it cannot be run.
 */
static int exec_compare(char **argv)
{
	char exe[PATH_MAX], path[PATH_MAX + sizeof("/pmutrace-compare")];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = NULL;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
	}
	if (!slash) {
		fprintf(stderr,
			"pmutrace compare: cannot find pmutrace-compare: /proc/self/exe does not name pmutrace's folder\n");
		return EXIT_NO_COMPARE;
	}
	snprintf(path, sizeof(path), "%.*s/pmutrace-compare",
		 (int)(slash - exe), exe);
	argv[0] = (char *)"pmutrace compare";
	execv(path, argv);
	fprintf(stderr,
		"pmutrace compare: cannot run %s: %s (it is installed beside pmutrace)\n",
		path, strerror(errno));
	return EXIT_NO_COMPARE;
}

int main(int argc, char **argv)
{
	static struct run_result result, prev, delta;
	struct sigaction sa = { .sa_handler = on_signal };
	struct options opts;

	startup_step("main");
	if (argc > 1 && !strcmp(argv[1], "check")) {
		argv[1] = (char *)"pmutrace check";
		return check_main(argc - 1, argv + 1);
	}
	if (argc > 1 && !strcmp(argv[1], "compare"))
		return exec_compare(argv + 1);
	parse_options(argc, argv, &opts);
	libbpf_log(opts.verbose);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return run(&opts, &result, &prev, &delta);
}
