"""The lab's modes (QEMU's clocks) and what the report judges per mode: which
mode answers which question, each cell's boot-to-boot spread, contention in
each mode, and the host's load at each boot."""

import statistics
from collections import OrderedDict

import figures as fg
import text

# What each mode is; the flags themselves live in scripts/lab/run-guest.sh.
MODES = OrderedDict([
    ("icount", {
        "name": "instruction-driven clock",
        "flags": "-accel tcg,thread=single -icount shift=0,sleep=off",
        "time": "virtual time: the guest's clock follows the instructions it executes, one "
                "instruction per ns at shift 0, so its \"ns\" are instructions, whatever the "
                "host's load; one host thread runs the vCPUs in turn"}),
    ("parallel", {
        "name": "parallel TCG",
        "flags": "-accel tcg",
        "time": "the host's time as the guest sees it: one host thread per vCPU, so the vCPUs "
                "run at once, and every figure follows the host's load"}),
    ("kvm", {"name": "KVM", "flags": "-accel kvm", "time": "hardware time, in a VM"}),
    ("native", {"name": "native", "flags": "", "time": "hardware time"}),
])

GOAL_DETECT = 1.05  # issue 21: at 12 + 12 boots, uncontended cells


def mode_of(boot):
    """A boot's mode: lab_mode of lab-boot.sh, else what its accelerator says."""
    m = boot.get("lab_mode")
    if m:
        return m
    accel = boot.get("accel")
    return "native" if not accel else "kvm" if accel == "kvm" else "parallel"


def name(mode):
    return MODES.get(mode, {}).get("name", mode)


def label(mode):
    """How a table's heading names its mode."""
    return "%s (`%s`)" % (name(mode), mode)


def split(boots):
    """{mode: [boots]}, modes in MODES' order, then any other."""
    out = OrderedDict()
    for b in boots:
        out.setdefault(mode_of(b), []).append(b)
    order = [m for m in MODES if m in out] + [m for m in out if m not in MODES]
    return OrderedDict((m, out[m]) for m in order)


def latency_mode(modes):
    """The mode whose latency verdicts the report gives: the deterministic one."""
    return "icount" if "icount" in modes else next(iter(modes))


def cv(vals):
    """Boot-to-boot coefficient of variation in percent (population SD)."""
    vals = [v for v in vals if v is not None]
    if len(vals) < 2 or not statistics.mean(vals):
        return None
    return 100 * statistics.pstdev(vals) / statistics.mean(vals)


def pct(v):
    return "-" if v is None else "%.1f%%" % v if v < 10 else "%.0f%%" % v


def waits(boots, cell):
    """(total waits, boots that waited, boots) of one kernel in one cell."""
    w = fg.per_boot(boots, cell, lambda f: f["contended"])
    return sum(w), sum(1 for x in w if x), len(w)


def uncontended(groups, cell, a, b):
    return all(waits(groups.get(k, []), cell)[0] == 0 for k in (a, b))


def spread_table(per_mode, cells, a, b):
    """Each cell's boot-to-boot CV per mode, and what compare could detect."""
    lm = latency_mode(per_mode)
    out = ["## Boot-to-boot spread, per mode", "",
           "The CV (standard deviation over mean, over the boots) of each boot's own p50 and mean "
           "of the cell's main reader, per kernel and mode; *uncontended*: no boot of either "
           "kernel waited for the lock in that cell and mode. The last columns are what "
           "`pmutrace compare` says it could have detected (its smallest ratio found 80%% of the "
           "time at these boots); the goal: ≤ ×%s in every uncontended cell of the %s mode, "
           "whose verdicts the report gives." % (text.num(GOAL_DETECT), name(lm)), "",
           "| cell | stat | " + " | ".join("%s: CV %s · %s" % (name(m), a, b) for m in per_mode)
           + " | " + " | ".join("%s: could detect" % name(m) for m in per_mode) + " |",
           "|---|---|" + "---|" * (2 * len(per_mode))]
    for cell in cells:
        scenario, _, hold = fg.parse_cell(cell)
        if hold:
            continue
        target = fg.MAIN_TARGET.get(scenario)
        for stat in ("p50", "mean"):
            cvs, det = [], []
            for m, (groups, cmp) in per_mode.items():
                vals = [cv([text.boot_stat(x.runs[cell], target, stat)
                            for x in groups.get(k, []) if cell in x.runs]) for k in (a, b)]
                cvs.append("%s · %s%s" % (pct(vals[0]), pct(vals[1]), " (uncontended)"
                                          if uncontended(groups, cell, a, b) else ""))
                det.append(text.detect_text((text.entry(cmp.get(cell), target) or {}).get(stat)))
            out.append("| `%s` | %s | %s | %s |" % (cell, stat, " | ".join(cvs), " | ".join(det)))
    out.append("")
    return out


def goal(per_mode, cells, a, b):
    """(met, missed, unknown) uncontended cells of the latency mode against
    the detectable-ratio goal, from compare's own figure."""
    lm = latency_mode(per_mode)
    groups, cmp = per_mode[lm]
    met, missed, unknown = [], [], []
    for cell in cells:
        scenario, _, hold = fg.parse_cell(cell)
        if hold or not uncontended(groups, cell, a, b):
            continue
        st = (text.entry(cmp.get(cell), fg.MAIN_TARGET.get(scenario)) or {}).get("p50")
        r = text.detectable(st)
        (unknown if r is None else met if r <= GOAL_DETECT else missed).append(cell)
    return met, missed, unknown


