// SPDX-License-Identifier: GPL-2.0
/*
 * limit_probe [--fentry|--kprobe|--kprobe-multi] FUNC: attach the minimal latency tracer
 * (tests/bench/bench_limit.bpf.c) to FUNC, print "Tracing" on stderr, wait
 * for SIGINT or SIGTERM, then print the calls it counted and its recursion
 * misses. fsession by default (7.x); --fentry takes the fentry/fexit form
 * with task storage, --kprobe the kprobe/kretprobe form (PREEMPT_RT), and
 * --kprobe-multi the same programs attached as kprobe.multi (fprobe).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe_common.h"
#include "pmutrace.h"
#include "bench_limit.skel.h"
#include "bench_limit_sess.skel.h"

static unsigned long long counted(const struct bpf_map *slots)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned long long sum = 0, v[512];

	if (ncpus <= 0 || ncpus > 512)
		return 0;
	for (__u32 k = 0; k < 64; k++)
		if (!bpf_map_lookup_elem(bpf_map__fd(slots), &k, v))
			for (int c = 0; c < ncpus; c++)
				sum += v[c];
	return sum;
}

enum form { FSESSION, FENTRY, KPROBE, KPROBE_MULTI };

/* The fsession form, from its own object. */
static int run_session(const char *func)
{
	struct bench_limit_sess_bpf *s = bench_limit_sess_bpf__open();
	int err, fd = -1;

	if (!s) {
		fprintf(stderr, "limit_probe: open: %s\n", strerror(errno));
		return 1;
	}
	err = bpf_program__set_attach_target(s->progs.limit_sess, 0, func);
	if (!err)
		err = bpf_program__set_expected_attach_type(
			s->progs.limit_sess, PMUTRACE_BPF_TRACE_FSESSION);
	if (!err)
		err = bench_limit_sess_bpf__load(s);
	if (!err) {
		fd = bpf_link_create(bpf_program__fd(s->progs.limit_sess), 0,
				     PMUTRACE_BPF_TRACE_FSESSION, NULL);
		err = fd < 0 ? fd : 0;
	}
	if (err) {
		fprintf(stderr, "limit_probe: %s: %s\n", func, strerror(-err));
		goto out;
	}
	fprintf(stderr, "Tracing %s with the minimal fsession tracer\n", func);
	while (!stop)
		pause();
	printf("%s counted=%llu missed=%llu\n", func, counted(s->maps.slots),
	       misses(s->progs.limit_sess));
out:
	if (fd >= 0)
		close(fd);
	bench_limit_sess_bpf__destroy(s);
	return err ? 1 : 0;
}

/* The forms with a program per side and the start in task storage. */
static int run_pair(enum form form, const char *func)
{
	static const char *const said[] = { "", "fentry/fexit",
					    "kprobe/kretprobe",
					    "kprobe.multi" };
	struct bench_limit_bpf *s = bench_limit_bpf__open();
	struct bpf_program *in, *out;
	struct bpf_link *l1 = NULL, *l2 = NULL;
	int err = 0;

	if (!s) {
		fprintf(stderr, "limit_probe: open: %s\n", strerror(errno));
		return 1;
	}
	in = form == FENTRY ? s->progs.limit_entry : s->progs.limit_kprobe;
	out = form == FENTRY ? s->progs.limit_exit : s->progs.limit_kretprobe;
	bpf_program__set_autoload(s->progs.limit_entry, form == FENTRY);
	bpf_program__set_autoload(s->progs.limit_exit, form == FENTRY);
	bpf_program__set_autoload(s->progs.limit_kprobe, form != FENTRY);
	bpf_program__set_autoload(s->progs.limit_kretprobe, form != FENTRY);
	if (form == FENTRY) {
		err = bpf_program__set_attach_target(in, 0, func);
		if (!err)
			err = bpf_program__set_attach_target(out, 0, func);
	} else if (form == KPROBE_MULTI) {
		bpf_program__set_expected_attach_type(in,
						      BPF_TRACE_KPROBE_MULTI);
		bpf_program__set_expected_attach_type(out,
						      BPF_TRACE_KPROBE_MULTI);
	}
	if (!err)
		err = bench_limit_bpf__load(s);
	if (!err && form == FENTRY) {
		l1 = bpf_program__attach(in);
		l2 = bpf_program__attach(out);
	} else if (!err && form == KPROBE) {
		l1 = bpf_program__attach_kprobe(in, false, func);
		l2 = bpf_program__attach_kprobe(out, true, func);
	} else if (!err) {
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = &func, .cnt = 1);

		l1 = bpf_program__attach_kprobe_multi_opts(in, NULL, &o);
		o.retprobe = true;
		l2 = bpf_program__attach_kprobe_multi_opts(out, NULL, &o);
	}
	if (!err && (!l1 || !l2))
		err = -errno;
	if (err) {
		fprintf(stderr, "limit_probe: %s: %s\n", func, strerror(-err));
		goto out;
	}
	fprintf(stderr, "Tracing %s with the minimal %s tracer\n", func,
		said[form]);
	while (!stop)
		pause();
	printf("%s counted=%llu missed=%llu\n", func, counted(s->maps.slots),
	       misses(in) + misses(out));
out:
	bpf_link__destroy(l1);
	bpf_link__destroy(l2);
	bench_limit_bpf__destroy(s);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum form form = argc != 3			    ? FSESSION :
			 !strcmp(argv[1], "--fentry")	    ? FENTRY :
			 !strcmp(argv[1], "--kprobe")	    ? KPROBE :
			 !strcmp(argv[1], "--kprobe-multi") ? KPROBE_MULTI :
							      -1;
	const char *func = argv[argc - 1];

	if (argc < 2 || argc > 3 || (int)form < 0) {
		fprintf(stderr,
			"usage: limit_probe [--fentry|--kprobe|--kprobe-multi] FUNC\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return form == FSESSION ? run_session(func) : run_pair(form, func);
}
