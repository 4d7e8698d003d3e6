# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/bench (python3 -m unittest discover -s scripts/bench -t .)."""
import os
import tempfile
import unittest

from scripts.bench import insns, perfdoc, timing


def write_boot(d, windows, tools=()):
    """windows: [(variant, workload, calls, insns, rc)]."""
    os.makedirs(d)
    with open(os.path.join(d, "insns.txt"), "w") as f:
        for i, w in enumerate(windows, 1):
            f.write(f"window={i} insns={w[3]}\n")
    with open(os.path.join(d, "windows.txt"), "w") as f:
        for v, w, calls, _, rc in windows:
            f.write(f"win boot=1 round=1 variant={v} workload={w} calls={calls} failed=0 rc={rc}\n")
    with open(os.path.join(d, "tools.txt"), "w") as f:
        for v, ns, kb in tools:
            f.write(f"tool boot=1 round=1 variant={v} attach_ns={ns} vmhwm_kb={kb} rc=0\n")
    with open(os.path.join(d, "guest.txt"), "w") as f:
        f.write("params=BOOT=1 ROUNDS=2 N_CE=1000\n")


class ReadBoot(unittest.TestCase):
    def test_pairs_windows_with_labels_in_order(self):
        with tempfile.TemporaryDirectory() as t:
            write_boot(os.path.join(t, "b"), [("none", "ce", 1000, 1000000, "0"),
                                              ("limit", "ce", 1000, 1650000, "0"),
                                              ("limit", "ce", 1000, 1640000, "0")])
            b = insns.read_boot(os.path.join(t, "b"))
            self.assertEqual(b[("none", "ce")], [1000.0])
            self.assertEqual(b[("limit", "ce")], [1650.0, 1640.0])
            # The least of the rounds: interference only adds.
            self.assertEqual(insns.added(b, "limit", "ce"), 640.0)

    def test_failed_windows_are_left_out(self):
        with tempfile.TemporaryDirectory() as t:
            write_boot(os.path.join(t, "b"), [("none", "ce", 1000, 1000000, "0"),
                                              ("limit", "ce", 1000, 10, "1")])
            b = insns.read_boot(os.path.join(t, "b"))
            self.assertNotIn(("limit", "ce"), b)
            self.assertIsNone(insns.added(b, "limit", "ce"))

    def test_count_mismatch_is_an_error(self):
        with tempfile.TemporaryDirectory() as t:
            d = os.path.join(t, "b")
            write_boot(d, [("none", "ce", 1000, 1000000, "0")])
            with open(os.path.join(d, "insns.txt"), "a") as f:
                f.write("window=2 insns=5\n")
            with self.assertRaises(ValueError):
                insns.read_boot(d)


class Goals(unittest.TestCase):
    def test_summary_and_goal_words(self):
        s = insns.Summary([1.05, 1.08, 1.02])
        self.assertEqual(s.med, 1.05)
        self.assertIn("**met**", insns.goal(s, 1.10, "ratio"))
        s = insns.Summary([1.05, 1.12, 1.02])
        self.assertIn("not in every boot", insns.goal(s, 1.10, "ratio"))
        s = insns.Summary([1.21, 1.25, 1.19])
        g = insns.goal(s, 1.10, "ratio")
        self.assertIn("**missed** by 10%", g)
        self.assertIn("not measured", insns.goal(insns.Summary([None]), 1.1, "x"))

    def test_kernel_section_figures(self):
        with tempfile.TemporaryDirectory() as t:
            k = os.path.join(t, "insns", "7.2-test")
            for n, lim in ((1, 650000), (2, 660000)):
                write_boot(os.path.join(k, f"boot{n}"),
                           [("none", "ce", 1000, 1000000, "0"),
                            ("empty", "ce", 1000, 1350000, "0"),
                            ("limit", "ce", 1000, 1000000 + lim, "0"),
                            ("default", "ce", 1000, 1700000, "0"),
                            ("funclat", "ce", 1000, 2500000, "0")],
                           tools=[("empty", 400000000, 12000), ("default", 500000000, 12600)])
            text = "\n".join(insns.render(t))
            self.assertIn("| empty fentry/fexit (the floor) | 350 | 1.00 | 0.53 (0.53 … 0.54) |", text)
            # default adds 700: 700/650 and 700/660.
            self.assertIn("1.07 (1.06 … 1.08)", text)
            self.assertIn("pmutrace default ≤ 1.10 × the limit (limit): **met**", text)
            self.assertIn("below funclat in instructions: **met**", text)
            self.assertIn("start-up (time to `Tracing`, guest clock) ≤ 1.5 × the empty fentry loader: **met**", text)
            self.assertIn("peak RSS ≤ 1.10 × the empty fentry loader's: **met**", text)


class Perfdoc(unittest.TestCase):
    def test_timing_render_of_the_committed_raw_data(self):
        raw = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "performance", "raw")
        if not os.path.exists(os.path.join(raw, "samples.txt")):
            self.skipTest("no committed timing raw data")
        lines = timing.render(raw)
        self.assertEqual(lines[0], "# pmutrace: what tracing costs")
        self.assertTrue(any("## Raw files" in x for x in lines))

    def test_doc_written_from_raw(self):
        with tempfile.TemporaryDirectory() as t:
            raw = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "performance", "raw")
            doc = os.path.join(t, "performance.md")
            perfdoc.main(["perfdoc", raw, doc])
            text = open(doc).read()
            self.assertTrue(text.endswith("\n") and not text.endswith("\n\n"))


if __name__ == "__main__":
    unittest.main()


class Rt(unittest.TestCase):
    def test_untimed_share_and_exactness(self):
        from scripts.bench import rt
        with tempfile.TemporaryDirectory() as t:
            d = os.path.join(t, "7.2-rt")
            os.makedirs(d)
            with open(os.path.join(d, "t4-r1.stress"), "w") as f:
                f.write("failed.KVM_CHECK_EXTENSION=0\nderived.kvm_supports_guest_pmuv3=1000\n")
            with open(os.path.join(d, "t4-r1.json"), "w") as f:
                f.write('{"targets": [{"name": "kvm_supports_guest_pmuv3", "count": 990, '
                        '"timed": 950, "missed": {"entry": 50, "exit": 10}}]}')
            rows = rt.render(t)
            self.assertEqual(rows[2], "| 7.2-rt | 4 | 1 | 1,000 | 5.00% | yes |")


class RcuSection(unittest.TestCase):
    def test_before_after_difference(self):
        with tempfile.TemporaryDirectory() as t:
            for side, ce in (("before", 1100000), ("after", 1040000)):
                write_boot(os.path.join(t, "insns", f"7.2-{side}", "boot1"),
                           [("none", "ce", 1000, ce, "0"), ("none", "ce", 1000, ce + 5000, "0")])
            text = "\n".join(insns.render(t))
            self.assertIn("| KVM_CHECK_EXTENSION(KVM_CAP_ARM_PMU_V3) | kvm_supports_guest_pmuv3 | "
                          "1,100.0 | 1,040.0 | -60.0 |", text)
            self.assertNotIn("### 7.2-before", text)
