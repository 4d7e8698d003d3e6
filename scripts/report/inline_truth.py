"""The inline sites' ground truth over repeated boots: the tables of the
README's "Inlined functions, timed at their inline sites", from the raw files
`make inline-truth RUNS=N` keeps (scripts/report/inline-truth.sh):
RAW/boot<N>/{before,after}/ of one run of tests/inline-patch-e2e.sh each,
with ok.json, enxio.json (pmutrace at the inline sites), insns.txt (the
plugin's windows) and sites.txt (pmutrace-sites' table).

python3 scripts/report/inline_truth.py [--tol N] RAW  prints the markdown."""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import readers  # noqa: E402

TOL = 10  # tests/inline-patch-e2e.sh's


def boots(raw):
    """RAW's boot folders, in boot order; ValueError when there is none."""
    found = sorted((int(m.group(1)), d) for d in os.listdir(raw)
                   for m in [re.fullmatch(r"boot(\d+)", d)] if m)
    if not found:
        raise ValueError("%s: no boot<N> folder (make inline-truth)" % raw)
    return [os.path.join(raw, d) for _, d in found]


def mnemonic(word):
    """A few A64 words by name (the readers' entries), else the hex word."""
    for mask, value, name in ((0xfc000000, 0x94000000, "bl"), (0x9f000000, 0x90000000, "adrp"),
                              (0x7fe0ffe0, 0x2a0003e0, "mov"), (0x7f800000, 0x52800000, "mov"),
                              (0x7fc00000, 0x29000000, "stp")):
        if word & mask == value:
            return name
    return "%08x" % word


def entry(sites, name):
    """The instruction word at NAME's instance 0 entry in a sites.txt."""
    with open(sites) as f:
        for line in f:
            w = line.split()
            if w[:4] == ["site", name, "0", "entry"]:
                return int(w[5], 16)
    raise ValueError("%s: no entry of %s" % (sites, name))


def boot_side(d):
    """One boot's side -> one dict per readers.ROWS entry: plugin (the least
    untraced pair, None when the plugin saw none), fast (the bias-corrected
    fast path, None when not corrected), cost (what the entry kprobe adds:
    the least traced pair less the least untraced), insn, cls (its class);
    and the calibration pairs' fast-path means by class."""
    wins = readers.windows(os.path.join(d, "insns.txt"))
    rows = []
    for _, name, run, _, w, pair in readers.ROWS:
        plugin, cost = readers.plugin_pair(wins, w, pair)
        t = readers.target(os.path.join(d, run + ".json"), name)
        if t["attach"]["mode"] != "inline":
            raise ValueError("%s: %s timed %s, not inline" % (d, name, t["attach"]["mode"]))
        body = t["attach"]["body_ns"]
        ent = [s for s in t["attach"]["sites"] if s["kind"] == "entry" and s["instance"] == 0]
        rows.append({"plugin": plugin,
                     "fast": body["fast_path"] if body else None,
                     "cost": cost,
                     "insn": entry(os.path.join(d, "sites.txt"), name),
                     "cls": ent[0].get("class") if ent else None})
    with open(os.path.join(d, "ok.json")) as f:
        calib = {c["class"]: c["fast_mean_ns"] for c in json.load(f).get("inline_calibration", [])}
    return rows, calib


def span(values):
    """'a' or 'a–b' of the numbers among VALUES; '–' for none."""
    got = [v for v in values if v is not None]
    if not got:
        return "–"
    lo, hi = min(got), max(got)
    return str(lo) if lo == hi else "%s–%s" % (lo, hi)


def tables(raw, tol=TOL):
    """The markdown lines: bodies per boot, then the calibration pairs."""
    dirs = boots(raw)
    got = {s: [boot_side(os.path.join(d, s)) for d in dirs] for s in readers.SIDES}
    n = len(dirs)
    heads = " | ".join("boot %d" % (i + 1) for i in range(n))
    lines = ["| kernel | body | entry instruction | plugin | %s | within ±%d |" % (heads, tol),
             "|---|---|---|---:|" + "---:|" * n + "---:|"]
    for side in readers.SIDES:
        for i, (what, *_) in enumerate(readers.ROWS):
            per = [b[0][i] for b in got[side]]
            ins = {(mnemonic(r["insn"]), r["cls"]) for r in per}
            near = sum(1 for r in per if r["fast"] is not None and r["plugin"] is not None
                       and abs(r["fast"] - r["plugin"]) <= tol)
            lines.append("| %s | %s | %s | %s | %s | %d of %d |" % (
                side, what, ", ".join("`%s` (%s)" % (m, c or "?") for m, c in sorted(ins)),
                span(r["plugin"] for r in per),
                " | ".join("–" if r["fast"] is None else "%.1f" % r["fast"] for r in per), near, n))
    classes = sorted({c for side in got.values() for _, cal in side for c in cal})
    lines += ["", "| kernel | what | %s |" % heads, "|---|---|" + "---:|" * n]
    for side in readers.SIDES:
        for c in classes:
            lines.append("| %s | %s pair (ns, fast path) | %s |" % (side, c, " | ".join(
                "–" if cal.get(c) is None else "%.1f" % cal[c] for _, cal in got[side])))
        for i, (what, *_) in enumerate(readers.ROWS):
            lines.append("| %s | %s: its entry kprobe adds (instructions) | %s |" % (
                side, what, " | ".join(span([rows[i]["cost"]]) for rows, _ in got[side])))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tol", type=int, default=TOL, help="instructions (default %d)" % TOL)
    ap.add_argument("raw", help="the boots' folder (docs/inline/patch/runs)")
    args = ap.parse_args()
    try:
        print("\n".join(tables(args.raw, args.tol)))
    except (OSError, ValueError, KeyError, IndexError) as e:
        sys.exit("inline_truth: %s" % e)


if __name__ == "__main__":
    main()
