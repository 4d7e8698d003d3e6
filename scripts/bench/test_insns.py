# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/bench (python3 -m unittest discover -s scripts/bench -t .)."""
import os
import tempfile
import unittest

from scripts.bench import insnraw, insns, perfdoc, ranges, rawpack, timing


def write_boot(d, windows, tools=()):
    """windows: [(variant, workload, calls, insns, rc[, the plugin's range counts])]."""
    os.makedirs(d)
    with open(os.path.join(d, "insns.txt"), "w") as f:
        for i, w in enumerate(windows, 1):
            f.write(f"window={i} insns={w[3]}" + "".join(" " + x for x in w[5:]) + "\n")
    with open(os.path.join(d, "windows.txt"), "w") as f:
        for v, w, calls, _, rc, *_ in windows:
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
            b = insnraw.read_boot(os.path.join(t, "b"))
            self.assertEqual(b[("none", "ce")], [1000.0])
            self.assertEqual(b[("limit", "ce")], [1650.0, 1640.0])
            # The least of the rounds: interference only adds.
            self.assertEqual(insnraw.added(b, "limit", "ce"), 640.0)

    def test_failed_windows_are_left_out(self):
        with tempfile.TemporaryDirectory() as t:
            write_boot(os.path.join(t, "b"), [("none", "ce", 1000, 1000000, "0"),
                                              ("limit", "ce", 1000, 10, "1")])
            b = insnraw.read_boot(os.path.join(t, "b"))
            self.assertNotIn(("limit", "ce"), b)
            self.assertIsNone(insnraw.added(b, "limit", "ce"))

    def test_count_mismatch_is_an_error(self):
        with tempfile.TemporaryDirectory() as t:
            d = os.path.join(t, "b")
            write_boot(d, [("none", "ce", 1000, 1000000, "0")])
            with open(os.path.join(d, "insns.txt"), "a") as f:
                f.write("window=2 insns=5\n")
            with self.assertRaises(ValueError):
                insnraw.read_boot(d)


class Goals(unittest.TestCase):
    def test_summary_and_goal_words(self):
        s = insnraw.Summary([1.05, 1.08, 1.02])
        self.assertEqual(s.med, 1.05)
        self.assertIn("**met**", insns.goal(s, 1.10, "ratio"))
        s = insnraw.Summary([1.05, 1.12, 1.02])
        self.assertIn("not in every boot", insns.goal(s, 1.10, "ratio"))
        s = insnraw.Summary([1.21, 1.25, 1.19])
        g = insns.goal(s, 1.10, "ratio")
        self.assertIn("**missed** by 10%", g)
        self.assertIn("not measured", insns.goal(insnraw.Summary([None]), 1.1, "x"))

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
                           tools=[("empty", 400000000, 12000), ("empty_default", 410000000, 12100),
                                  ("default", 500000000, 12600), ("single", 700000000, 13500)])
            text = "\n".join(insns.render(t))
            self.assertIn("| empty fentry/fexit (the floor) | 350 | 1.00 | 0.53 (0.53 … 0.54) |", text)
            # default adds 700: 700/650 and 700/660.
            self.assertIn("1.07 (1.06 … 1.08)", text)
            self.assertIn("pmutrace default ≤ 1.10 × the limit (limit): **met**", text)
            self.assertIn("below funclat in instructions: **met**", text)
            self.assertIn("start-up (time to `Tracing`, guest clock), default mode against the empty "
                          "loader on its 3 functions: ≤ 1.5 ×: **met**", text)
            self.assertIn("peak RSS, default mode against the empty loader on its 3 functions: "
                          "≤ 1.10 ×: **met**", text)
            # single: 700 against 400 ms, 13,500 against 12,000 kB.
            self.assertIn("start-up (time to `Tracing`, guest clock), -f kvm_supports_guest_pmuv3 "
                          "--no-lock against the empty loader on that function: ≤ 1.5 ×: **missed**", text)
            self.assertIn("peak RSS, -f kvm_supports_guest_pmuv3 --no-lock against the empty loader "
                          "on that function: ≤ 1.10 ×: **missed**", text)

    def test_preempt_rt_kernel_is_held_to_the_kprobe_limit(self):
        """On a kernel named -rt- with limit_kprobe, default mode (kprobes
        there) is measured against that limit, forced fsession against the
        fsession one."""
        with tempfile.TemporaryDirectory() as t:
            k = os.path.join(t, "insns", "7.2-rt-arm64")
            write_boot(os.path.join(k, "boot1"),
                       [("none", "ce", 1000, 1000000, "0"),
                        ("empty", "ce", 1000, 1500000, "0"),
                        ("limit", "ce", 1000, 1800000, "0"),
                        ("limit_kprobe", "ce", 1000, 2800000, "0"),
                        ("default", "ce", 1000, 2900000, "0"),
                        ("fsession", "ce", 1000, 1850000, "0")])
            text = "\n".join(insns.render(t))
            # 1900 against 1800; 850 against 800; 1900 against 800.
            self.assertIn("pmutrace default ≤ 1.10 × the limit (limit_kprobe): **met**: ratio 1.06", text)
            self.assertIn("pmutrace with fsession forced ≤ 1.10 × the fsession limit", text)
            self.assertIn("**met**: ratio 1.06 ≤ 1.1", text)
            self.assertIn("default mode (kprobes) is 2.38 × the fsession limit", text)

    def test_kernel_without_the_reader_times_set_pmu(self):
        """6.12 and 6.1 have no kvm_supports_guest_pmuv3: SET_PMU on its
        caller, against the task-storage limit (fentry, else kprobes)."""
        with tempfile.TemporaryDirectory() as t:
            for k, lim in (("6.12-arm64", "limit_fentry"), ("6.1-arm64", "limit_kprobe")):
                d = os.path.join(t, "insns", k, "boot1")
                write_boot(d, [("none", "sp", 1000, 800000, "0"),
                               (lim, "sp", 1000, 1500000, "0"),
                               ("default", "sp", 1000, 1570000, "0")])
                with open(os.path.join(d, "guest.txt"), "w") as f:
                    f.write("params=BOOT=1 N_SP=1000 TARGET=kvm_arm_pmu_v3_set_attr\n")
            text = "\n".join(insns.render(t))
        self.assertIn("instructions per `KVM_SET_DEVICE_ATTR(SET_PMU)` call; the traced function: "
                      "`kvm_arm_pmu_v3_set_attr`", text)
        # 770 against 700.
        self.assertIn("pmutrace default against the minimal tracer of its probe kind (limit_fentry): "
                      "1.10 × (the ≤ 1.10 goal is for kernels with fsession", text)
        self.assertIn("pmutrace default against the minimal tracer of its probe kind (limit_kprobe): "
                      "1.10 ×", text)


