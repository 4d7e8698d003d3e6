# SPDX-License-Identifier: GPL-2.0
"""scripts/bench/inline.py: inline sites against the caller fallback
(python3 -m unittest discover -s scripts/bench -t .)."""
import json
import os
import tempfile
import unittest

from scripts.bench import inline, insns
from scripts.bench.test_insns import write_boot


def inline_boot(d, caller_sp, inline_sp, caller_vi=900, inline_vi=2000):
    """A boot of make bench-inline-insns: SET_PMU 1,000 calls a window at
    1,375 instructions each untraced, vCPU init 50 at 776,000; the traced
    windows add the given instructions per call."""
    write_boot(d, [("none", "sp", 1000, 1375000, "0"),
                   ("caller", "sp", 1000, 1000 * (1375 + caller_sp), "0"),
                   ("inline", "sp", 1000, 1000 * (1375 + inline_sp), "0"),
                   ("none", "vi", 50, 50 * 776000, "0"),
                   ("caller", "vi", 50, 50 * (776000 + caller_vi), "0"),
                   ("inline", "vi", 50, 50 * (776000 + inline_vi), "0"),
                   # a later round's caller window, hit by a tick: the least counts
                   ("caller", "sp", 1000, 1000 * (1375 + caller_sp) + 50000, "0")])
    with open(os.path.join(d, "guest.txt"), "a") as f:
        f.write("sites=kvm_arm_pmu_v3_set_pmu kvm_pmu_probe_armpmu\n")
    for v, t in (("caller", [("kvm_arm_pmu_v3_set_pmu", {"mode": "caller",
                                                         "function": "kvm_arm_pmu_v3_set_attr"})]),
                 ("inline", [("kvm_arm_pmu_v3_set_pmu", {"mode": "inline", "sites": [{}, {}]})])):
        with open(os.path.join(d, f"r1-{v}.json"), "w") as f:
            json.dump({"targets": [{"name": n, "attach": a, "count": 1000} for n, a in t]}, f)


class InlineSection(unittest.TestCase):
    def render(self, boots):
        with tempfile.TemporaryDirectory() as t:
            k = os.path.join(t, "insns", "7.2-test" + inline.SUFFIX)
            for n, args in enumerate(boots, 1):
                inline_boot(os.path.join(k, f"boot{n}"), *args)
            return "\n".join(insns.render(t)), inline.rows(k)

    def test_added_and_ratio_to_the_caller_over_boots(self):
        text, rows = self.render([(800, 2400), (850, 2300), (900, 2250)])
        sp = next(r for r in rows if r[0] == "sp")
        self.assertEqual(sp[3].med, 1375)
        added, x, sa, _ = sp[4]["inline"]
        self.assertIsNone(sa.med)  # no span counted
        self.assertEqual((added.med, added.lo, added.hi), (2300, 2250, 2400))
        # The ratio within each boot, then over boots: 2400/800, 2300/850, 2250/900.
        self.assertAlmostEqual(x.med, 2300 / 850)
        self.assertAlmostEqual(x.lo, 2.5)
        self.assertAlmostEqual(x.hi, 3.0)
        self.assertEqual(sp[4]["caller"][1].med, 1.0)
        self.assertIn("| 2,300 (2,250 … 2,400) | 2.71 (2.50 … 3.00) |", text)
        self.assertIn("more in every boot", text)
        self.assertIn("So inline sites are opt-in", text)
        self.assertIn("`kvm_arm_pmu_v3_set_pmu` inline at 2 sites, 1000 calls", text)
        self.assertIn("caller via kvm_arm_pmu_v3_set_attr", text)
        # The per-vCPU-init row too.
        vi = next(r for r in rows if r[0] == "vi")
        self.assertAlmostEqual(vi[4]["inline"][1].med, 2000 / 900)

    def test_each_tracer_against_its_own_untraced_neighbour(self):
        # A vCPU init drifts between rounds: the untraced windows right
        # before each tracer (base_V) are its baseline, not the none ones.
        with tempfile.TemporaryDirectory() as t:
            write_boot(os.path.join(t, "boot1"), [("none", "vi", 50, 50 * 776000, "0"),
                           ("base_caller", "vi", 50, 50 * 777000, "0"),
                           ("caller", "vi", 50, 50 * 777900, "0"),
                           ("base_inline", "vi", 50, 50 * 778000, "0"),
                           ("inline", "vi", 50, 50 * 780000, "0")])
            rows = inline.rows(t)
            added, x, *_ = rows[0][4]["inline"]
            self.assertEqual(added.med, 2000)
            self.assertEqual(rows[0][4]["caller"][0].med, 900)
            self.assertAlmostEqual(x.med, 2000 / 900)

    def test_inside_the_span_and_the_verdict_from_it(self):
        # The whole windows of vCPU init say less than the caller; the
        # span (the ioctl with its callees) says 2x: its figure decides.
        span = lambda incl: [f"kvm_arch_vcpu_ioctl.calls=50 kvm_arch_vcpu_ioctl.incl={incl}"]
        with tempfile.TemporaryDirectory() as t:
            k = os.path.join(t, "insns", "7.2-test" + inline.SUFFIX)
            write_boot(os.path.join(k, "boot1"), [
                ("none", "vi", 50, 50 * 776000, "0", *span(50 * 3000)),
                ("base_caller", "vi", 50, 50 * 776000, "0", *span(50 * 3000)),
                ("caller", "vi", 50, 50 * 778000, "0", *span(50 * 3900)),
                ("base_inline", "vi", 50, 50 * 776000, "0", *span(50 * 3000)),
                ("inline", "vi", 50, 50 * 777000, "0", *span(50 * 4800))])
            with open(os.path.join(k, "boot1", "guest.txt"), "a") as f:
                f.write("kernel=7.2-test\ncmdline=console=ttyAMA0 nokaslr\n")
            self.assertEqual(inline.span_of(k), "kvm_arch_vcpu_ioctl")
            _, x, sa, sx = inline.rows(k)[0][4]["inline"]
            self.assertEqual(sa.med, 1800)
            self.assertAlmostEqual(sx.med, 2.0)
            self.assertAlmostEqual(x.med, 0.5)
            text = "\n".join(insns.render(t))
            self.assertIn("added inside `kvm_arch_vcpu_ioctl` |", text)
            self.assertIn("| 1,800 | 2.00 |", text)
            self.assertIn("2.00 × the caller fallback's, more in every boot (inside", text)
            self.assertIn("So inline sites are opt-in", text)
            self.assertIn("fallback: 7.2-test, booted with nokaslr\n", text)

    def test_an_inline_folder_is_not_a_kernel_of_its_own(self):
        text, _ = self.render([(800, 2400)])
        self.assertIn("### Inline sites against the caller fallback: 7.2-test\n", text)
        self.assertNotIn("### 7.2-test-inline", text)

    def test_boots_that_disagree_make_no_verdict(self):
        text, _ = self.render([(800, 2400), (900, 700)])
        self.assertIn("the boots disagree", text)
        self.assertNotIn("opt-in", text)


if __name__ == "__main__":
    unittest.main()
