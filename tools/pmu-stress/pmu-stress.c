// SPDX-License-Identifier: GPL-2.0
/*
 * pmu-stress: drive arm64 KVM's PMU lookups from many threads at once and
 * print exactly how many calls of each kind were made, so that tests can
 * demand the same counts from pmutrace.
 */
/* The Makefile passes -D_GNU_SOURCE; a bare compile needs it too. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef __aarch64__
#include <linux/kvm.h>
#endif

#define MAX_THREADS 256
#define MAX_ITERATIONS 10000000UL
#define NR_ERRNO 256 /* last slot collects anything larger */
#define PMU_TYPE_GLOB "/sys/bus/event_source/devices/armv8_pmuv3*/type"

enum call {
	CALL_CREATE_VM,
	CALL_CREATE_VCPU,
	CALL_PREFERRED_TARGET,
	CALL_VCPU_INIT,
	CALL_SET_DEVICE_ATTR,
	CALL_CHECK_EXTENSION,
	CALL_OPEN,
	CALL_PIPE,
	NR_CALLS
};

static const char *const call_names[NR_CALLS] = {
	"KVM_CREATE_VM",
	"KVM_CREATE_VCPU",
	"KVM_ARM_PREFERRED_TARGET",
	"KVM_ARM_VCPU_INIT",
	"KVM_SET_DEVICE_ATTR",
	"KVM_CHECK_EXTENSION",
	"open",
	"pipe",
};

#define VCPU_SETUP                                       \
	(1u << CALL_CREATE_VM | 1u << CALL_CREATE_VCPU | \
	 1u << CALL_PREFERRED_TARGET | 1u << CALL_VCPU_INIT)

enum scenario { VCPU_INIT, SET_PMU, CHECK_EXT, OPEN, PIPE };

static const struct {
	const char *name;
	unsigned int calls; /* bit per enum call: what to report */
} scenarios[] = {
	[VCPU_INIT] = { "vcpu-init", VCPU_SETUP },
	[SET_PMU] = { "set-pmu", VCPU_SETUP | 1u << CALL_SET_DEVICE_ATTR },
	[CHECK_EXT] = { "check-ext", 1u << CALL_CHECK_EXTENSION },
	[OPEN] = { "open", 1u << CALL_OPEN },
	[PIPE] = { "pipe", 1u << CALL_PIPE },
};

struct counts {
	unsigned long calls[NR_CALLS];
	unsigned long failed[NR_CALLS];
	unsigned long errnos[NR_CALLS][NR_ERRNO];
	unsigned long pmu_v3_supported; /* CHECK_EXTENSION returned > 0 */
};

/* Shared by all threads; read-only once they pass the barrier. */
struct job {
	enum scenario scenario;
	unsigned long threads;
	unsigned long iterations;
	const char *device;
	int kvm_fd;
	int pmu_type;
	bool markers; /* HINT #126/#127 around each thread's loop */
	bool pmu_type_given; /* -P: SET_PMU's type, not the PMUv3's */
	bool any_setup_failed; /* then no thread runs its loop */
	unsigned long preempt_us; /* -R: the main thread's period, 0: none */
	unsigned long running; /* workers not yet out of their loop */
	pthread_barrier_t start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct worker {
	pthread_t thread;
	struct job *job;
	int setup_failed; /* enum call that failed in setup, or -1 */
	int setup_errno;
	struct counts counts;
	uint64_t start_ns, end_ns; /* this thread's own loop */
	long nvcsw, nivcsw; /* context switches during the loop */
};

/* This thread's voluntary and involuntary context switches so far. */
static void thread_switches(long *vol, long *invol)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru)) {
		*vol = *invol = 0;
		return;
	}
	*vol = ru.ru_nvcsw;
	*invol = ru.ru_nivcsw;
}

/* One line on stderr, then exit: 1 when the host failed us, 2 bad usage. */
static void __attribute__((format(printf, 2, 3), noreturn))
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

#define die(...) fail(1, __VA_ARGS__)
#define usage_error(...) fail(2, __VA_ARGS__)

static const char *errno_name(int err, char *buf, size_t len)
{
	const char *name = NULL;

#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 32)
	name = strerrorname_np(err);
#endif
	if (!name) {
		snprintf(buf, len, "%d", err);
		name = buf;
	}
	return name;
}

