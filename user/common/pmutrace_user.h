/* SPDX-License-Identifier: GPL-2.0 */
/* The loader's own types: options, targets and the aggregated results. */
#ifndef PMUTRACE_USER_H
#define PMUTRACE_USER_H

#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include "pmutrace.h"
#include "pmutrace_attrib.h"
#include "sitetab.h"

#define NSEC_PER_SEC 1000000000ULL

/* Nanoseconds on CLOCK_MONOTONIC: the one clock of a run. */
static inline __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

/* The same clock in seconds, for the exporter's and HTTP deadlines. */
static inline double monotonic_s(void)
{
	return (double)monotonic_ns() / NSEC_PER_SEC;
}

/*
 * The first start + k * period (k >= 1) after now. Deadlines are computed
 * from the start, so late wake-ups do not add up; a wake-up more than a
 * period late skips the deadlines it missed instead of catching up.
 */
static inline __u64 next_deadline(__u64 start, __u64 period, __u64 now)
{
	if (now < start)
		return start + period;
	return start + ((now - start) / period + 1) * period;
}

/* Exit codes, documented in README.md and --help. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* load/attach or another unexpected failure */
	EXIT_USAGE = 2, /* bad option or argument */
	EXIT_NO_PERMISSION = 3, /* not root, no CAP_BPF + CAP_PERFMON */
	EXIT_KERNEL = 4, /* no BTF, or tracing programs refused */
	EXIT_NO_TARGET = 5, /* no target can be attached */
	EXIT_NO_LOCK = 6, /* lock symbol not found */
	EXIT_OUTPUT = 7, /* output file or metrics endpoint unusable */
	EXIT_BAD_INPUT = 8, /* compare: unreadable or invalid JSON */
	EXIT_DUPLICATE = 9, /* compare: one run given twice */
	/* pmutrace compare: no pmutrace-compare beside pmutrace to run */
	EXIT_NO_COMPARE = 127,
};

#define NAME_LEN 128

/* The JSON document written; compare also reads pmutrace/1 (the same
 * without "attribution"). */
#define PMUTRACE_SCHEMA "pmutrace/2"

struct options {
	const char *funcs[PMUTRACE_MAX_TARGETS];
	int nfuncs;
	const char *lock; /* symbol or address; NULL: the default */
	bool no_lock;
	bool hold; /* opt-in: trace mutex_lock/mutex_unlock too */
	double duration; /* seconds, 0: until a signal */
	double interval; /* seconds, 0: only at the end */
	bool json;
	const char *output; /* file instead of stdout */
	bool verbose;
	const char *kallsyms; /* normally /proc/kallsyms */
	const char *label; /* the scenario, recorded for compare */
	const char *prometheus; /* serve /metrics on ADDR:PORT */
	const char *web_config; /* TLS and basic auth for it */
	const char *textfile; /* node_exporter textfile */
	const char *user; /* --user: who a root run becomes once attached */
	uid_t run_uid;
	gid_t run_gid;
	/* Attribution (attrib.c): all opt-in. */
	enum attrib_by by; /* --by process|cgroup */
	int top; /* rows shown before "other" */
	__u32 by_entries; /* size of the per-process/cgroup map */
	int npids;
	__u32 pids[ATTRIB_MAX_PIDS]; /* -p, repeatable */
	const char *cgroup; /* -c: a cgroup v2 directory */
	bool owners; /* --owners: who held the lock, waiter stacks */
	bool vms; /* --vms: which VM got which host PMU */
	const char *sites; /* --sites: the inline-site table, or SITES_AUTO */
	int attach; /* --attach: enum attach_force */
};

/* How every target of a run is probed. */
enum probe_kind {
	PROBE_FENTRY, /* fentry/fexit trampolines */
	PROBE_KPROBE, /* kprobe/kretprobe: kernels without trampolines */
	PROBE_SESSION, /* one fsession program per target (7.x) */
};
/* Why a run's probe kind is what it is (choose_probe, setup.c). */
enum probe_why {
	PROBE_WHY_BEST, /* the cheapest this kernel has */
	PROBE_WHY_NO_FENTRY, /* kprobes: fentry cannot attach here */
	PROBE_WHY_PREEMPT_RT, /* kprobes: trampolines skip calls on RT */
	PROBE_WHY_FORCED, /* PMUTRACE_PROBE=kprobe */
};
struct probe_choice {
	enum probe_kind kind;
	enum probe_why why;
	bool preempt_rt; /* the kernel is PREEMPT_RT */
};
/* names.c: the words every output uses */
const char *probe_kind_name(enum probe_kind kind);

