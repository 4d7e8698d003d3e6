// SPDX-License-Identifier: GPL-2.0
/* The command line: argp, with every number checked before anything loads. */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "atomic_file.h"
#include "pmu_domain.h"
#include "sitedir.h"
#include "text.h"
#include "http_server.h"
#include "prometheus.h"

const char *argp_program_version = "pmutrace " PMUTRACE_VERSION;
const char *argp_program_bug_address = "the pmutrace issue tracker";

static const char doc[] =
	"Trace how the arm64 KVM host looks up its PMUs.\v"
	"By default pmutrace times kvm_pmu_probe_armpmu, kvm_arm_pmu_v3_set_pmu "
	"and kvm_supports_guest_pmuv3 with fentry/fexit, and records waits on "
	"the mutex " PMU_LOCK " from the lock:contention_begin/end "
	"tracepoints, which fire only when the lock is contended.\n\n"
	"How each target is timed, the first that works (--attach forces "
	"one): 1. function: fsession, or fentry/fexit (kprobes on kernels "
	"without trampolines), on the function itself; 2. inline: the "
	"compiler inlined it and --sites gives this kernel's site table "
	"(pmutrace-sites, from the -dbg package's DWARF; --sites auto: the "
	"one of this kernel's build-id, cached or shipped): a kprobe at the "
	"entry and at every exit of every inline instance, the body alone; "
	"3. caller: through its only caller, filtered to the calls that reach "
	"it, the caller's own work included. Every output says how each "
	"target was attached.\n\n"
	"Cost: one fentry and one fexit per traced call; the contention "
	"tracepoints run for every contended lock in the system and return at "
	"once for other locks. --hold adds fexit/fentry programs on "
	"mutex_lock() and mutex_unlock(), which run for EVERY mutex in the "
	"system: use it to count how often the readers take the lock, not to "
	"watch a busy production host for long.\n\n"
	"Started as root, a run becomes --user (default nobody) once attached.\n\n"
	"Exit status: 0 ok, 1 runtime failure (also mid-run: the run stops), 2 "
	"bad usage, 3 not root (needs "
	"CAP_BPF and CAP_PERFMON), 4 kernel cannot trace (no BTF or tracing "
	"programs refused), 5 no target can be attached, 6 lock not found (no "
	"such symbol, or no data symbol at the address), 7 output file or metrics endpoint cannot be used.";

enum {
	OPT_NO_LOCK = 256,
	OPT_KALLSYMS,
	OPT_USAGE,
	OPT_LABEL,
	OPT_PROMETHEUS,
	OPT_TEXTFILE,
	OPT_WEB_CONFIG,
	OPT_BY,
	OPT_TOP,
	OPT_BY_ENTRIES,
	OPT_OWNERS,
	OPT_VMS,
	OPT_USER,
	OPT_SITES,
	OPT_ATTACH
};

/* -i below this turns the loop into a busy loop of reports. */
#define MIN_INTERVAL_S 0.1

/* What the trace run and check share: the targets, the lock, -v, help. */
/* clang-format off */
#define TARGET_OPTIONS \
	{ "func", 'f', "NAME", 0, \
	  "Trace kernel function NAME instead of the PMU readers (repeatable, up to 8)", 0 }, \
	{ "lock", 'l', "SYMBOL|ADDR", 0, \
	  "Mutex to watch (default: " PMU_LOCK "); an address must be a kernel one, 8-byte aligned", 0 }, \
	{ "no-lock", OPT_NO_LOCK, NULL, 0, "Do not watch any lock", 0 }, \
	{ "sites", OPT_SITES, "FILE|auto", 0, \
	  "Inline-site table of this kernel (pmutrace-sites): time inlined targets at their inline sites; auto: the table of this kernel's build-id in $PMUTRACE_SITES_DIR (default " SITES_CACHE_DIR ") or " SITES_SHIPPED_DIR ", if there is one", 0 }, \
	{ "attach", OPT_ATTACH, "auto|function|inline|caller", 0, \
	  "Force how targets are traced (default auto: the function, else its inline sites, else its caller)", 0 }, \
	{ "kallsyms", OPT_KALLSYMS, "FILE", OPTION_HIDDEN, "Read symbols from FILE", 0 }, \
	{ "verbose", 'v', NULL, 0, "Show libbpf's log", 0 }, \
	{ "help", '?', NULL, 0, "Give this help list", -1 }
