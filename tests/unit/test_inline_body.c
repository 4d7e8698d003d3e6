// SPDX-License-Identifier: GPL-2.0
/*
 * The bias correction of inline sites (tracer_sites.c, inline_body): each
 * exit is corrected by the calibration of its instance's entry class, the
 * target's figure weights the exits by their counts, and a body within the
 * calibration's spread gets no figure.
 */
#include "pmutrace_user.h"
#include "unit.h"

static struct run_result r;

/* Site k; an exit's n calls average mean, fast_n of them fast_mean. */
static void site(int k, __u32 instance, bool exit, __u32 insn, __u64 n,
		 __u64 mean, __u64 fast_n, __u64 fast_mean)
{
	r.sites[k] = (struct run_site){ .instance = instance,
					.exit = exit,
					.insn = insn };
	r.site_res[k] =
		(struct site_stats){ .count = n,
				     .sum_ns = n * mean,
				     .fast_count = fast_n,
				     .fast_sum_ns = fast_n * fast_mean };
	if (k >= r.nsites)
		r.nsites = k + 1;
}

int main(void)
{
	struct body_estimate e;

	/* Instance 0 enters at an ADRP (simulated), instance 1 at an STP. */
	site(0, 0, false, 0xb0012100, 10, 0, 0, 0);
	site(1, 0, true, 0, 10, 900, 5, 892);
	site(2, 1, false, 0xa9055bf5, 30, 0, 0, 0);
	site(3, 1, true, 0, 30, 1200, 20, 1188);

	inline_body(&r, 0, -1, &e);
	CHECK(!e.corrected && e.measured_ns == 1125,
	      "no calibration: measured %.1f, not corrected", e.measured_ns);

	r.calib[CLASS_SIMULATED] = (struct calib_result){ .done = true,
							  .mean_ns = 865,
							  .min_ns = 864,
							  .fast_mean_ns = 864.5,
							  .tick_ns = 16 };
	r.calib[CLASS_STEPPED] = (struct calib_result){ .done = true,
							.mean_ns = 1066,
							.min_ns = 1056,
							.fast_mean_ns = 1060,
							.tick_ns = 16 };
	inline_body(&r, 0, 1, &e);
	CHECK(e.corrected && e.bias_ns == 864.5 && e.body_ns == 35.5 &&
		      e.fast_ns == 27.5 && !e.in_noise,
	      "simulated exit: bias %.1f body %.1f fast path %.1f", e.bias_ns,
	      e.body_ns, e.fast_ns);
	inline_body(&r, 0, 3, &e);
	CHECK(e.bias_ns == 1060 && e.body_ns == 140 && e.fast_ns == 128 &&
		      e.noise_ns == 16,
	      "stepped exit: bias %.1f body %.1f fast path %.1f noise %.1f",
	      e.bias_ns, e.body_ns, e.fast_ns, e.noise_ns);
	inline_body(&r, 0, -1, &e);
	CHECK(e.bias_ns == (10 * 864.5 + 30 * 1060.0) / 40 &&
		      e.measured_ns == 1125 &&
		      e.fast_ns == (5 * 27.5 + 20 * 128) / 25,
	      "target: count-weighted bias %.2f, fast path %.1f", e.bias_ns,
	      e.fast_ns);

	/* A body within a clock tick is no figure; a pair an interrupt hit
	 * (mean far above the fast path) does not move the bias. */
	r.site_res[3].sum_ns = 30 * 1070;
	r.calib[CLASS_STEPPED].mean_ns = 5000;
	inline_body(&r, 0, 3, &e);
	CHECK(e.in_noise && e.bias_ns == 1060,
	      "10 ns over the pair, tick 16: in the noise (bias %.1f)",
	      e.bias_ns);

	/* One class not calibrated: the figure that needs it is not made. */
	r.calib[CLASS_STEPPED].done = false;
	inline_body(&r, 0, -1, &e);
	CHECK(!e.corrected, "a class without calibration: not corrected");

	/* A BL entry (bl __rcu_read_lock after the RCU patch): its kprobe
	 * costs less than the simulated pair's ADRP; without a call pair it
	 * is not corrected, and says why, even with the other two. */
	r.calib[CLASS_STEPPED].done = true;
	site(4, 2, false, 0x94000000 | 0x1234, 10, 0, 0, 0);
	site(5, 2, true, 0, 10, 900, 5, 892);
	inline_body(&r, 0, 5, &e);
	CHECK(!e.corrected && e.uncorrected &&
		      !strcmp(e.uncorrected,
			      "no kprobe pair calibration for a BL entry"),
	      "a BL entry without a call pair: not corrected (%s)",
	      e.uncorrected ? e.uncorrected : "no reason");
	inline_body(&r, 0, 1, &e);
	CHECK(e.corrected, "the ADRP instance beside it still corrected");
	/* With one, by the call pair's cost, not the ADRP's. */
	r.calib[CLASS_CALL] = (struct calib_result){ .done = true,
						     .mean_ns = 854,
						     .min_ns = 852,
						     .fast_mean_ns = 853.5,
						     .tick_ns = 16 };
	inline_body(&r, 0, 5, &e);
	CHECK(e.corrected && e.bias_ns == 853.5 && e.fast_ns == 38.5,
	      "a BL entry: by the call pair: bias %.1f fast path %.1f",
	      e.bias_ns, e.fast_ns);

	/* pmutrace can make every system call pmutrace-sites may pick. */
	for (int i = 0; i < NR_CALIB_FUNCS; i++)
		CHECK(calib_trigger(calib_funcs[i].symbol) == 0,
		      "no trigger for %s", calib_funcs[i].symbol);
	CHECK(calib_trigger("__arm64_sys_reboot") == -1, "unknown: -1");
	UNIT_EXIT();
}