enum attach_mode {
	ATTACH_DIRECT, /* fentry/fexit on the function itself */
	ATTACH_CALLER, /* on its only caller, filtered */
	ATTACH_ABSENT, /* neither can be traced in this kernel */
	ATTACH_INLINE, /* kprobes at its inline sites (--sites) */
};

/* --attach: which way of tracing a target is allowed (default: the first
 * that works, in this order). */
enum attach_force {
	FORCE_AUTO,
	FORCE_FUNCTION,
	FORCE_INLINE,
	FORCE_CALLER,
	NR_FORCE,
};
extern const char *const attach_force_names[NR_FORCE]; /* names.c */

/* What a kprobe pair on two adjacent instructions costs, per class of the
 * first (tracer_sites.c): the bias of every inline site's latency. */
struct calib_result {
	bool done;
	char why[96]; /* why not done */
	__u64 pairs, min_ns, max_ns;
	double mean_ns;
	double fast_mean_ns; /* of the pairs within a clock tick of the fastest */
	__u32 tick_ns; /* that clock tick: nothing finer can be told */
};

/* An inline figure less the bias of its entries' class (inline_body):
 * the mean less the pairs' mean, and the fast path: the calls within a
 * clock tick of the fastest less the pairs' same (interrupts only ever
 * add: on a steady clock this is the path itself). */
struct body_estimate {
	bool corrected; /* a calibration applies */
	const char *uncorrected; /* else why not, for the text output */
	bool in_noise; /* body within the calibration's spread: no figure */
	double measured_ns, bias_ns, noise_ns, body_ns;
	double fast_ns;
};

/* One inline site of the run (sites_run.c), in site_stats' order. */
struct run_site {
	int target; /* its slot */
	__u32 instance;
	bool exit; /* else the instance's entry */
	char symbol[NAME_LEN]; /* "caller", for kprobe attach */
	__u64 offset;
	__u32 insn; /* the table's */
	__u64 addr; /* from kallsyms; 0: unknown */
};
const char *attach_mode_name(enum attach_mode mode); /* names.c */
/* names.c: a site's place, "SYMBOL+0xOFF", into buf (returned), and its
 * kind, "entry" or "exit": what text, JSON and Prometheus name it by. */
#define SITE_AT_LEN (NAME_LEN + 24)
const char *site_at(const struct run_site *s, char *buf, size_t len);
const char *site_kind_name(const struct run_site *s);

struct target {
	char name[NAME_LEN]; /* what was asked for */
	enum attach_mode mode;
	char function[NAME_LEN]; /* what the probes attach to */
	char filter[NAME_LEN]; /* which of its calls count, "" for all */
	char reason[2 * NAME_LEN]; /* why this mode, for people */
	__u32 btf_id; /* of function */
	enum ret_kind ret_kind;
	const char *ret_type; /* "int", "bool", "pointer", ... */
	enum filter_kind filter_kind;
	__u32 filter_arg;
	__u64 filter_value;
	/* [func_lo, func_hi): function's text in kallsyms, 0 if unknown */
	__u64 func_lo, func_hi;
	int ninstances, nsites; /* ATTACH_INLINE */
};

/* What the run measured, summed over CPUs. */
struct target_result {
	struct target_stats s;
	/* Calls the kernel ran without our entry or exit program (it does
	 * not run a program that is already running on the same CPU). Every
	 * completed call runs the exit program unless missed, so
	 * count + missed_exit is the exact number of calls. */
	__u64 missed_entry;
	__u64 missed_exit;
};

struct lock_target {
	char name[NAME_LEN];
	__u64 addr;
	bool traced;
	bool hold; /* hold mode on */
	bool default_missing; /* the default lock is not in kallsyms */
	bool unchecked; /* an address kallsyms cannot vouch for */
};