class Unrelated(unittest.TestCase):
    def test_paired_with_the_window_just_before(self):
        # The boot drifts: the first untraced window is the cheapest, the
        # traced ones are compared with their own neighbours.
        b = {("none", "open"): [6000, 6120], ("default", "open"): [6090, 6150],
             ("base_default", "open"): [6080, 6140]}
        self.assertEqual(insnraw.added_paired(b, "default", "open"), (10, 6080))

    def test_older_raw_data_without_neighbours(self):
        b = {("none", "open"): [6000, 6120], ("default", "open"): [6090, 6150]}
        self.assertEqual(insnraw.added_paired(b, "default", "open"), (90, 6000))
        self.assertEqual(insnraw.added_paired({("none", "open"): [1]}, "hold", "open"), (None, None))


class Perfdoc(unittest.TestCase):
    ARCHIVE = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "performance", "raw.tar.xz")

    def test_timing_render_of_the_committed_raw_data(self):
        with rawpack.opened(self.ARCHIVE) as raw:
            if not os.path.exists(os.path.join(raw, "samples.txt")):
                self.skipTest("no committed timing raw data")
            lines = timing.render(raw)
        self.assertEqual(lines[0], "# pmutrace: what tracing costs")
        self.assertTrue(any("## Raw files" in x for x in lines))

    def test_committed_doc_is_rendered_from_the_committed_archive(self):
        with tempfile.TemporaryDirectory() as t:
            doc = os.path.join(t, "performance.md")
            perfdoc.main(["perfdoc", self.ARCHIVE, doc])
            with open(doc) as f:
                text = f.read()
            self.assertTrue(text.endswith("\n") and not text.endswith("\n\n"))
            with open(os.path.join(os.path.dirname(self.ARCHIVE), "..", "performance.md")) as f:
                self.assertEqual(text, f.read(), "docs/performance.md is not what "
                                 "python3 -m scripts.bench.perfdoc renders from the archive")


if __name__ == "__main__":
    unittest.main()


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


def lock_counts(mutex, rcu, slow=0, calls=1000):
    """The plugin's range counts of a window of CALLS operations, each with
    MUTEX instructions in one mutex_lock + one mutex_unlock (split 8/rest),
    RCU in one __rcu_read_lock + one __rcu_read_unlock (7/rest)."""
    def r(name, per, entries):
        return f"{name}={per * calls} {name}.entries={entries * calls}"
    return " ".join([r("mutex_lock", min(mutex, 8), 1 if mutex else 0),
                     r("mutex_unlock", max(mutex - 8, 0), 1 if mutex else 0),
                     r("__mutex_lock_slowpath", slow, 1 if slow else 0),
                     r("__mutex_unlock_slowpath.constprop.0", 0, 0),
                     r("__rcu_read_lock", min(rcu, 7), 1 if rcu else 0),
                     r("__rcu_read_unlock", max(rcu - 7, 0), 1 if rcu else 0),
                     r("rcu_read_unlock_special", 0, 0)])


