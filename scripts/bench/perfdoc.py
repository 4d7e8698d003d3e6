# SPDX-License-Identifier: GPL-2.0
"""python3 -m scripts.bench.perfdoc [RAW [DOC]]: render docs/performance.md
from the committed raw data, the archive docs/performance/raw.tar.xz (or RAW,
an archive or an unpacked folder): the timing benchmark (scripts/bench/bench.sh,
the archive's top-level files), the instruction counts
(scripts/bench/bench-insns.sh, raw/insns/) and PREEMPT_RT's untimed share
(scripts/bench/bench-rt.sh, raw/rt/)."""
import sys

import os

from scripts.bench import insns, rawpack, rt, timing

ARCHIVE = "docs/performance/raw.tar.xz"


def main(argv):
    with rawpack.opened(argv[1] if len(argv) > 1 else ARCHIVE) as raw:
        write(raw, argv[2] if len(argv) > 2 else "docs/performance.md")


def write(raw, doc):
    """DOC from the unpacked raw folder RAW."""
    lines = timing.render(raw) + [""] + insns.render(raw)
    if os.path.isdir(os.path.join(raw, "rt")):
        lines += ["", "## PREEMPT_RT: calls left untimed", "",
                  "Command: `scripts/bench/bench-rt.sh` (Debian sid's cloud and rt-arm64 kernels, 2 vCPUs, "
                  "pmutrace default mode, `pmu-stress -t THREADS check-ext`). Untimed: calls whose "
                  "entry run the kernel skipped (recursion protection), so they are counted but have "
                  "no latency. Each run starts pmutrace once per kind in turn (`BENCH_RT_PROBES`): "
                  "default mode as shipped (kprobes on PREEMPT_RT, fsession elsewhere), then fsession "
                  "and fentry/fexit forced with `PMUTRACE_PROBE`. Raw data: `raw/rt/<kernel>/` in the "
                  "archive.", ""]
        lines += rt.render(os.path.join(raw, "rt"))
        lines += ["", rt.goal(os.path.join(raw, "rt")), "",
                  "Why pmutrace uses kprobes on PREEMPT_RT: that kernel runs trampoline programs "
                  "(fentry, fexit, fsession) preemptible, with migration off. The trampoline's recursion "
                  "guard is per program and per CPU, so a program preempted mid-run stays active on its "
                  "CPU, and the kernel skips it for every call another task makes there until the "
                  "preempted one runs again, often a whole time slice of calls: the forced fsession and "
                  "fentry rows above. Keeping preemption off inside the program (the "
                  "`bpf_preempt_disable()` kfunc) was tried and did not help: the deferred preemption "
                  "then happens at `bpf_preempt_enable()`, still inside the guarded window. Kprobe "
                  "handlers run with preemption off, so no other task's call can find the program "
                  "active. The price is the kprobe's path: see the PREEMPT_RT rows of the instruction "
                  "table. `pmutrace --hold` needs fentry and keeps fsession there, and says so."]
    with open(doc, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


if __name__ == "__main__":
    main(sys.argv)
