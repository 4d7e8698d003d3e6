// SPDX-License-Identifier: GPL-2.0
/* Text output, in the manner of libbpf-tools and perf. */
#include <string.h>
#include <time.h>
#include "pmu_domain.h"
#include "attrib.h"

#define BAR_WIDTH 40

/* The fine buckets summed into powers of two, for a bar chart. */
static void print_log2_hist(FILE *out, const struct hist *h, const char *indent)
{
	__u64 pow2[HIST_MAX_EXP + 1], top = 0;
	int first = -1, last = -1;

	hist_fold_pow2(h, pow2);
	for (int p = 0; p <= HIST_MAX_EXP; p++) {
		if (!pow2[p])
			continue;
		if (first < 0)
			first = p;
		last = p;
		if (pow2[p] > top)
			top = pow2[p];
	}
	if (first < 0)
		return;
	fprintf(out, "%s%24s : %-9s distribution\n", indent, "nsecs", "count");
	for (int p = first; p <= last; p++) {
		__u64 lo = p ? 1ULL << (p - 1) : 0, hi = (1ULL << p) - 1;
		int n = (int)((pow2[p] * BAR_WIDTH + top - 1) / top);
		char range[48];

		if (p == HIST_MAX_EXP)
			snprintf(range, sizeof(range), "%llu -> ...",
				 (unsigned long long)lo);
		else
			snprintf(range, sizeof(range), "%llu -> %llu",
				 (unsigned long long)lo,
				 (unsigned long long)hi);
		fprintf(out, "%s%24s : %-9llu |%-*.*s|\n", indent, range,
			(unsigned long long)pow2[p], BAR_WIDTH, n,
			"****************************************");
	}
}

/* "min 1.2us  mean 3.4us  p50 ... max 9.9us" for a histogram. */
static void print_summary(FILE *out, const char *label, const struct hist *h,
			  __u64 n, __u64 sum, __u64 min, __u64 max)
{
	char buf[32];

	format_ns(buf, sizeof(buf), (double)min);
	fprintf(out, "  %s min %s", label, buf);
	format_ns(buf, sizeof(buf), (double)sum / (double)n);
	fprintf(out, "  mean %s", buf);
	for (int i = 0; i < HIST_NQUANTILES; i++) {
		format_ns(buf, sizeof(buf),
			  hist_percentile(h, hist_quantiles[i].q, min, max));
		fprintf(out, "  %s %s", hist_quantiles[i].label, buf);
	}
	format_ns(buf, sizeof(buf), (double)max);
	fprintf(out, "  max %s\n", buf);
}

static void print_returns(FILE *out, const struct target *t,
			  const struct target_stats *s)
{
	const char *zero = "0", *nonzero = ">0";

	if (t->ret_kind == RET_NONE || !s->count)
		return;
	if (t->ret_kind == RET_BOOL) {
		zero = t->ret_type[0] == 'b' ? "false" : "0";
		nonzero = t->ret_type[0] == 'b' ? "true" : "non-zero";
	} else if (t->ret_kind == RET_PTR) {
		zero = "NULL";
		nonzero = "valid";
	}
	fprintf(out, "  returned");
	if (s->ret_zero)
		fprintf(out, " %s x%llu", zero,
			(unsigned long long)s->ret_zero);
	if (s->ret_nonzero)
		fprintf(out, " %s x%llu", nonzero,
			(unsigned long long)s->ret_nonzero);
	char num[ERRNO_LABEL_LEN];

	for (int e = 1; e <= PMUTRACE_MAX_ERRNO; e++)
		if (s->ret_errno[e])
			fprintf(out, " -%s x%llu", errno_label(e, num),
				(unsigned long long)s->ret_errno[e]);
	if (s->ret_errno_other)
		fprintf(out, " other-errno x%llu",
			(unsigned long long)s->ret_errno_other);
	if (s->ret_neg_other)
		fprintf(out, " other-negative x%llu",
			(unsigned long long)s->ret_neg_other);
	fputc('\n', out);
}

