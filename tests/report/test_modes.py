"""The report in two modes, its summary.txt and compare JSON with or without
issue 19's fields (python3 -m unittest discover -s tests/report)."""

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "report"))

import modes  # noqa: E402
import rawset  # noqa: E402
import render  # noqa: E402
import text  # noqa: E402
from test_report import FAKE_PMUTRACE, make_boot  # noqa: E402

# The stand-in with other p-values and detectable ratios everywhere (its
# headline too).
FAKE_NEW = FAKE_PMUTRACE.replace(
    '"verdict": verdict, "note": "",',
    '"verdict": verdict, "note": "", "p": 0.01, "p_adjusted": 0.04, "detectable_ratio": 1.04,')
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


class TwoModes(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.raw = os.path.join(self.tmp, "raw")
        for i in range(4):
            # icount: the same p50 every boot; waits only once.
            make_boot(os.path.join(self.raw, "icount"), "before", i + 1, 4 * i, mode="icount",
                      p50=328, waits=1 if i == 0 else 0, load=9 + i)
            make_boot(os.path.join(self.raw, "icount"), "after", i + 1, 4 * i + 1, mode="icount",
                      p50=300, load=9 + i)
            make_boot(os.path.join(self.raw, "parallel"), "before", i + 1, 4 * i + 2,
                      mode="parallel", waits=10 + i, load=1.0 if i else 3.5)
            make_boot(os.path.join(self.raw, "parallel"), "after", i + 1, 4 * i + 3,
                      mode="parallel", load=4.0)
        self.readme = os.path.join(self.tmp, "README.md")
        with open(self.readme, "w") as f:
            f.write("# x\n\nbefore\n<!-- summary.txt -->\nold\n<!-- /summary.txt -->\nafter\n")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def fake(self, src=FAKE_PMUTRACE):
        path = os.path.join(self.tmp, "pmutrace")
        with open(path, "w") as f:
            f.write(src)
        os.chmod(path, 0o755)
        return path

    def render(self, fake_src=FAKE_PMUTRACE, readme=None):
        fake = self.fake(fake_src)
        out = os.path.join(self.tmp, "out")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = render.main(["--pmutrace", fake, "-o", out, self.raw] +
                             (["--readme", readme] if readme else []))
        self.assertEqual(rc, 0, err.getvalue())
        with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
            doc = f.read()
        with open(os.path.join(out, "summary.txt"), encoding="utf-8") as f:
            return doc, f.read(), err.getvalue()

    def test_modes_split_and_label_every_table(self):
        doc, _, err = self.render()
        self.assertIn("from 16 boots (icount: before 4, after 4; parallel: before 4, after 4)", err)
        self.assertLess(doc.index("## instruction-driven clock (`icount`)"),
                        doc.index("## parallel TCG (`parallel`)"))
        for h in ("Lock acquisitions per reader call", "Contention on arm_pmus_lock",
                  "Latency of the readers, after / before", "Exact counts"):
            self.assertIn("### %s — instruction-driven clock\n" % h, doc)
            self.assertIn("### %s — parallel TCG\n" % h, doc)
        # Every table sits under a heading naming a mode, or is a per-mode table.
        section = ""
        for line in doc.splitlines():
            if line.startswith("#"):
                section = line
            if line.startswith("|---"):
                self.assertTrue(" — " in section or "mode" in section.lower()
                                or section.startswith("## Path length"), section)

    def test_latency_from_icount_contention_from_parallel(self):
        doc, _, _ = self.render()
        icount = doc[doc.index("## instruction-driven clock (`icount`)"):
                     doc.index("## parallel TCG (`parallel`)")]
        par = doc[doc.index("## parallel TCG (`parallel`)"):]
        self.assertIn("| p50 | 1 µs | 500 ns | 0.5 [0.4, 0.6] | **lower** (p=0.001, adjusted "
                      "p=0.002) |", icount)
        self.assertIn("| 0.5 [0.4, 0.6] | not judged in this mode |", icount)  # its waits
        self.assertIn("| p50 | 1 µs | 500 ns | 0.5 [0.4, 0.6] | not judged in this mode |", par)
        self.assertIn("**The contention evidence comes from the parallel TCG mode**", doc)
        self.assertIn("instruction-driven clock: 1 of 4 (cell, boot) pairs waited, 1 waits; "
                      "parallel TCG: 4 of 4 (cell, boot) pairs waited, 46 waits", doc)
        # CV per mode: icount repeats exactly.
        self.assertIn("| `check-ext-t4` | p50 | 0.0% · 0.0% | 8.9% · 8.9% |", doc)

    def test_load_warnings(self):
        doc, _, _ = self.render()
        self.assertIn("- parallel TCG: 5 of 8 boots ran with a host load above the host's 2 "
                      "cores (the larger 1-minute load average at start and end): before-01 "
                      "(3.5), after-01 (4), after-02 (4), after-03 (4), after-04 (4)", doc)
        self.assertIn("- parallel TCG: the before and after boots saw different host loads "
                      "(median 1 against 4;", doc)
        icount = doc[doc.index("#### Warnings — instruction-driven clock"):]
        icount = icount[:icount.index("###", 5)]
        self.assertNotIn("above the host's", icount)  # its time does not follow the load

    def test_summary_is_plain_narrow_and_its_figures_are_in_the_report(self):
        with open(os.path.join(self.raw, "command.txt"), "w") as f:
            f.write("sudo make report (BOOTS=4)\n")  # as report.sh leaves it
        doc, txt, _ = self.render(readme=self.readme)
        self.assertIn("made by: sudo make report (BOOTS=4)", txt)
        self.assertIn("The raw data were made by `sudo make report (BOOTS=4)`.", doc)
        self.assertTrue(txt.strip())
        for line in txt.splitlines():
            self.assertLessEqual(len(line), 72, line)
            self.assertTrue(line.isascii(), line)
            self.assertNotRegex(line, r"\*\*|`|^#|^\|")
        figs = NUMBER.findall(txt)
        self.assertGreater(len(figs), 20)
        # Everything but the summary's own copy in the page's Summary section.
        body = doc[:doc.index("## Summary")] + doc[doc.index("## Boot-to-boot spread"):]
        for fig in figs:
            self.assertIn(fig, body, "summary figure %s is not in the report" % fig)
        with open(self.readme) as f:
            self.assertEqual(f.read(), "# x\n\nbefore\n<!-- summary.txt -->\n```text\n%s```\n"
                             "<!-- /summary.txt -->\nafter\n" % txt)
        flat = " ".join(txt.split())
        self.assertIn("Latency of each cell's main reader (instruction-driven clock mode)", flat)
        self.assertIn("Its ns are virtual: one guest instruction per ns", flat)
        # Wherever "no change shown", what could have been: the stand-in's p99 x1.6.
        self.assertNotIn("JSON yet", flat)

    def test_issue_19_fields_when_compare_has_them(self):
        doc, txt, _ = self.render(FAKE_NEW)
        self.assertIn("**lower** (p=0.01, adjusted p=0.04)", doc)
        self.assertIn("no change shown (p=0.01, adjusted p=0.04); could detect ≥ ×1.04", doc)
        self.assertIn("| `check-ext-t4` | p50 | 0.0% · 0.0% | 8.9% · 8.9% | ×1.04 | ×1.04 |", doc)
        self.assertIn("- Headline verdict, contention (lock waits per 1000 reader calls) "
                      "(parallel TCG): **lower** (p=0.01, adjusted p=0.04).", doc)
        self.assertIn("| contention (lock waits per 1000 reader calls) | 5 | 2.5 | 0.5 [0.4, 0.6] "
                      "| **lower** (p=0.01, adjusted p=0.04) |", doc)
        self.assertIn("| contention (lock waits per 1000 reader calls) | 5 | 2.5 | 0.5 [0.4, 0.6] "
                      "| not judged in this mode |", doc)  # icount's
        self.assertIn("contention (lock waits per 1000 reader calls) (parallel TCG): lower (p=0.01, "
                      "adjusted p=0.04)",
                      " ".join(txt.split()))
        self.assertNotIn("JSON yet", " ".join(txt.split()))

    def test_readme_without_markers_fails_and_writes_nothing(self):
        with open(self.readme, "w") as f:
            f.write("# no markers\n")
        fake = self.fake()
        out = os.path.join(self.tmp, "out")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(render.main(["--pmutrace", fake, "-o", out, "--readme",
                                          self.readme, self.raw]), 1)
        self.assertIn("needs one line <!-- summary.txt -->", err.getvalue())
        self.assertFalse(os.path.exists(os.path.join(out, "summary.txt")))
        self.assertFalse(os.path.exists(os.path.join(out, "README.md")))


class Committed(unittest.TestCase):
    """The committed report: its summary.txt against its README.md, and the
    copy of it in the top-level README (make report-render --readme)."""
    TOP = os.path.join(HERE, "..", "..")

    def read(self, *path):
        with open(os.path.join(self.TOP, *path), encoding="utf-8") as f:
            return f.read()

    def test_summary_fits_and_every_figure_is_in_the_report(self):
        txt = self.read("docs", "report", "summary.txt")
        doc = self.read("docs", "report", "README.md")
        body = doc[:doc.index("## Summary")] + doc[doc.index("## Boot-to-boot spread"):]
        self.assertIn("Exact counts", txt)  # the report's figures are there to check
        for line in txt.splitlines():
            self.assertLessEqual(len(line), 72, line)
            self.assertTrue(line.isascii(), line)
        missing = [f for f in NUMBER.findall(txt) if f not in body]
        self.assertEqual(missing, [])

    def test_readme_shows_the_summary(self):
        txt = self.read("docs", "report", "summary.txt")
        self.assertIn("%s\n```text\n%s```\n%s" % (render.BEGIN, txt, render.END),
                      self.read("README.md"))


class LabMode(unittest.TestCase):
    """The lab scripts take the mode, and refuse a wrong one in one line,
    before anything boots."""
    TOP = os.path.join(HERE, "..", "..")

    def run_script(self, args, env=None):
        import subprocess
        with tempfile.TemporaryDirectory() as t:
            with open(os.path.join(t, "Image"), "w") as f:
                f.write("not a kernel")
            args = [a.replace("KDIR", t) for a in args]
            return subprocess.run(args, capture_output=True, text=True, cwd=self.TOP,
                                  env=dict(os.environ, **(env or {})), timeout=60)

    def test_run_guest_refuses_a_wrong_mode(self):
        r = self.run_script(["scripts/lab/run-guest.sh", "-k", "KDIR", "-s", "/dev/null", "-o",
                             "KDIR/out"], {"PMUTRACE_LAB_MODE": "fast"})
        self.assertEqual((r.returncode, r.stderr.strip().splitlines()[-1][-51:]),
                         (1, "PMUTRACE_LAB_MODE is parallel or icount, not 'fast'"))
        r = self.run_script(["scripts/lab/run-guest.sh", "-k", "KDIR", "-s", "/dev/null", "-o",
                             "KDIR/out"], {"PMUTRACE_LAB_MODE": "icount", "PMUTRACE_ACCEL": "kvm"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("PMUTRACE_LAB_MODE=icount needs TCG", r.stderr)

    def test_lab_boot_refuses_a_wrong_mode(self):
        r = self.run_script(["scripts/report/lab-boot.sh", "-k", "KDIR", "-l", "before", "-b",
                             "01", "-m", "fast", "KDIR/raw"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("-m is parallel or icount, not 'fast'", r.stderr)


class Units(unittest.TestCase):
    def test_mode_of_older_boots(self):
        b = rawset.Boot.__new__(rawset.Boot)
        for meta, mode in (({"lab_mode": ["icount"], "accel": ["tcg"]}, "icount"),
                           ({"accel": ["tcg"]}, "parallel"), ({"accel": ["kvm"]}, "kvm"),
                           ({}, "native")):
            b.meta = meta
            self.assertEqual(modes.mode_of(b), mode)

    def test_cv_and_detectable(self):
        self.assertEqual(modes.cv([328, 328, 328]), 0)
        self.assertAlmostEqual(modes.cv([1008, 1184, 784, 784]), 17.87, places=2)
        self.assertIsNone(modes.cv([5]))
        self.assertIsNone(text.detectable({"verdict": "no change shown"}))
        self.assertEqual(text.detectable({"detectable_ratio": 1.6}), 1.6)
        self.assertEqual(text.detect_text({"detectable_ratio": 1.004}), "×1.004")
        zero = {"verdict": "no change shown", "before_runs": [0, 1], "after_runs": [0, 0]}
        self.assertEqual(text.verdict(zero), "no change shown; could detect: not known (too "
                         "few boots above 0 to know their spread)")
        inf = {"verdict": "no change shown", "detectable_ratio": "inf"}
        self.assertEqual(text.verdict(inf), "no change shown; could detect none up to ×1000")


if __name__ == "__main__":
    unittest.main()
