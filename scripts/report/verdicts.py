"""The report's verdicts as `pmutrace compare --cells -f json` gives them: the
statistics (family, adjusted p, headline answers, detectable ratios) are all
computed in C; this module only prints them."""

import os
import subprocess


def cells_compare(pmutrace, before_dirs, after_dirs):
    """`pmutrace compare --cells -f json` of two lists of boot folders, run from
    the folder above them so that names read raw/LABEL-BOOT -> its stdout."""
    dirs = [os.path.abspath(d) for d in before_dirs + after_dirs]
    base = os.path.dirname(os.path.commonpath(dirs))
    rel = lambda ds: [os.path.relpath(os.path.abspath(d), base) for d in ds]
    exe = os.path.abspath(pmutrace) if os.sep in pmutrace else pmutrace
    cmd = [exe, "compare", "-f", "json", "--cells", "--before"] + rel(before_dirs) + \
        ["--after"] + rel(after_dirs)
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=base)
    if res.returncode != 0:
        raise RuntimeError("%s compare --cells: %s" % (pmutrace, res.stderr.strip()))
    return res.stdout


def family_line(doc):
    """One sentence naming the family the verdicts hold in."""
    f = doc.get("family") or {}
    how = ("each verdict from its raw p (--per-test)" if f.get("method") == "per-test" else
           "Benjamini-Hochberg adjusted at q = %s" % f.get("q"))
    return ("The verdicts hold as a family: %s, %d tests, %s. Rule: %s." % (
        f.get("name"), f.get("tests", 0), how, f.get("verdict_rule")))
