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
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "atomic_file.h"
#include "cells.h"
#include "compare.h"
#include "text.h"

#define MAX_ARGS (2 * CMP_MAX_RUNS + 2)

struct compare_opts {
	char *arg[2][MAX_ARGS]; /* before, after: files or folders */
	int narg[2];
	int side; /* -1: none yet (BEFORE AFTER), 0: after --before, 1 */
	bool lists; /* --before/--after given */
	int npos; /* positional arguments of the BEFORE AFTER form */
	bool cells, per_test;
	enum cmp_format fmt;
	const char *output;
	unsigned int resamples;
	unsigned long seed;
};

enum { OPT_BEFORE = 0x100, OPT_AFTER, OPT_CELLS, OPT_PER_TEST };

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

/* BEFORE or AFTER of the two-argument form: a file or folder that exists is
 * that one run, even with a comma in its name; only a name that does not
 * exist is a comma-separated list of runs, and a name that is both a file
 * and such a list is refused. */
static void positional(struct compare_opts *o, char *arg)
{
	int side = o->npos++;
	struct stat st;
	char *save, *part, *copy;
	bool exists = !stat(arg, &st), all = true;

	if (exists && strchr(arg, ',')) {
		copy = strdup(arg);
		for (part = strtok_r(copy, ",", &save); copy && part;
		     part = strtok_r(NULL, ",", &save))
			all &= !stat(part, &st);
		free(copy);
		if (all)
			compare_usage(
				"ambiguous: a file and a list of files; use --before/--after with",
				arg);
	}
	if (exists) {
		o->arg[side][o->narg[side]++] = arg;
		return;
	}
	for (part = strtok_r(arg, ",", &save); part;
	     part = strtok_r(NULL, ",", &save)) {
		if (o->narg[side] == MAX_ARGS)
			compare_usage("too many runs on a side at", part);
		o->arg[side][o->narg[side]++] = part;
	}
	if (!o->narg[side])
		compare_usage("names no run:", arg);
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
	case OPT_BEFORE:
	case OPT_AFTER:
		o->side = key == OPT_AFTER;
		o->lists = true;
		break;
	case OPT_CELLS:
		o->cells = true;
		break;
	case OPT_PER_TEST:
		o->per_test = true;
		break;
	case ARGP_KEY_ARG:
		/* File names go into every output: not echoed here. */
		if (!text_is_clean(arg, strlen(arg))) {
			fprintf(stderr,
				"pmutrace compare: file names must be UTF-8 text without control characters (see pmutrace compare --help)\n");
			exit(EXIT_USAGE);
		}
		if (o->side < 0 && o->lists)
			compare_usage("a run before --before or --after:", arg);
		if (o->side < 0 && o->npos == 2)
			compare_usage(
				"too many files: give BEFORE AFTER or --before RUNS... --after RUNS..., not",
				arg);
		if (o->side < 0)
			positional(o, arg);
		else if (o->narg[o->side] == MAX_ARGS)
			compare_usage("too many runs on a side at", arg);
		else
			o->arg[o->side][o->narg[o->side]++] = arg;
		break;
	case ARGP_KEY_END:
		if (o->lists && o->npos)
			compare_usage(
				"give BEFORE AFTER or --before/--after, not both",
				"");
		if (!o->narg[0] || !o->narg[1])
			compare_usage(
				"give two sides",
				"BEFORE AFTER, or --before RUNS... --after RUNS...");
		if (o->cells && o->fmt == FMT_SVG)
			compare_usage("--cells has no SVG form:", "-f svg");
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

static void fail_line(const char *err)
{
	fputs("pmutrace compare: ", stderr);
	text_put_term(stderr, err);
	fputc('\n', stderr);
}

/* Adjusted over the family, then what each judged statistic could show:
 * not for SVG, which does not draw it (a simulation per statistic). */
static void judge(struct family *f, enum cmp_format fmt)
{
	family_adjust(f);
	for (int i = 0; i < f->n && fmt != FMT_SVG; i++)
		f->s[i]->detect = cmp_detectable(f->s[i]);
}

static int write_out(const struct compare_opts *o, const struct comparison *c,
		     const struct cells *cs, const struct family *f)
{
	struct atomic_file out;
	int e;

	/* The same writer as the trace run's -o; stdout errors count too. */
	e = atomic_file_open(&out, o->output);
	if (!e) {
		if (cs)
			render_cells(out.f, cs, f, o->fmt);
		else
			render_comparison(out.f, c, f, o->fmt);
		e = atomic_file_close(&out, true);
	}
	if (e) {
		fprintf(stderr, "pmutrace compare: cannot write %s: %s\n",
			o->output ? o->output : "the output",
			atomic_file_strerror(e));
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}

static int compare_cells(const struct compare_opts *o, struct family *f)
{
	static struct cells cs;
	char err[512];
	bool dup;

	if (cells_load(o->arg[0], o->narg[0], cs.before, &cs.nb, err,
		       sizeof(err)) ||
	    cells_load(o->arg[1], o->narg[1], cs.after, &cs.na, err,
		       sizeof(err)) ||
	    cells_build(&cs, o->resamples, o->seed, err, sizeof(err), &dup)) {
		fail_line(err);
		return dup ? EXIT_DUPLICATE : EXIT_BAD_INPUT;
	}
	f->name =
		"every judged statistic of every cell, and the headline answers, of this compare --cells";
	for (int i = 0; i < cs.ncells; i++)
		family_add_comparison(f, cs.c[i]);
	for (int i = 0; i < cs.nhead; i++)
		family_add(f, &cs.head[i].s);
	judge(f, o->fmt);
	return write_out(o, NULL, &cs, f);
}

static int compare_main(int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "before", OPT_BEFORE, NULL, 0,
		  "The runs that follow are the before side: files, or folders of *.json files (one run each)",
		  0 },
		{ "after", OPT_AFTER, NULL, 0,
		  "The runs that follow are the after side", 0 },
		{ "cells", OPT_CELLS, NULL, 0,
		  "Each folder given is one boot and its *.json files its cells (scenarios): every cell compared, and headline answers over all cells",
		  0 },
		{ "per-test", OPT_PER_TEST, NULL, 0,
		  "Verdicts from each test's raw p at 0.05, not adjusted over the family",
		  0 },
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
		"BEFORE AFTER\n--before RUN... --after RUN...\n--cells --before BOOT... --after BOOT...",
		"Compare pmutrace --json runs before and after a change. Each file "
		"is one run (one boot). A side is a list of files or folders of "
		"*.json files after --before or --after; in the BEFORE AFTER form "
		"a name that does not exist may list runs comma-separated. "
		"Per target and for the lock: every statistic in every run, the "
		"after/before ratio with a 95% interval over the runs, and a verdict "
		"from a permutation Brunner-Munzel test on the runs' values, "
		"Benjamini-Hochberg adjusted over all tests of the invocation (the "
		"family). A verdict needs >= 4 runs a side and the larger side at "
		"most 1.25x the smaller (4+4, 4+5; not 3+8); a latency statistic "
		"also needs the sides' spreads within 3x, and max and p99.9 the "
		"sides' median call counts within 2x. Needs no privileges.\v"
		"Exit status: 0 compared, 2 bad usage, 7 output not writable, "
		"8 an input is unreadable, not JSON, not pmutrace/1, not a repeat "
		"of its side's first run, or has nothing in common with the other, "
		"9 one run given twice (the same content unless of two known boots, or the same boot and label).",
		NULL,
		NULL,
		NULL
	};
	struct compare_opts o = { .resamples = 2000, .seed = 1, .side = -1 };
	static struct comparison c;
	static struct family f;
	const struct loaded_run *all[2 * CMP_MAX_RUNS];
	char err[512];

	argp_err_exit_status = EXIT_USAGE;
	/* Our own one-line errors and help: argp's errors take 3 lines. In
	 * order: each run belongs to the --before or --after before it. */
	argp_parse(&argp, argc, argv,
		   ARGP_NO_ERRS | ARGP_NO_HELP | ARGP_IN_ORDER, NULL, &o);
	f.per_test = o.per_test;
	if (o.cells)
		return compare_cells(&o, &f);
	if (compare_load_side(o.arg[0], o.narg[0], c.before, &c.nb, err,
			      sizeof(err)) ||
	    compare_load_side(o.arg[1], o.narg[1], c.after, &c.na, err,
			      sizeof(err))) {
		fail_line(err);
		return EXIT_BAD_INPUT;
	}
	memcpy(all, c.before, c.nb * sizeof(*all));
	memcpy(all + c.nb, c.after, c.na * sizeof(*all));
	if (compare_check_duplicates(all, c.nb + c.na, err, sizeof(err))) {
		fail_line(err);
		return EXIT_DUPLICATE;
	}
	c.resamples = o.resamples;
	c.seed = o.seed;
	if (compare_build(&c)) {
		fprintf(stderr,
			"pmutrace compare: the two sides have no target or lock in common\n");
		return EXIT_BAD_INPUT;
	}
	f.name =
		"every judged statistic of every target and the lock in this compare";
	family_add_comparison(&f, &c);
	judge(&f, o.fmt);
	return write_out(&o, &c, NULL, &f);
}

int main(int argc, char **argv)
{
	/* Its messages and --help name the command as users type it. */
	if (argc > 0)
		argv[0] = (char *)"pmutrace compare";
	return compare_main(argc, argv);
}
