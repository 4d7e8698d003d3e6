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
                  "no latency. Goal: under 10% with 4 threads. Each run starts pmutrace once per "
                  "probe kind in turn (`BENCH_RT_PROBES`, default fsession then fentry, the latter "
                  "forced with `PMUTRACE_PROBE=fentry`). Raw data: `raw/rt/<kernel>/` in the archive.", ""]
        lines += rt.render(os.path.join(raw, "rt"))
        lines += ["", "Why the goal is missed, and why pmutrace cannot meet it alone: PREEMPT_RT runs "
                  "BPF programs preemptible (migration off, preemption on). The trampoline's recursion "
                  "guard is per program and per CPU, so a program preempted mid-run stays active on its "
                  "CPU, and the kernel skips it for every call another task makes there until the "
                  "preempted one runs again, often a whole time slice of calls. With fsession one "
                  "program serves both sides, so a skipped call is skipped whole (missed entries equal "
                  "missed exits above); fentry/fexit are two programs, each guarding its own side. "
                  "The share follows how often the scheduler switches tasks while a program runs, so "
                  "it is 0 with one thread per vCPU and large when threads share a vCPU, and it moves "
                  "a lot from run to run. A shorter program narrows the window only in proportion. "
                  "Keeping preemption off inside the program (the `bpf_preempt_disable()` kfunc) was "
                  "tried, and not kept: it does not help, because the deferred preemption then happens at "
                  "`bpf_preempt_enable()`, still inside the guarded window. Every skip is counted "
                  "exactly (count + missed exits == calls in every run); the fix would be a per-task "
                  "guard in the kernel on PREEMPT_RT."]
    with open(doc, "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")


if __name__ == "__main__":
    main(sys.argv)
