// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side of a run: point the slot programs at the resolved functions,
 * load, attach each program on its own, and read the per-CPU maps back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attrib.h"
#include "btf_lookup.h"
#include "pmutrace.skel.h"

/*
 * This file is built twice: as itself with the skeleton of the object
 * without session programs, and with PMUTRACE_SESSION_OBJ against the
 * session object's skeleton (tracer_sess.o), whose functions get a sess_
 * prefix. The plain functions hand session runs to those.
 */
#ifdef PMUTRACE_SESSION_OBJ
#define TRACER(name) sess_##name
#else
#define TRACER(name) name
#endif
struct tracer *sess_tracer_start(struct run_result *r, int *err);
void sess_tracer_stop(struct tracer *tr);
int sess_tracer_collect(struct tracer *tr, struct run_result *r);
__u64 sess_prog_misses(const struct bpf_program *p);
#ifdef PMUTRACE_SESSION_OBJ
#define prog_misses sess_prog_misses
#endif

/*
 * Attribution runs load the plain object (attrib_prepare takes fentry over
 * fsession), and attrib*.c know only its skeleton: the session build has
 * no attribution hooks.
 */
#ifdef PMUTRACE_SESSION_OBJ
#define ATTRIB_HOOK(call) 0
#else
#define ATTRIB_HOOK(call) call
#endif

/* The slot programs, the lock's four, attribution's four, inline sites. */
#define MAX_LINKS (2 * PMUTRACE_MAX_TARGETS + 8 + PMUTRACE_MAX_SITES)

struct tracer {
	bool session; /* first in both builds: which one made it */
	struct pmutrace_bpf *skel;
	struct bpf_program *entry[PMUTRACE_MAX_TARGETS];
	struct bpf_program *exit[PMUTRACE_MAX_TARGETS];
	/* the inline sites' pair (and their calibration's) */
	struct bpf_program *site_entry, *site_exit;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	/* fsession links: bookworm's libbpf cannot make them, bpf() can */
	int link_fds[PMUTRACE_MAX_TARGETS];
	int nlink_fds;
	int ncpus;
	void *buf; /* one value per possible CPU */
};

/* The slot programs of the run's probe kind: target_<kind>_<slot> in the BPF
 * C, or their attrib_ twins when attribution needs the per-call path; a
 * filtered target's fsession program is a build of its own, target_fsess_,
 * so the others skip the filter's work (pmutrace.bpf.c). */
static void slot_programs(struct pmutrace_bpf *s, const struct run_result *r,
			  bool attrib, struct bpf_program **entry,
			  struct bpf_program **exit)
{
	enum probe_kind kind = r->probe;
	const char *out = kind == PROBE_KPROBE ? "kretprobe" : "exit";
	const char *pre = attrib ? "attrib" : "target";
	char name[32];

	for (int i = 0; i < PMUTRACE_MAX_TARGETS; i++) {
		bool filtered = i < r->ntargets &&
				r->targets[i].filter_kind != FILTER_NONE;
		const char *in = kind == PROBE_KPROBE  ? "kprobe" :
				 kind != PROBE_SESSION ? "entry" :
				 filtered	       ? "fsess" :
							 "sess";

		snprintf(name, sizeof(name), "%s_%s_%d", pre, in, i);
		entry[i] = bpf_object__find_program_by_name(s->obj, name);
		snprintf(name, sizeof(name), "%s_%s_%d", pre, out, i);
		/* A session program is its own exit. */
		exit[i] =
			kind == PROBE_SESSION ?
				NULL :
				bpf_object__find_program_by_name(s->obj, name);
	}
}

static void autoload_only(struct pmutrace_bpf *s, struct bpf_program **used,
			  int n)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj)
		bpf_program__set_autoload(p, false);
	for (int i = 0; i < n; i++)
		if (used[i])
			bpf_program__set_autoload(used[i], true);
}

