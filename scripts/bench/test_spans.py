# SPDX-License-Identifier: GPL-2.0
"""scripts/bench/spans.py: the readers' path length from span= counts."""
import os
import tempfile
import unittest

from scripts.bench import insns, spans
from scripts.bench.test_insns import write_boot

F = "kvm_arm_set_default_pmu"


def vi(calls, incl, mutex, rcu):
    """A vi window of 2 ops: the span's keys as tools/insn-count writes them."""
    return ("none", "vi", 2, 1000000, "0", f"{F}.calls={calls}", f"{F}.incl={incl}",
            f"{F}.in.mutex_lock={mutex // 2}", f"{F}.in.mutex_lock.entries={calls}",
            f"{F}.in.mutex_unlock={mutex - mutex // 2}", f"{F}.in.__rcu_read_lock={rcu}",
            f"{F}.in.__mutex_lock.constprop.0=0", f"{F}.in.__rcu_read_lock.entries=1")


class Section(unittest.TestCase):
    def test_per_call_least_round_and_shares(self):
        with tempfile.TemporaryDirectory() as t:
            for side, rounds in (("before", [(2, 300, 34, 0), (2, 280, 34, 0)]),
                                 ("after", [(2, 250, 0, 14), (2, 900, 0, 14)])):
                write_boot(os.path.join(t, side, "boot1"), [vi(*r) for r in rounds])
            b = os.path.join(t, "before", "boot1")
            self.assertEqual(spans.per_call(b, "vi", F), (140.0, 17.0, 0.0))
            self.assertIsNone(spans.per_call(b, "ce", F))
            L = spans.section(os.path.join(t, "before"), os.path.join(t, "after"))
        self.assertIn("| new VM + vCPU + KVM_ARM_VCPU_INIT | `kvm_arm_set_default_pmu` "
                      "(`kvm_pmu_probe_armpmu` inlined) | 140.0 | 125.0 | -15.0 | "
                      "17.0 (12%) → 0.0 (0%) | 0.0 → 7.0 |", L)

    def test_no_spans_no_section(self):
        with tempfile.TemporaryDirectory() as t:
            for side in ("before", "after"):
                write_boot(os.path.join(t, side, "boot1"), [("none", "vi", 2, 1000, "0")])
            self.assertEqual(spans.section(os.path.join(t, "before"),
                                           os.path.join(t, "after")), [])
            self.assertNotIn("with its callees", "\n".join(insns.rcu_section(
                os.path.join(t, "before"), os.path.join(t, "after"))))


if __name__ == "__main__":
    unittest.main()
