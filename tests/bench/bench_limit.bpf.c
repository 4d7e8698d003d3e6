// SPDX-License-Identifier: GPL-2.0
/*
 * bench_limit: the least a latency tracer can do per call, the yardstick of
 * scripts/bench/ (issue 11): read the clock at entry and at return, and
 * count the delta in one per-CPU log2 slot. Built twice:
 *  - with LIMIT_SESSION (bench_limit_sess.bpf.o): limit_sess, one fsession
 *    program (7.x), the start in the session cookie. Its own object, as
 *    pmutrace's session programs are: 6.12 has a bpf_session_cookie kfunc
 *    of another type (kprobe sessions), and libbpf refuses the object there;
 *  - without: limit_entry/limit_exit, fentry/fexit with the start in task
 *    storage (6.12), and limit_kprobe/limit_kretprobe, the same with kprobes
 *    (6.1, and PREEMPT_RT, where pmutrace uses kprobes: setup.c says why).
 * tests/bench/limit_probe.c loads one form.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "pmutrace.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

static __always_inline void count(__u64 start)
{
	__u32 slot = hist_log2(bpf_ktime_get_ns() - start);
	__u64 *n = bpf_map_lookup_elem(&slots, &slot);

	if (n)
		(*n)++;
}

#ifdef LIMIT_SESSION
extern bool bpf_session_is_return(void *ctx) __ksym __weak;
extern __u64 *bpf_session_cookie(void *ctx) __ksym __weak;

SEC("fentry")
int limit_sess(void *ctx)
{
	__u64 *cookie = bpf_session_cookie(ctx);

	if (!bpf_session_is_return(ctx))
		*cookie = bpf_ktime_get_ns();
	else if (*cookie)
		count(*cookie);
	return 0;
}
#else
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} starts SEC(".maps");

static __always_inline void entry_side(void)
{
	__u64 *start = bpf_task_storage_get(&starts, bpf_get_current_task_btf(),
					    0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (start)
		*start = bpf_ktime_get_ns();
}

static __always_inline void exit_side(void)
{
	__u64 *start =
		bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);

	if (start && *start) {
		count(*start);
		*start = 0;
	}
}

SEC("fentry")
int limit_entry(void *ctx)
{
	entry_side();
	return 0;
}

SEC("fexit")
int limit_exit(void *ctx)
{
	exit_side();
	return 0;
}

SEC("kprobe")
int limit_kprobe(void *ctx)
{
	entry_side();
	return 0;
}

SEC("kretprobe")
int limit_kretprobe(void *ctx)
{
	exit_side();
	return 0;
}
#endif
