# SPDX-License-Identifier: GPL-2.0
"""python3 -m scripts.bench.perfdoc [RAW [DOC]]: render docs/performance.md
from the committed raw data (docs/performance/raw): the timing benchmark
(scripts/bench/bench.sh) and the instruction counts (scripts/bench/bench-insns.sh)."""
import sys

import os

from scripts.bench import insns, rt, timing


def main(argv):
    raw = argv[1] if len(argv) > 1 else "docs/performance/raw"
    doc = argv[2] if len(argv) > 2 else "docs/performance.md"
    lines = timing.render(raw) + [""] + insns.render(raw)
    if os.path.isdir(os.path.join(raw, "rt")):
        lines += ["", "## PREEMPT_RT: calls left untimed", "",
                  "Command: `scripts/bench/bench-rt.sh` (Debian sid's cloud and rt-arm64 kernels, 2 vCPUs, "
                  "pmutrace default mode, `pmu-stress -t THREADS check-ext`). Untimed: calls whose "
                  "entry run the kernel skipped (recursion protection), so they are counted but have "
                  "no latency. Goal: under 10% with 4 threads.", ""]
        lines += rt.render(os.path.join(raw, "rt"))
    with open(doc, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


if __name__ == "__main__":
    main(sys.argv)
