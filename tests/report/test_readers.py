"""The report's "readers themselves" section (scripts/report/readers.py) from
the committed run of tests/inline-patch-e2e.sh, docs/inline/patch:
python3 -m unittest discover -s tests/report"""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
RAW = os.path.join(TOP, "docs", "inline", "patch")
sys.path.insert(0, os.path.join(TOP, "scripts", "report"))

import readers  # noqa: E402


def tampered(t, side, name, edit):
    """A copy of the raw set in T whose SIDE/NAME went through EDIT(text) -> text."""
    raw = os.path.join(t, "patch")
    shutil.copytree(RAW, raw)
    path = os.path.join(raw, side, name)
    with open(path) as f:
        s = edit(f.read())
    with open(path, "w") as f:
        f.write(s)
    return raw


def all_caller(s):
    doc = json.loads(s)
    for tg in doc["targets"]:
        tg["attach"]["mode"] = "caller"
    return json.dumps(doc)


class Readers(unittest.TestCase):
    def test_rows_from_the_committed_run(self):
        lines = readers.section(RAW, os.path.join(TOP, "docs", "report"))
        self.assertEqual(lines[0], "## The readers themselves (inline sites)")
        self.assertIn("[../inline/patch](../inline/patch)", lines[2])
        rows = [x for x in lines if x.startswith("| `")]
        self.assertEqual(rows, [
            "| `kvm_pmu_probe_armpmu` (new vCPU) | 41 → 35 (-6) | 34.6 → 34.0 (-0.64) "
            "| 424.6 → 418.7 (-5.85) |",
            "| `kvm_arm_pmu_v3_set_pmu`, success | 105 → 103 (-2) | 106.3 → 98.0 (-8.32) "
            "| 476.8 → 472.4 (-4.4) |",
            "| `kvm_arm_pmu_v3_set_pmu`, `-ENXIO` | 35 → 33 (-2) | 26.3 → 31.6 (+5.28) "
            "| 416.0 → 412.0 (-4) |"])
        # After the patch every body enters at a BL: corrected by the call pair.
        self.assertIn("Timed less counted, per row: before -6.4, +1.3, -8.7; "
                      "after -1.0, -5.0, -1.4.", lines[-2])
        self.assertIn("per row, before 773, 980, 980 and after 762, 762, 762 instructions",
                      lines[-2])

    def test_a_window_the_plugin_missed_is_a_dash(self):
        with tempfile.TemporaryDirectory() as t:
            raw = tampered(t, "after", "insns.txt", lambda s: s.splitlines(True)[0])
            rows = [x for x in readers.section(raw, t) if x.startswith("| `")]
        self.assertTrue(rows[0].startswith("| `kvm_pmu_probe_armpmu` (new vCPU) | 41 → 35 (-6) |"))
        self.assertTrue(rows[1].startswith("| `kvm_arm_pmu_v3_set_pmu`, success | 105 → – |"), rows[1])

    def test_a_target_not_timed_at_its_sites_is_refused(self):
        with tempfile.TemporaryDirectory() as t:
            raw = tampered(t, "before", "ok.json", all_caller)
            with self.assertRaisesRegex(ValueError, "timed caller and caller, not inline"):
                readers.section(raw, t)


if __name__ == "__main__":
    unittest.main()