struct run_result {
	enum probe_kind probe;
	struct probe_choice probe_choice; /* what choose_probe found */
	char release[NAME_LEN];
	char machine[65];
	char boot_id[40]; /* /proc/sys/kernel/random/boot_id, "" if none */
	double duration_s;
	int ntargets;
	struct target targets[PMUTRACE_MAX_TARGETS];
	struct lock_target lock;
	const char *label;
	struct attrib_result *attrib; /* NULL: no attribution asked for */
	int nsites; /* inline sites, all targets' */
	struct run_site sites[PMUTRACE_MAX_SITES];
	/* each class's calibration pair: its entry and exit (sitetab.h) */
	bool has_calib[NR_CLASSES];
	struct run_site calib_sites[NR_CLASSES];
	struct run_site calib_exits[NR_CLASSES];
	struct calib_result calib[NR_CLASSES];
	/* Cumulative (intervals do not subtract them): not a counter block. */
	struct site_stats site_res[PMUTRACE_MAX_SITES];
	/*
	 * The counters, last: result_interval() (stats.c) subtracts res and
	 * lock_stats word by word, and every word after them as a plain
	 * counter. So a new counter goes after drops, and a field that is
	 * not a counter goes before res.
	 */
	struct target_result res[PMUTRACE_MAX_TARGETS];
	struct lock_stats lock_stats;
	__u64 lock_missed;
	__u64 drops[DROP_REASONS];
};

/* report_error.c */
/* Prints "pmutrace: <message>" on stderr and returns code, for
 * "return report_error(EXIT_..., ...)". */
