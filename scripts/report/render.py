#!/usr/bin/env python3
"""Render the before/after report from raw boot folders.

    python3 scripts/report/render.py [-o OUT] [--pmutrace BIN]
        [--before LABEL] [--after LABEL] RAW...

RAW: boot folders (each with meta.txt, from scripts/report/native-run.sh), a
folder of them, or a .tar/.tar.xz archive of them: lab boots or separate
boots of real hardware alike. Boots are grouped by their mode (QEMU's clock,
lab_mode= of lab-boot.sh: scripts/report/modes.py), then by kernel label;
in each mode BEFORE and AFTER (default "before", "after") are compared by
`pmutrace compare -f json`, each boot one run, and every other label is
shown beside them. Writes OUT/README.md, OUT/summary.txt and OUT/*.svg;
every figure comes from RAW. --readme FILE also puts summary.txt into FILE
between the lines "<!-- summary.txt -->" and "<!-- /summary.txt -->".
--insns RAW adds the section "Path length (instructions, exact)" from the raw
counts of `make bench-rcu-insns` (the archive docs/performance/raw.tar.xz, or
a folder of kernels like its raw/insns/), which these boots do not hold.
--inline DIR adds "The readers themselves (inline sites)" from a run of
tests/inline-patch-e2e.sh (docs/inline/patch: scripts/report/readers.py).
Exit 0, 1 when the raw data cannot be read or compare fails, 2 bad usage.
"""

import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import figures as fg  # noqa: E402
import modes  # noqa: E402
import page  # noqa: E402
import readers  # noqa: E402
import rawset  # noqa: E402
import summary  # noqa: E402
import svg  # noqa: E402
import text  # noqa: E402
import verdicts as vd  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from scripts.bench import insns as bench_insns  # noqa: E402
from scripts.bench import rawpack  # noqa: E402
from scripts.bench import spans as bench_spans  # noqa: E402


def path_length(insns, out):
    """The section from make bench-rcu-insns's raw counts: INSNS is their folder
    (<kernel>-before, -after) or the archive docs/performance/raw.tar.xz (its
    raw/insns/), linked relative to OUT -> (lines, (operation rows, span
    rows) of the first pair, for the summary); ValueError when there are none."""
    with rawpack.opened(insns) as top:
        archived = not os.path.isdir(insns)
        d = os.path.join(top, "insns") if archived else top
        pairs = bench_insns.rcu_pairs(d) if os.path.isdir(d) else []
        if not pairs:
            raise ValueError("%s: no <kernel>-before and -after folders of make bench-rcu-insns"
                             % insns)
        rel = os.path.relpath(insns, out)
        name = lambda k: (rawpack.TOP + "/insns/" if archived else "") + os.path.basename(k)
        lines = []
        rows = (bench_insns.rcu_rows(*pairs[0]), bench_spans.rows(*pairs[0]))
        for b, a in pairs:
            sec = bench_insns.rcu_section(b, a, heading="## Path length (instructions, exact)")
            lines += sec[:2] + ["Not from the boots above: guest instructions counted by a QEMU "
                                "plugin, from the raw counts in [%s](%s) (`%s`, `%s`)." % (
                                    rel, rel, name(b), name(a)), ""] + sec[2:]
    return lines, rows


def comparisons(pmutrace, groups, a, b, cells):
    """({cell: compare JSON}, the whole document) for the cells both sides ran:
    one `pmutrace compare --cells` of the boot folders, so that every verdict
    and the headline answers hold as one family."""
    boot_dir = lambda x: os.path.dirname(x.run_file(next(iter(x.runs))))
    doc = json.loads(vd.compare(pmutrace, [boot_dir(x) for x in groups.get(a, [])],
                                [boot_dir(x) for x in groups.get(b, [])], cells=True))
    return {c: v for c, v in doc.get("cells", {}).items() if c in cells}, doc


def strip_svgs(out, groups, cells, cmp, prefix=""):
    """One strip plot per scenario cell: per-boot p50 and p99."""
    written = {}
    for cell in cells:
        scenario, threads, hold = fg.parse_cell(cell)
        if hold or cell not in cmp:
            continue
        target = fg.MAIN_TARGET.get(scenario)
        panels = []
        for stat in ("p50", "p99"):
            cols = []
            for label, boots in groups.items():
                vals = [text.boot_stat(x.runs[cell], target, stat) for x in boots if cell in x.runs]
                cols.append((label, vals))
            panels.append(("%s %s" % (target, stat), cols))
        name = "%s%s-boots.svg" % (prefix, cell)
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(svg.strip_plot("%s%s: one dot per boot" % (
                cell, ", " + modes.name(prefix.rstrip("-")) if prefix else ""), panels))
        written[cell] = name
    return written


