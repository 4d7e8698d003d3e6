"""Unit tests of scripts/report (python3 -m unittest discover tests/report).

Small fixed inputs: boot folders written by make_boot() below, compare JSON
from a stand-in `pmutrace` (a few lines of Python) so that no C binary is
needed."""

import contextlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "report"))

import figures as fg  # noqa: E402
import rawset  # noqa: E402
import render  # noqa: E402
import svg  # noqa: E402
import text  # noqa: E402
import verdicts as vd  # noqa: E402
from scripts.bench import rawpack  # noqa: E402  (rawset put the top folder on the path)

READERS = ("kvm_pmu_probe_armpmu", "kvm_arm_pmu_v3_set_pmu", "kvm_supports_guest_pmuv3")


def run_json(counts, missed_exit=0, contended=0, acquired=None, p50=1000, side="before",
             too_deep=0):
    """A minimal pmutrace/1 document: COUNTS {reader: calls counted}.
    pmutrace/2 only adds "attribution" (docs/json-schema.md)."""
    targets = []
    for name in READERS:
        n = counts.get(name, 0)
        t = {"name": name, "attach": {"mode": "direct", "function": name},
             "count": n, "timed": n, "missed": {"entry": 0,
                                               "exit": missed_exit if n else 0},
             "latency_ns": {"count": n, "p50": p50 if n else None,
                            "p99": 4 * p50 if n else None, "mean": p50 if n else None}}
        if acquired is not None:
            t["lock"] = {"acquired": acquired * (n + t["missed"]["exit"])}
        targets.append(t)
    return {"schema": "pmutrace/1", "kernel": {"release": "7.2.13"}, "targets": targets,
            "locks": [{"name": "arm_pmus_lock", "contended": contended, "missed": 0}],
            "dropped": {"no_task_state": 0, "too_deep": too_deep, "stale_entry": 0},
            "patch_side": {"side": side, "evidence": "test"}}


def make_boot(root, label, boot, start, host="x86 test host", side=None, acq=None, waits=0,
              miss=0, stress_extra=0, mode=None, load=1.5, p50=None):
    """A boot folder with two cells (check-ext-t4, hold-check-ext); MODE:
    its lab_mode= (none: an older boot)."""
    side = side or label
    acq = (1 if side == "before" else 0) if acq is None else acq
    d = os.path.join(root, "%s-%02d" % (label, boot))
    os.makedirs(d)
    meta = ["schema=pmutrace-boot/1", "label=" + label, "boot=%02d" % boot,
            "kernel_release=7.2.13", "kernel_version=#1 SMP PREEMPT", "build_id=ab" + label,
            "cpu_model=implementer 0x00 part 0x051", "cpus=2", "pmu=armv8_pmuv3 type=10",
            "matrix=size=small threads=4", "config=CONFIG_PREEMPT=y", "host=" + host,
            "accel=tcg", "start=2026-12-01T10:%02d:00Z" % start,
            "host_start=2026-12-01T10:%02d:00Z" % start,
            "host_end=2026-12-01T10:%02d:50Z" % start, "host_boot_seconds=50",
            "host_load_start=%.2f 1.0 1.0 1/100 1" % load] + (
                ["lab_mode=" + mode, "host_cores=2"] if mode else [])
    with open(os.path.join(d, "meta.txt"), "w") as f:
        f.write("\n".join(meta) + "\n")
    calls = 2000
    cells = {"check-ext-t4": run_json({READERS[2]: calls - miss}, missed_exit=miss,
                                      contended=waits, p50=p50 or 1000 + 100 * boot, side=side,
                                      too_deep=miss),
             "hold-check-ext": run_json({READERS[2]: 500}, acquired=acq, side=side)}
    for cell, doc in cells.items():
        with open(os.path.join(d, cell + ".json"), "w") as f:
            json.dump(doc, f)
    for cell, n in (("check-ext-t4", calls + stress_extra), ("hold-check-ext", 500)):
        with open(os.path.join(d, cell + ".stress"), "w") as f:
            f.write("scenario=check-ext\nthreads=4\nderived.kvm_supports_guest_pmuv3=%d\n"
                    "derived.kvm_pmu_probe_armpmu=0\nelapsed_ns=100\n"
                    "switches.voluntary=3\nswitches.involuntary=%d\n" % (n, 2 * miss))
    return d


