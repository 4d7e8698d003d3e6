# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/bench/rt.py on small fixed runs."""
import json
import os
import tempfile
import unittest

from scripts.bench import rt


def write_run(d, stem, probe, calls, count, timed, missed_entry, missed_exit, failed=0):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, stem + ".stress"), "w") as f:
        f.write(f"derived.{rt.TARGET}={calls}\nfailed.KVM_CHECK_EXTENSION={failed}\n")
    doc = {"targets": [{"name": rt.TARGET, "attach": {"probe": probe}, "count": count,
                        "timed": timed, "missed": {"entry": missed_entry, "exit": missed_exit}}]}
    with open(os.path.join(d, stem + ".json"), "w") as f:
        json.dump(doc, f)


class Render(unittest.TestCase):
    def test_rows_per_probe_with_median_and_exactness(self):
        with tempfile.TemporaryDirectory() as t:
            d = os.path.join(t, "7.2-rt")
            write_run(d, "fsession-t4-r1", "fsession", 1000, 900, 900, 100, 100)
            write_run(d, "fsession-t4-r2", "fsession", 1000, 800, 800, 200, 200)
            write_run(d, "fsession-t4-r3", "fsession", 1000, 950, 950, 50, 50)
            write_run(d, "fentry-t4-r1", "fentry", 1000, 990, 700, 290, 10)
            lines = rt.render(t)
        self.assertEqual(len(lines), 4)
        fentry, fsession = lines[2], lines[3]
        self.assertIn("| 7.2-rt | 4 | fentry | 1 | 1,000 | 30.00% (30.00%) | 290 / 10 | yes |", fentry)
        self.assertIn("| fsession | 3 | 3,000 | 10.00% (10.00%, 20.00%, 5.00%) | 350 / 350 | yes |",
                      fsession)

    def test_inexact_run_and_failed_workload(self):
        with tempfile.TemporaryDirectory() as t:
            d = os.path.join(t, "k")
            write_run(d, "t1-r1", "fsession", 1000, 990, 990, 0, 5)  # 990 + 5 != 1000
            write_run(d, "t1-r2", "fsession", 1000, 1000, 1000, 0, 0, failed=3)  # left out
            lines = rt.render(t)
        self.assertEqual(len(lines), 3)
        self.assertTrue(lines[2].startswith("| k | 1 | fsession | 1 | 1,000 |"))
        self.assertTrue(lines[2].endswith("| no |"))

    def test_default_run_names_its_probe_and_the_goal(self):
        with tempfile.TemporaryDirectory() as t:
            rtk, cloud = os.path.join(t, "7.2-rt-arm64"), os.path.join(t, "7.2-cloud-arm64")
            write_run(rtk, "default-t4-r1", "kprobe", 1000, 1000, 1000, 0, 0)
            write_run(rtk, "default-t4-r2", "kprobe", 1000, 1000, 950, 50, 0)
            write_run(rtk, "fsession-t4-r1", "fsession", 1000, 800, 800, 200, 200)
            write_run(cloud, "default-t4-r1", "fsession", 1000, 1000, 1000, 0, 0)
            lines = rt.render(t)
            goal = rt.goal(t)
        self.assertIn("| 7.2-cloud-arm64 | 4 | default (fsession) | 1 |", lines[2])
        self.assertIn("| 7.2-rt-arm64 | 4 | default (kprobe) | 2 | 2,000 | 2.50% (0.00%, 5.00%) |", lines[3])
        self.assertIn("| 7.2-rt-arm64 | 4 | fsession | 1 |", lines[4])
        self.assertEqual(goal, "**Goal met** on 7.2-rt-arm64: default mode (kprobe) leaves at most 5.00% "
                         "of the calls untimed with 4 threads (goal: under 10%).")
        with tempfile.TemporaryDirectory() as t:
            write_run(os.path.join(t, "k-rt-arm64"), "default-t4-r1", "fsession", 100, 100, 80, 20, 0)
            self.assertTrue(rt.goal(t).startswith("**Goal missed** on k-rt-arm64"))
        with tempfile.TemporaryDirectory() as t:
            self.assertIn("not measured", rt.goal(t))


if __name__ == "__main__":
    unittest.main()