/* clang-format on */

static const struct argp_option options[] = {
	{ "duration", 'd', "SECONDS", 0,
	  "Trace for SECONDS, then print (default: until Ctrl-C)", 0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Also print what each SECONDS interval saw (at least 0.1)", 0 },
	{ "hold", 'H', NULL, 0,
	  "Also count acquisitions and hold time of the lock inside the targets (costs every mutex in the system)",
	  0 },
	{ "json", 'j', NULL, 0,
	  "Print one JSON document (schema " PMUTRACE_SCHEMA ") at exit", 0 },
	{ "output", 'o', "FILE", 0,
	  "Write the output to FILE instead of stdout", 0 },
	{ "prometheus", OPT_PROMETHEUS, "ADDR:PORT", 0,
	  "Serve Prometheus metrics on http://ADDR:PORT/metrics while tracing (127.0.0.1:9435, :9435, [::1]:9435)",
	  0 },
	{ "web-config", OPT_WEB_CONFIG, "FILE", 0,
	  "TLS and basic auth for --prometheus, in the exporter-toolkit web config format",
	  0 },
	{ "textfile", OPT_TEXTFILE, "FILE", 0,
	  "Write Prometheus metrics to FILE for node_exporter, atomically, every interval (15 s by default) and at exit",
	  0 },
	{ "user", OPT_USER, "USER", 0,
	  "Run as USER (a name, UID or UID:GID; default nobody) once attached, when started as root",
	  0 },
	{ "label", OPT_LABEL, "TEXT", 0,
	  "Name the scenario in the output, so compare can tell runs apart",
	  0 },
	{ NULL, 0, NULL, 0,
	  "Attribution (docs: README, Diagnosing a host):", 1 },
	{ "pid", 'p', "PID", 0,
	  "Only calls and waits of process PID (repeatable, up to 8), filtered in BPF",
	  1 },
	{ "cgroup", 'c', "CGROUP", 0,
	  "Only calls and waits of tasks in cgroup v2 CGROUP or below it (a path as /proc/PID/cgroup shows it, or under the cgroup2 mount)",
	  1 },
	{ "by", OPT_BY, "process|cgroup", 0,
	  "Calls, latency and lock waits per process or per cgroup (costs a map update per call)",
	  1 },
	{ "top", OPT_TOP, "N", 0,
	  "Show the N busiest processes, cgroups, stacks and owners, the rest as \"other\" (default 10)",
	  1 },
	{ "by-entries", OPT_BY_ENTRIES, "N", 0,
	  "Room for N process (or cgroup) and target pairs in BPF (default 1024); updates that do not fit are counted",
	  1 },
	{ "owners", OPT_OWNERS, NULL, 0,
	  "Who held the lock when a reader began to wait (pid, comm, kernel stack) and the waiters' stacks",
	  1 },
	{ "vms", OPT_VMS, NULL, 0,
	  "Which VM (its VMM process) got which host PMU, at kvm_arm_set_default_pmu and SET_PMU",
	  1 },
	TARGET_OPTIONS,
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
	{},
};

static const struct argp_option check_options[] = {
	TARGET_OPTIONS,
	{},
};

static const char check_doc[] =
	"Say whether this host is ready to be traced, and how each target "
	"would be: privileges, BTF, tracing programs, /dev/kvm, each target's "
	"attach mode, the lock, and which side of the RCU patch the kernel is "
	"on.\v"
	"Exit status: 0 ready; else the code the trace run would fail with: 2 "
	"bad usage, 3 not root (needs CAP_BPF and CAP_PERFMON), 4 kernel "
	"cannot trace, 5 no target can be attached, 6 lock not found.";

/* "pmutrace" or "pmutrace check": whose help a usage error points to. */
static const char *command = "pmutrace";

/* One line saying what is wrong, then exit: argp's own errors take two. */
static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", command);
	exit(EXIT_USAGE);
}

