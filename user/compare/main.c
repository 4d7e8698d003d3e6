// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace-compare: `pmutrace compare` as a program of its own, so that the
 * tracer links no GSL and compare no libbpf. `pmutrace compare ARGS` execs
 * this one, installed beside the tracer (user/trace/main.c). It needs no
 * privileges and never touches BPF.
 */
#include "compare.h"

int main(int argc, char **argv)
{
	/* Its messages and --help name the command as users type it. */
	if (argc > 0)
		argv[0] = (char *)"pmutrace compare";
	return compare_main(argc, argv);
}
