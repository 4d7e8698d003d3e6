# SPDX-License-Identifier: GPL-2.0
"""python3 -m scripts.bench.rt RAW/rt: pmutrace's untimed share and the
exactness check per kernel and thread count (scripts/bench/bench-rt.sh)."""
import json
import os
import re
import sys

TARGET = "kvm_supports_guest_pmuv3"


def run_figures(d, stem):
    """(calls, count, timed, missed_entry, missed_exit) of one run, or None."""
    try:
        stress = dict(line.strip().split("=", 1) for line in open(os.path.join(d, stem + ".stress"))
                      if "=" in line)
        doc = json.load(open(os.path.join(d, stem + ".json")))
    except (OSError, ValueError):
        return None
    t = next((x for x in doc["targets"] if x["name"] == TARGET), None)
    if t is None or int(stress.get("failed.KVM_CHECK_EXTENSION", "1")) != 0:
        return None
    return (int(stress["derived." + TARGET]), t["count"], t["timed"],
            t["missed"]["entry"], t["missed"]["exit"])


def render(raw):
    """Markdown lines: one table row per kernel and thread count."""
    L = ["| kernel | threads | runs | calls | untimed share (per run) | count + missed exits == calls |",
         "|---|---|---|---|---|---|"]
    for k in sorted(os.listdir(raw)):
        d = os.path.join(raw, k)
        stems = sorted({f.rsplit(".", 1)[0] for f in os.listdir(d) if f.endswith(".json")})
        by_t = {}
        for s in stems:
            m = re.fullmatch(r"t(\d+)-r(\d+)", s)
            if m:
                by_t.setdefault(int(m.group(1)), []).append(run_figures(d, s))
        for t in sorted(by_t):
            rs = [r for r in by_t[t] if r]
            shares = [(c - timed) / c for c, _, timed, _, _ in rs if c]
            exact = all(cnt + mx == c for c, cnt, _, _, mx in rs)
            L.append(f"| {k} | {t} | {len(rs)} | {sum(r[0] for r in rs):,} | "
                     f"{', '.join(f'{100 * x:.2f}%' for x in shares)} | "
                     f"{'yes' if exact and rs else 'no'} |")
    return L


if __name__ == "__main__":
    print("\n".join(render(sys.argv[1] if len(sys.argv) > 1 else "docs/performance/raw/rt")))
