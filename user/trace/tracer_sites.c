// SPDX-License-Identifier: GPL-2.0
/*
 * Inline sites (bpf/sites.bpf.h) in user space: their kprobes, and the
 * kprobe pair's own cost, measured at start-up on the running kernel and
 * subtracted from the sites' latency.
 *
 * An inline site's interval runs from the entry program's clock read to
 * the exit program's: it holds the body, and also the rest of the entry
 * kprobe (the program's end, simulating or single-stepping the probed
 * instruction out of line, the exception return) and the start of the exit
 * one (the BRK exception, the kprobe handler, the program up to its clock
 * read). A pair on two adjacent instructions holds only that, plus one
 * instruction. arm64 simulates some instructions and single-steps the
 * others, at a different cost, and simulates a BL cheaper than an ADRP, so
 * there is a pair for each class (sitetab.h): a call's from a BL to its
 * callee's first instruction. Each site is corrected by its instance's
 * entry's class.
 *
 * The pairs are in system calls this process makes itself, CALIB_CALLS
 * times each, before the sites attach, with the same programs the sites
 * use (bpf/sites.bpf.h), their cookie marked SITE_COOKIE_CAL.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "a64_branch.h"
#include "pmutrace_user.h"

#define CALIB_CALLS 200

/*
 * A kprobe at each inline site of target i, all or none: an entry without
 * its exits would leave stale start times, exits without the entry time
 * nothing. A site the kernel refuses (not an instruction boundary, a
 * kprobe blacklist, an instruction it cannot step) says why.
 */
int attach_sites(struct run_result *r, int i, struct bpf_program *entry,
		 struct bpf_program *exit, struct bpf_link **links, int *nlinks)
{
	int first = *nlinks;

	for (int k = 0; k < r->nsites; k++) {
		const struct run_site *rs = &r->sites[k];
		LIBBPF_OPTS(bpf_kprobe_opts, opts, .offset = rs->offset,
			    .bpf_cookie = SITE_COOKIE(i, k, rs->instance));
		struct bpf_link *l;

		if (rs->target != i)
			continue;
		l = bpf_program__attach_kprobe_opts(rs->exit ? exit : entry,
						    rs->symbol, &opts);
		if (!l) {
			int err = -errno;

			while (*nlinks > first)
				bpf_link__destroy(links[--*nlinks]);
			r->targets[i].mode = ATTACH_ABSENT;
			snprintf(r->targets[i].reason,
				 sizeof(r->targets[i].reason),
				 "inline site %s+0x%llx refused a kprobe: %s",
				 rs->symbol, (unsigned long long)rs->offset,
				 strerror(-err));
			return err;
		}
		links[(*nlinks)++] = l;
	}
	return 0;
}

void site_stats_add_cpu(void *into, const void *cpu)
{
	site_stats_add(into, cpu);
}

/*
 * The resolution of bpf_ktime_get_ns(): on arm64 the generic timer's
 * period (CNTFRQ_EL0, readable at EL0). Elsewhere 16 ns, QEMU virt's.
 */
__u32 clock_tick_ns(void)
{
#ifdef __aarch64__
	__u64 f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	if (f)
		return (__u32)((NSEC_PER_SEC + f - 1) / f);
#endif
	return 16;
}

/* site_stats slots of class c's pair: the last ones (sites_run.c). */
static __u32 calib_slot(int c, bool exit)
{
	return PMUTRACE_MAX_SITES - 1 - (2 * c + exit);
}

/* Make the system call whose handler is symbol (sitetab.c, calib_funcs);
 * -1 for one it does not know. */
int calib_trigger(const char *symbol)
{
	unsigned int cpu, node;
	struct utsname u;
	struct tms tms;

	if (!strcmp(symbol, "__arm64_sys_getcpu"))
		return (int)syscall(SYS_getcpu, &cpu, &node, NULL);
	if (!strcmp(symbol, "__arm64_sys_times"))
		return times(&tms) == (clock_t)-1 ? -1 : 0;
	if (!strcmp(symbol, "__arm64_sys_newuname"))
		return uname(&u);
	if (!strcmp(symbol, "__arm64_sys_getppid"))
		return getppid() > 0 ? 0 : -1;
	if (!strcmp(symbol, "__arm64_sys_sched_yield"))
		return sched_yield();
	return -1;
}

/*
 * The sum over the CPUs of a per-CPU map's value at key, through buf (one
 * value per CPU, of size bytes) and add: tracer.c's reads and the
 * calibration's. Here, not in tracer.c, which is built twice (the
 * session object's tracer_sess.o).
 */
int percpu_sum(struct bpf_map *map, __u32 key, void *buf, int ncpus,
	       size_t size, void (*add)(void *into, const void *cpu),
	       void *into)
{
	if (bpf_map_lookup_elem(bpf_map__fd(map), &key, buf))
		return -errno;
	memset(into, 0, size);
	for (int c = 0; c < ncpus; c++)
		add(into, (const char *)buf + (size_t)c * size);
	return 0;
}

/* A calibration slot's sum, then cleared, so nothing of the calibration
 * is left in the map. */
static int read_slot(struct bpf_map *stats, __u32 key, void *buf, int ncpus,
		     struct site_stats *sum)
{
	int err = percpu_sum(stats, key, buf, ncpus, sizeof(*sum),
			     site_stats_add_cpu, sum);

	memset(buf, 0, ncpus * sizeof(*sum));
	bpf_map_update_elem(bpf_map__fd(stats), &key, buf, BPF_ANY);
	return err;
}