/* Seconds as a positive number up to a day; NAN when it is not one. */
static double parse_seconds(const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v <= 0 || v > 86400)
		return NAN;
	return v;
}

/* A whole number in [lo, hi], or -1. */
static long parse_count(const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < lo || v > hi)
		return -1;
	return v;
}

static void print_help_and_exit(struct argp_state *state, unsigned int flags)
{
	argp_help(state->root_argp, stdout, flags, (char *)command);
	exit(EXIT_OK);
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;

	switch (key) {
	case 'd':
	case 'i': {
		double v = parse_seconds(arg);

		if (key == 'i' && !(v >= MIN_INTERVAL_S))
			usage_error(
				"invalid interval '%s': give seconds, at least %.1f and at most 86400",
				arg, MIN_INTERVAL_S);
		if (isnan(v))
			usage_error(
				"invalid duration '%s': give seconds, more than 0 and at most 86400",
				arg);
		if (key == 'd')
			o->duration = v;
		else
			o->interval = v;
		break;
	}
	case 'f':
		if (o->nfuncs == PMUTRACE_MAX_TARGETS)
			usage_error("too many --func: at most %d",
				    PMUTRACE_MAX_TARGETS);
		if (!*arg || strlen(arg) >= NAME_LEN ||
		    strspn(arg,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") !=
			    strlen(arg))
			usage_error("invalid function name '%s'", arg);
		for (int i = 0; i < o->nfuncs; i++)
			if (!strcmp(o->funcs[i], arg))
				usage_error("--func %s given twice", arg);
		o->funcs[o->nfuncs++] = arg;
		break;
	case 'l': {
		__u64 addr;

		if (!*arg || strlen(arg) >= NAME_LEN)
			usage_error(
				"invalid lock '%s': give a symbol or an address",
				arg);
		if (parse_lock_address(arg, &addr) == -ERANGE)
			usage_error(
				"invalid --lock address '%s': no kernel mutex can be there (not a kernel address, or not 8-byte aligned)",
				arg);
		o->lock = arg;
		break;
	}
	case OPT_NO_LOCK:
		o->no_lock = true;
		break;
	case 'H':
		o->hold = true;
		break;
	case 'j':
		o->json = true;
		break;
	case 'o':
		if (!*arg)
			usage_error("empty --output file name");
		o->output = arg;
		break;
	case OPT_PROMETHEUS: {
		struct sockaddr_storage ss;
		socklen_t len;

		if (prom_parse_listen(arg, &ss, &len))
			usage_error(
				"invalid --prometheus '%s': give ADDR:PORT, e.g. 127.0.0.1:9435 or :9435",
				arg);
		o->prometheus = arg;
		break;
	}
	case OPT_WEB_CONFIG:
		if (!*arg)
			usage_error("empty --web-config file name");
		o->web_config = arg;
		break;
	case OPT_TEXTFILE:
		if (!*arg)
			usage_error("empty --textfile file name");
		o->textfile = arg;
		break;
	case OPT_USER:
		o->user = arg;
		break;
	case OPT_LABEL:
		if (strlen(arg) >= NAME_LEN)
			usage_error("--label is longer than %d characters",
				    NAME_LEN - 1);
		/* It goes into JSON, tables and terminals: not echoed here. */
		if (!text_is_clean(arg, strlen(arg)))
			usage_error(
				"--label must be UTF-8 text without control characters");
		o->label = arg;
		break;
	case OPT_KALLSYMS:
		o->kallsyms = arg;
		break;
	case OPT_SITES:
		if (!*arg)
			usage_error("empty --sites file name");
		o->sites = arg;
		break;
	case OPT_ATTACH: {
		int i;

		for (i = 0; i < NR_FORCE && strcmp(arg, attach_force_names[i]);
		     i++)
			;
		if (i == NR_FORCE)
			usage_error(
				"invalid --attach '%s': give auto, function, inline or caller",
				arg);
		o->attach = i;
		break;
	}
	case 'v':
		o->verbose = true;
		break;
	case 'p': {
		/* PID_MAX_LIMIT */
		long pid = parse_count(arg, 1, 4194304);

		if (pid < 0)
			usage_error("invalid pid '%s'", arg);
		if (o->npids == ATTRIB_MAX_PIDS)
			usage_error("too many -p: at most %d", ATTRIB_MAX_PIDS);
		o->pids[o->npids++] = (__u32)pid;
		break;
	}
	case 'c':
		if (!*arg || strlen(arg) >= 256)
			usage_error("invalid cgroup '%s'", arg);
		o->cgroup = arg;
		break;
	case OPT_BY:
		if (!strcmp(arg, "process"))
			o->by = BY_PROCESS;
		else if (!strcmp(arg, "cgroup"))
			o->by = BY_CGROUP;
		else
			usage_error("invalid --by '%s': give process or cgroup",
				    arg);
		break;
	case OPT_TOP:
		o->top = (int)parse_count(arg, 1, 1000);
		if (o->top < 0)
			usage_error("invalid --top '%s': give 1 to 1000", arg);
		break;
	case OPT_BY_ENTRIES: {
		long n = parse_count(arg, 16, 1 << 20);

		if (n < 0)
			usage_error("invalid --by-entries '%s': give 16 to %d",
				    arg, 1 << 20);
		o->by_entries = (__u32)n;
		break;
	}
	case OPT_OWNERS:
		o->owners = true;
		break;
	case OPT_VMS:
		o->vms = true;
		break;
	/* ARGP_NO_ERRS silences argp's own help, so these are ours. */
	case '?':
		print_help_and_exit(state, ARGP_HELP_STD_HELP);
		break;
	case OPT_USAGE:
		print_help_and_exit(state, ARGP_HELP_USAGE);
		break;
	case 'V':
		printf("%s\n", argp_program_version);
		exit(EXIT_OK);
	case ARGP_KEY_ARG:
		usage_error("unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_ERROR:
		usage_error("unknown option or missing value near '%s'",
			    state->argv[state->next > 1 ? state->next - 1 : 0]);
		break;
	case ARGP_KEY_END:
		if (o->no_lock && (o->lock || o->hold))
			usage_error("--no-lock contradicts --lock and --hold");
		if (o->no_lock && o->owners)
			usage_error("--no-lock contradicts --owners");
		/* --attach inline finds the table by build-id, unless given. */
		if (o->attach == FORCE_INLINE && !o->sites)
			o->sites = SITES_AUTO;
		if (o->web_config && !o->prometheus)
			usage_error("--web-config needs --prometheus");
		if (o->interval && o->duration && o->interval > o->duration)
			usage_error("--interval is longer than --duration");
		if (o->output && o->textfile &&
		    atomic_file_same(o->output, o->textfile))
			usage_error(
				"--output and --textfile name the same file");
		switch (run_user_lookup(o->user, &o->run_uid, &o->run_gid)) {
		case -ENOENT:
			usage_error("--user %s: no such user in %s", o->user,
				    run_user_passwd);
			break;
		case -EPERM:
			usage_error("--user %s is root: a run leaves uid 0",
				    o->user);
			break;
		case -EINVAL:
			usage_error("--user %s: not a name, UID or UID:GID",
				    o->user);
			break;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int parse(const struct argp *argp, int argc, char **argv,
		 struct options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->kallsyms = PROC_KALLSYMS;
	argp_err_exit_status = EXIT_USAGE;
	/* ARGP_NO_ERRS: usage_error() reports unknown options in one line. */
	return argp_parse(argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL,
			  opts);
}

int parse_options(int argc, char **argv, struct options *opts)
{
	static const struct argp argp = { options, parse_opt, NULL, doc,
					  NULL,	   NULL,      NULL };

	command = "pmutrace";
	return parse(&argp, argc, argv, opts);
}

/* check's own options: anything of the trace run's is a usage error. */
int parse_check_options(int argc, char **argv, struct options *opts)
{
	static const struct argp argp = { check_options, parse_opt, NULL,
					  check_doc,	 NULL,	    NULL,
					  NULL };

	command = "pmutrace check";
	return parse(&argp, argc, argv, opts);
}