class LockFunctions(unittest.TestCase):
    def test_range_counts_are_read_per_op_least_of_rounds(self):
        with tempfile.TemporaryDirectory() as t:
            d = os.path.join(t, "b")
            write_boot(d, [("none", "ce", 1000, 500000, "0", lock_counts(17, 0)),
                           ("none", "ce", 1000, 501000, "0", lock_counts(17, 0, slow=3)),
                           ("none", "sp", 0, 9, "1", lock_counts(99, 99))])
            r = insnraw.read_ranges(d)
            self.assertEqual(set(r), {("none", "ce")})
            self.assertEqual(r[("none", "ce")]["mutex_lock"], 8.0)
            self.assertEqual(r[("none", "ce")]["__mutex_lock_slowpath"], 0.0)
            self.assertEqual(insns.in_funcs(r[("none", "ce")], ("mutex_lock", "mutex_unlock")),
                             (17.0, 2.0))
            # .constprop.0 counts under its function's name.
            self.assertEqual(insns.in_funcs(r[("none", "ce")], ("__mutex_unlock_slowpath",)),
                             (0.0, 0.0))
            # The whole-window figure is unchanged by the extra fields.
            self.assertEqual(insnraw.read_boot(d)[("none", "ce")], [500.0, 501.0])

    def test_lock_table_before_after(self):
        with tempfile.TemporaryDirectory() as t:
            write_boot(os.path.join(t, "insns", "7.2-before", "boot1"),
                       [("none", "ce", 1000, 492000, "0", lock_counts(17, 0))])
            write_boot(os.path.join(t, "insns", "7.2-after", "boot1"),
                       [("none", "ce", 1000, 464000, "0", lock_counts(0, 17))])
            for side, at in (("before", 0xffff8000805c0788), ("after", 0xffff8000805c0788)):
                with open(os.path.join(t, "insns", f"7.2-{side}", "boot1", "ranges.txt"), "w") as f:
                    f.write(f"mutex_lock {at:#x} {at + 96:#x}\n")
            text = "\n".join(insns.render(t))
            self.assertIn("Ranges (bytes, up to the next symbol; the same functions at the same "
                          "addresses on both kernels): `mutex_lock` 96.", text)
            with open(os.path.join(t, "insns", "7.2-after", "boot1", "ranges.txt"), "w") as f:
                f.write("mutex_lock 0xffff8000805c0790 0xffff8000805c07f0\n")
            self.assertIn("Ranges (bytes, up to the next symbol; as on 7.2-before): `mutex_lock` 96.",
                          "\n".join(insns.render(t)))
            self.assertIn("One call, in instructions (every call of the function in these windows; "
                          "a range where calls differ): `mutex_lock` 8, `mutex_unlock` 9, "
                          "`__rcu_read_lock` 7, `__rcu_read_unlock` 10.", text)
            self.assertIn("| KVM_CHECK_EXTENSION(KVM_CAP_ARM_PMU_V3) | before | 492.0 | "
                          "17.0 (1.00 lock + 1.00 unlock calls) | 0.0 (0.00 lock + 0.00 unlock calls) | "
                          "0.0 (0.00 calls) |", text)
            self.assertIn("|  | after | 464.0 | 0.0 (0.00 lock + 0.00 unlock calls) | "
                          "17.0 (1.00 lock + 1.00 unlock calls) |", text)
            self.assertIn("| | after − before | -28.0 | -17.0 | +17.0 | +0.0 |", text)

    def test_no_ranges_no_lock_table(self):
        with tempfile.TemporaryDirectory() as t:
            for side in ("before", "after"):
                write_boot(os.path.join(t, "insns", f"7.2-{side}", "boot1"),
                           [("none", "ce", 1000, 464000, "0")])
            self.assertNotIn("The lock itself", "\n".join(insns.render(t)))


class Ranges(unittest.TestCase):
    MAP = ["ffff800080000000 T _text\n", "ffff8000805bed48 T mutex_unlock\n",
           "ffff8000805bedb0 t __mutex_add_waiter\n", "ffff8000805c0788 T mutex_lock\n",
           "ffff8000805c0788 T mutex_lock_alias\n", "ffff8000805c07e8 T mutex_trylock\n",
           "ffff8000805c0800 t dup\n", "ffff8000805c0900 t dup\n"]

    def test_end_is_the_next_higher_symbol(self):
        rs, missing = ranges.ranges(self.MAP, ["mutex_lock", "mutex_unlock", "__might_sleep"])
        self.assertEqual(rs, [("mutex_lock", 0xffff8000805c0788, 0xffff8000805c07e8),
                              ("mutex_unlock", 0xffff8000805bed48, 0xffff8000805bedb0)])
        self.assertEqual(missing, ["__might_sleep"])

    def test_ambiguous_or_endless_is_an_error(self):
        for names in (["dup"], ["mutex_lock", "mutex_lock"]):
            with self.assertRaises(ValueError):
                ranges.ranges(self.MAP, names)
        with self.assertRaises(ValueError):
            ranges.ranges(self.MAP[:4], ["mutex_lock"])
