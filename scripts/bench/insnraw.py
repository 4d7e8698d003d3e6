# SPDX-License-Identifier: GPL-2.0
"""The raw files of make bench-insns, read, and their figures over boots
(insns.py, spans.py and inline.py render them).

RAW/insns/<kernel>/boot<N>/ holds insns.txt (the QEMU plugin's windows,
"window=N insns=C", then "NAME=C NAME.entries=E" per address range when
ranges.txt gave the plugin kernel functions to count apart), windows.txt
(the guest's label of each window, same order), tools.txt (start-up and peak
RSS per tracer run) and guest.txt.
"""
import os
import re
import statistics

from scripts.bench import read_lines

# The lock's functions and their RCU replacement (make bench-rcu-insns's
# BENCH_RANGES): (key, heading, lock-side names, unlock-side names). A range
# counts under its name up to the first "." (.constprop.0 and the like differ
# between builds).
LOCK_FUNCS = [
    ("mutex", "`mutex_*` lock + unlock",
     ("mutex_lock", "mutex_lock_killable", "mutex_lock_interruptible", "mutex_lock_io",
      "mutex_trylock"), ("mutex_unlock",)),
    ("rcu", "`__rcu_read_lock` + `__rcu_read_unlock`", ("__rcu_read_lock",),
     ("__rcu_read_unlock",)),
    ("slow", "their slow paths",
     ("__mutex_lock_slowpath", "__mutex_lock_killable_slowpath",
      "__mutex_lock_interruptible_slowpath", "__mutex_lock", "__mutex_unlock_slowpath",
      "rcu_read_unlock_special"), ()),
]


def kv_line(line):
    """'tag k=v k=v' -> dict (the tag dropped)."""
    return dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)


def good_windows(d):
    """One boot's windows that ran cleanly: [(label, {plugin key: count})],
    the plugin's line paired with the guest's label of it, in order."""
    counts = []
    for line in read_lines(os.path.join(d, "insns.txt")):
        if re.match(r"window=\d+ insns=\d+", line):
            counts.append({k: int(v) for k, v in (x.split("=", 1) for x in line.split())})
    labels = [kv_line(line) for line in read_lines(os.path.join(d, "windows.txt"))
              if line.startswith("win ")]
    if len(counts) != len(labels):
        raise ValueError(f"{d}: {len(counts)} plugin windows but {len(labels)} labels")
    return [(w, c) for c, w in zip(counts, labels)
            if int(w.get("calls", 0)) > 0 and w.get("rc") == "0" and w.get("failed") == "0"]


def read_boot(d):
    """Per-op instructions of one boot: {(variant, workload): [per op, ...]}."""
    out = {}
    for w, c in good_windows(d):
        out.setdefault((w["variant"], w["workload"]), []).append(c["insns"] / int(w["calls"]))
    return out


def read_ranges(d):
    """Per-op counts in each address range of one boot: {(variant, workload):
    {key: least over rounds}}, key NAME (instructions) or NAME.entries."""
    out = {}
    for w, c in good_windows(d):
        r = out.setdefault((w["variant"], w["workload"]), {})
        for k, v in c.items():
            if k not in ("window", "insns"):
                x = v / int(w["calls"])
                r[k] = min(r.get(k, x), x)
    return out


def read_tools(d):
    """{variant: [(attach_ns, vmhwm_kb), ...]} of one boot."""
    out = {}
    p = os.path.join(d, "tools.txt")
    if os.path.exists(p):
        for line in read_lines(p):
            t = kv_line(line)
            if t.get("rc") == "0" and int(t.get("attach_ns", 0)) > 0:
                out.setdefault(t["variant"], []).append(
                    (int(t["attach_ns"]), int(t["vmhwm_kb"])))
    return out


def boots(kdir):
    return sorted((os.path.join(kdir, b) for b in os.listdir(kdir)
                   if re.fullmatch(r"boot\d+", b)), key=lambda p: int(p.rsplit("boot", 1)[1]))


def added(boot, v, w):
    """Instructions per op added by variant v over no tracer, in one boot."""
    if (v, w) not in boot or ("none", w) not in boot:
        return None
    return min(boot[(v, w)]) - min(boot[("none", w)])


def added_paired(boot, v, w):
    """(added, untraced) per op of variant v on an unrelated workload, in one
    boot: its traced windows against the untraced ones run just before the
    tracer started (base_V), the least of the rounds of each, as everywhere;
    without base_V windows (older raw data), added()."""
    base = boot.get(("base_" + v, w))
    if base and (v, w) in boot:
        return min(boot[(v, w)]) - min(base), min(base)
    a = added(boot, v, w)
    return (a, min(boot[("none", w)])) if a is not None else (None, None)


class Summary:
    """A figure over boots: median, range, count."""

    def __init__(self, xs):
        self.xs = [x for x in xs if x is not None]
        self.n = len(self.xs)
        self.med = statistics.median(self.xs) if self.xs else None
        self.lo = min(self.xs) if self.xs else None
        self.hi = max(self.xs) if self.xs else None

    def fmt(self, d=0, unit=""):
        if self.med is None:
            return "n/a"
        if self.n == 1 or round(self.lo, d) == round(self.hi, d):
            return f"{self.med:,.{d}f}{unit}"
        return f"{self.med:,.{d}f}{unit} ({self.lo:,.{d}f} … {self.hi:,.{d}f})"


def per_boot(bs, f):
    return Summary([f(b) for b in bs])


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


# The readers' workloads: (key, the operation, the reader where it is timed).
RCU_WORKLOADS = [
    ("ce", "KVM_CHECK_EXTENSION(KVM_CAP_ARM_PMU_V3)", "kvm_supports_guest_pmuv3"),
    ("sp", "KVM_SET_DEVICE_ATTR(SET_PMU)",
     "kvm_arm_pmu_v3_set_pmu (inlined into kvm_arm_pmu_v3_set_attr)"),
    ("vi", "new VM + vCPU + KVM_ARM_VCPU_INIT",
     "kvm_pmu_probe_armpmu (inlined into kvm_arm_set_default_pmu)"),
]
