// SPDX-License-Identifier: GPL-2.0
/*
 * empty_probe FUNC...: attach one empty fentry and one empty fexit program
 * (tests/bench/bench_empty.bpf.c) to each kernel function FUNC, print "Tracing" on
 * stderr, and wait for SIGINT or SIGTERM. The floor of what any
 * fentry/fexit tracer costs per call; scripts/bench/bench.sh compares pmutrace
 * with it. At exit it prints each program's recursion misses, as those
 * calls did not pay the full price.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe_common.h"
#include "bench_empty.skel.h"

#define MAX_FUNCS 8

int main(int argc, char **argv)
{
	/* fentry's target is fixed at load time: one object per function. */
	struct bench_empty_bpf *skel[MAX_FUNCS] = {};
	int n = argc - 1, i, err = 0;

	if (n < 1 || n > MAX_FUNCS) {
		fprintf(stderr,
			"usage: empty_probe FUNC... (1 to %d functions)\n",
			MAX_FUNCS);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	for (i = 0; i < n; i++) {
		const char *func = argv[i + 1];

		skel[i] = bench_empty_bpf__open();
		if (!skel[i]) {
			err = -errno;
			fprintf(stderr, "empty_probe: open: %s\n",
				strerror(errno));
			goto out;
		}
		err = bpf_program__set_attach_target(skel[i]->progs.empty_entry,
						     0, func);
		if (!err)
			err = bpf_program__set_attach_target(
				skel[i]->progs.empty_exit, 0, func);
		if (!err)
			err = bench_empty_bpf__load(skel[i]);
		if (!err)
			err = bench_empty_bpf__attach(skel[i]);
		if (err) {
			fprintf(stderr, "empty_probe: %s: %s\n", func,
				strerror(-err));
			goto out;
		}
	}
	fprintf(stderr,
		"Tracing %d functions with empty fentry/fexit programs\n", n);
	while (!stop)
		pause();
	for (i = 0; i < n; i++)
		printf("%s missed.entry=%llu missed.exit=%llu\n", argv[i + 1],
		       misses(skel[i]->progs.empty_entry),
		       misses(skel[i]->progs.empty_exit));
out:
	for (i = 0; i < n; i++)
		bench_empty_bpf__destroy(skel[i]);
	return err ? 1 : 0;
}
