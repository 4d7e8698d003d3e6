/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernels whose fentry cannot attach (arm64 before direct-call trampolines,
 * e.g. 6.1) get kprobe/kretprobe twins. A kretprobe no longer sees the
 * arguments, so the entry decides and leaves its verdict on the stack: the
 * start time is 0 for a call that is not the target's.
 *
 * Included once by pmutrace.bpf.c after its fentry/fexit (and session)
 * programs: the twins share their per-task stack (push_entry, pop_start)
 * and record_exit.
 */
/*
 * The registers of a kprobe's context, per architecture. The object is built
 * once for every architecture, so the layout is not fixed at compile time:
 * libbpf relocates these flavours against the running kernel's pt_regs, and
 * the one whose fields exist there is used.
 */
struct pt_regs___arm64 {
	__u64 regs[31];
} __attribute__((preserve_access_index));

struct pt_regs___x86 {
	unsigned long di, si, dx, cx, ax, r8, r9;
} __attribute__((preserve_access_index));

/*
 * Argument n of a kprobed function, and a kretprobe's return value. Read
 * with CO-RE probe reads rather than context loads: clang folds the
 * flavours' register loads into one load from an offset context pointer,
 * which the verifier refuses. Kprobe mode only (kernels without fentry).
 */
static __always_inline __u64 kprobe_arg(struct pt_regs *ctx, __u32 n)
{
	struct pt_regs___arm64 *a = (void *)ctx;
	struct pt_regs___x86 *x = (void *)ctx;
	__u64 v = 0;

	if (bpf_core_field_exists(a->regs)) {
		bpf_core_read(&v, sizeof(v), &a->regs[n & 7]);
		return v;
	}
	if (!bpf_core_field_exists(x->di))
		return 0;
	switch (n) {
	case 0:
		return BPF_CORE_READ(x, di);
	case 1:
		return BPF_CORE_READ(x, si);
	case 2:
		return BPF_CORE_READ(x, dx);
	case 3:
		return BPF_CORE_READ(x, cx);
	case 4:
		return BPF_CORE_READ(x, r8);
	case 5:
		return BPF_CORE_READ(x, r9);
	}
	return 0;
}

/*
 * arm64's return register is the context's first word: a plain context load
 * at a fixed offset, which the verifier takes, instead of a probe read
 * (PREEMPT_RT runs kprobes on every 7.x kernel: this is its hot path).
 */
static __always_inline __u64 kprobe_ret(struct pt_regs *ctx)
{
	struct pt_regs___arm64 *a = (void *)ctx;
	struct pt_regs___x86 *x = (void *)ctx;

	if (bpf_core_field_exists(a->regs) &&
	    bpf_core_field_offset(a->regs) == 0)
		return *(volatile __u64 *)ctx;
	if (bpf_core_field_exists(a->regs))
		return BPF_CORE_READ(a, regs[0]);
	if (bpf_core_field_exists(x->ax))
		return BPF_CORE_READ(x, ax);
	return 0;
}

static __always_inline int on_kprobe(struct pt_regs *ctx, __u32 slot,
				     bool attrib)
{
	bool want;

	if (attrib && !attrib_selected())
		return 0;
	want = cfg.filter_kind[SLOT(slot)] != FILTER_DEVICE_ATTR ||
	       attr_matches(slot, kprobe_arg(ctx, cfg.filter_arg[SLOT(slot)]));

	push_entry(slot, want ? bpf_ktime_get_ns() : 0);
	return 0;
}

static __always_inline int on_kretprobe(struct pt_regs *ctx, __u32 slot,
					bool attrib)
{
	struct task_state *ts = task_state(false);
	__u64 start = 0;

	/* No entry found: the kprobe was missed, and so is the call. */
	if (ts && pop_start(ts, slot, &start) && start)
		record_exit(slot, start, kprobe_ret(ctx),
			    cfg.ret_kind[SLOT(slot)], attrib);
	return 0;
}

#define KPROBE_SLOT(n)                                \
	SEC("kprobe")                                 \
	int target_kprobe_##n(struct pt_regs *ctx)    \
	{                                             \
		return on_kprobe(ctx, n, false);      \
	}                                             \
	SEC("kretprobe")                              \
	int target_kretprobe_##n(struct pt_regs *ctx) \
	{                                             \
		return on_kretprobe(ctx, n, false);   \
	}                                             \
	SEC("kprobe")                                 \
	int attrib_kprobe_##n(struct pt_regs *ctx)    \
	{                                             \
		return on_kprobe(ctx, n, true);       \
	}                                             \
	SEC("kretprobe")                              \
	int attrib_kretprobe_##n(struct pt_regs *ctx) \
	{                                             \
		return on_kretprobe(ctx, n, true);    \
	}

KPROBE_SLOT(0)
KPROBE_SLOT(1)
KPROBE_SLOT(2)
KPROBE_SLOT(3)
KPROBE_SLOT(4)
KPROBE_SLOT(5)
KPROBE_SLOT(6)
KPROBE_SLOT(7)