def contention(per_mode, cells, a, b):
    """(lines, chosen mode): waits per 1000 calls per mode, and the mode whose
    contention verdicts the report gives: where the before boots waited in
    the most (cell, boot) pairs."""
    out = ["## Contention in each mode", "",
           "Contended waits on `arm_pmus_lock` per 1000 reader calls: the median over the boots, "
           "then how many boots waited at all, and the waits in all boots together.", "",
           "| cell | " + " | ".join("%s: %s | %s: %s" % (name(m), a, name(m), b) for m in per_mode)
           + " |", "|---|" + "---|" * (2 * len(per_mode))]
    pairs = OrderedDict((m, [0, 0, 0]) for m in per_mode)  # waited pairs, pairs, waits
    for cell in cells:
        if fg.parse_cell(cell)[2]:
            continue
        row = []
        for m, (groups, _) in per_mode.items():
            for k in (a, b):
                bs = groups.get(k, [])
                rate = fg.per_boot(bs, cell, lambda f: fg.per_1000(f["contended"], f["calls"]))
                total, waited, n = waits(bs, cell)
                if k == a:
                    pairs[m][0] += waited
                    pairs[m][1] += n
                    pairs[m][2] += total
                row.append("%s (%d of %d boots; %d waits)" % (
                    text.num(text.median(rate)), waited, n, total) if n else "-")
        out.append("| `%s` | %s |" % (cell, " | ".join(row)))
    chosen = max(pairs, key=lambda m: (pairs[m][0], m == "parallel"))
    out += ["", "Why they differ: under parallel TCG the vCPUs run at once, so a reader waits "
            "whenever another vCPU holds the lock, as on hardware (if the host gives both vCPU "
            "threads a core at the same time). Under the instruction-driven clock one host "
            "thread runs the vCPUs in turn, so a reader can only wait when the holder's vCPU "
            "was switched out inside its critical section; then the waiter spins or sleeps "
            "until the holder's vCPU runs again.", "",
            "In the %s boots, over the threaded cells: %s." % (a, "; ".join(
                "%s: %d of %d (cell, boot) pairs waited, %d waits" % (name(m), p[0], p[1], p[2])
                for m, p in pairs.items())),
            "", "**The contention evidence comes from the %s mode**: its %s boots waited in the "
            "most (cell, boot) pairs, and a rank test over boots can only show waits "
            "disappearing where the boots before the patch do wait. The lock's acquisitions "
            "per call (`--hold` runs) are exact in every mode." % (name(chosen), a), ""]
    return out, chosen


def load1(boot):
    """The larger of the host's 1-minute load at the boot's start and end."""
    vals = [v for v in (text.load1(boot.get(k)) for k in ("host_load_start", "host_load_end"))
            if v is not None]
    return max(vals) if vals else None


def cores(boot):
    c = boot.get("host_cores")
    if not c.isdigit():  # older boots: "x86_64, 2 cores, ..." in host=
        c = next((w for w in boot.get("host").replace(",", " ").split()[1:2] if w.isdigit()), "")
    return int(c) if c else None


def load_warnings(mode, groups, a, b):
    """Under parallel TCG, the boots that ran with more load than cores; in
    every lab mode, a difference between the two kernels' loads."""
    out = []
    boots = [x for k in (a, b) for x in groups.get(k, [])]
    if mode == "parallel":
        over = ["%s (%s)" % (x.name, text.num(load1(x))) for x in boots
                if load1(x) is not None and cores(x) and load1(x) > cores(x)]
        if over:
            out.append("%s: %d of %d boots ran with a host load above the host's %d cores "
                       "(the larger 1-minute load average at start and end): %s" % (
                           name(mode), len(over), len(boots), cores(boots[0]), ", ".join(over)))
    med = [text.median([load1(x) for x in groups.get(k, [])]) for k in (a, b)]
    if None not in med and abs(med[0] - med[1]) > max(0.5, 0.2 * max(med)):
        out.append("%s: the %s and %s boots saw different host loads (median %s against %s; "
                   "warned above a difference of 0.5 and of 20%%)%s" % (
                       name(mode), a, b, text.num(med[0]), text.num(med[1]),
                       "; its virtual time does not depend on it" if mode == "icount" else ""))
    return out


def load_lines(per_mode, a, b):
    out = ["## Host load per mode", "",
           "The host's 1-minute load average (the larger of the boot's start and end) and its "
           "cores, per kernel and mode.", "",
           "| mode | kernel | boots | load: least · median · most | host cores |",
           "|---|---|---:|---|---:|"]
    for m, (groups, _) in per_mode.items():
        for k, bs in groups.items():
            loads = [v for v in (load1(x) for x in bs) if v is not None]
            out.append("| %s | %s | %d | %s | %s |" % (
                name(m), k, len(bs), " · ".join(text.num(v) for v in (
                    min(loads), text.median(loads), max(loads))) if loads else "not recorded",
                cores(bs[0]) or "?"))
    out.append("")
    return out


def modes_lines(per_mode, contention_mode):
    lm = latency_mode(per_mode)
    out = ["## Modes: which answers what", "",
           "| mode | QEMU | its \"ns\" | boots | answers |", "|---|---|---|---:|---|"]
    for m, (groups, _) in per_mode.items():
        what = []
        if m == lm:
            what.append("the latency verdicts")
        if m == contention_mode:
            what.append("the contention verdicts")
        what.append("exact counts (acquisitions per call, missed and dropped events)")
        out.append("| %s | `%s` | %s | %d | %s |" % (
            label(m), MODES.get(m, {}).get("flags", "?"), MODES.get(m, {}).get("time", "?"),
            sum(len(v) for v in groups.values()), "; ".join(what)))
    out.append("")
    return out
