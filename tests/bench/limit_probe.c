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

static unsigned long long counted(struct bench_limit_bpf *s)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned long long sum = 0, v[512];

	if (ncpus <= 0 || ncpus > 512)
		return 0;
	for (__u32 k = 0; k < 64; k++)
		if (!bpf_map_lookup_elem(bpf_map__fd(s->maps.slots), &k, v))
			for (int c = 0; c < ncpus; c++)
				sum += v[c];
	return sum;
}

enum form { FSESSION, FENTRY, KPROBE, KPROBE_MULTI };

static int attach(struct bench_limit_bpf *s, enum form form, const char *func,
		  struct bpf_link **l1, struct bpf_link **l2, int *fd)
{
	if (form == FSESSION) {
		*fd = bpf_link_create(bpf_program__fd(s->progs.limit_sess), 0,
				      PMUTRACE_BPF_TRACE_FSESSION, NULL);
		return *fd < 0 ? *fd : 0;
	}
	if (form == FENTRY) {
		*l1 = bpf_program__attach(s->progs.limit_entry);
		*l2 = bpf_program__attach(s->progs.limit_exit);
	} else if (form == KPROBE) {
		*l1 = bpf_program__attach_kprobe(s->progs.limit_kprobe, false,
						 func);
		*l2 = bpf_program__attach_kprobe(s->progs.limit_kretprobe, true,
						 func);
	} else {
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = &func, .cnt = 1);

		*l1 = bpf_program__attach_kprobe_multi_opts(
			s->progs.limit_kprobe, NULL, &o);
		o.retprobe = true;
		*l2 = bpf_program__attach_kprobe_multi_opts(
			s->progs.limit_kretprobe, NULL, &o);
	}
	return *l1 && *l2 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	static const char *const said[] = { "fsession", "fentry/fexit",
					    "kprobe/kretprobe",
					    "kprobe.multi" };
	enum form form = argc != 3			    ? FSESSION :
			 !strcmp(argv[1], "--fentry")	    ? FENTRY :
			 !strcmp(argv[1], "--kprobe")	    ? KPROBE :
			 !strcmp(argv[1], "--kprobe-multi") ? KPROBE_MULTI :
							      -1;
	const char *func = argv[argc - 1];
	struct bench_limit_bpf *s;
	struct bpf_link *l1 = NULL, *l2 = NULL;
	int err = 0, fd = -1;

	if (argc < 2 || argc > 3 || (int)form < 0) {
		fprintf(stderr,
			"usage: limit_probe [--fentry|--kprobe|--kprobe-multi] FUNC\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	s = bench_limit_bpf__open();
	if (!s) {
		fprintf(stderr, "limit_probe: open: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(s->progs.limit_sess, form == FSESSION);
	bpf_program__set_autoload(s->progs.limit_entry, form == FENTRY);
	bpf_program__set_autoload(s->progs.limit_exit, form == FENTRY);
	bpf_program__set_autoload(s->progs.limit_kprobe, form >= KPROBE);
	bpf_program__set_autoload(s->progs.limit_kretprobe, form >= KPROBE);
	if (form == KPROBE_MULTI) {
		bpf_program__set_expected_attach_type(s->progs.limit_kprobe,
						      BPF_TRACE_KPROBE_MULTI);
		bpf_program__set_expected_attach_type(s->progs.limit_kretprobe,
						      BPF_TRACE_KPROBE_MULTI);
	}
	if (form == FENTRY) {
		err = bpf_program__set_attach_target(s->progs.limit_entry, 0,
						     func);
		if (!err)
			err = bpf_program__set_attach_target(
				s->progs.limit_exit, 0, func);
	} else if (form == FSESSION) {
		err = bpf_program__set_attach_target(s->progs.limit_sess, 0,
						     func);
		if (!err)
			err = bpf_program__set_expected_attach_type(
				s->progs.limit_sess,
				PMUTRACE_BPF_TRACE_FSESSION);
	}
	if (!err)
		err = bench_limit_bpf__load(s);
	if (!err)
		err = attach(s, form, func, &l1, &l2, &fd);
	if (err) {
		fprintf(stderr, "limit_probe: %s: %s\n", func, strerror(-err));
		goto out;
	}
	fprintf(stderr, "Tracing %s with the minimal %s tracer\n", func,
		said[form]);
	while (!stop)
		pause();
	printf("%s counted=%llu missed=%llu\n", func, counted(s),
	       form == FSESSION ? misses(s->progs.limit_sess) :
	       form == FENTRY	? misses(s->progs.limit_entry) +
					misses(s->progs.limit_exit) :
				misses(s->progs.limit_kprobe) +
					misses(s->progs.limit_kretprobe));
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l1);
	bpf_link__destroy(l2);
	bench_limit_bpf__destroy(s);
	return err ? 1 : 0;
}