static int configure(struct tracer *tr, const struct run_result *r)
{
	struct bpf_program *used[MAX_LINKS] = {};
	struct pmutrace_bpf *s = tr->skel;
	bool attrib = ATTRIB_HOOK(attrib_per_call(r));
	int n = 0, err;

	slot_programs(s, r, attrib, tr->entry, tr->exit);
	/* The inline sites' attrib_ twins are in the plain object only,
	 * which every attribution run loads. */
	tr->site_entry = bpf_object__find_program_by_name(
		s->obj, attrib ? "attrib_site_entry" : "site_entry");
	tr->site_exit = bpf_object__find_program_by_name(
		s->obj, attrib ? "attrib_site_exit" : "site_exit");
	if (r->nsites) {
		used[n++] = tr->site_entry;
		used[n++] = tr->site_exit;
	} else {
		/* Per-CPU histograms of every site: none without --sites. */
		bpf_map__set_max_entries(s->maps.site_stats, 1);
	}
	for (int i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];

		if (t->mode == ATTACH_ABSENT || t->mode == ATTACH_INLINE)
			continue;
		used[n++] = tr->entry[i];
		if (tr->exit[i])
			used[n++] = tr->exit[i];
		err = 0;
		if (r->probe != PROBE_KPROBE)
			err = bpf_program__set_attach_target(tr->entry[i], 0,
							     t->function);
		if (!err && tr->exit[i] && r->probe == PROBE_FENTRY)
			err = bpf_program__set_attach_target(tr->exit[i], 0,
							     t->function);
		if (!err && r->probe == PROBE_SESSION)
			err = bpf_program__set_expected_attach_type(
				tr->entry[i], PMUTRACE_BPF_TRACE_FSESSION);
		if (err)
			return err;
		s->rodata->cfg.func_lo[i] = t->func_lo;
		s->rodata->cfg.func_hi[i] = t->func_hi;
		s->rodata->cfg.ret_kind[i] = t->ret_kind;
		s->rodata->cfg.filter_kind[i] = t->filter_kind;
		s->rodata->cfg.filter_arg[i] = t->filter_arg;
		s->rodata->cfg.filter_value[i] = t->filter_value;
	}
	s->rodata->cfg.lock_addr = r->lock.traced ? r->lock.addr : 0;
	s->rodata->cfg.session = r->probe == PROBE_SESSION;
	s->rodata->cfg.clock_tick_ns = clock_tick_ns();
	if (r->lock.traced) {
		used[n++] = s->progs.lock_contention_begin;
		used[n++] = s->progs.lock_contention_end;
	}
	if (r->lock.hold) {
		used[n++] = s->progs.lock_acquired;
		used[n++] = s->progs.lock_released;
	}
	/*
	 * A cgroup array needs CONFIG_CGROUPS, which not every kernel has (our
	 * allnoconfig builds lack it): without -c the filter's map is a plain
	 * array, only referenced from code the verifier prunes.
	 */
	if (!r->attrib || r->attrib->cgroup_fd < 0)
		bpf_map__set_type(s->maps.cgroup_filter, BPF_MAP_TYPE_ARRAY);
	err = ATTRIB_HOOK(attrib_configure(s, r, used, &n));
	autoload_only(s, used, n);
	return err;
}

static int attach_one(struct tracer *tr, struct bpf_program *p,
		      enum probe_kind kind, bool ret, const char *func)
{
	struct bpf_link *l;

	if (kind == PROBE_SESSION) {
		int fd = bpf_link_create(bpf_program__fd(p), 0,
					 PMUTRACE_BPF_TRACE_FSESSION, NULL);

		if (fd < 0)
			return fd;
		tr->link_fds[tr->nlink_fds++] = fd;
		return 0;
	}
	if (kind == PROBE_KPROBE)
		l = bpf_program__attach_kprobe(p, ret, func);
	else
		l = bpf_program__attach(p);
	if (!l)
		return -errno;
	tr->links[tr->nlinks++] = l;
	return 0;
}

/*
 * Each program is attached on its own: a target whose kprobe is refused
 * (blacklisted, say) becomes absent with the reason, the rest go on.
 */
static int attach_all(struct tracer *tr, struct run_result *r)
{
	struct pmutrace_bpf *s = tr->skel;
	int err = 0, attached = 0;

	for (int i = 0; i < r->ntargets; i++) {
		struct target *t = &r->targets[i];

		if (t->mode == ATTACH_ABSENT)
			continue;
		if (t->mode == ATTACH_INLINE) {
			attached += !attach_sites(r, i, tr->site_entry,
						  tr->site_exit, tr->links,
						  &tr->nlinks);
			continue;
		}
		err = attach_one(tr, tr->entry[i], r->probe, false,
				 t->function);
		if (!err && tr->exit[i]) {
			err = attach_one(tr, tr->exit[i], r->probe, true,
					 t->function);
			/* An entry without its exit would only leave stale
			 * start times behind. */
			if (err)
				bpf_link__destroy(tr->links[--tr->nlinks]);
		}
		if (err) {
			t->mode = ATTACH_ABSENT;
			snprintf(t->reason, sizeof(t->reason),
				 "%s on %s failed: %s",
				 probe_kind_name(r->probe), t->function,
				 strerror(-err));
			continue;
		}
		attached++;
	}
	if (!attached)
		return -ENOENT;
	if (r->lock.traced) {
		err = attach_one(tr, s->progs.lock_contention_begin,
				 PROBE_FENTRY, false, NULL);
		if (!err)
			err = attach_one(tr, s->progs.lock_contention_end,
					 PROBE_FENTRY, false, NULL);
		if (err)
			return err;
	}
	if (r->lock.hold) {
		err = attach_one(tr, s->progs.lock_acquired, PROBE_FENTRY,
				 false, NULL);
		if (!err)
			err = attach_one(tr, s->progs.lock_released,
					 PROBE_FENTRY, false, NULL);
	}
	if (!err)
		err = ATTRIB_HOOK(attrib_attach(s, r));
	return err;
}