/* Count one call by its result; keeps errno for the caller. */
static long counted(struct counts *c, enum call call, long ret)
{
	c->calls[call]++;
	if (ret < 0) {
		c->failed[call]++;
		c->errnos[call][errno > 0 && errno < NR_ERRNO ? errno :
								NR_ERRNO - 1]++;
	}
	return ret;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void do_open(struct counts *c, const char *device)
{
	int fd = counted(c, CALL_OPEN, open(device, O_RDWR | O_CLOEXEC));

	close_fd(&fd);
}

/* One 64-byte write into a pipe and its read back: a mutex-taking path
 * that none of pmutrace's programs is on. */
static void do_pipe(struct counts *c, const int p[2])
{
	char buf[64] = { 0 };

	if (counted(c, CALL_PIPE, write(p[1], buf, sizeof(buf))) > 0 &&
	    read(p[0], buf, sizeof(buf)) < 0)
		c->failed[CALL_PIPE]++;
}

/*
 * Markers for tools/insn-count (a QEMU plugin that counts the guest
 * instructions between them): HINT #126 and #127, NOPs on real hardware.
 */
#ifdef __aarch64__
#define MARK_START() __asm__ volatile("hint #126" ::: "memory")
#define MARK_STOP() __asm__ volatile("hint #127" ::: "memory")
#else
#define MARK_START() ((void)0)
#define MARK_STOP() ((void)0)
#endif

#ifdef __aarch64__
#define HAVE_ARM64_KVM 1

/*
 * A fresh VM with one vCPU initialised with PMU_V3. Stops at the first
 * failure and returns that call (errno still set), or -1 when all worked.
 * The target comes from KVM_ARM_PREFERRED_TARGET, so VCPU_INIT never fails
 * its target check.
 */
static int make_pmu_vcpu(struct counts *c, int kvm_fd, int *vm, int *vcpu)
{
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof(init));
	*vcpu = -1;
	*vm = counted(c, CALL_CREATE_VM, ioctl(kvm_fd, KVM_CREATE_VM, 0));
	if (*vm < 0)
		return CALL_CREATE_VM;
	*vcpu = counted(c, CALL_CREATE_VCPU, ioctl(*vm, KVM_CREATE_VCPU, 0));
	if (*vcpu < 0)
		return CALL_CREATE_VCPU;
	if (counted(c, CALL_PREFERRED_TARGET,
		    ioctl(*vm, KVM_ARM_PREFERRED_TARGET, &init)) < 0)
		return CALL_PREFERRED_TARGET;
	init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
	if (counted(c, CALL_VCPU_INIT, ioctl(*vcpu, KVM_ARM_VCPU_INIT, &init)) <
	    0)
		return CALL_VCPU_INIT;
	return -1;
}

static void run_kvm_iteration(struct job *job, struct counts *c, int vcpu)
{
	struct kvm_device_attr set_pmu = {
		.group = KVM_ARM_VCPU_PMU_V3_CTRL,
		.attr = KVM_ARM_VCPU_PMU_V3_SET_PMU,
		.addr = (uint64_t)(uintptr_t)&job->pmu_type,
	};
	int vm_fd, vcpu_fd;

	switch (job->scenario) {
	case VCPU_INIT:
		make_pmu_vcpu(c, job->kvm_fd, &vm_fd, &vcpu_fd);
		close_fd(&vcpu_fd);
		close_fd(&vm_fd);
		break;
	case SET_PMU:
		counted(c, CALL_SET_DEVICE_ATTR,
			ioctl(vcpu, KVM_SET_DEVICE_ATTR, &set_pmu));
		break;
	case CHECK_EXT:
		if (counted(c, CALL_CHECK_EXTENSION,
			    ioctl(job->kvm_fd, KVM_CHECK_EXTENSION,
				  KVM_CAP_ARM_PMU_V3)) > 0)
			c->pmu_v3_supported++;
		break;
	case OPEN:
	case PIPE:
		break;
	}
}

