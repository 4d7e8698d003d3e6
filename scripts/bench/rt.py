# SPDX-License-Identifier: GPL-2.0
"""python3 -m scripts.bench.rt [RAW/rt | ARCHIVE]: pmutrace's untimed share and
the exactness check per kernel and thread count (scripts/bench/bench-rt.sh),
from a folder of kernels or an archive's raw/rt/ (default
docs/performance/raw.tar.xz)."""
import json
import os
import re
import sys
from scripts.bench import rawpack, read_lines, read_text

TARGET = "kvm_supports_guest_pmuv3"


def run_figures(d, stem):
    """(probe, calls, count, timed, missed_entry, missed_exit) of one run, or
    None; the probe kind as the run's JSON says it."""
    try:
        stress = dict(line.strip().split("=", 1) for line in read_lines(os.path.join(d, stem + ".stress"))
                      if "=" in line)
        doc = json.loads(read_text(os.path.join(d, stem + ".json")))
    except (OSError, ValueError):
        return None
    t = next((x for x in doc["targets"] if x["name"] == TARGET), None)
    if t is None or int(stress.get("failed.KVM_CHECK_EXTENSION", "1")) != 0:
        return None
    return (t["attach"]["probe"], int(stress["derived." + TARGET]), t["count"], t["timed"],
            t["missed"]["entry"], t["missed"]["exit"])


def median(xs):
    s = sorted(xs)
    n = len(s)
    return (s[(n - 1) // 2] + s[n // 2]) / 2 if n else float("nan")


def rows_of(raw):
    """{(kernel, threads, label): [run figures]}; label is the run's name
    (default, or a probe kind forced with PMUTRACE_PROBE) or, in older raw
    data without one, the probe kind the JSON says."""
    rows = {}
    for k in sorted(os.listdir(raw)):
        d = os.path.join(raw, k)
        stems = sorted({f.rsplit(".", 1)[0] for f in os.listdir(d) if f.endswith(".json")})
        for s in stems:
            m = re.fullmatch(r"(?:(\w+)-)?t(\d+)-r(\d+)", s)
            r = run_figures(d, s) if m else None
            if r:
                rows.setdefault((k, int(m.group(2)), m.group(1) or r[0]), []).append(r)
    return rows


def untimed_shares(rs):
    return [(c - timed) / c for _, c, _, timed, _, _ in rs if c]


def render(raw):
    """Markdown lines: one table row per kernel, thread count and run kind."""
    L = ["| kernel | threads | run (probe) | runs | calls | untimed share: median (per run) "
         "| missed entries / exits | count + missed exits == calls |",
         "|---|---|---|---|---|---|---|---|"]
    rows = rows_of(raw)
    for (k, t, label) in sorted(rows):
        rs = rows[(k, t, label)]
        probes = sorted({r[0] for r in rs})
        what = label if probes == [label] else f"{label} ({', '.join(probes)})"
        shares = untimed_shares(rs)
        exact = all(cnt + mx == c for _, c, cnt, _, _, mx in rs)
        L.append(f"| {k} | {t} | {what} | {len(rs)} | {sum(r[1] for r in rs):,} | "
                 f"{100 * median(shares):.2f}% ({', '.join(f'{100 * x:.2f}%' for x in shares)}) | "
                 f"{sum(r[4] for r in rs):,} / {sum(r[5] for r in rs):,} | "
                 f"{'yes' if exact and rs else 'no'} |")
    return L


def goal(raw, threads=4, limit=0.10):
    """The goal's line: default mode's worst untimed share with THREADS
    threads, on each kernel whose name says rt."""
    rows = rows_of(raw)
    got = [(k, max(untimed_shares(rs)), sorted({r[0] for r in rs}))
           for (k, t, label), rs in sorted(rows.items())
           if label == "default" and t == threads and "-rt-" in k and untimed_shares(rs)]
    if not got:
        return f"Goal (under {100 * limit:.0f}% untimed, {threads} threads): not measured in this run."
    return " ".join(
        f"**Goal {'met' if w < limit else 'missed'}** on {k}: default mode ({', '.join(p)}) leaves at most "
        f"{100 * w:.2f}% of the calls untimed with {threads} threads (goal: under {100 * limit:.0f}%)."
        for k, w, p in got)


def main(argv):
    path = argv[1] if len(argv) > 1 else "docs/performance/raw.tar.xz"
    with rawpack.opened(path) as d:
        print("\n".join(render(d if os.path.isdir(path) else os.path.join(d, "rt"))))


if __name__ == "__main__":
    main(sys.argv)
