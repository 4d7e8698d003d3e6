// SPDX-License-Identifier: GPL-2.0
/*
 * Deciding how each target is traced in the running kernel: on the function
 * itself when it exists and really attaches, else on its only caller with a
 * filter, else not at all; and saying why, for people.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "pmu_domain.h"
#include "btf_lookup.h"
#include "sitetab.h"

/* Load the smallest fentry program on btf_id; attach it for real too when
 * attach is set. */
static int probe_fentry_prog(__u32 btf_id, bool attach)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = btf_id);
	int prog, link, err = 0;

	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "pmutrace_probe", "GPL",
			     insns, 2, &opts);
	if (prog < 0)
		return -errno;
	if (!attach) {
		close(prog);
		return 0;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(prog);
	return err;
}

int probe_fentry(const struct btf *btf, __u32 btf_id)
{
	(void)btf;
	return probe_fentry_prog(btf_id, true);
}

/*
 * A target only needs to load: the verifier checks that the function exists,
 * has BTF and may be traced. Attaching and detaching a trampoline costs text
 * patching and an RCU-tasks grace period per target, most of the start-up;
 * the rare function that loads but will not attach is made absent, with the
 * reason, when the real programs attach (tracer.c).
 */
int probe_fentry_load(const struct btf *btf, __u32 btf_id)
{
	(void)btf;
	return probe_fentry_prog(btf_id, false);
}

/*
 * Functions kprobes can attach to: exact names present in kallsyms. A copy,
 * since the caller's look-up (resolve_all's) lives on its stack.
 */
static char kprobe_syms[2 * PMUTRACE_MAX_TARGETS + 1][NAME_LEN];
static int kprobe_nsyms;

void set_kprobe_symbols(const struct ksym_query *q, int n)
{
	kprobe_nsyms = 0;
	for (int i = 0; i < n && kprobe_nsyms < (int)(sizeof(kprobe_syms) /
						      sizeof(kprobe_syms[0]));
	     i++)
		if (q[i].addr)
			snprintf(kprobe_syms[kprobe_nsyms++], NAME_LEN, "%s",
				 q[i].found);
}

/*
 * A kprobe needs the function's own symbol (not a .isra clone); whether
 * the kernel takes it is only known at attach time, where a refusal makes
 * the target absent with the reason.
 */
int probe_kprobe(const struct btf *btf, __u32 btf_id)
{
	const char *name = btf__name_by_offset(
		btf, btf__type_by_id(btf, btf_id)->name_off);

	for (int i = 0; i < kprobe_nsyms; i++)
		if (!strcmp(kprobe_syms[i], name))
			return 0;
	return -ENOENT;
}

static __s32 find_func(const struct btf *btf, const char *name)
{
	return btf_lookup(btf, name, BTF_KIND_FUNC);
}

/* Functions every kernel has: check_tracing_allowed() probes the first. */
const char *const tracing_probe_funcs[TRACING_PROBE_FUNCS] = {
	"vfs_read", "ksys_read", "do_sys_openat2"
};

/*
 * Probe a function every kernel has, so that "this kernel refuses tracing
 * programs" is told apart from "this target cannot be traced".
 */
int check_tracing_allowed(const struct btf *btf, attach_probe_fn probe)
{
	for (int i = 0; i < TRACING_PROBE_FUNCS; i++) {
		__s32 id = find_func(btf, tracing_probe_funcs[i]);

		if (id > 0)
			return probe(btf, id);
	}
	return 0;
}

static void classify_return(struct target *t, const struct btf *btf,
			    const struct btf_type *proto)
{
	const struct btf_type *rt;
	__s32 id;

	t->ret_kind = RET_NONE;
	t->ret_type = "void";
	if (!proto->type)
		return;
	id = btf__resolve_type(btf, proto->type);
	rt = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!rt)
		return;
	if (btf_is_ptr(rt)) {
		t->ret_kind = RET_PTR;
		t->ret_type = "pointer";
	} else if (btf_is_enum(rt)) {
		t->ret_kind = RET_INT32;
		t->ret_type = "enum";
	} else if (btf_is_int(rt)) {
		__u8 enc = btf_int_encoding(rt);

		if (enc & BTF_INT_BOOL) {
			t->ret_kind = RET_BOOL;
			t->ret_type = "bool";
		} else if (!(enc & BTF_INT_SIGNED)) {
			t->ret_kind = RET_BOOL;
			t->ret_type = "unsigned";
		} else {
			t->ret_kind = rt->size == 8 ? RET_INT64 : RET_INT32;
			t->ret_type = rt->size == 8 ? "long" : "int";
		}
	}
}

/* Index of the parameter that is a struct kvm_device_attr *, or -1. */
static int device_attr_param(const struct btf *btf,
			     const struct btf_type *proto)
{
	const struct btf_param *p = btf_params(proto);

	for (int i = 0; i < btf_vlen(proto); i++) {
		const struct btf_type *pt = btf__type_by_id(btf, p[i].type);
		const struct btf_type *st;

		if (!pt || !btf_is_ptr(pt))
			continue;
		st = btf__type_by_id(btf, btf__resolve_type(btf, pt->type));
		if (st && btf_is_struct(st) &&
		    !strcmp(btf__name_by_offset(btf, st->name_off),
			    "kvm_device_attr"))
			return i;
	}
	return -1;
}

