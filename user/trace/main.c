// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace: resolve the targets, load and attach the BPF programs, wait,
 * then read the per-CPU maps and print. One cleanup path.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "pmutrace_user.h"
#include "compare.h"
#include "exporter.h"
#include "atomic_file.h"

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
	fprintf(stderr, "Tracing %d of %d targets with %s", n, r->ntargets,
		probe_kind_name(r->probe));
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

static int run(const struct options *o, struct run_result *r,
	       struct run_result *prev, struct run_result *delta)
{
	struct tracer *tr = NULL;
	int err, code = EXIT_OK;
	struct exporter x = {};
	struct atomic_file out;
	double start, last;

	/* User errors first, before anything is loaded or created. */
	err = atomic_file_open(&out, o->output);
	if (err)
		return fail(EXIT_OUTPUT, "cannot write %s: %s", o->output,
			    strerror(-err));
	if (exporter_open(&x, o)) {
		code = fail(EXIT_OUTPUT, "%s", x.error);
		goto cleanup;
	}
	code = prepare_run(o, r);
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
	err = drop_privileges(o->output || o->textfile);
	if (err)
		fprintf(stderr, "pmutrace: could not drop privileges: %s\n",
			strerror(-err));
	say_tracing(r, o->kallsyms);

	start = last = monotonic_s();
	while (!exiting) {
		double t = monotonic_s(),
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
		    monotonic_s() - last < o->interval - 1e-3)
			continue;
		err = tracer_collect(tr, r);
		if (err)
			break;
		result_interval(delta, r, prev);
		delta->duration_s = monotonic_s() - last;
		last = monotonic_s();
		render_text(stderr, delta, true);
		*prev = *r;
	}
	r->duration_s = monotonic_s() - start;
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
	err = atomic_file_close(&out, code == EXIT_OK);
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

	if (argc > 1 && !strcmp(argv[1], "check")) {
		argv[1] = (char *)"pmutrace check";
		libbpf_set_print(print_libbpf);
		return check_main(argc - 1, argv + 1);
	}
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