/* The PMU type KVM_ARM_VCPU_PMU_V3_SET_PMU wants, from the first PMUv3. */
static int read_pmu_type(void)
{
	glob_t g;
	FILE *f;
	int type = -1;

	if (glob(PMU_TYPE_GLOB, 0, NULL, &g) || !g.gl_pathc)
		die("no %s: set-pmu needs the host's PMUv3 perf driver",
		    PMU_TYPE_GLOB);
	f = fopen(g.gl_pathv[0], "r");
	if (!f || fscanf(f, "%d", &type) != 1 || type < 0)
		die("cannot read a PMU type from %s", g.gl_pathv[0]);
	fclose(f);
	globfree(&g);
	return type;
}
#else
#define HAVE_ARM64_KVM 0
#endif

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct job *job = w->job;
	struct counts c;
	int vm = -1, vcpu = -1, p[2] = { -1, -1 };
	unsigned long i;
	long vol, invol;

	memset(&c, 0, sizeof(c));
	w->setup_failed = -1;
#if HAVE_ARM64_KVM
	/* Set up before the barrier: only the SET_PMU calls should contend. */
	if (job->scenario == SET_PMU) {
		w->setup_failed = make_pmu_vcpu(&c, job->kvm_fd, &vm, &vcpu);
		w->setup_errno = errno;
		if (w->setup_failed >= 0)
			__atomic_store_n(&job->any_setup_failed, true,
					 __ATOMIC_RELAXED);
	}
#endif
	if (job->scenario == PIPE && pipe(p)) {
		w->setup_failed = CALL_PIPE;
		w->setup_errno = errno;
		__atomic_store_n(&job->any_setup_failed, true,
				 __ATOMIC_RELAXED);
	}
	/* The barrier also publishes any_setup_failed to every thread. */
	pthread_barrier_wait(&job->start);
	if (__atomic_load_n(&job->any_setup_failed, __ATOMIC_RELAXED))
		goto out;
	thread_switches(&vol, &invol);
	w->start_ns = now_ns();
	if (job->markers)
		MARK_START();
	for (i = 0; i < job->iterations; i++) {
		if (job->scenario == OPEN)
			do_open(&c, job->device);
		else if (job->scenario == PIPE)
			do_pipe(&c, p);
#if HAVE_ARM64_KVM
		else
			run_kvm_iteration(job, &c, vcpu);
#endif
	}
	if (job->markers)
		MARK_STOP();
	w->end_ns = now_ns();
	__atomic_sub_fetch(&job->running, 1, __ATOMIC_RELEASE);
	thread_switches(&w->nvcsw, &w->nivcsw);
	w->nvcsw -= vol;
	w->nivcsw -= invol;
out:
	if (!w->end_ns)
		__atomic_sub_fetch(&job->running, 1, __ATOMIC_RELEASE);
	close_fd(&p[0]);
	close_fd(&p[1]);
	close_fd(&vcpu);
	close_fd(&vm);
	w->counts = c;
	return NULL;
}

/*
 * -R: an RT task's wakeup preempts at once even where a SCHED_OTHER one's
 * waits for the next tick or the return to user space (PREEMPT_LAZY), so
 * every wakeup that lands in a worker's critical section takes the CPU
 * from the lock's owner. Returns the wakeups.
 */
static unsigned long preempt_workers(struct job *job)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct timespec next;
	unsigned long n = 0;
	int err;

	err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (err)
		die("-R: cannot run at SCHED_FIFO: %s", strerror(err));
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (__atomic_load_n(&job->running, __ATOMIC_ACQUIRE)) {
		next.tv_nsec += (long)job->preempt_us * 1000;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		n++;
	}
	return n;
}

static void add_counts(struct counts *sum, const struct counts *c)
{
	int k, e;

	for (k = 0; k < NR_CALLS; k++) {
		sum->calls[k] += c->calls[k];
		sum->failed[k] += c->failed[k];
		for (e = 0; e < NR_ERRNO; e++)
			sum->errnos[k][e] += c->errnos[k][e];
	}
	sum->pmu_v3_supported += c->pmu_v3_supported;
}

