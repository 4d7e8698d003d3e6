# SPDX-License-Identifier: GPL-2.0
"""python3 -m scripts.bench.perfdoc [RAW [DOC]]: render docs/performance.md
from the committed raw data (docs/performance/raw): the timing benchmark
(scripts/bench.sh) and the instruction counts (scripts/bench-insns.sh)."""
import sys

from scripts.bench import insns, timing


def main(argv):
    raw = argv[1] if len(argv) > 1 else "docs/performance/raw"
    doc = argv[2] if len(argv) > 2 else "docs/performance.md"
    lines = timing.render(raw) + [""] + insns.render(raw)
    with open(doc, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


if __name__ == "__main__":
    main(sys.argv)