/* An inline figure less the kprobe pair's own cost (tracer_sites.c). */
static void print_body(FILE *out, const struct run_result *r, int i, int k,
		       const char *indent)
{
	struct body_estimate e;
	char m[32], b[32], n[32], body[32];

	inline_body(r, i, k, &e);
	if (!e.measured_ns)
		return;
	format_ns(m, sizeof(m), e.measured_ns);
	if (!e.corrected) {
		fprintf(out, "%sbody: not corrected (%s)\n", indent,
			e.uncorrected);
		return;
	}
	format_ns(b, sizeof(b), e.bias_ns);
	format_ns(n, sizeof(n), e.noise_ns);
	format_ns(body, sizeof(body), e.body_ns);
	if (e.in_noise)
		fprintf(out,
			"%sbody: within the calibration's noise (mean %s, kprobe pair %s, noise %s)\n",
			indent, m, b, n);
	else
		fprintf(out,
			"%sbody: mean %s less the kprobe pair's %s = %s (noise %s); fast path %.0f ns\n",
			indent, m, b, body, n, e.fast_ns);
}

static void print_calibration(FILE *out, const struct run_result *r)
{
	fprintf(out, "\nkprobe pair calibration (inline sites' bias):\n");
	for (int c = 0; c < NR_CLASSES; c++) {
		const struct calib_result *k = &r->calib[c];
		const struct run_site *s = &r->calib_sites[c],
				      *x = &r->calib_exits[c];
		char at[SITE_AT_LEN], to[SITE_AT_LEN];

		if (!k->done) {
			fprintf(out, "  %s entry: none (%s)\n",
				insn_class_names[c], k->why);
			continue;
		}
		fprintf(out,
			"  %s entry: %s to %s, %llu pairs, mean %.1f ns (fast path %.1f), min %llu, max %llu\n",
			insn_class_names[c], site_at(s, at, sizeof(at)),
			site_at(x, to, sizeof(to)),
			(unsigned long long)k->pairs, k->mean_ns,
			k->fast_mean_ns, (unsigned long long)k->min_ns,
			(unsigned long long)k->max_ns);
	}
}

/* An inline target's sites: entries seen, and each exit's instances. */
static void print_sites(FILE *out, const struct run_result *r, int i)
{
	for (int k = 0; k < r->nsites; k++) {
		const struct run_site *rs = &r->sites[k];
		const struct site_stats *ss = &r->site_res[k];
		char at[SITE_AT_LEN];

		if (rs->target != i)
			continue;
		fprintf(out, "  site %u %-5s %s  %s %llu\n", rs->instance,
			site_kind_name(rs), site_at(rs, at, sizeof(at)),
			rs->exit ? "left" : "entered",
			(unsigned long long)ss->count);
		if (rs->exit && ss->count) {
			print_summary(out, "  latency", &ss->latency, ss->count,
				      ss->sum_ns, ss->min_ns, ss->max_ns);
			print_body(out, r, i, k, "    ");
		}
	}
}

static void print_target(FILE *out, const struct run_result *r, int i)
{
	const struct target *t = &r->targets[i];
	const struct target_result *res = &r->res[i];
	const struct target_stats *s = &res->s;

	fprintf(out, "\n%s: %s", t->name, attach_mode_name(t->mode));
	if (t->mode == ATTACH_CALLER)
		fprintf(out, " via %s", t->function);
	if (t->mode == ATTACH_INLINE)
		fprintf(out, " at %d site%s (kprobe)", t->nsites,
			t->nsites == 1 ? "" : "s");
	else if (t->mode != ATTACH_ABSENT && r->probe == PROBE_KPROBE)
		fprintf(out, " (kprobe)");
	if (t->filter[0])
		fprintf(out, " [%s]", t->filter);
	fprintf(out, "\n  (%s)\n", t->reason);
	if (t->mode == ATTACH_ABSENT)
		return;
	fprintf(out,
		"  calls %llu  errors %llu  untimed %llu  missed %llu entries, %llu exits\n",
		(unsigned long long)s->count,
		(unsigned long long)target_errors(t, s),
		(unsigned long long)(s->count - s->timed),
		(unsigned long long)res->missed_entry,
		(unsigned long long)res->missed_exit);
	if (!s->timed) {
		fprintf(out, "  latency: no calls seen, empty histogram\n");
		return;
	}
	print_summary(out, "latency", &s->latency, s->timed, s->sum_ns,
		      s->min_ns, s->max_ns);
	if (t->mode == ATTACH_INLINE)
		print_body(out, r, i, -1, "  ");
	print_sites(out, r, i);
	print_returns(out, t, s);
	if (r->lock.hold) {
		char buf[32];

		format_ns(buf, sizeof(buf),
			  s->lock_acquired ?
				  (double)s->lock_hold_ns / s->lock_acquired :
				  -1);
		fprintf(out,
			"  %s taken %llu times (%.2f per call), held %s on average\n",
			r->lock.name, (unsigned long long)s->lock_acquired,
			(double)s->lock_acquired / (double)s->count, buf);
	}
	print_log2_hist(out, &s->latency, "  ");
}

