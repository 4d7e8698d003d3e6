# SPDX-License-Identifier: GPL-2.0
"""The readers' own path length, before vs after the RCU patch: each reader
function counted with its callees by tools/insn-count's span= (keys
NAME.calls, NAME.incl and NAME.in.RANGE of make bench-rcu-insns's windows),
and of that, the instructions in the lock's functions and in RCU's."""
import statistics

from scripts.bench import insnraw

# (workload, the operation, the reader function, what is inlined into it)
READERS = [
    ("ce", "KVM_CHECK_EXTENSION(KVM_CAP_ARM_PMU_V3)", "kvm_supports_guest_pmuv3", ""),
    ("sp", "KVM_SET_DEVICE_ATTR(SET_PMU)", "kvm_arm_pmu_v3_set_attr", "kvm_arm_pmu_v3_set_pmu"),
    ("vi", "new VM + vCPU + KVM_ARM_VCPU_INIT", "kvm_arm_set_default_pmu",
     "kvm_pmu_probe_armpmu"),
]


def _in(c, name, n, names):
    """Instructions per call of NAME spent in the ranges NAMES (up to a '.')."""
    pre = name + ".in."
    return sum(v for k, v in c.items() if k.startswith(pre) and not k.endswith(".entries")
               and k[len(pre):].split(".", 1)[0] in names) / n


def per_call(d, workload, name):
    """One boot: (with callees, in mutex_* incl. slow paths, in RCU) per call
    of NAME in the round with the fewest; None without span counts."""
    best = None
    lock = [n for key, _, lk, ul in insnraw.LOCK_FUNCS if key != "rcu" for n in lk + ul]
    rcu = [n for key, _, lk, ul in insnraw.LOCK_FUNCS if key == "rcu" for n in lk + ul]
    for w, c in insnraw.good_windows(d):
        n = c.get(name + ".calls")
        if w["variant"] != "none" or w["workload"] != workload or not n:
            continue
        x = (c[name + ".incl"] / n, _in(c, name, n, lock), _in(c, name, n, rcu))
        best = x if best is None or x[0] < best[0] else best
    return best


def rows(before, after):
    """[(operation, function, inlined, (with callees, in mutex_*, in RCU)
    before, the same after)], medians over the boots; readers without
    span counts on both sides are left out."""
    out = []
    for w, op, fn, inl in READERS:
        sides = []
        for k in (before, after):
            xs = [x for x in (per_call(b, w, fn) for b in insnraw.boots(k)) if x]
            sides.append(tuple(statistics.median(v) for v in zip(*xs)) if xs else None)
        if None not in sides:
            out.append((op, fn, inl, sides[0], sides[1]))
    return out


def share(x, total):
    return "%s (%.0f%%)" % (f"{x:,.1f}", 100 * x / total) if total else "-"


def section(before, after):
    """Markdown lines for the before/after raw folders; [] without spans."""
    rs = []
    for op, fn, inl, (b, bl, br), (a, al, ar) in rows(before, after):
        rs.append(f"| {op} | `{fn}`" + (f" (`{inl}` inlined)" if inl else "") +
                  f" | {b:,.1f} | {a:,.1f} | {a - b:+,.1f} | {share(bl, b)} → "
                  f"{share(al, a)} | {br:,.1f} → {ar:,.1f} |")
    if not rs:
        return []
    return ["Each reader function with its callees: every instruction from its entry to its "
            "`ret` (`tools/insn-count` `span=`, `BENCH_SPANS` of `make bench-rcu-insns`), per "
            "call, the least of each boot's rounds, median over the boots. The lock's share is "
            "the instructions inside that span in the `mutex_*` functions and their slow paths, "
            "RCU's those in `__rcu_read_lock`/`__rcu_read_unlock`.", "",
            "| operation | reader function | before | after | after − before | "
            "in `mutex_*`, before → after | in `__rcu_read_*`, before → after |",
            "|---|---|---|---|---|---|---|"] + rs + [""]
