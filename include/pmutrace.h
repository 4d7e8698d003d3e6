/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs and the loader share: limits, the histogram layout,
 * the per-CPU records and the read-only configuration. One truth for both.
 */
#ifndef PMUTRACE_H
#define PMUTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PMUTRACE_MAX_TARGETS 8
/* Nesting depth remembered per task; deeper calls are counted as dropped. */
#define PMUTRACE_MAX_DEPTH 8
/* errno values counted one by one (EHWPOISON is 133); larger go to "other". */
#define PMUTRACE_MAX_ERRNO 133
/* Linux's IS_ERR_VALUE() bound. */
#define PMUTRACE_MAX_ERRPTR 4095

/* enum bpf_attach_type of 7.x kernels, newer than Debian 12's libbpf. */
#define PMUTRACE_BPF_TRACE_FSESSION 58

/* Parts of the per-call work the benchmark can switch off, to see what each
 * costs (builds with -DPMUTRACE_BENCH_SKIP=bits; never pmutrace itself). */
#define BENCH_SKIP_RET 1 /* return classification */
#define BENCH_SKIP_HIST 2 /* the histogram bucket */
#define BENCH_SKIP_MINMAX 4 /* min, max and sum */
#define BENCH_SKIP_ENTRIES 8 /* session mode's entry counter */

/* arch/arm64/include/uapi/asm/kvm.h, absent from other arches' headers. */
#define PMUTRACE_KVM_ARM_VCPU_PMU_V3_SET_PMU 3

/*
 * Latency histogram: log2 buckets split into HIST_SUB linear sub-buckets, so
 * a bucket is at most 1/16 of its value wide and a percentile taken at a
 * bucket's middle is good to about 3%. Values below HIST_SUB ns get a bucket
 * each; values of 2^HIST_MAX_EXP ns (about 18 minutes) and more share the
 * last bucket.
 */
#define HIST_SUB_BITS 4
#define HIST_SUB (1U << HIST_SUB_BITS)
#define HIST_MAX_EXP 40
#define HIST_BUCKETS ((HIST_MAX_EXP - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	__u64 slots[HIST_BUCKETS];
};

/*
 * floor(log2(v)) for v > 0 without loops, so the verifier takes it (and
 * without __builtin_clzll, on which clang 14's BPF back end crashes). A
 * binary search with branches, in 64-bit registers: on BPF this is about
 * 3 instructions a step, against 5 for a branch-free ladder, and it runs on
 * every timed call.
 */
static inline __attribute__((always_inline)) __u64 hist_log2(__u64 v)
{
	__u64 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	return r + (v >> 1);
}

/*
 * With t = floor(log2(v)) - HIST_SUB_BITS (0 below 2 * HIST_SUB), v >> t
 * lies in [HIST_SUB, 2 * HIST_SUB) and its low bits are the sub-bucket, so
 * the bucket is t * HIST_SUB + (v >> t): no special case for small values,
 * and everything from 2^HIST_MAX_EXP on lands past the end, in the last one.
 */
static inline __attribute__((always_inline)) __u64
hist_bucket_unclamped(__u64 v)
{
	__u64 t = hist_log2(v >> HIST_SUB_BITS);

	return (t << HIST_SUB_BITS) + (v >> t);
}

