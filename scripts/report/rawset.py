"""Raw sets of the before/after report: one folder per boot.

A boot folder (written by scripts/report/native-run.sh, in the lab or on real
hardware) holds meta.txt (key=value lines, a key may repeat), one pmutrace/1 or /2
JSON per cell (CELL.json) and pmu-stress's output per cell (CELL.stress).
This module finds boot folders (in folders or .tar/.tar.xz archives), reads
them, groups them by kernel label and says where they disagree.
"""

import json
import os
import sys
import tempfile
from collections import OrderedDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from scripts.bench import rawpack  # noqa: E402  (archives: one reader for all raw data)

# Facts that must be the same in every boot of one report (the machine and
# the way it ran), and in every boot of one kernel.
MACHINE_KEYS = ("host", "machine", "cpu_model", "cpu_midr", "board", "cpus",
                "cpus_online", "pmu", "accel", "qemu", "qemu_cpu", "matrix")
KERNEL_KEYS = ("kernel_release", "kernel_version", "build_id")


def parse_meta(text):
    """meta.txt -> {key: [values]} in file order."""
    meta = OrderedDict()
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key and key.replace("_", "").isalnum():
            meta.setdefault(key, []).append(value)
    return meta


def parse_stress(text):
    """pmu-stress output (key=value lines) -> {key: int or str}."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


class Boot:
    """One boot's raw folder."""

    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "meta.txt"), encoding="utf-8") as f:
            self.meta = parse_meta(f.read())
        self.runs = {}
        self.stress = {}
        for name in sorted(os.listdir(path)):
            stem, ext = os.path.splitext(name)
            full = os.path.join(path, name)
            if ext == ".json":
                with open(full, encoding="utf-8") as f:
                    self.runs[stem] = json.load(f)
            elif ext == ".stress":
                with open(full, encoding="utf-8") as f:
                    self.stress[stem] = parse_stress(f.read())

    def get(self, key, default=""):
        values = self.meta.get(key)
        return values[0] if values else default

    def all(self, key):
        return list(self.meta.get(key, []))

    @property
    def label(self):
        return self.get("label", "unknown")

    @property
    def name(self):
        return "%s-%s" % (self.label, self.get("boot", "?"))

    def run_file(self, cell):
        return os.path.join(self.path, cell + ".json")

    def observed_side(self):
        """The patch side pmutrace saw in this boot's hold runs, else check's."""
        sides = {run["patch_side"]["side"] for cell, run in self.runs.items()
                 if cell.startswith("hold-") and run.get("patch_side")}
        if len(sides) == 1:
            return sides.pop()
        if len(sides) > 1:
            return "mixed (%s)" % ", ".join(sorted(sides))
        return self.get("patch_side_check", "unknown")


def find_boots(paths, tmpdir=None):
    """Boot folders under PATHS (folders, boot folders or tar archives).

    Archives are extracted into TMPDIR (a new temporary folder when None),
    which the caller removes."""
    boots = []
    for path in paths:
        if os.path.isfile(path):
            if tmpdir is None:
                tmpdir = tempfile.mkdtemp(prefix="pmutrace-report-")
            into = os.path.join(tmpdir, str(len(os.listdir(tmpdir))))
            os.mkdir(into)
            rawpack.extract(path, into)
            path = into
        if not os.path.isdir(path):
            raise ValueError("%s: not a folder or an archive" % path)
        found = sorted(root for root, _, files in os.walk(path) if "meta.txt" in files)
        if not found:
            raise ValueError("%s: holds no boot folder (no meta.txt)" % path)
        boots.extend(Boot(root) for root in found)
    return boots


def made_by(boots):
    """The command that made the raw set: a command.txt (written by
    report.sh) in a folder above a boot folder, up to its archive's top;
    None without one."""
    for b in boots:
        d = os.path.dirname(b.path)
        for _ in range(3):
            f = os.path.join(d, "command.txt")
            if os.path.isfile(f):
                with open(f, encoding="utf-8") as fh:
                    return fh.read().strip() or None
            d = os.path.dirname(d)
    return None


def started(boot):
    """When the boot's run started: the lab host's clock where there is one
    (a guest without an RTC driver believes it is 1970), else its own."""
    return boot.get("host_start") or boot.get("start")


def group(boots):
    """{label: [boots]}: before, after, stock, then other labels in order of
    appearance; each label's boots by start time."""
    groups = OrderedDict()
    for b in sorted(boots, key=lambda b: (started(b), b.name)):
        groups.setdefault(b.label, []).append(b)
    known = [k for k in ("before", "after", "stock") if k in groups]
    return OrderedDict((k, groups[k]) for k in known + [k for k in groups if k not in known])


def _distinct(boots, key):
    return sorted({"; ".join(b.all(key)) for b in boots})


def warnings(groups):
    """What makes the raw sets not comparable, one sentence each."""
    out = []
    boots = [b for bs in groups.values() for b in bs]
    for key in MACHINE_KEYS:
        values = _distinct(boots, key)
        if len(values) > 1:
            out.append("the raw sets differ in %s: %s" % (key, " | ".join(v or "(none)" for v in values)))
    for label, bs in groups.items():
        for key in KERNEL_KEYS:
            values = _distinct(bs, key)
            if len(values) > 1:
                out.append("%s boots differ in %s: %s" % (label, key, " | ".join(v or "(none)" for v in values)))
        for b in bs:
            side = b.observed_side()
            if label in ("before", "after") and side != label:
                out.append("%s is labelled %s but pmutrace observed patch side %s" % (b.name, label, side))
    names = [b.name for b in boots]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        out.append("boots given twice: " + ", ".join(dup))
    return out


def interleaved(groups, a, b):
    """True when the boots of A and B alternate in time (never two of one
    kernel in a row while the other still has boots to come)."""
    seq = [b_.label for b_ in sorted((x for k in (a, b) for x in groups.get(k, [])),
                                     key=started)]
    runs = sum(1 for i, lab in enumerate(seq) if i == 0 or seq[i - 1] != lab)
    n = min(seq.count(a), seq.count(b))
    return runs >= 2 * n - 1 if n else False
