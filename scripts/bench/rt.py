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


def render(raw):
    """Markdown lines: one table row per kernel, thread count and probe kind.
    Runs are [PROBE-]tTHREADS-rRUN (older raw data has no probe in the name)."""
    L = ["| kernel | threads | probe | runs | calls | untimed share: median (per run) "
         "| missed entries / exits | count + missed exits == calls |",
         "|---|---|---|---|---|---|---|---|"]
    for k in sorted(os.listdir(raw)):
        d = os.path.join(raw, k)
        stems = sorted({f.rsplit(".", 1)[0] for f in os.listdir(d) if f.endswith(".json")})
        rows = {}
        for s in stems:
            m = re.fullmatch(r"(?:\w+-)?t(\d+)-r(\d+)", s)
            r = run_figures(d, s) if m else None
            if r:
                rows.setdefault((int(m.group(1)), r[0]), []).append(r[1:])
        for (t, probe) in sorted(rows):
            rs = rows[(t, probe)]
            shares = [(c - timed) / c for c, _, timed, _, _ in rs if c]
            exact = all(cnt + mx == c for c, cnt, _, _, mx in rs)
            L.append(f"| {k} | {t} | {probe} | {len(rs)} | {sum(r[0] for r in rs):,} | "
                     f"{100 * median(shares):.2f}% ({', '.join(f'{100 * x:.2f}%' for x in shares)}) | "
                     f"{sum(r[3] for r in rs):,} / {sum(r[4] for r in rs):,} | "
                     f"{'yes' if exact and rs else 'no'} |")
    return L


def main(argv):
    path = argv[1] if len(argv) > 1 else "docs/performance/raw.tar.xz"
    with rawpack.opened(path) as d:
        print("\n".join(render(d if os.path.isdir(path) else os.path.join(d, "rt"))))


if __name__ == "__main__":
    main(sys.argv)