static inline __attribute__((always_inline)) __u32 hist_bucket(__u64 v)
{
	__u64 b = hist_bucket_unclamped(v);

	return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

/* Smallest value that falls into bucket idx. */
static inline __u64 hist_bucket_low(__u32 idx)
{
	__u32 group = idx / HIST_SUB;

	if (group == 0)
		return idx;
	return (__u64)(HIST_SUB + idx % HIST_SUB) << (group - 1);
}

/* The loader's settings, one read-only struct for the BPF programs. */
struct pmutrace_config {
	__u64 lock_addr; /* the watched mutex, 0 for none */
	__u64 filter_value[PMUTRACE_MAX_TARGETS];
	/* session mode: attached functions' text, for lock events */
	__u64 func_lo[PMUTRACE_MAX_TARGETS];
	__u64 func_hi[PMUTRACE_MAX_TARGETS];
	__u32 ret_kind[PMUTRACE_MAX_TARGETS]; /* enum ret_kind */
	__u32 filter_kind[PMUTRACE_MAX_TARGETS]; /* enum filter_kind */
	__u32 filter_arg[PMUTRACE_MAX_TARGETS];
	__u32 session; /* targets timed by fsession programs */
	__u32 clock_tick_ns; /* the clock's resolution: inline sites' fast path */
};

/* Session mode's entry counters cover this many CPUs (tracer.c). */
#define PMUTRACE_SESSION_MAX_CPUS 512

/* How to read a function's return value: chosen by the loader from BTF. */
enum ret_kind {
	RET_NONE = 0, /* void, or not worth classifying */
	RET_INT32, /* int: negative values are -errno */
	RET_INT64, /* long */
	RET_BOOL, /* bool or unsigned: zero or not */
	RET_PTR, /* pointer: NULL, ERR_PTR(-errno) or valid */
};

/* Which calls of an attached function are the target's. */
enum filter_kind {
	FILTER_NONE = 0,
	/* Argument filter_arg is a struct kvm_device_attr *; keep the call
	 * when its ->attr equals filter_value. */
	FILTER_DEVICE_ATTR,
};

/*
 * Per target, per CPU. Each field is written by one BPF program only.
 * This and struct lock_stats hold __u64 words only (counters, arrays of them,
 * histograms): the loader adds and subtracts them word by word, and treats
 * only the min/max pairs it names (user/common/stats.c) otherwise.
 *
 * Every instruction counts on the per-call path, so the maps hold less than
 * this says and the loader completes each CPU's record (tracer.c): timed is
 * the histogram's total, count adds the untimed calls the maps count, and
 * min_ns starts at the largest value (the loader writes it before attach),
 * so the per-call path needs no case for "none yet".
 */
struct target_stats {
	__u64 count; /* calls completed (exits seen); maps: untimed ones */
	__u64 timed; /* of those, entries seen too: in the histogram */
	__u64 sum_ns;
	__u64 min_ns; /* valid when timed > 0; maps: ~0 until then */
	__u64 max_ns;
	__u64 ret_zero; /* 0, false or NULL */
	__u64 ret_nonzero; /* > 0, true or a valid pointer */
	__u64 ret_neg_other; /* negative, not an errno */
	__u64 ret_errno_other; /* errno > PMUTRACE_MAX_ERRNO */
	__u64 ret_errno[PMUTRACE_MAX_ERRNO + 1];
	__u64 lock_acquired; /* lock acquisitions inside (hold mode) */
	__u64 lock_hold_ns; /* their total hold time */
	struct hist latency;
};

/*
 * Inline sites (bpf/sites.bpf.h): kprobes at the entry and exits of each
 * inline instance of a target, from a site table (user/common/sitetab.h).
 * The attach cookie says which: the target's slot, the site's index in
 * site_stats, and the instance.
 */
#define PMUTRACE_MAX_SITES 32
#define SITE_COOKIE(slot, site, instance) \
	((slot) | ((__u64)(site) << 8) | ((__u64)(instance) << 16))
#define SITE_COOKIE_SLOT(c) ((c) & (PMUTRACE_MAX_TARGETS - 1))
/* A calibration pair (tracer_sites.c): timed per site, no target's. */
#define SITE_COOKIE_CAL (1u << 7)
#define SITE_COOKIE_SITE(c) (((c) >> 8) & (PMUTRACE_MAX_SITES - 1))
#define SITE_COOKIE_INSTANCE(c) (((c) >> 16) & 0xff)

/* Per site, per CPU: an entry site counts entries; an exit site the
 * instances it ended, and their latency from their entry. */
struct site_stats {
	__u64 count;
	__u64 sum_ns;
	__u64 min_ns; /* 0: none yet */
	__u64 max_ns;
	/* Calls within one clock tick (cfg.clock_tick_ns) of this CPU's
	 * fastest so far: a mean that an interrupt's outlier does not move,
	 * and that averages the tick away (16 ns in QEMU's virt board, 40 ns
	 * on a 25 MHz arm64 counter) where min cannot. */
	__u64 fast_sum_ns;
	__u64 fast_count;
	struct hist latency;
};

/* Waiters outside every target are accounted in slot PMUTRACE_MAX_TARGETS. */
#define PMUTRACE_OUTSIDE PMUTRACE_MAX_TARGETS

struct lock_stats {
	__u64 contended; /* waits that ended with the lock taken */
	__u64 wait_failed; /* waits that ended otherwise (signal, ...) */
	__u64 wait_sum_ns;
	__u64 wait_min_ns;
	__u64 wait_max_ns;
	__u64 contended_in[PMUTRACE_MAX_TARGETS + 1];
	__u64 acquired; /* hold mode: all acquisitions */
	__u64 held; /* hold times measured (release seen) */
	__u64 hold_sum_ns;
	__u64 hold_min_ns;
	__u64 hold_max_ns;
	__u64 acquired_in[PMUTRACE_MAX_TARGETS + 1];
	struct hist wait;
	struct hist hold;
};

/* Why an event was not recorded; counted per CPU in the drops map. */
enum drop_reason {
	DROP_NO_TASK_STATE, /* task storage could not be had */
	DROP_TOO_DEEP, /* nesting deeper than PMUTRACE_MAX_DEPTH */
	DROP_EXIT_UNMATCHED, /* exit without its entry: not timed */
	DROP_STALE_ENTRY, /* entry whose exit never came */
	DROP_REASONS,
};

#endif /* PMUTRACE_H */