/* Every CPU's min_ns starts at the largest value (include/pmutrace.h). */
static int init_target_stats(struct tracer *tr)
{
	int fd = bpf_map__fd(tr->skel->maps.target_stats);
	struct target_stats *v = tr->buf;

	memset(tr->buf, 0, (size_t)tr->ncpus * sizeof(*v));
	for (int c = 0; c < tr->ncpus; c++)
		v[c].min_ns = ~0ULL;
	for (__u32 slot = 0; slot < PMUTRACE_MAX_TARGETS; slot++)
		if (bpf_map_update_elem(fd, &slot, tr->buf, BPF_ANY))
			return -errno;
	return 0;
}

static struct tracer *try_start(struct run_result *r, int *err)
{
	struct tracer *tr = calloc(1, sizeof(*tr));
	bool session = r->probe == PROBE_SESSION;
	size_t big = sizeof(struct lock_stats) > sizeof(struct target_stats) ?
			     sizeof(struct lock_stats) :
			     sizeof(struct target_stats);

	*err = -ENOMEM;
	if (!tr)
		return NULL;
	tr->session = session;
	tr->ncpus = libbpf_num_possible_cpus();
	if (tr->ncpus <= 0) {
		/* libbpf's own error, not a lack of memory. */
		*err = tr->ncpus ? tr->ncpus : -EINVAL;
		goto fail;
	}
	tr->buf = calloc(tr->ncpus, big);
	tr->skel = pmutrace_bpf__open();
	if (!tr->buf || !tr->skel) {
		*err = tr->buf ? -errno : -ENOMEM;
		goto fail;
	}
	startup_step("skeleton opened");
	*err = configure(tr, r);
	if (!*err)
		*err = pmutrace_bpf__load(tr->skel);
	btf_drop_kept(); /* not taken: a shared libbpf, or no load */
	startup_step("programs loaded");
	if (!*err)
		*err = init_target_stats(tr);
	if (!*err)
		*err = ATTRIB_HOOK(attrib_loaded(tr->skel, r));
	/* Before the sites attach, so the pairs see only their own calls. */
	if (!*err && r->nsites)
		calibrate(r, tr->site_entry, tr->site_exit,
			  tr->skel->maps.site_stats, tr->buf, tr->ncpus);
	if (!*err)
		*err = attach_all(tr, r);
	startup_step("programs attached");
	if (!*err)
		return tr;
fail:
	btf_drop_kept();
	TRACER(tracer_stop)(tr);
	return NULL;
}

#ifdef PMUTRACE_SESSION_OBJ
struct tracer *sess_tracer_start(struct run_result *r, int *err)
{
	return try_start(r, err);
}
#else
struct tracer *tracer_start(struct run_result *r, int *err)
{
	struct target saved[PMUTRACE_MAX_TARGETS];
	struct tracer *tr;

	memcpy(saved, r->targets, sizeof(saved));
	tr = r->probe == PROBE_SESSION ? sess_tracer_start(r, err) :
					 try_start(r, err);
	/* A kernel whose BTF has fsession but whose JIT or verifier refuses
	 * it, or a host past the entry counters' CPUs: the fentry/fexit pair
	 * does the same job. */
	if (tr && r->probe == PROBE_SESSION &&
	    libbpf_num_possible_cpus() > PMUTRACE_SESSION_MAX_CPUS) {
		tracer_stop(tr);
		tr = NULL;
	}
	if (!tr && r->probe == PROBE_SESSION) {
		memcpy(r->targets, saved, sizeof(saved));
		r->probe = PROBE_FENTRY;
		tr = try_start(r, err);
	}
	return tr;
}
#endif

void TRACER(tracer_stop)(struct tracer *tr)
{
	if (!tr)
		return;
#ifndef PMUTRACE_SESSION_OBJ
	if (tr->session) {
		sess_tracer_stop(tr);
		return;
	}
	attrib_detach();
#endif
	for (int i = 0; i < tr->nlinks; i++)
		bpf_link__destroy(tr->links[i]);
	for (int i = 0; i < tr->nlink_fds; i++)
		close(tr->link_fds[i]);
	pmutrace_bpf__destroy(tr->skel);
	free(tr->buf);
	free(tr);
}

