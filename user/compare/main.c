// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace-compare: `pmutrace compare` as a program of its own, so that the
 * tracer links no GSL and compare no libbpf. `pmutrace compare ARGS` execs
 * this one, installed beside the tracer (user/trace/main.c). It needs no
 * privileges and never touches BPF.
 *
 * Here its command line: the options, the two sides read, the comparison
 * (compare.c) built and written (compare_render.c) through one atomic file.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "atomic_file.h"
#include "compare.h"
#include "text.h"

struct compare_opts {
	char *files[2];
	int nfiles;
	enum cmp_format fmt;
	const char *output;
	unsigned int resamples;
	unsigned long seed;
};

/* Every usage error is this one line: argp's own take three. */
static void __attribute__((noreturn))
compare_usage(const char *what, const char *arg)
{
	fprintf(stderr,
		"pmutrace compare: %s '%s' (see pmutrace compare --help)\n",
		what, arg);
	exit(EXIT_USAGE);
}

/* A decimal number in 0..max, no sign, no trailing characters. */
static bool parse_ulong(const char *arg, unsigned long max, unsigned long *out)
{
	char *end;

	if (*arg < '0' || *arg > '9')
		return false;
	errno = 0;
	*out = strtoul(arg, &end, 10);
	return !errno && !*end && *out <= max;
}

static error_t compare_opt(int key, char *arg, struct argp_state *state)
{
	struct compare_opts *o = state->input;
	unsigned long v;

	switch (key) {
	case 'f':
		if (!strcmp(arg, "text"))
			o->fmt = FMT_TEXT;
		else if (!strcmp(arg, "markdown") || !strcmp(arg, "md"))
			o->fmt = FMT_MARKDOWN;
		else if (!strcmp(arg, "svg"))
			o->fmt = FMT_SVG;
		else if (!strcmp(arg, "json"))
			o->fmt = FMT_JSON;
		else
			compare_usage(
				"unknown format (text, markdown, svg, json)",
				arg);
		break;
	case 'o':
		o->output = arg;
		break;
	case 'r':
		if (!parse_ulong(arg, 100000, &v))
			compare_usage("resamples must be 0..100000, not", arg);
		o->resamples = v;
		break;
	case 's':
		if (!parse_ulong(arg, ULONG_MAX, &v))
			compare_usage("invalid seed", arg);
		o->seed = v;
		break;
	case '?':
		/* argp_state_help() is silent under ARGP_NO_ERRS. */
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP,
			  state->name);
		exit(EXIT_OK);
	case ARGP_KEY_ARG:
		/* File names go into every output: not echoed here. */
		if (!text_is_clean(arg, strlen(arg))) {
			fprintf(stderr,
				"pmutrace compare: file names must be UTF-8 text without control characters (see pmutrace compare --help)\n");
			exit(EXIT_USAGE);
		}
		if (o->nfiles == 2)
			compare_usage(
				"too many files: give BEFORE.json AFTER.json, not",
				arg);
		o->files[o->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (o->nfiles != 2)
			compare_usage("give two files",
				      "BEFORE.json AFTER.json");
		break;
	case ARGP_KEY_ERROR:
		/* getopt refused argv[next - 1]: unknown, or lacks its value. */
		compare_usage("unknown option or missing value in",
			      state->argv[state->next - 1]);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int compare_main(int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "format", 'f', "FORMAT", 0,
		  "text (default), markdown, svg or json", 0 },
		{ "output", 'o', "FILE", 0, "Write to FILE instead of stdout",
		  0 },
		{ "resamples", 'r', "N", 0,
		  "Bootstrap resamples of the within-run intervals, one run a side (default 2000; 0: none)",
		  0 },
		{ "seed", 's', "N", 0,
		  "Random seed of that bootstrap (default 1)", 0 },
		{ "help", '?', NULL, 0, "Give this help list", -1 },
		{},
	};
	static const struct argp argp = {
		options,
		compare_opt,
		"BEFORE.json[,REPEAT.json...] AFTER.json[,REPEAT.json...]",
		"Compare pmutrace --json runs before and after a change. Each file "
		"is one run (one boot); give the repeats of a side comma-separated. "
		"Per target and for the lock: every statistic in every run, the "
		"after/before ratio with a 95% interval over the runs, and a verdict "
		"from a Mann-Whitney test on the runs' values; a verdict needs 4 "
		"runs a side. Needs no privileges.\v"
		"Exit status: 0 compared, 2 bad usage, 7 output not writable, "
		"8 an input is unreadable, not JSON, not pmutrace/1, not a repeat "
		"of its side's first run, or has nothing in common with the other.",
		NULL,
		NULL,
		NULL
	};
	struct compare_opts o = { .resamples = 2000, .seed = 1 };
	static struct comparison c;
	struct atomic_file out;
	char err[512];
	int e;

	argp_err_exit_status = EXIT_USAGE;
	/* Our own one-line errors and help: argp's errors take 3 lines. */
	argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, &o);
	if (compare_load_side(o.files[0], c.before, &c.nb, err, sizeof(err)) ||
	    compare_load_side(o.files[1], c.after, &c.na, err, sizeof(err))) {
		fprintf(stderr, "pmutrace compare: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	c.resamples = o.resamples;
	c.seed = o.seed;
	if (compare_build(&c)) {
		fprintf(stderr,
			"pmutrace compare: %s and %s have no target or lock in common\n",
			o.files[0], o.files[1]);
		return EXIT_BAD_INPUT;
	}
	/* The same writer as the trace run's -o; stdout errors count too. */
	e = atomic_file_open(&out, o.output);
	if (!e) {
		render_comparison(out.f, &c, o.fmt);
		e = atomic_file_close(&out, true);
	}
	if (e) {
		fprintf(stderr, "pmutrace compare: cannot write %s: %s\n",
			o.output ? o.output : "the output",
			atomic_file_strerror(e));
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	/* Its messages and --help name the command as users type it. */
	if (argc > 0)
		argv[0] = (char *)"pmutrace compare";
	return compare_main(argc, argv);
}
