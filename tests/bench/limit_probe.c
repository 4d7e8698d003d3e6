// SPDX-License-Identifier: GPL-2.0
/*
 * limit_probe [--fentry] FUNC: attach the minimal latency tracer
 * (tests/bench/bench_limit.bpf.c) to FUNC, print "Tracing" on stderr, wait
 * for SIGINT or SIGTERM, then print the calls it counted and its recursion
 * misses. fsession by default (7.x); --fentry takes the fentry/fexit form
 * with task storage.
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

int main(int argc, char **argv)
{
	bool fentry = argc == 3 && !strcmp(argv[1], "--fentry");
	const char *func = argv[argc - 1];
	struct bench_limit_bpf *s;
	struct bpf_link *l1 = NULL, *l2 = NULL;
	int err, fd = -1;

	if (argc != 2 && !fentry) {
		fprintf(stderr, "usage: limit_probe [--fentry] FUNC\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	s = bench_limit_bpf__open();
	if (!s) {
		fprintf(stderr, "limit_probe: open: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(s->progs.limit_sess, !fentry);
	bpf_program__set_autoload(s->progs.limit_entry, fentry);
	bpf_program__set_autoload(s->progs.limit_exit, fentry);
	if (fentry) {
		err = bpf_program__set_attach_target(s->progs.limit_entry, 0,
						     func);
		if (!err)
			err = bpf_program__set_attach_target(
				s->progs.limit_exit, 0, func);
	} else {
		err = bpf_program__set_attach_target(s->progs.limit_sess, 0,
						     func);
		if (!err)
			err = bpf_program__set_expected_attach_type(
				s->progs.limit_sess,
				PMUTRACE_BPF_TRACE_FSESSION);
	}
	if (!err)
		err = bench_limit_bpf__load(s);
	if (!err && fentry) {
		l1 = bpf_program__attach(s->progs.limit_entry);
		l2 = bpf_program__attach(s->progs.limit_exit);
		err = l1 && l2 ? 0 : -errno;
	} else if (!err) {
		fd = bpf_link_create(bpf_program__fd(s->progs.limit_sess), 0,
				     PMUTRACE_BPF_TRACE_FSESSION, NULL);
		err = fd < 0 ? fd : 0;
	}
	if (err) {
		fprintf(stderr, "limit_probe: %s: %s\n", func, strerror(-err));
		goto out;
	}
	fprintf(stderr, "Tracing %s with the minimal %s tracer\n", func,
		fentry ? "fentry/fexit" : "fsession");
	while (!stop)
		pause();
	printf("%s counted=%llu missed=%llu\n", func, counted(s),
	       fentry ? misses(s->progs.limit_entry) +
				misses(s->progs.limit_exit) :
			misses(s->progs.limit_sess));
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l1);
	bpf_link__destroy(l2);
	bench_limit_bpf__destroy(s);
	return err ? 1 : 0;
}