static void print_counts(const struct counts *c, unsigned int calls)
{
	char buf[16];
	int k, e;

	for (k = 0; k < NR_CALLS; k++) {
		const char *kind = k == CALL_OPEN || k == CALL_PIPE ? "call" :
								      "ioctl";

		if (!(calls & 1u << k))
			continue;
		printf("%s.%s=%lu\n", kind, call_names[k], c->calls[k]);
		printf("failed.%s=%lu\n", call_names[k], c->failed[k]);
		for (e = 1; e < NR_ERRNO - 1; e++)
			if (c->errnos[k][e])
				printf("errno.%s.%s=%lu\n", call_names[k],
				       errno_name(e, buf, sizeof(buf)),
				       c->errnos[k][e]);
		if (c->errnos[k][NR_ERRNO - 1])
			printf("errno.%s.other=%lu\n", call_names[k],
			       c->errnos[k][NR_ERRNO - 1]);
	}
}

/*
 * What arch/arm64/kvm in Debian's 7.2.13 must have seen, from the outcome of
 * each call. Each vCPU here is the only one of a fresh VM and is
 * initialised once, with a valid target and only the PMU_V3 feature bit.
 *
 * kvm_supports_guest_pmuv3(): called by kvm_vm_ioctl_check_extension() for
 *   KVM_CAP_ARM_PMU_V3 (kvm_dev_ioctl() has no early exit), and by
 *   KVM_ARM_VCPU_INIT via kvm_vcpu_set_target() ->
 *   kvm_vcpu_init_check_features() -> system_supported_vcpu_features(),
 *   unless it failed first: EIO/EINTR in kvm_vcpu_ioctl(), EFAULT copying
 *   the init, ENOENT for unknown feature bits. KVM_ARM_PREFERRED_TARGET only
 *   copies out KVM_ARM_TARGET_GENERIC_V8; CREATE_VM/VCPU and SET_DEVICE_ATTR
 *   never call it.
 * kvm_pmu_probe_armpmu(): its only caller is kvm_arm_set_default_pmu(),
 *   called by kvm_setup_vcpu() on a vCPU's first KVM_ARM_VCPU_INIT with
 *   PMU_V3 while the VM has no arm_pmu yet, i.e. on every VCPU_INIT here
 *   that passed the feature check: the ones that worked, plus ENODEV (no
 *   host PMU covers the current CPU; nothing else in that path says ENODEV).
 *   A failed feature check (EINVAL, no PMU) stops before it.
 * kvm_arm_pmu_v3_set_attr(): every KVM_SET_DEVICE_ATTR with group
 *   KVM_ARM_VCPU_PMU_V3_CTRL (kvm_arm_vcpu_arch_set_attr(), under
 *   config_lock) but those failing first with EIO/EINTR (kvm_vcpu_ioctl())
 *   or EFAULT (copy_from_user()).
 * kvm_arm_pmu_v3_set_pmu(): kvm_arm_pmu_v3_set_attr() returns ENODEV (vCPU
 *   without PMU) or EBUSY (PMU already initialised) before its switch; then
 *   get_user() of the type. Once called it returns 0, ENXIO (unknown type)
 *   or EBUSY (the VM ran or has an event filter: never here), so it saw the
 *   successes and the ENXIO failures.
 */
static void print_derived(const struct counts *c)
{
	const unsigned long(*err)[NR_ERRNO] = c->errnos;
	unsigned long init_ok =
		c->calls[CALL_VCPU_INIT] - c->failed[CALL_VCPU_INIT];
	unsigned long attr_ok = c->calls[CALL_SET_DEVICE_ATTR] -
				c->failed[CALL_SET_DEVICE_ATTR];
	unsigned long probe = init_ok + err[CALL_VCPU_INIT][ENODEV];

	printf("derived.kvm_arm_pmu_v3_set_attr=%lu\n",
	       c->calls[CALL_SET_DEVICE_ATTR] - err[CALL_SET_DEVICE_ATTR][EIO] -
		       err[CALL_SET_DEVICE_ATTR][EINTR] -
		       err[CALL_SET_DEVICE_ATTR][EFAULT]);
	printf("derived.kvm_arm_pmu_v3_set_pmu=%lu\n",
	       attr_ok + err[CALL_SET_DEVICE_ATTR][ENXIO]);
	printf("derived.kvm_arm_set_default_pmu=%lu\n", probe);
	printf("derived.kvm_pmu_probe_armpmu=%lu\n", probe);
	printf("derived.kvm_supports_guest_pmuv3=%lu\n",
	       c->calls[CALL_CHECK_EXTENSION] -
		       c->failed[CALL_CHECK_EXTENSION] +
		       c->calls[CALL_VCPU_INIT] - err[CALL_VCPU_INIT][EIO] -
		       err[CALL_VCPU_INIT][EINTR] -
		       err[CALL_VCPU_INIT][EFAULT] -
		       err[CALL_VCPU_INIT][ENOENT]);
}