static void calibrate_class(struct run_result *r, int c,
			    struct bpf_program *entry, struct bpf_program *exit,
			    struct bpf_map *stats, void *buf, int ncpus)
{
	/* Copies: their names go into res->why, in the same struct. */
	const struct run_site site[2] = { r->calib_sites[c],
					  r->calib_exits[c] },
			      *rs = site;
	struct calib_result *res = &r->calib[c];
	struct bpf_link *l[2] = {};
	struct site_stats s;
	int err = 0;

	/* rs: where it failed, for the reason */
	for (int e = 0; e < 2 && !err; e++) {
		LIBBPF_OPTS(bpf_kprobe_opts, opts, .offset = site[e].offset,
			    .bpf_cookie =
				    SITE_COOKIE(0, calib_slot(c, e), 0xff) |
				    SITE_COOKIE_CAL);

		l[e] = bpf_program__attach_kprobe_opts(e ? exit : entry,
						       site[e].symbol, &opts);
		if (!l[e]) {
			err = -errno;
			rs = &site[e];
		}
	}
	for (int i = 0; i < CALIB_CALLS && !err; i++)
		if (calib_trigger(rs->symbol))
			err = -ENOSYS;
	bpf_link__destroy(l[0]);
	bpf_link__destroy(l[1]);
	if (!err)
		err = read_slot(stats, calib_slot(c, true), buf, ncpus, &s);
	read_slot(stats, calib_slot(c, false), buf, ncpus,
		  &(struct site_stats){});
	if (err) {
		snprintf(res->why, sizeof(res->why), "%s+0x%llx: %s",
			 rs->symbol, (unsigned long long)rs->offset,
			 strerror(-err));
		return;
	}
	/* Other tasks may make the call too: more pairs, never fewer. */
	if (s.count < CALIB_CALLS) {
		snprintf(res->why, sizeof(res->why),
			 "%llu of %d pairs at %s+0x%llx",
			 (unsigned long long)s.count, CALIB_CALLS, rs->symbol,
			 (unsigned long long)rs->offset);
		return;
	}
	res->done = true;
	res->pairs = s.count;
	res->mean_ns = (double)s.sum_ns / (double)s.count;
	res->min_ns = s.min_ns;
	res->max_ns = s.max_ns;
	res->tick_ns = clock_tick_ns();
	res->fast_mean_ns =
		s.fast_count ? (double)s.fast_sum_ns / (double)s.fast_count : 0;
}

void calibrate(struct run_result *r, struct bpf_program *entry,
	       struct bpf_program *exit, struct bpf_map *stats, void *buf,
	       int ncpus)
{
	for (int c = 0; c < NR_CLASSES; c++)
		if (r->has_calib[c])
			calibrate_class(r, c, entry, exit, stats, buf, ncpus);
}

/*
 * The class of the entry of site k's instance, -1 without one. A BL entry
 * (every inline reader after the RCU patch starts with bl __rcu_read_lock)
 * is a call: its kprobe simulates it 11 instructions cheaper than an ADRP
 * (measured on the before/after kernels), more than the ground truth's
 * tolerance.
 */
int entry_class(const struct run_result *r, int k)
{
	__u64 to;

	for (int j = 0; j < r->nsites; j++) {
		if (r->sites[j].target != r->sites[k].target ||
		    r->sites[j].instance != r->sites[k].instance ||
		    r->sites[j].exit)
			continue;
		if (a64_decode(r->sites[j].insn, 0, &to) == A64_BL)
			return CLASS_CALL;
		return a64_kprobe_simulates(r->sites[j].insn) ?
			       CLASS_SIMULATED :
			       CLASS_STEPPED;
	}
	return -1;
}

/*
 * The mean of target i's calls (k < 0) or of exit site k's, less the bias
 * of the pairs they went through: each exit's count times its class's
 * fast-path mean (a pair an interrupt hit is not the pair's cost). The
 * noise is the largest spread of those pairs above their fastest, and at
 * least a clock tick: a body within it is not told from the bias.
 */
void inline_body(const struct run_result *r, int i, int k,
		 struct body_estimate *e)
{
	double sum = 0, bias = 0, noise = 1, fast_sum = 0;
	__u64 n = 0, fast_n = 0;

	memset(e, 0, sizeof(*e));
	for (int j = 0; j < r->nsites; j++) {
		const struct site_stats *s = &r->site_res[j];
		const struct calib_result *c;
		int cls;

		if (!r->sites[j].exit ||
		    (k >= 0 ? j != k : r->sites[j].target != i) || !s->count)
			continue;
		cls = entry_class(r, j);
		c = cls >= 0 ? &r->calib[cls] : NULL;
		sum += (double)s->sum_ns;
		n += s->count;
		if (!c || !c->done) {
			bias = -1;
			e->uncorrected =
				cls == CLASS_CALL ?
					"no kprobe pair calibration for a BL entry" :
					"no kprobe pair calibration";
			continue;
		}
		if (bias >= 0)
			bias += c->fast_mean_ns * (double)s->count;
		if (c->fast_mean_ns - (double)c->min_ns > noise)
			noise = c->fast_mean_ns - (double)c->min_ns;
		if (c->tick_ns > noise)
			noise = c->tick_ns;
		fast_sum += (double)s->fast_sum_ns -
			    c->fast_mean_ns * (double)s->fast_count;
		fast_n += s->fast_count;
	}
	if (!n)
		return;
	e->measured_ns = sum / (double)n;
	if (bias < 0)
		return;
	e->corrected = true;
	e->bias_ns = bias / (double)n;
	e->noise_ns = noise;
	e->body_ns = e->measured_ns - e->bias_ns;
	e->fast_ns = fast_n ? fast_sum / (double)fast_n : 0;
	e->in_noise = e->body_ns <= noise;
}