def hist_svgs(pmutrace, out, groups, a, b, cells, prefix=""):
    written = {}
    for cell in cells:
        scenario, threads, hold = fg.parse_cell(cell)
        if hold:
            continue
        fa = [x.run_file(cell) for x in groups.get(a, []) if cell in x.runs]
        fb = [x.run_file(cell) for x in groups.get(b, []) if cell in x.runs]
        if not (fa and fb):
            continue
        name = "%s%s.svg" % (prefix, cell)
        vd.compare(pmutrace, fa, fb, "svg", out=os.path.join(out, name))
        written[cell] = name
    return written


def write(path, doc):
    """PATH replaced whole, never half-written."""
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(doc)
    os.replace(path + ".tmp", path)


BEGIN, END = "<!-- summary.txt -->", "<!-- /summary.txt -->"


def with_summary(readme, txt):
    """README's text with its block between BEGIN and END made TXT, fenced
    as text; ValueError without exactly one such block."""
    with open(readme, encoding="utf-8") as f:
        doc = f.read()
    if doc.count(BEGIN) != 1 or doc.count(END) != 1 or doc.index(BEGIN) > doc.index(END):
        raise ValueError("%s: needs one line %s and one %s after it" % (readme, BEGIN, END))
    head, rest = doc.split(BEGIN, 1)
    return head + BEGIN + "\n```text\n" + txt + "```\n" + END + rest.split(END, 1)[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw", nargs="+")
    ap.add_argument("-o", "--out", default="docs/report")
    ap.add_argument("--pmutrace", default="build/x86/pmutrace")
    ap.add_argument("--before", default="before")
    ap.add_argument("--after", default="after")
    ap.add_argument("--command", default=None,
                    help="how the raw data was made, named in the report (default: the "
                    "raw set's command.txt)")
    ap.add_argument("--insns", default=None, metavar="RAW",
                    help="make bench-rcu-insns's raw counts: adds the path length section")
    ap.add_argument("--inline", default=None, metavar="DIR",
                    help="a run of tests/inline-patch-e2e.sh: adds the readers' own bodies")
    ap.add_argument("--readme", default=None, metavar="FILE",
                    help="put summary.txt into FILE between its summary.txt marker lines")
    args = ap.parse_args(argv)
    tmp = None
    try:
        import tempfile
        tmp = tempfile.mkdtemp(prefix="pmutrace-report-")
        try:
            boots = rawset.find_boots(args.raw, tmp)
        except (OSError, ValueError) as e:
            print("render: %s" % e, file=sys.stderr)
            return 1
        try:
            extra, paths = path_length(args.insns, args.out) if args.insns else ([], ([], []))
            inline = readers.section(args.inline, args.out) if args.inline else []
        except (OSError, ValueError, KeyError) as e:
            print("render: %s" % e, file=sys.stderr)
            return 1
        os.makedirs(args.out, exist_ok=True)
        per_mode = {}
        for mode, mboots in modes.split(boots).items():
            groups = rawset.group(mboots)
            for label in (args.before, args.after):
                if label not in groups:
                    print("render: no boot labelled %s in mode %s (labels: %s)" % (
                        label, mode, ", ".join(groups)), file=sys.stderr)
                    return 1
            cells = fg.cells(mboots)
            try:
                cmp, whole = comparisons(args.pmutrace, groups, args.before, args.after, cells)
                svgs = hist_svgs(args.pmutrace, args.out, groups, args.before, args.after, cells,
                                 mode + "-")
            except (OSError, RuntimeError, ValueError) as e:
                print("render: compare failed: %s" % e, file=sys.stderr)
                return 1
            strips = strip_svgs(args.out, groups, cells, cmp, mode + "-")
            per_mode[mode] = page.ModeData(mode, groups, cells, cmp, svgs, strips, whole)
        raw_links = [os.path.relpath(r, args.out) for r in args.raw]
        command = args.command or rawset.made_by(boots)
        doc, facts, cm = page.report(per_mode, args.before, args.after, raw=raw_links,
                                     command=command,
                                     raw_cmd=(["--insns", args.insns] if args.insns else [])
                                     + (["--inline", args.inline] if args.inline else [])
                                     + args.raw, extra=extra, inline=inline)
        named = ["boots: %s (make report-render renders them again)" % ", ".join(args.raw)]
        if args.insns:
            named.append("instruction counts: %s (make bench-rcu-insns)" % args.insns)
        if args.inline:
            named.append("inline sites: %s (tests/inline-patch-e2e.sh)" % args.inline)
        txt = summary.build(per_mode, args.before, args.after, cm, paths, named, command, facts)
        try:
            readme = with_summary(args.readme, txt) if args.readme else None
        except (OSError, ValueError) as e:
            print("render: %s" % e, file=sys.stderr)
            return 1
        write(os.path.join(args.out, "summary.txt"), txt)
        path = os.path.join(args.out, "README.md")
        write(path, doc)
        if readme:
            write(args.readme, readme)
        print("render: wrote %s from %d boots (%s)" % (path, len(boots), "; ".join(
            "%s: %s" % (m, ", ".join("%s %d" % (k, len(v)) for k, v in md.groups.items()))
            for m, md in per_mode.items())), file=sys.stderr)
        return 0
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