/* Sum a per-CPU array element over every possible CPU. */
static int read_percpu(struct tracer *tr, struct bpf_map *map, __u32 key,
		       size_t size, void (*add)(void *into, const void *cpu),
		       void *into)
{
	return percpu_sum(map, key, tr->buf, tr->ncpus, size, add, into);
}

/* The maps' per-CPU record completed (include/pmutrace.h). */
static void add_target(void *into, const void *cpu)
{
	static struct target_stats c;

	memcpy(&c, cpu, sizeof(c));
	c.timed = hist_total(&c.latency);
	c.count += c.timed;
	c.min_ns = c.timed ? c.min_ns : 0;
	target_stats_add(into, &c);
}

static void add_lock(void *into, const void *cpu)
{
	lock_stats_add(into, cpu);
}

static void add_u64(void *into, const void *cpu)
{
	*(__u64 *)into += *(const __u64 *)cpu;
}

/* Runs of p the kernel skipped because p was already running on that CPU
 * (attrib.c counts its own programs' with it too). */
__u64 TRACER(prog_misses)(const struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(p);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

/*
 * One fsession program runs on both sides, so its misses M mix entries and
 * exits. With E entries and X exits run, each of the N calls ran both or
 * lost some: E + X + M = 2N. So N - X exits and N - E entries were missed.
 */
static void session_misses(struct tracer *tr, int slot,
			   struct target_result *res)
{
	__u64 e = 0, x = res->s.count, m = prog_misses(tr->entry[slot]), n2;

#ifdef PMUTRACE_SESSION_OBJ
	for (int c = 0; c < tr->ncpus && c < PMUTRACE_SESSION_MAX_CPUS; c++)
		e += __atomic_load_n(&tr->skel->bss->entered[c][slot],
				     __ATOMIC_RELAXED);
#endif
	n2 = e + x + m;
	/* Calls in flight while this is read have entered, not returned. */
	res->missed_exit = n2 / 2 > x ? (n2 + 1) / 2 - x : 0;
	res->missed_entry = n2 / 2 > e ? n2 / 2 - e : 0;
}

int TRACER(tracer_collect)(struct tracer *tr, struct run_result *r)
{
	struct pmutrace_bpf *s = tr->skel;
	int err;

#ifndef PMUTRACE_SESSION_OBJ
	if (tr->session)
		return sess_tracer_collect(tr, r);
#endif
	for (int i = 0; i < r->ntargets; i++) {
		if (r->targets[i].mode == ATTACH_ABSENT)
			continue;
		err = read_percpu(tr, s->maps.target_stats, i,
				  sizeof(struct target_stats), add_target,
				  &r->res[i].s);
		if (err)
			return err;
		/* The programs count only the zeros of a bool. */
		if (r->targets[i].ret_kind == RET_BOOL)
			r->res[i].s.ret_nonzero =
				r->res[i].s.count - r->res[i].s.ret_zero;
		/* The site programs serve every inline target. */
		if (r->targets[i].mode == ATTACH_INLINE) {
			r->res[i].missed_entry = prog_misses(tr->site_entry);
			r->res[i].missed_exit = prog_misses(tr->site_exit);
			continue;
		}
		if (r->probe == PROBE_SESSION) {
			session_misses(tr, i, &r->res[i]);
			continue;
		}
		r->res[i].missed_entry = prog_misses(tr->entry[i]);
		r->res[i].missed_exit = prog_misses(tr->exit[i]);
	}
	if (r->lock.traced) {
		err = read_percpu(tr, s->maps.lock_stats, 0,
				  sizeof(struct lock_stats), add_lock,
				  &r->lock_stats);
		if (err)
			return err;
		r->lock_missed = prog_misses(s->progs.lock_contention_begin) +
				 prog_misses(s->progs.lock_contention_end);
		if (r->lock.hold)
			r->lock_missed += prog_misses(s->progs.lock_acquired) +
					  prog_misses(s->progs.lock_released);
	}
	for (int k = 0; k < r->nsites; k++) {
		err = read_percpu(tr, s->maps.site_stats, k,
				  sizeof(struct site_stats), site_stats_add_cpu,
				  &r->site_res[k]);
		if (err)
			return err;
	}
	for (__u32 k = 0; k < DROP_REASONS; k++) {
		err = read_percpu(tr, s->maps.drops, k, sizeof(__u64), add_u64,
				  &r->drops[k]);
		if (err)
			return err;
	}
	return ATTRIB_HOOK(attrib_collect(s, r));
}
