"""Per-boot figures of the report's cells, read from the raw runs.

Everything here is a count from one boot's files; rates are events per 1000
reader calls, where a reader call is one the kernel made (pmutrace's count
plus the exits it missed, which pmu-stress's own count must equal).
"""

import re

SCENARIOS = ("vcpu-init", "set-pmu", "check-ext")
# The reader each scenario exercises most.
MAIN_TARGET = {
    "vcpu-init": "kvm_pmu_probe_armpmu",
    "set-pmu": "kvm_arm_pmu_v3_set_pmu",
    "check-ext": "kvm_supports_guest_pmuv3",
}
DROP_REASONS = ("no_task_state", "too_deep", "stale_entry")

_CELL = re.compile(r"^(?:(hold)-(.+)|(.+)-t(\d+))$")


def parse_cell(cell):
    """'check-ext-t4' -> ('check-ext', 4, False); 'hold-set-pmu' -> ('set-pmu', 1, True)."""
    m = _CELL.match(cell)
    if not m:
        return None
    if m.group(1):
        return m.group(2), 1, True
    return m.group(3), int(m.group(4)), False


def cell_order(cell):
    scenario, threads, hold = parse_cell(cell)
    rank = SCENARIOS.index(scenario) if scenario in SCENARIOS else len(SCENARIOS)
    return (hold, rank, scenario, threads)


def cells(boots):
    """Every cell any boot ran, matrix order (hold cells last)."""
    names = {c for b in boots for c in b.runs if parse_cell(c)}
    return sorted(names, key=cell_order)


def per_1000(events, calls):
    return 1000.0 * events / calls if calls else None


def boot_cell(boot, cell):
    """One boot's figures for one cell, or None when it did not run it."""
    run = boot.runs.get(cell)
    if run is None:
        return None
    stress = boot.stress.get(cell, {})
    targets = {}
    for t in run.get("targets", []):
        missed = t.get("missed") or {}
        lock = t.get("lock") or {}
        targets[t["name"]] = {
            "calls": t.get("count", 0) + missed.get("exit", 0),
            "counted": t.get("count", 0),
            "timed": t.get("timed", 0),
            "missed_entry": missed.get("entry", 0),
            "missed_exit": missed.get("exit", 0),
            "acquired": lock.get("acquired"),
            "expected": stress.get("derived." + t["name"]),
            "mode": (t.get("attach") or {}).get("mode"),
        }
    locks = run.get("locks") or [{}]
    lock = locks[0] if locks else {}
    calls = sum(t["calls"] for t in targets.values())
    dropped = run.get("dropped") or {}
    return {
        "targets": targets,
        "calls": calls,
        "missed_entry": sum(t["missed_entry"] for t in targets.values()),
        "missed_exit": sum(t["missed_exit"] for t in targets.values()),
        "dropped": {r: dropped.get(r, 0) for r in sorted(set(DROP_REASONS) | set(dropped))},
        "contended": lock.get("contended", 0),
        "lock_missed": lock.get("missed", 0),
        "acquired": sum(t["acquired"] or 0 for t in targets.values()),
        "switches_involuntary": stress.get("switches.involuntary"),
        "switches_voluntary": stress.get("switches.voluntary"),
        "stress_elapsed_ns": stress.get("elapsed_ns"),
        "side": (run.get("patch_side") or {}).get("side"),
    }


def count_mismatches(boots):
    """(checked, [sentences]): each target's calls against pmu-stress's count."""
    checked, bad = 0, []
    for b in boots:
        for cell in b.runs:
            f = boot_cell(b, cell)
            for name, t in f["targets"].items():
                if t["expected"] is None or t["mode"] == "absent":
                    continue
                checked += 1
                if t["calls"] != t["expected"]:
                    bad.append("%s %s %s: pmutrace %d (+%d missed exits), pmu-stress %d"
                               % (b.name, cell, name, t["counted"], t["missed_exit"], t["expected"]))
    return checked, bad


def per_boot(boots, cell, fn):
    """[fn(figures)] for each boot of BOOTS that ran CELL."""
    out = []
    for b in boots:
        f = boot_cell(b, cell)
        if f is not None:
            out.append(fn(f))
    return out


def total(boots, cell, fn):
    return sum(v or 0 for v in per_boot(boots, cell, fn))


def hold_per_call(boots, scenario, target):
    """(acquired, calls, [per-boot acquisitions per call]) from the hold runs."""
    acq = calls = 0
    each = []
    for b in boots:
        f = boot_cell(b, "hold-" + scenario)
        if f is None or target not in f["targets"]:
            continue
        t = f["targets"][target]
        if not t["calls"] or t["acquired"] is None:
            continue
        acq += t["acquired"]
        calls += t["calls"]
        each.append(t["acquired"] / t["calls"])
    return acq, calls, each