FAKE_PMUTRACE = r'''#!/usr/bin/env python3
# A stand-in for `pmutrace compare -f svg` and `-f json --cells`: fixed
# verdicts, per-run arrays, a family of 9 tests and one headline answer.
import json, os, sys
a = sys.argv
i, j = a.index("--before"), a.index("--after")
if a[3] == "svg":
    open(a[5], "w").write("<svg xmlns='http://www.w3.org/2000/svg'><!-- %s --></svg>"
                          % ",".join(a[i + 1:j]))
    sys.exit(0)
nb, na = j - i - 1, len(a) - j - 1
st = lambda v, verdict, p: {"before": v, "after": v / 2, "ratio": 0.5, "lo": 0.4, "hi": 0.6,
                            "p": p, "p_adjusted": 2 * p, "detectable_ratio": 1.6,
                            "verdict": verdict, "note": "", "before_runs": [v] * nb,
                            "after_runs": [v / 2] * na}
cell = {"warnings": [], "compared": [
    {"name": "kvm_supports_guest_pmuv3", "kind": "target", "p50": st(1000, "lower", 0.001),
     "p99": st(4000, "no change shown", 0.2)},
    {"name": "arm_pmus_lock wait", "kind": "lock_wait", "waits_per_1k": st(5, "lower", 0.001)}]}
cells = sorted(f[:-5] for f in os.listdir(a[i + 1]) if f.endswith(".json"))
head = dict(st(5, "lower", 0.0001), question="contention (lock waits per 1000 reader calls)",
            per_boot="per boot: waits / reader calls of all its cells")
print(json.dumps({"schema": "pmutrace-compare/3", "mode": "cells", "headline": [head],
                  "family": {"name": "every judged statistic", "tests": 9,
                             "method": "benjamini-hochberg", "q": 0.05, "verdict_rule": "R"},
                  "cells": {c: cell for c in cells}}))
'''