int report_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "pmutrace: <message>" without the newline, quoted text escaped. */
void error_line(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

/* privileges.c */
bool has_privileges(void);
extern const char *run_user_passwd; /* tests: another /etc/passwd */
int run_user_lookup(const char *spec, uid_t *uid, gid_t *gid);
int drop_privileges(uid_t uid, gid_t gid);
void drop_privileges_monitor(void);

/* monitor.c: -o's and --textfile's slots, and a request: a slot, never
 * a path. The answer is an int32_t, 0 or -errno (with the descriptor for
 * OPEN). */
#define MONITOR_SLOTS 2
enum { MONITOR_OPEN = 1, MONITOR_COMMIT, MONITOR_ABORT };
struct monitor_req {
	__u32 op;
	__u32 slot;
};
int monitor_start(const char *const *paths, int n);
void monitor_stop(void);
pid_t monitor_pid(void);
int monitor_socket(void);

/* setup.c */
struct btf;
int choose_probe(const struct btf *btf, const struct options *o,
		 struct probe_choice *c);
bool preempt_rt_kernel(const char *realtime, const char *version);
int resolve_all(const struct options *o, struct run_result *r,
		const struct btf *btf);
int inline_sites_setup(const struct options *o);
struct ksym_query;
int resolve_lock(const struct options *o, struct lock_target *l,
		 const struct ksym_query *q, const struct ksym_query *mark);
int prepare_run(const struct options *o, struct run_result *r);
void libbpf_log(bool verbose);
void startup_step(const char *what);

/* check.c */
int check_main(int argc, char **argv);

/* cli.c */
int parse_options(int argc, char **argv, struct options *opts);
int parse_check_options(int argc, char **argv, struct options *opts);

/* kallsyms.c */
struct ksym_table;
struct ksym_table *ksyms_load(const char *path);
/* "func+0x30" for addr, or its hex when no symbol covers it. */
void ksyms_name(const struct ksym_table *t, __u64 addr, char *buf, size_t len);
void ksyms_free(struct ksym_table *t);
#define PROC_KALLSYMS "/proc/kallsyms"
struct ksym_query {
	const char *name; /* NULL: the data symbol that starts at "at" */
	__u64 at;
	__u64 addr; /* 0: not found */
	__u64 end; /* the next symbol's address: where its text ends */
	char found[NAME_LEN]; /* the name as kallsyms spells it */
};
int ksyms_lookup(const char *path, struct ksym_query *q, int n);
int ksyms_find_ends(const char *path, struct ksym_query *q, int n);
/* ksym_kernel.c: exact names from the kernel's index, no ends */
int ksyms_kernel_lookup(struct ksym_query *q, int n);
int parse_lock_address(const char *s, __u64 *addr);

/* resolve.c */
struct btf;
typedef int (*attach_probe_fn)(const struct btf *btf, __u32 btf_id);
int probe_fentry(const struct btf *btf, __u32 btf_id);
int probe_fentry_load(const struct btf *btf, __u32 btf_id);
void set_kprobe_symbols(const struct ksym_query *q, int n);
int probe_kprobe(const struct btf *btf, __u32 btf_id);
#define TRACING_PROBE_FUNCS 3
extern const char *const tracing_probe_funcs[TRACING_PROBE_FUNCS];
int check_tracing_allowed(const struct btf *btf, attach_probe_fn probe);
void resolve_target(struct target *t, const char *name, const struct btf *btf,
		    const struct ksym_query *ksym, attach_probe_fn probe);
struct sitetab;
void set_inline_sites(const struct sitetab *t, int force);

/* tracer_sites.c */
struct bpf_program;
struct bpf_map;
struct bpf_link;
int attach_sites(struct run_result *r, int i, struct bpf_program *entry,
		 struct bpf_program *exit, struct bpf_link **links,
		 int *nlinks);
/* One CPU's site_stats into a sum (percpu_sum's add). */
void site_stats_add_cpu(void *into, const void *cpu);
__u32 clock_tick_ns(void);
int calib_trigger(const char *symbol);
int percpu_sum(struct bpf_map *map, __u32 key, void *buf, int ncpus,
	       size_t size, void (*add)(void *into, const void *cpu),
	       void *into);
/* buf: one site_stats per CPU */
void calibrate(struct run_result *r, struct bpf_program *entry,
	       struct bpf_program *exit, struct bpf_map *stats, void *buf,
	       int ncpus);
/* the insn_class of site k's instance's entry, -1 without one */
int entry_class(const struct run_result *r, int k);
/* site k's exits (k >= 0), or target i's total (k < 0) */
void inline_body(const struct run_result *r, int i, int k,
		 struct body_estimate *e);

/* sites_run.c */
#define SITES_AUTO "auto" /* --sites auto: by build-id (sitedir.h) */
extern const char *sites_kcore_path;
int sites_load(const struct options *o, struct sitetab *t);
void sites_prepare(struct run_result *r, const struct sitetab *t,
		   const char *kallsyms);

/* stats.c */
void target_stats_add(struct target_stats *into,
		      const struct target_stats *cpu);
void lock_stats_add(struct lock_stats *into, const struct lock_stats *cpu);
void site_stats_add(struct site_stats *into, const struct site_stats *cpu);
__u64 hist_total(const struct hist *h);
double hist_percentile(const struct hist *h, double q, __u64 min, __u64 max);
__u64 target_errors(const struct target *t, const struct target_stats *s);
void result_interval(struct run_result *d, const struct run_result *cur,
		     const struct run_result *prev);
void format_ns(char *buf, size_t len, double ns);
double hist_bucket_mid(__u32 i);
void hist_fold_pow2(const struct hist *h, __u64 pow2[HIST_MAX_EXP + 1]);
#define ERRNO_LABEL_LEN 16
const char *errno_label(int e, char buf[ERRNO_LABEL_LEN]);

/* The percentiles every output gives: label for people, key in JSON and
 * in compare's tables, the quantile. */
#define HIST_NQUANTILES 4
struct quantile {
	const char *label;
	const char *key;
	double q;
};
extern const struct quantile hist_quantiles[HIST_NQUANTILES];

/* tracer.c */
struct tracer;
struct tracer *tracer_start(struct run_result *r, int *err);
int tracer_collect(struct tracer *tr, struct run_result *r);
void tracer_stop(struct tracer *tr);
struct bpf_program;
__u64 prog_misses(const struct bpf_program *p);

/* render.c */
void render_text(FILE *out, const struct run_result *r, bool interval);

/* schema_write.c */
struct json_object;
struct json_object *result_to_json(const struct run_result *r);
int write_json(FILE *out, const struct run_result *r);

#endif /* PMUTRACE_USER_H */