static void set_function(struct target *t, const struct btf *btf,
			 const char *func, __s32 id)
{
	const struct btf_type *fn = btf__type_by_id(btf, id);

	snprintf(t->function, sizeof(t->function), "%s", func);
	t->btf_id = id;
	classify_return(t, btf, btf__type_by_id(btf, fn->type));
}

/* Why the target itself cannot be traced. */
static void absent_reason(char *buf, size_t len, __s32 id, int err,
			  const struct ksym_query *ksym)
{
	if (id > 0)
		snprintf(buf, len, "in BTF but cannot be attached (%s)",
			 strerror(-err));
	else if (ksym && ksym->addr)
		snprintf(buf, len, "not in BTF (kallsyms has %s)", ksym->found);
	else
		snprintf(buf, len,
			 "not in BTF or kallsyms: inlined, or not built");
}

/* --sites and --attach, for resolve_target (set once by resolve_all). */
static const struct sitetab *inline_sites;
static int attach_force;

void set_inline_sites(const struct sitetab *t, int force)
{
	inline_sites = t;
	attach_force = force;
}

/* The inline sites of name, when the table has them (sites_run.c checks
 * each against the live kernel before attaching). */
static bool resolve_inline(struct target *t, const char *why)
{
	int n = inline_sites ? sitetab_instances(inline_sites, t->name) : 0;

	if (!n)
		return false;
	t->mode = ATTACH_INLINE;
	t->ninstances = n;
	for (int i = 0; i < inline_sites->n; i++)
		t->nsites += !inline_sites->sites[i].calib &&
			     !strcmp(inline_sites->sites[i].function, t->name);
	snprintf(t->function, sizeof(t->function), "%s", t->name);
	t->ret_kind = RET_NONE;
	t->ret_type = "void";
	snprintf(
		t->reason, sizeof(t->reason),
		"%s; timed at its %d inline site%s (%d instance%s), kprobes at each entry and exit",
		why, t->nsites, t->nsites == 1 ? "" : "s", n,
		n == 1 ? "" : "s");
	return true;
}

void resolve_target(struct target *t, const char *name, const struct btf *btf,
		    const struct ksym_query *ksym, attach_probe_fn probe)
{
	const struct pmu_reader *k = pmu_reader_find(name);
	char why[NAME_LEN + 64];
	__s32 id, cid;
	int err = 0, cerr;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	id = attach_force == FORCE_AUTO || attach_force == FORCE_FUNCTION ?
		     find_func(btf, name) :
		     0;
	if (id > 0) {
		err = probe(btf, id);
		if (!err) {
			t->mode = ATTACH_DIRECT;
			set_function(t, btf, name, id);
			snprintf(t->reason, sizeof(t->reason),
				 "probed on the function itself");
			return;
		}
	}
	if (attach_force == FORCE_INLINE || attach_force == FORCE_CALLER)
		snprintf(why, sizeof(why), "--attach %s",
			 attach_force_names[attach_force]);
	else
		absent_reason(why, sizeof(why), id, err, ksym);
	t->mode = ATTACH_ABSENT;
	if ((attach_force == FORCE_AUTO || attach_force == FORCE_INLINE) &&
	    resolve_inline(t, why))
		return;
	if (attach_force == FORCE_INLINE)
		strcat(why, inline_sites ?
				    ", and the site table has none" :
				    ", and no site table for this kernel");
	if (!k || !k->caller || attach_force == FORCE_FUNCTION ||
	    attach_force == FORCE_INLINE) {
		snprintf(t->reason, sizeof(t->reason), "%s", why);
		return;
	}
	cid = find_func(btf, k->caller);
	if (cid <= 0) {
		snprintf(t->reason, sizeof(t->reason),
			 "%s, and its caller %s is not in BTF", why, k->caller);
		return;
	}
	cerr = probe(btf, cid);
	if (cerr) {
		snprintf(t->reason, sizeof(t->reason),
			 "%s, and its caller %s cannot be attached (%s)", why,
			 k->caller, strerror(-cerr));
		return;
	}
	set_function(t, btf, k->caller, cid);
	if (k->filter == FILTER_DEVICE_ATTR) {
		const struct btf_type *fn = btf__type_by_id(btf, cid);
		int arg =
			device_attr_param(btf, btf__type_by_id(btf, fn->type));

		if (arg < 0) {
			snprintf(
				t->reason, sizeof(t->reason),
				"%s, and its caller %s takes no struct kvm_device_attr *",
				why, k->caller);
			return;
		}
		t->filter_kind = k->filter;
		t->filter_arg = arg;
		t->filter_value = k->filter_value;
		snprintf(t->filter, sizeof(t->filter), "%s", k->filter_desc);
	}
	t->mode = ATTACH_CALLER;
	snprintf(
		t->reason, sizeof(t->reason),
		"%s; timed through its only caller, whose own work is included",
		why);
}