class Fixture(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.raw = os.path.join(self.tmp, "raw")
        for i in range(4):
            make_boot(self.raw, "before", i + 1, 2 * i, waits=10 + i, miss=5 * i)
            make_boot(self.raw, "after", i + 1, 2 * i + 1, miss=3 * i)

    def tearDown(self):
        shutil.rmtree(self.tmp)


class TestParsing(unittest.TestCase):
    def test_meta_keeps_repeats_in_order(self):
        m = rawset.parse_meta("a=1\npmu=x type=1\npmu=y type=2\nnot a line\n=v\nb=x=y\n")
        self.assertEqual(m["pmu"], ["x type=1", "y type=2"])
        self.assertEqual(m["b"], ["x=y"])
        self.assertNotIn("", m)

    def test_stress_numbers(self):
        s = rawset.parse_stress("scenario=set-pmu\nthreads=4\nelapsed_ns=12\nx=-3\n")
        self.assertEqual(s, {"scenario": "set-pmu", "threads": 4, "elapsed_ns": 12, "x": -3})

    def test_cells(self):
        self.assertEqual(fg.parse_cell("check-ext-t4"), ("check-ext", 4, False))
        self.assertEqual(fg.parse_cell("hold-set-pmu"), ("set-pmu", 1, True))
        self.assertIsNone(fg.parse_cell("check"))
        order = sorted(["hold-vcpu-init", "check-ext-t1", "vcpu-init-t4", "vcpu-init-t1"],
                       key=fg.cell_order)
        self.assertEqual(order, ["vcpu-init-t1", "vcpu-init-t4", "check-ext-t1", "hold-vcpu-init"])

    def test_config_contrast_names_the_difference(self):
        rows = [("before", 30, 1000, 60, "v", ["CONFIG_PREEMPT=y", "CONFIG_HZ=250"], "1"),
                ("stock", 0, 1000, 2, "v", ["CONFIG_PREEMPT_LAZY=y", "CONFIG_HZ=250"], "1")]
        self.assertEqual(text.config_contrast(rows), [
            "- stock missed no program run in 1000 reader calls; before missed 30 per 1000. "
            "pmu-stress's workers were preempted 2 times per 1000 calls on stock and 60 on "
            "before. Their recorded preemption, tick and JIT options differ: only stock has "
            "`CONFIG_PREEMPT_LAZY=y`; only before has `CONFIG_PREEMPT=y`.", ""])

    def test_lazy_against_full_preemption(self):
        rows = [("before", 300, 1000, 6, "v", ["CONFIG_PREEMPT=y"], "1"),
                ("stock", 0, 1000, 7, "v", ["CONFIG_PREEMPT_LAZY=y"], "1")]
        out = text.config_contrast(rows)
        self.assertEqual(len(out), 3)
        self.assertTrue(out[1].startswith("- The workers were preempted about as often on stock "
                                          "as on before"), out[1])
        self.assertTrue(out[1].endswith("Missed program runs per worker preemption: before 50."))
        rows[1] = ("stock", 0, 1000, 1, "v", ["CONFIG_PREEMPT_LAZY=y"], "1")
        self.assertEqual(len(text.config_contrast(rows)), 2)  # far fewer preemptions: no claim

    def test_num_and_ns(self):
        self.assertEqual(text.num(1.0), "1")
        self.assertEqual(text.num(0.12345), "0.123")
        self.assertEqual(text.num(123456.7), "123457")
        self.assertEqual(text.ns(1500), "1.5 µs")
        self.assertEqual(text.ns(None), "-")
        self.assertEqual(text.ns_list([900, 1500, 2000, None]), "0.9 1.5 2 µs")
        self.assertEqual(text.ns_list([]), "-")


class TestFigures(Fixture):
    def test_rates_and_exact_counts(self):
        boots = rawset.find_boots([self.raw])
        self.assertEqual(len(boots), 8)
        b = [x for x in boots if x.name == "before-03"][0]
        f = fg.boot_cell(b, "check-ext-t4")
        self.assertEqual(f["calls"], 2000)  # 1990 counted + 10 missed exits
        self.assertEqual(f["missed_exit"], 10)
        self.assertEqual(f["dropped"]["too_deep"], 10)
        self.assertEqual(fg.per_1000(f["contended"], f["calls"]), 6.0)
        self.assertEqual(f["switches_involuntary"], 20)
        self.assertEqual(fg.count_mismatches(boots), (32, []))

    def test_schema_2_with_attribution_reads_the_same(self):
        """pmutrace/2 (attribution added) is read like /1: same figures."""
        b = [x for x in rawset.find_boots([self.raw]) if x.name == "before-03"][0]
        f1 = fg.boot_cell(b, "check-ext-t4")
        path = os.path.join(self.raw, "before-03", "check-ext-t4.json")
        with open(path) as f:
            doc = json.load(f)
        doc["schema"] = "pmutrace/2"
        doc["attribution"] = {"by": "process", "top": 10, "rows": [
            {"id": 42, "comm": "qemu-vm-a", "target": READERS[2], "count": 1990}]}
        with open(path, "w") as f:
            json.dump(doc, f)
        b = [x for x in rawset.find_boots([self.raw]) if x.name == "before-03"][0]
        self.assertEqual(fg.boot_cell(b, "check-ext-t4"), f1)

    def test_mismatch_is_named(self):
        make_boot(self.raw, "after", 9, 30, stress_extra=1)
        checked, bad = fg.count_mismatches(rawset.find_boots([self.raw]))
        self.assertEqual(checked, 36)
        self.assertEqual(len(bad), 1)
        self.assertIn("after-09 check-ext-t4", bad[0])

    def test_hold_per_call(self):
        g = rawset.group(rawset.find_boots([self.raw]))
        self.assertEqual(fg.hold_per_call(g["before"], "check-ext", READERS[2]),
                         (2000, 2000, [1.0] * 4))
        self.assertEqual(fg.hold_per_call(g["after"], "check-ext", READERS[2]), (0, 2000, [0.0] * 4))


class TestRawSets(Fixture):
    def test_group_and_interleave(self):
        g = rawset.group(rawset.find_boots([self.raw]))
        self.assertEqual(list(g), ["before", "after"])
        self.assertEqual([b.name for b in g["after"]], ["after-01", "after-02", "after-03", "after-04"])
        self.assertTrue(rawset.interleaved(g, "before", "after"))
        self.assertEqual(rawset.warnings(g), [])

    def test_host_clock_orders_boots(self):
        raw = os.path.join(self.tmp, "clock")
        for i, label in enumerate(("stock", "after", "before")):
            d = make_boot(raw, label, 1, 10 - i)
            with open(os.path.join(d, "meta.txt")) as f:
                meta = f.read().replace("start=2026-12-01T10", "start=1970-01-01T00", 1)
            with open(os.path.join(d, "meta.txt"), "w") as f:
                f.write(meta)
        g = rawset.group(rawset.find_boots([raw]))
        self.assertEqual(list(g), ["before", "after", "stock"])
        self.assertEqual([rawset.started(b[0])[11:16] for b in g.values()],
                         ["10:08", "10:09", "10:10"])

    def test_not_interleaved(self):
        raw = os.path.join(self.tmp, "seq")
        for i in range(3):
            make_boot(raw, "before", i + 1, i)
            make_boot(raw, "after", i + 1, 10 + i)
        self.assertFalse(rawset.interleaved(rawset.group(rawset.find_boots([raw])), "before", "after"))

    def test_warns_on_other_machine_and_wrong_side(self):
        other = os.path.join(self.tmp, "other")
        make_boot(other, "after", 7, 40, host="arm64 box")
        make_boot(other, "before", 7, 41, side="after")
        w = rawset.warnings(rawset.group(rawset.find_boots([self.raw, other])))
        self.assertTrue(any(s.startswith("the raw sets differ in host: arm64 box | x86 test host")
                            for s in w), w)
        self.assertIn("before-07 is labelled before but pmutrace observed patch side after", w)

    def test_archive_and_bad_input(self):
        arc = os.path.join(self.tmp, "raw.tar.xz")
        with tarfile.open(arc, "w:xz") as tar:
            tar.add(self.raw, arcname="raw")
        into = os.path.join(self.tmp, "x")
        os.mkdir(into)
        self.assertEqual(len(rawset.find_boots([arc], into)), 8)
        evil = os.path.join(self.tmp, "evil.tar")
        with tarfile.open(evil, "w") as tar:
            info = tarfile.TarInfo("../escape")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        with self.assertRaises(ValueError):
            rawset.find_boots([evil], into)
        with self.assertRaises(ValueError):
            rawset.find_boots([os.path.join(self.tmp, "nothing")])


class TestSvg(unittest.TestCase):
    def test_strip_plot_is_svg_with_one_dot_per_boot(self):
        doc = svg.strip_plot("t", [("p50", [("before", [1000, 2000, None]), ("after", [500])]),
                                   ("p99", [("before", []), ("after", [])])])
        root = ET.fromstring(doc)
        dots = root.findall("{http://www.w3.org/2000/svg}circle")
        self.assertEqual(len(dots), 3)
        self.assertNotIn("p99", doc)  # a panel without values is left out

    def test_ticks(self):
        self.assertEqual(svg.log_ticks(90, 600), [100, 200, 500])
        # 424-432 ns boots, the plot's range /1.3 and *1.3: labels near the dots
        self.assertEqual(svg.log_ticks(326, 562), [350, 400, 450, 500, 550])
        self.assertEqual(svg.fmt_ns(1500), "1.5 µs")


class TestCommittedHeadline(unittest.TestCase):
    """The committed raw boots of each mode, the real pmutrace-compare."""

    @classmethod
    def setUpClass(cls):
        top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        exe = os.path.join(top, "build", "x86", "pmutrace")
        if not os.path.exists(exe):
            raise unittest.SkipTest("no build/x86/pmutrace (make first)")
        tmp = tempfile.mkdtemp()
        cls.doc = {}
        try:
            with tarfile.open(os.path.join(top, "docs", "report", "raw.tar.xz")) as tar:
                tar.extractall(tmp)
            for mode in ("icount", "parallel"):
                raw = os.path.join(tmp, "raw", mode)
                boots = sorted(os.listdir(raw))
                cls.doc[mode] = json.loads(vd.compare(
                    exe, [os.path.join(raw, b) for b in boots if b.startswith("before-")],
                    [os.path.join(raw, b) for b in boots if b.startswith("after-")], cells=True))
        finally:
            shutil.rmtree(tmp)

    def head(self, mode):
        return {h["question"].split(" (")[0]: h for h in self.doc[mode]["headline"]}

    def test_contention_headline_is_lower(self):
        """Parallel TCG's contention headline: lower, surviving the family."""
        doc = self.doc["parallel"]
        self.assertEqual(len(doc["before_boots"]), 12)
        c = self.head("parallel")["contention"]
        self.assertEqual(c["verdict"], "lower")
        self.assertLessEqual(c["p_adjusted"], 0.05)
        self.assertGreater(doc["family"]["tests"], 100)

    def test_reader_headline_leaves_hold_cells_out(self):
        """icount's SET_PMU reader is 480 ns in every cell of both kernels:
        its headline is no change (the --hold cells, traced inside the
        reader on the before kernel only, would make it x0.67 lower)."""
        h = self.head("icount")["kvm_arm_pmu_v3_set_pmu latency"]
        self.assertEqual(h["verdict"], "no change shown")
        self.assertAlmostEqual(h["ratio"], 1, delta=0.02)


class TestRender(Fixture):
    def fake_pmutrace(self):
        fake = os.path.join(self.tmp, "pmutrace")
        with open(fake, "w") as f:
            f.write(FAKE_PMUTRACE)
        os.chmod(fake, 0o755)
        return fake

    def test_render_end_to_end_with_stand_in_compare(self):
        fake = self.fake_pmutrace()
        out = os.path.join(self.tmp, "out")
        arc = os.path.join(self.tmp, "raw.tar.xz")
        with tarfile.open(arc, "w:xz") as tar:
            tar.add(self.raw, arcname="raw")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(render.main(["--pmutrace", fake, "-o", out, arc]), 0)
        self.assertEqual(err.getvalue(), "render: wrote %s/README.md from 8 boots (parallel: before 4, after 4)\n"
                         % out)
        with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
            doc = f.read()
        self.assertIn("- parallel TCG (`parallel`), **before**: the readers took `arm_pmus_lock` "
                      "2000 times in 2000 reader calls (`--hold` runs of 4 boots); 46 contended "
                      "waits over all its boots.", doc)
        self.assertIn("- parallel TCG (`parallel`), **after**: the readers took `arm_pmus_lock` "
                      "0 times in 2000 reader calls", doc)
        self.assertIn("| `check-ext-t4` | 5.75 [5 5.5 6 6.5] | 0 [0 0 0 0] | 0.5 [0.4, 0.6] | "
                      "**lower** (p=0.001, adjusted p=0.002) |", doc)
        self.assertIn("| `check-ext-t4` | `kvm_supports_guest_pmuv3` | p50 | 1 µs | 500 ns | "
                      "0.5 [0.4, 0.6] | **lower** (p=0.001, adjusted p=0.002) | "
                      "1 1 1 1 µs · 500 500 500 500 ns |", doc)
        self.assertIn("| p99 | 4 µs | 2 µs | 0.5 [0.4, 0.6] | no change shown (p=0.2, adjusted p=0.4); "
                      "could detect ≥ ×1.6 |", doc)
        # The headline, and the family it holds in, from compare --cells.
        self.assertIn("| contention (lock waits per 1000 reader calls) | 5 | 2.5 | 0.5 [0.4, 0.6] | "
                      "**lower** (p=0.0001, adjusted p=0.0002) | per boot: waits / reader calls of "
                      "all its cells |", doc)
        self.assertIn("every judged statistic, 9 tests, Benjamini-Hochberg adjusted at q = 0.05",
                      doc)
        self.assertIn("| `check-ext-t4` | before | 8000 | 0 | 30 | no_task_state 0 stale_entry 0 "
                      "too_deep 30 | 7.5 | 0 2.5 5 7.5 |", doc)
        self.assertIn("In all 32 (boot, cell, reader) triples", doc)
        self.assertIn("accelerator **tcg**", doc)
        self.assertIn("- Order: before and after boots interleaved.", doc)
        self.assertTrue(os.path.exists(os.path.join(out, "parallel-check-ext-t4-boots.svg")))
        with open(os.path.join(out, "parallel-check-ext-t4.svg"), encoding="utf-8") as f:
            # compare saw the runs by their names in the archive, not a temporary path
            self.assertIn("<!-- raw/before-01/check-ext-t4.json,raw/before-02/", f.read())

    def test_insns_adds_the_path_length_section(self):
        fake = self.fake_pmutrace()
        ins = os.path.join(self.tmp, "insns")
        for side, n, lock in (("before", 492000, "mutex_lock=8000 mutex_lock.entries=1000"),
                              ("after", 464000, "mutex_lock=0 mutex_lock.entries=0")):
            d = os.path.join(ins, "7.2-" + side, "boot1")
            os.makedirs(d)
            with open(os.path.join(d, "insns.txt"), "w") as f:
                f.write("window=1 insns=%d %s\n" % (n, lock))
            with open(os.path.join(d, "windows.txt"), "w") as f:
                f.write("win boot=1 round=1 variant=none workload=ce calls=1000 failed=0 rc=0\n")
        out = os.path.join(self.tmp, "out")
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(render.main(["--pmutrace", fake, "-o", out, "--insns", ins,
                                          self.raw]), 0)
        with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
            doc = f.read()
        self.assertIn("## Path length (instructions, exact)\n\nNot from the boots above", doc)
        self.assertIn("[../insns](../insns) (`7.2-before`, `7.2-after`)", doc)
        self.assertIn("| KVM_CHECK_EXTENSION(KVM_CAP_ARM_PMU_V3) | kvm_supports_guest_pmuv3 | "
                      "492.0 | 464.0 | -28.0 |", doc)
        self.assertIn("| | after − before | -28.0 | -8.0 |", doc)
        self.assertLess(doc.index("## Path length"), doc.index("## Distributions"))
        self.assertIn("new raw counts by `make bench-rcu-insns`", doc)
        # The same counts as raw/insns/ of an archive (docs/performance/raw.tar.xz).
        top = os.path.join(self.tmp, "top")
        shutil.copytree(ins, os.path.join(top, "insns"))
        arc = os.path.join(self.tmp, "perf.tar.xz")
        rawpack.pack(top, arc)
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(render.main(["--pmutrace", fake, "-o", out, "--insns", arc,
                                          self.raw]), 0)
        with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
            doc2 = f.read()
        self.assertIn("[../perf.tar.xz](../perf.tar.xz) (`raw/insns/7.2-before`, "
                      "`raw/insns/7.2-after`)", doc2)
        self.assertEqual(doc2.replace("../perf.tar.xz", "../insns").replace("raw/insns/", "")
                         .replace("--insns %s" % arc, "--insns %s" % ins), doc)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(render.main(["--pmutrace", fake, "-o", out, "--insns", self.tmp,
                                          self.raw]), 1)
        self.assertIn("no <kernel>-before and -after folders of make bench-rcu-insns",
                      err.getvalue())

    def test_missing_side_fails_in_one_line(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(render.main(["--pmutrace", "/bin/false", "--after", "nope", "-o",
                                          os.path.join(self.tmp, "o"), self.raw]), 1)
        self.assertEqual(err.getvalue(), "render: no boot labelled nope in mode parallel "
                         "(labels: before, after)\n")


if __name__ == "__main__":
    unittest.main()