static const char doc[] =
	"Drive arm64 KVM's PMU lookups from THREADS threads, ITERATIONS times "
	"each, and print how many calls of each kind were made.\v"
	"SCENARIO is one of:\n"
	"  vcpu-init  per iteration: new VM and vCPU, VCPU_INIT with PMU_V3\n"
	"  set-pmu    one such vCPU per thread; per iteration: SET_PMU attr\n"
	"  check-ext  per iteration: KVM_CHECK_EXTENSION(KVM_CAP_ARM_PMU_V3)\n"
	"  open       per iteration: open(DEVICE), close (works on any host)\n"
	"  pipe       per iteration: write 64 bytes into a pipe, read them back\n\n"
	"Prints key=value lines; derived.* lines say what the kernel must have "
	"seen. Exit status: 0 done (failed calls are counted, not fatal), "
	"1 setup failed, 2 bad usage.";

static const struct argp_option options[] = {
	{ "threads", 't', "THREADS", 0, "Threads, 1..256 (default 1)", 0 },
	{ "iterations", 'n', "ITERATIONS", 0,
	  "Iterations per thread, 1..10000000 (default 100)", 0 },
	{ "device", 'd', "DEVICE", 0,
	  "Device for the open scenario (default /dev/kvm)", 0 },
	{ "markers", 'm', NULL, 0,
	  "Execute HINT #126 before and HINT #127 after each thread's loop "
	  "(NOPs; tools/insn-count counts the instructions between them)",
	  0 },
	{ "pmu-type", 'P', "TYPE", 0,
	  "set-pmu: ask for PMU TYPE instead of the first PMUv3's (a type no "
	  "PMU has fails with ENXIO: kvm_arm_pmu_v3_set_pmu's short path)",
	  0 },
	{ "preempt", 'R', "USEC", 0,
	  "While the threads run, the main thread wakes at SCHED_FIFO every "
	  "USEC microseconds, 1..1000000: a thread inside a kernel lock's "
	  "critical section is preempted there, its owner off the CPU "
	  "(needs CAP_SYS_NICE)",
	  0 },
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{},
};

static unsigned long parse_count(const char *what, const char *arg,
				 unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || errno || v < 1 || v > max)
		usage_error(
			"invalid %s '%s': give a whole number from 1 to %lu",
			what, arg, max);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct job *job = state->input;
	unsigned int s;

	switch (key) {
	case 't':
		job->threads = parse_count("thread count", arg, MAX_THREADS);
		break;
	case 'n':
		job->iterations =
			parse_count("iteration count", arg, MAX_ITERATIONS);
		break;
	case 'd':
		job->device = arg;
		break;
	case 'm':
		job->markers = true;
		break;
	case 'R':
		job->preempt_us = parse_count("preempt period", arg, 1000000);
		break;
	case 'P':
		job->pmu_type = (int)parse_count("PMU type", arg, INT32_MAX);
		job->pmu_type_given = true;
		break;
	case '?':
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP,
			  program_invocation_short_name);
		exit(0);
	case ARGP_KEY_ARG:
		if (state->arg_num)
			usage_error("one SCENARIO only, '%s' is extra", arg);
		for (s = 0; s < sizeof(scenarios) / sizeof(scenarios[0]); s++)
			if (!strcmp(arg, scenarios[s].name))
				break;
		if (s == sizeof(scenarios) / sizeof(scenarios[0]))
			usage_error(
				"unknown scenario '%s': use vcpu-init, set-pmu, check-ext, open or pipe",
				arg);
		job->scenario = s;
		break;
	case ARGP_KEY_NO_ARGS:
		usage_error(
			"no SCENARIO: give vcpu-init, set-pmu, check-ext, open or pipe");
	case ARGP_KEY_ERROR:
		/* getopt, kept quiet by ARGP_NO_ERRS, does not say which. */
		usage_error(
			"unknown option, or option missing its value (see --help)");
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "SCENARIO", doc,
					  NULL,	   NULL,      NULL };
	struct job job = { .threads = 1,
			   .iterations = 100,
			   .device = "/dev/kvm",
			   .kvm_fd = -1 };
	struct counts *sum;
	struct worker *workers;
	uint64_t start_ns, end_ns;
	long nvcsw = 0, nivcsw = 0;
	unsigned long t, wakeups = 0;
	int err;

	/* Our own errors and --help: argp's would print two lines. */
	argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, &job);

	if (job.scenario != OPEN && job.scenario != PIPE) {
		if (!HAVE_ARM64_KVM)
			die("KVM scenarios need an arm64 host");
		job.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (job.kvm_fd < 0)
			die("cannot open /dev/kvm: %s (is KVM enabled on this host?)",
			    strerror(errno));
	}
