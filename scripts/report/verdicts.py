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


def _num(v):
    return "%.3g" % v


def detectable(st):
    """"could detect >= x1.6" from the statistic's detectable_ratio, or ""."""
    r = (st or {}).get("detectable_ratio")
    if r is None:
        return ""
    if r == "inf":
        return "; could not detect even x1000"
    return "; could detect >= x%.2f" % r


def verdict(st):
    """The verdict cell: the word, raw and adjusted p, and what "no change
    shown" could have shown; or compare's reason for none."""
    if not st:
        return "-"
    v = st.get("verdict")
    if not v or st.get("p_adjusted") is None:
        return st.get("note") or "-"
    word = "**%s**" % v if v in ("lower", "higher") else v
    return "%s (p %s, adjusted %s%s)" % (word, _num(st["p"]), _num(st["p_adjusted"]),
                                        detectable(st) if v == "no change shown" else "")


def family_line(doc):
    """One sentence naming the family the verdicts hold in."""
    f = doc.get("family") or {}
    how = ("each verdict from its raw p (--per-test)" if f.get("method") == "per-test" else
           "Benjamini-Hochberg adjusted at q = %s" % f.get("q"))
    return ("The verdicts hold as a family: %s, %d tests, %s. Rule: %s." % (
        f.get("name"), f.get("tests", 0), how, f.get("verdict_rule")))


def headline_table(doc, a, b, fmt_ns=_num):
    """The section of headline answers: one test per question over per-boot
    figures of all cells; FMT_NS prints a time."""
    out = ["## Headline: all cells together", "",
           "One answer per question, each boot one value over all its cells (`pmutrace compare "
           "--cells`; the boot stays the replicate, so per-boot figures rather than van "
           "Elteren's cell strata, which would count one boot's cells as independent). "
           + family_line(doc), "",
           "| question | %s | %s | ratio | verdict | per boot |" % (a, b),
           "|---|---:|---:|---|---|---|"]
    for h in doc.get("headline", []):
        r = "-" if h.get("ratio") is None else _num(h["ratio"])
        if h.get("lo") is not None and h.get("hi") is not None:
            r += " [%s, %s]" % (_num(h["lo"]), _num(h["hi"]))
        f = fmt_ns if h.get("unit") == "ns" else _num
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            h["question"], "-" if h.get("before") is None else f(h["before"]),
            "-" if h.get("after") is None else f(h["after"]), r, verdict(h),
            h.get("per_boot", "")))
    out.append("")
    return out