static void print_lock(FILE *out, const struct run_result *r)
{
	const struct lock_stats *l = &r->lock_stats;
	bool any = false;

	fprintf(out,
		"\n%s @ 0x%llx: contention from lock:contention_begin/end%s\n",
		r->lock.name, (unsigned long long)r->lock.addr,
		r->lock.hold ? ", holds from mutex_lock/mutex_unlock" : "");
	fprintf(out, "  contended %llu  wait failed %llu  missed %llu\n",
		(unsigned long long)l->contended,
		(unsigned long long)l->wait_failed,
		(unsigned long long)r->lock_missed);
	if (!l->contended) {
		fprintf(out,
			"  wait: no contended acquisition seen, empty histogram\n");
	} else {
		print_summary(out, "wait", &l->wait, l->contended,
			      l->wait_sum_ns, l->wait_min_ns, l->wait_max_ns);
		fprintf(out, "  waiters were inside:");
		for (int i = 0; i <= PMUTRACE_MAX_TARGETS; i++) {
			if (!l->contended_in[i])
				continue;
			fprintf(out, "%s %s %llu", any ? "," : "",
				i == PMUTRACE_OUTSIDE ? "no target" :
							r->targets[i].name,
				(unsigned long long)l->contended_in[i]);
			any = true;
		}
		fputc('\n', out);
		print_log2_hist(out, &l->wait, "  ");
	}
	if (!r->lock.hold)
		return;
	fprintf(out, "  acquired %llu (inside targets %llu)\n",
		(unsigned long long)l->acquired,
		(unsigned long long)(l->acquired -
				     l->acquired_in[PMUTRACE_OUTSIDE]));
	if (l->held) {
		print_summary(out, "hold", &l->hold, l->held, l->hold_sum_ns,
			      l->hold_min_ns, l->hold_max_ns);
		print_log2_hist(out, &l->hold, "  ");
	} else {
		fprintf(out, "  hold: no acquisition seen, empty histogram\n");
	}
}

void render_text(FILE *out, const struct run_result *r, bool interval)
{
	__u64 dropped = 0;

	if (interval) {
		time_t now = time(NULL);
		char hms[16];

		strftime(hms, sizeof(hms), "%H:%M:%S", localtime(&now));
		fprintf(out, "\n--- %s: last %.1f s ---\n", hms, r->duration_s);
	} else
		fprintf(out, "pmutrace: %.1f s on %s (%s)%s%s\n", r->duration_s,
			r->release, r->machine, r->label ? ", scenario " : "",
			r->label ? r->label : "");
	for (int i = 0; i < r->ntargets; i++)
		print_target(out, r, i);
	if (r->lock.traced)
		print_lock(out, r);
	if (r->nsites && !interval)
		print_calibration(out, r);
	if (!interval) {
		char why[256];
		const char *side = patch_side(r, why, sizeof(why));

		fprintf(out, "\npatch side: %s (%s)\n", side, why);
	}
	for (int i = 0; i < DROP_REASONS; i++)
		if (i != DROP_EXIT_UNMATCHED)
			dropped += r->drops[i];
	if (dropped)
		fprintf(out,
			"\ndropped %llu events (task state %llu, too deep %llu, stale entries %llu)\n",
			(unsigned long long)dropped,
			(unsigned long long)r->drops[DROP_NO_TASK_STATE],
			(unsigned long long)r->drops[DROP_TOO_DEEP],
			(unsigned long long)r->drops[DROP_STALE_ENTRY]);
	/* An interval's result carries that interval's attribution. */
	render_attrib(out, r);
}
