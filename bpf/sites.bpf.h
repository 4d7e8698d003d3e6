/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inline sites: a function the compiler inlined has no entry of its own for
 * fentry or kprobes to attach to. A classic kprobe at each instance's entry
 * and at each of its exits (the site table's, from DWARF) times the body
 * itself. One entry and one exit program serve every site: the attach
 * cookie (SITE_COOKIE) says the target, the site and the instance.
 *
 * Pairing is on the per-task stack of task_state.h: the entry pushes an id
 * made of the slot, a mark, the instance and the frame (the stack pointer,
 * which an inlined body shares with its caller), and an exit takes the
 * nearest entry with the same id. An exit site reached on a path that did
 * not enter the instance (a join point the caller uses too) finds none and
 * counts nothing. A call calibration pair (sitetab.h) pairs the same way:
 * its exit, past the callee's ftrace NOPs, is before the callee's prologue
 * moves sp. Included in both objects, after pmutrace.bpf.c's helpers.
 *
 * -p, -c and --by (attribution) take the attrib_ twins of the two programs,
 * in the plain object: the entry leaves no entry for a task they do not
 * select, so its exits find none, and the exit adds the call to the row of
 * the task that entered (the same task: the pair is on its stack). The
 * calibration pairs are pmutrace's own calls: never filtered, never in a row.
 */
#define SITE_MARK (1u << 3)
/* An id's slot, mark and instance; the frame is above them. */
#define SITE_ID_INSTANCE 0xfffu

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PMUTRACE_MAX_SITES);
	__type(key, __u32);
	__type(value, struct site_stats);
} site_stats SEC(".maps");

struct pt_regs___site_arm64 {
	__u64 regs[31];
	__u64 sp;
} __attribute__((preserve_access_index));

struct pt_regs___site_x86 {
	unsigned long sp;
} __attribute__((preserve_access_index));

static __always_inline __u32 site_id(struct pt_regs *ctx, __u64 cookie)
{
	struct pt_regs___site_arm64 *a = (void *)ctx;
	struct pt_regs___site_x86 *x = (void *)ctx;
	__u64 sp = 0;

	if (bpf_core_field_exists(a->sp))
		sp = BPF_CORE_READ(a, sp);
	else if (bpf_core_field_exists(x->sp))
		sp = BPF_CORE_READ(x, sp);
	return SITE_COOKIE_SLOT(cookie) | SITE_MARK |
	       SITE_COOKIE_INSTANCE(cookie) << 4 | (__u32)(sp >> 4) << 12;
}

static __always_inline struct site_stats *site_stats_of(__u64 cookie)
{
	__u32 key = SITE_COOKIE_SITE(cookie);

	return bpf_map_lookup_elem(&site_stats, &key);
}

static __always_inline int on_site_entry(struct pt_regs *ctx, bool attrib)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct task_state *ts;
	struct site_stats *s;
	__u32 d, id;
	__u64 *start;

	if (attrib && !(cookie & SITE_COOKIE_CAL) && !attrib_selected())
		return 0;
	ts = task_state(true);
	s = site_stats_of(cookie);
	id = site_id(ctx, cookie);
	if (!ts || !s)
		return 0;
	s->count++;
	d = ts->depth;
	/* The same instance on top of the stack: its exit went by unseen (a
	 * way out the site table lacks). Start it again rather than pile up
	 * stale entries until the stack is full. Its frame is not compared:
	 * the kernel randomizes the stack's offset per system call. (A call
	 * that recursed into this instance's caller loses its outer timing.) */
	if (d >= 1 && d <= PMUTRACE_MAX_DEPTH) {
		__u32 top = (d - 1) & (PMUTRACE_MAX_DEPTH - 1);

		if (!((ts->slot[top] ^ id) & SITE_ID_INSTANCE)) {
			count_drop(DROP_STALE_ENTRY);
			d = top;
		}
	}
	start = stack_push(ts, d, id);
	if (start)
		*start = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_site_exit(struct pt_regs *ctx, bool attrib)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct task_state *ts = task_state(false);
	struct target_stats *t;
	struct site_stats *s;
	__u64 start = 0, d;

	/* The nearest entry of this instance in this frame: none when this
	 * exit is reached on a path that did not enter it. */
	if (!ts || !pop_start(ts, site_id(ctx, cookie), &start))
		return 0;
	s = site_stats_of(cookie);
	t = stats_of(SITE_COOKIE_SLOT(cookie));
	if (!start || !s || !t)
		return 0;
	d = bpf_ktime_get_ns() - start;
	s->count++;
	s->sum_ns += d;
	if (!s->min_ns || d < s->min_ns)
		s->min_ns = d;
	if (d > s->max_ns)
		s->max_ns = d;
	if (d <= s->min_ns + cfg.clock_tick_ns) {
		s->fast_sum_ns += d;
		s->fast_count++;
	}
	hist_add(&s->latency, d);
	if (cookie & SITE_COOKIE_CAL)
		return 0;
	add_time(t, d); /* the target's total: the same interval */
	if (attrib)
		attrib_add(SITE_COOKIE_SLOT(cookie), true, d);
	return 0;
}

SEC("kprobe")
int site_entry(struct pt_regs *ctx)
{
	return on_site_entry(ctx, false);
}

SEC("kprobe")
int site_exit(struct pt_regs *ctx)
{
	return on_site_exit(ctx, false);
}

#ifndef PMUTRACE_SESSION_OBJ
SEC("kprobe")
int attrib_site_entry(struct pt_regs *ctx)
{
	return on_site_entry(ctx, true);
}

SEC("kprobe")
int attrib_site_exit(struct pt_regs *ctx)
{
	return on_site_exit(ctx, true);
}
#endif
