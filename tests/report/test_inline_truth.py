"""The README's tables of repeated inline-site ground truths
(scripts/report/inline_truth.py) from the committed boots of
`make inline-truth`, docs/inline/patch/runs:
python3 -m unittest discover -s tests/report"""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
RAW = os.path.join(TOP, "docs", "inline", "patch", "runs")
sys.path.insert(0, os.path.join(TOP, "scripts", "report"))

import inline_truth  # noqa: E402


def tampered(t, path, edit):
    """A copy of the boots in T whose file PATH went through EDIT(text) -> text."""
    raw = os.path.join(t, "runs")
    shutil.copytree(RAW, raw)
    with open(os.path.join(raw, path)) as f:
        s = edit(f.read())
    with open(os.path.join(raw, path), "w") as f:
        f.write(s)
    return raw


def json_edit(fn):
    def edit(s):
        doc = json.loads(s)
        fn(doc)
        return json.dumps(doc)
    return edit


def uncorrected(doc):
    for tg in doc["targets"]:
        tg["attach"]["body_ns"] = None


def all_caller(doc):
    for tg in doc["targets"]:
        tg["attach"]["mode"] = "caller"


class InlineTruth(unittest.TestCase):
    def test_tables_from_the_committed_boots(self):
        lines = inline_truth.tables(RAW)
        self.assertEqual(lines[0], "| kernel | body | entry instruction | plugin | boot 1 | boot 2 "
                         "| boot 3 | boot 4 | boot 5 | within ±10 |")
        rows = [x for x in lines[:8] if x.startswith("| before |") or x.startswith("| after |")]
        self.assertEqual(rows, ROWS)
        # Every body is within ±10 of the plugin in every boot.
        self.assertTrue(all(x.endswith("| 5 of 5 |") for x in rows), rows)
        self.assertIn(CALL_PAIRS, lines)
        self.assertIn(BL_COST, lines)

    def test_an_uncorrected_body_is_a_dash_and_not_within(self):
        with tempfile.TemporaryDirectory() as t:
            raw = tampered(t, os.path.join("boot2", "after", "ok.json"), json_edit(uncorrected))
            rows = inline_truth.tables(raw)[5:7]
        for r in rows:
            self.assertEqual(r.split(" | ")[5], "–", r)
            self.assertTrue(r.endswith("| 4 of 5 |"), r)

    def test_the_tolerance_counts(self):
        rows = inline_truth.tables(RAW, tol=0)[2:8]
        self.assertTrue(all(not x.endswith("| 5 of 5 |") for x in rows), rows)

    def test_a_target_not_timed_at_its_sites_is_refused(self):
        with tempfile.TemporaryDirectory() as t:
            raw = tampered(t, os.path.join("boot3", "before", "enxio.json"), json_edit(all_caller))
            with self.assertRaisesRegex(ValueError, "timed caller, not inline"):
                inline_truth.tables(raw)

    def test_no_boots(self):
        with tempfile.TemporaryDirectory() as t:
            with self.assertRaisesRegex(ValueError, "no boot<N> folder"):
                inline_truth.tables(t)

    def test_mnemonics(self):
        self.assertEqual([inline_truth.mnemonic(w) for w in
                          (0x94027b86, 0x90006715, 0xaa1703e0, 0xa9055bf5, 0xd503201f)],
                         ["bl", "adrp", "mov", "stp", "d503201f"])


ROWS = [
    '| before | `kvm_pmu_probe_armpmu` (new vCPU) | `adrp` (simulated) | 41 | 39.8 | 34.2 | 39.8 | 39.8 | 34.2 | 5 of 5 |',
    '| before | `kvm_arm_pmu_v3_set_pmu`, success | `mov` (stepped) | 105 | 105.8 | 105.9 | 105.9 | 105.9 | 105.8 | 5 of 5 |',
    '| before | `kvm_arm_pmu_v3_set_pmu`, `-ENXIO` | `mov` (stepped) | 35 | 42.2 | 42.3 | 41.9 | 42.2 | 42.3 | 5 of 5 |',
    '| after | `kvm_pmu_probe_armpmu` (new vCPU) | `bl` (call) | 35 | 35.2 | 33.2 | 34.8 | 34.4 | 34.4 | 5 of 5 |',
    '| after | `kvm_arm_pmu_v3_set_pmu`, success | `bl` (call) | 103 | 100.0 | 98.4 | 98.0 | 98.0 | 98.4 | 5 of 5 |',
    '| after | `kvm_arm_pmu_v3_set_pmu`, `-ENXIO` | `bl` (call) | 33 | 32.1 | 31.6 | 31.6 | 36.5 | 31.6 | 5 of 5 |',
]
CALL_PAIRS = ("| after | call pair (ns, fast path) | 800.0 | 800.0 | 800.0 | 800.0 | 800.0 |")
BL_COST = ("| after | `kvm_arm_pmu_v3_set_pmu`, `-ENXIO`: its entry kprobe adds (instructions) "
           "| 762 | 762 | 762 | 762 | 762 |")

if __name__ == "__main__":
    unittest.main()