#if HAVE_ARM64_KVM
	if (job.scenario == SET_PMU && !job.pmu_type_given)
		job.pmu_type = read_pmu_type();
#endif

	workers = calloc(job.threads, sizeof(*workers));
	sum = calloc(1, sizeof(*sum));
	if (!workers || !sum)
		die("out of memory");
	/* The main thread waits too, so all start together. */
	pthread_barrier_init(&job.start, NULL, job.threads + 1);
	job.running = job.threads;
	for (t = 0; t < job.threads; t++) {
		workers[t].job = &job;
		err = pthread_create(&workers[t].thread, NULL, worker_main,
				     &workers[t]);
		if (err)
			die("cannot start thread %lu: %s", t + 1,
			    strerror(err));
	}
	pthread_barrier_wait(&job.start);
	if (job.preempt_us)
		wakeups = preempt_workers(&job);
	for (t = 0; t < job.threads; t++)
		pthread_join(workers[t].thread, NULL);
	/* From the first thread's start to the last one's end: the main
	 * thread may wake late from the barrier, the workers time themselves. */
	start_ns = UINT64_MAX;
	end_ns = 0;
	for (t = 0; t < job.threads; t++) {
		if (workers[t].start_ns && workers[t].start_ns < start_ns)
			start_ns = workers[t].start_ns;
		if (workers[t].end_ns > end_ns)
			end_ns = workers[t].end_ns;
	}
	if (end_ns < start_ns)
		start_ns = end_ns = 0;

	for (t = 0; t < job.threads; t++) {
		if (workers[t].setup_failed >= 0)
			die("%s setup in thread %lu: %s failed: %s",
			    scenarios[job.scenario].name, t + 1,
			    call_names[workers[t].setup_failed],
			    strerror(workers[t].setup_errno));
		add_counts(sum, &workers[t].counts);
	}

	printf("scenario=%s\nthreads=%lu\niterations=%lu\n",
	       scenarios[job.scenario].name, job.threads, job.iterations);
	if (job.scenario == OPEN)
		printf("device=%s\n", job.device);
	if (job.scenario == SET_PMU)
		printf("pmu_type=%d\n", job.pmu_type);
	print_counts(sum, scenarios[job.scenario].calls);
	if (job.scenario == CHECK_EXT)
		printf("supported.KVM_CAP_ARM_PMU_V3=%lu\n",
		       sum->pmu_v3_supported);
	if (job.scenario != OPEN && job.scenario != PIPE)
		print_derived(sum);
	printf("elapsed_ns=%llu\n", (unsigned long long)(end_ns - start_ns));
	for (t = 0; t < job.threads; t++) {
		nvcsw += workers[t].nvcsw;
		nivcsw += workers[t].nivcsw;
	}
	printf("switches.voluntary=%ld\nswitches.involuntary=%ld\n", nvcsw,
	       nivcsw);
	if (job.preempt_us)
		printf("preempt.period_us=%lu\npreempt.wakeups=%lu\n",
		       job.preempt_us, wakeups);

	pthread_barrier_destroy(&job.start);
	close_fd(&job.kvm_fd);
	free(sum);
	free(workers);
	if (fflush(stdout) || ferror(stdout))
		die("cannot write the results: %s", strerror(errno));
	return 0;
}
