"""The report's figures (python3 -m unittest discover -s tests/report): strip
plots whose labels never run together, histogram figures without empty
panels, and every figure rendered to PNG (rsvg-convert, Debian's
librsvg2-bin), kept in build/report-png/ to be looked at."""

import copy
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(TOP, "scripts", "report"))

import svg  # noqa: E402

NS = "{http://www.w3.org/2000/svg}"
PNG_DIR = os.path.join(TOP, "build", "report-png")
CHAR_PX = 0.62  # average advance of a sans-serif character, in font sizes


def text_boxes(doc, y):
    """[(x0, x1)] of the text elements on baseline Y (middle-anchored)."""
    out = []
    for t in ET.fromstring(doc).iter(NS + "text"):
        if t.get("y") and abs(float(t.get("y")) - y) < 0.5:
            w = len(t.text or "") * CHAR_PX * float(t.get("font-size") or 11)
            x = float(t.get("x"))
            out.append((x - w / 2, x + w / 2) if t.get("text-anchor") == "middle" else (x, x + w))
    return sorted(out)


def to_png(svg_path, png_path):
    """rsvg-convert SVG -> PNG; returns the PNG's (width, height)."""
    subprocess.run(["rsvg-convert", "-b", "white", "-o", png_path, svg_path], check=True,
                   capture_output=True)
    with open(png_path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", png_path
    return struct.unpack(">II", head[16:24])


def svg_size(path):
    root = ET.parse(path).getroot()
    return int(float(root.get("width"))), int(float(root.get("height")))


def pmutrace():
    subprocess.run(["make", "-s", "-C", TOP, "build/x86/pmutrace", "build/x86/pmutrace-compare"],
                   check=True, capture_output=True)
    return os.path.join(TOP, "build", "x86", "pmutrace")


class Strip(unittest.TestCase):
    COLS = [("before", [700, 710, 1500] * 4), ("after", [690] * 12), ("stock", [800, 820])]

    def test_group_labels_do_not_overlap(self):
        doc = svg.strip_plot("check-ext-t4: one dot per boot",
                             [("p50", self.COLS), ("p99", self.COLS)])
        labels = [b for y in (36 + 220 + 16, 36 + 220 + 30) for b in text_boxes(doc, y)]
        self.assertEqual(len(labels), 12)  # 3 kernels x 2 lines x 2 panels
        for y in (36 + 220 + 16, 36 + 220 + 30):
            boxes = text_boxes(doc, y)
            for (_, a1), (b0, _) in zip(boxes, boxes[1:]):
                self.assertLess(a1, b0, "labels overlap on y=%d: %s" % (y, boxes))
        self.assertIn(">before<", doc)
        self.assertIn(">12 boots<", doc)

    def test_empty_panel_is_dropped(self):
        doc = svg.strip_plot("t", [("p50", [("before", [1000]), ("after", [500])]),
                                   ("p99", [("before", [None]), ("after", [])])])
        self.assertNotIn("p99", doc)
        self.assertNotIn("no data", doc)
        self.assertEqual(len(ET.fromstring(doc).findall(NS + "circle")), 2)


class Histogram(unittest.TestCase):
    def test_compare_svg_has_no_empty_panel(self):
        with open(os.path.join(TOP, "tests", "fixtures", "sid-default.json")) as f:
            doc = json.load(f)
        empty = copy.deepcopy(doc)
        t = empty["targets"][0]  # kvm_pmu_probe_armpmu, as in the check-ext cells
        t.update(count=0, timed=0)
        t["latency_ns"] = {"count": 0, "min": None, "max": None, "sum": 0, "mean": None,
                           "p50": None, "p90": None, "p99": None, "p999": None, "buckets": []}
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.json"), os.path.join(d, "b.json")
            for i, p in enumerate((a, b)):
                # Two boots: compare refuses one run given twice.
                empty["kernel"]["boot_id"] = "boot-%d" % i
                with open(p, "w") as f:
                    json.dump(empty, f)
            res = subprocess.run([pmutrace(), "compare", "-f", "svg", a, b], check=True,
                                 capture_output=True, text=True)
        self.assertNotIn("no samples", res.stdout)
        root = ET.fromstring(res.stdout)
        panels = [g for g in root.iter(NS + "g") if (g.get("transform") or "").startswith("translate")]
        self.assertEqual(len(panels), 3)  # two readers and the lock's waits
        self.assertEqual(root.get("height"), str(50 + 3 * 262))
        self.assertNotIn("kvm_pmu_probe_armpmu", res.stdout)


class Png(unittest.TestCase):
    def test_every_figure_renders_to_png(self):
        """The committed report's figures and freshly drawn ones, each to a PNG
        of the SVG's size."""
        os.makedirs(PNG_DIR, exist_ok=True)
        fresh = os.path.join(PNG_DIR, "strip-test.svg")
        with open(fresh, "w", encoding="utf-8") as f:
            f.write(svg.strip_plot("strip test", [("p50", Strip.COLS)]))
        report = os.path.join(TOP, "docs", "report")
        figs = [fresh] + sorted(os.path.join(report, n) for n in os.listdir(report)
                                if n.endswith(".svg"))
        self.assertGreater(len(figs), 1)
        for path in figs:
            png = os.path.join(PNG_DIR, re.sub(r"\.svg$", ".png", os.path.basename(path)))
            self.assertEqual(to_png(path, png), svg_size(path), path)


if __name__ == "__main__":
    unittest.main()
