"""The report's verdicts as `pmutrace compare --cells -f json` gives them: the
statistics (family, adjusted p, headline answers, detectable ratios) are all
computed in C; this module only runs compare (also for its SVG figures) and
prints them."""

import os
import subprocess


def compare(pmutrace, before, after, fmt="json", cells=False, out=None):
    """`pmutrace compare -f FMT` of two lists of run files, or with CELLS
    `--cells` of boot folders, run from the folder above the raw set so that
    names read raw/LABEL-BOOT[/CELL.json] (an archive's temporary folder never
    shows) -> its stdout."""
    paths = [os.path.abspath(p) for p in before + after]
    base = os.path.dirname(os.path.commonpath(paths))
    rel = lambda ps: [os.path.relpath(os.path.abspath(p), base) for p in ps]
    exe = os.path.abspath(pmutrace) if os.sep in pmutrace else pmutrace
    how = ["-f", fmt] + (["--cells"] if cells else [])
    cmd = [exe, "compare"] + how + (["-o", os.path.abspath(out)] if out else [])
    res = subprocess.run(cmd + ["--before"] + rel(before) + ["--after"] + rel(after),
                         capture_output=True, text=True, check=False, cwd=base)
    if res.returncode != 0:
        raise RuntimeError("%s compare %s: %s" % (pmutrace, " ".join(how), res.stderr.strip()))
    return res.stdout


def family_line(doc):
    """One sentence naming the family the verdicts hold in."""
    f = doc.get("family") or {}
    how = ("each verdict from its raw p (--per-test)" if f.get("method") == "per-test" else
           "Benjamini-Hochberg adjusted at q = %s" % f.get("q"))
    return ("The verdicts hold as a family: %s, %d tests, %s. Rule: %s." % (
        f.get("name"), f.get("tests", 0), how, f.get("verdict_rule")))
