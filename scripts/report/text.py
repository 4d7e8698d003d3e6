"""The report's Markdown: every table generated from the raw boots and
`pmutrace compare`'s JSON, nothing typed in by hand."""

import statistics
from datetime import datetime

import figures as fg
import rawset

NS_STATS = ("p50", "p90", "p99", "mean")
STAT_KEY = {"p99.9": "p999"}


def boot_stat(run, target, stat):
    for t in run.get("targets", []):
        if t["name"] == target:
            return (t.get("latency_ns") or {}).get(STAT_KEY.get(stat, stat))
    return None


def num(v, digits=3):
    if v is None:
        return "-"
    if v == 0:
        return "0"
    if abs(v) >= 10 ** digits:
        return "%d" % round(v)
    return "%g" % float("%.*g" % (digits, v))


def ns(v):
    if v is None:
        return "-"
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(v) >= div:
            return "%s %s" % (num(v / div), unit)
    return "%s ns" % num(v)


def ns_list(vals):
    """Several nanosecond figures in one unit, the unit of their median."""
    vals = [v for v in (vals or []) if v is not None]
    if not vals:
        return "-"
    mid = median(vals)
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1)):
        if mid >= div or div == 1:
            return "%s %s" % (" ".join(num(v / div) for v in vals), unit)


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def runs_text(vals, f):
    return " ".join(f(v) for v in vals) if vals else "-"


def p_adjusted(st):
    """Compare's Benjamini-Hochberg adjusted p (null: withheld or untestable)."""
    v = (st or {}).get("p_adjusted")
    return v if isinstance(v, (int, float)) else None


def p_text(st):
    """'p=0.00105, adjusted p=0.0503', or what there is of it."""
    parts = []
    if isinstance((st or {}).get("p"), (int, float)):
        parts.append("p=%s" % num(st["p"]))
    if p_adjusted(st) is not None:
        parts.append("adjusted p=%s" % num(p_adjusted(st)))
    return ", ".join(parts)


def detectable(st):
    """Compare's smallest ratio its test finds 80% of the time for one
    statistic (inf: not even x1000), or None: not known."""
    v = (st or {}).get("detectable_ratio")
    if v == "inf":
        return float("inf")
    return float(v) if isinstance(v, (int, float)) else None


def detect_text(st):
    r = detectable(st)
    if r == float("inf"):
        return "none up to ×1000"
    if r is None:
        return "not known"
    # Three decimals where num() says "1": that would claim any change shows.
    return "×%.3f" % r if num(r) == "1" else "×%s" % num(r)


def verdict(st, judged=True):
    """The verdict with its p-values; "no change shown" with what compare
    says it could have detected. JUDGED False: a mode whose verdicts on this
    question the report does not give."""
    if not st:
        return "-"
    if not judged:
        return "not judged in this mode"
    v = st.get("verdict")
    if not v:
        return st.get("note") or "-"
    p = p_text(st)
    out = ("**%s**" % v if v in ("lower", "higher") else v) + (" (%s)" % p if p else "")
    if v == "no change shown":
        r = detectable(st)
        if r is None:
            # Compare models boots at 0 (drawn with their share), but needs
            # the spread of the others: with boots at 0, too few above it.
            zero = any(isinstance(x, (int, float)) and x <= 0
                       for x in (st.get("before_runs") or []) + (st.get("after_runs") or []))
            out += "; could detect: not known (%s)" % (
                "too few boots above 0 to know their spread" if zero else
                "compare gives none")
        else:
            out += "; could detect %s" % ("≥ " + detect_text(st) if r < float("inf")
                                          else detect_text(st))
    return out


def ratio(st):
    if not st or st.get("ratio") is None:
        return "-"
    r = num(st["ratio"])
    if st.get("lo") is not None and st.get("hi") is not None:
        r += " [%s, %s]" % (num(st["lo"]), num(st["hi"]))
    return r


def entry(cmp, name):
    for e in (cmp or {}).get("compared", []):
        if e["name"] == name:
            return e
    return None


def lock_entry(cmp):
    for e in (cmp or {}).get("compared", []):
        if e.get("kind") == "lock_wait":
            return e
    return None


def _time(s):
    try:
        return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return None


def load1(s):
    """The 1-minute load of a /proc/loadavg line, None when there is none."""
    try:
        return float(s.split()[0])
    except (AttributeError, IndexError, ValueError):
        return None


def setup(groups, cells, a, b, extra_warn=()):
    """EXTRA_WARN: more warnings (the host's load, modes.load_warnings)."""
    boots = [x for bs in groups.values() for x in bs]
    first = boots[0]
    out = ["## Where and how it ran", ""]
    accel = first.get("accel")
    if accel:
        out.append("- Machine: %s. The kernels ran in QEMU guests (%s, `%s`, %s vCPUs, %s "
                   "guests at a time), accelerator **%s**; KVM in the guest is nested." % (
                       first.get("host", "not recorded"), first.get("qemu", "QEMU"),
                       first.get("qemu_cpu"), first.get("qemu_smp", "?"),
                       first.get("lab_parallel", "1"), accel))
    else:
        out.append("- Machine: this arm64 host itself, natively (no emulation): %s." % (
            first.get("board") or "board not named"))
    out.append("- CPU as the kernels saw it: %s (MIDR %s), %s CPUs online (%s); board `%s`." % (
        first.get("cpu_model", "?"), first.get("cpu_midr", "?"), first.get("cpus", "?"),
        first.get("cpus_online", "?"), first.get("board", "?")))
    pmus = [p for p in first.all("pmu") if not p.split()[0] in
            ("breakpoint", "kprobe", "software", "tracepoint", "uprobe")]
    out.append("- Host PMUs (`/sys/bus/event_source/devices`): %s." % (
        ", ".join("`%s`" % p for p in pmus) or "none"))
    out.append("- Matrix per boot: %s; cells %s." % (
        first.get("matrix", "?"), ", ".join("`%s`" % c for c in cells)))
    secs = [int(x.get("host_boot_seconds")) for x in boots if x.get("host_boot_seconds").isdigit()]
    starts = [t for t in (_time(x.get("host_start") or x.get("start")) for x in boots) if t]
    ends = [t for t in (_time(x.get("host_end") or x.get("end")) for x in boots) if t]
    span = ""
    if starts and ends:
        span = "from %s to %s UTC (%d s)" % (min(starts).strftime("%Y-%m-%d %H:%M"),
                                             max(ends).strftime("%H:%M"),
                                             (max(ends) - min(starts)).total_seconds())
    out.append("- Runs: %d boots %s%s." % (
        len(boots), span, "; %d s of boots in all, %d-%d s each" % (sum(secs), min(secs), max(secs))
        if secs else ""))
    loads = [v for v in (load1(x.get("host_load_start") or x.get("load_start")) for x in boots)
             if v is not None]
    if loads:
        out.append("- Load average (1 min) of the %s at each boot's start: %s to %s, median %s." % (
            "host" if accel else "machine", num(min(loads)), num(max(loads)), num(median(loads))))
    il = rawset.interleaved(groups, a, b)
    out.append("- Order: %s and %s boots %s." % (a, b, "interleaved" if il else "**not interleaved**"))
    out += ["", "| kernel | boots | release | build id | `uname -v` | preemption config | "
            "patch side observed |", "|---|---:|---|---|---|---|---|"]
    for label, bs in groups.items():
        x = bs[0]
        conf = x.all("config") or x.all("image_config")
        conf = [c for c in conf if c.endswith("=y") or c.startswith("CONFIG_HZ=")]
        sides = {}
        for y in bs:
            sides[y.observed_side()] = sides.get(y.observed_side(), 0) + 1
        out.append("| %s | %d | `%s` | `%s` | `%s` | %s | %s |" % (
            label, len(bs), x.get("kernel_release"), x.get("build_id", "")[:16] or "-",
            x.get("kernel_version"), " ".join("`%s`" % c for c in conf) or "not recorded",
            ", ".join("%s ×%d" % kv for kv in sorted(sides.items()))))
    warn = rawset.warnings(groups) + list(extra_warn)
    out += ["", "### Warnings", ""]
    out += ["- " + w for w in warn] or ["- none: every boot ran on the same machine, accelerator and "
                                        "matrix, each kernel's boots share release and build id, "
                                        "and the host's load gave no warning."]
    out.append("")
    return out


def hold_total(boots):
    """(acquisitions, calls) of every reader in every --hold run of BOOTS."""
    acq = calls = 0
    for s in fg.SCENARIOS:
        for t in fg.MAIN_TARGET.values():
            x, n, _ = fg.hold_per_call(boots, s, t)
            acq, calls = acq + x, calls + n
    return acq, calls


def hold_table(groups):
    out = ["## Lock acquisitions per reader call", "",
           "From the `--hold` runs: acquisitions of `arm_pmus_lock` inside each reader, divided "
           "by that reader's calls (pmutrace's count plus missed exits), summed over the boots; "
           "per boot in brackets.", "",
           "| scenario | reader | " + " | ".join(groups) + " |",
           "|---|---|" + "---:|" * len(groups)]
    for s in fg.SCENARIOS:
        for t in fg.MAIN_TARGET.values():
            row, any_ = [], False
            for bs in groups.values():
                acq, calls, each = fg.hold_per_call(bs, s, t)
                if calls:
                    any_ = True
                    row.append("%s (%d / %d) [%s]" % (num(acq / calls), acq, calls,
                                                      runs_text(each, lambda v: num(v, 2))))
                else:
                    row.append("-")
            if any_:
                out.append("| %s | `%s` | %s |" % (s, t, " | ".join(row)))
    tot = []
    for bs in groups.values():
        acq, calls = hold_total(bs)
        tot.append("%s (%d / %d)" % (num(acq / calls), acq, calls) if calls else "-")
    out.append("| all | every reader | %s |" % " | ".join(tot))
    out.append("")
    return out


def wait_table(groups, cells, cmp, a, b, judged=True):
    out = ["## Contention on arm_pmus_lock", "",
           "Contended waits (`lock:contention_begin/end`) per 1000 reader calls, per boot; the "
           "figure before the brackets is the median over the boots. The verdict (%s vs %s) is "
           "`pmutrace compare`'s: a rank test over the boots." % (b, a), "",
           "| cell | " + " | ".join(groups) + " | ratio | verdict |",
           "|---|" + "---|" * len(groups) + "---|---|"]
    for cell in cells:
        if fg.parse_cell(cell)[2]:
            continue
        row = []
        for bs in groups.values():
            vals = fg.per_boot(bs, cell, lambda f: fg.per_1000(f["contended"], f["calls"]))
            row.append("%s [%s]" % (num(median(vals)), runs_text(vals, num)) if vals else "-")
        st = (lock_entry(cmp.get(cell)) or {}).get("waits_per_1k")
        out.append("| `%s` | %s | %s | %s |" % (cell, " | ".join(row), ratio(st),
                                                verdict(st, judged)))
    out.append("")
    return out


def latency_table(cells, cmp, a, b, judged=True):
    out = ["## Latency of the readers, %s / %s" % (b, a), "",
           "For each cell, the reader the scenario exercises most. Each boot is one run: "
           "`before` and `after` are the medians of the boots' own figures, the ratio is "
           "`pmutrace compare`'s estimate (Hodges-Lehmann) with its 95% interval over the boots, "
           "and the verdict comes from a permutation Brunner-Munzel test on the boots, its p "
           "adjusted over the whole report's family (see the headline; no verdict where the "
           "rule gives none, with the reason). Per-boot values follow.", "",
           "| cell | reader | stat | %s | %s | ratio | verdict | per boot %s · %s |" % (a, b, a, b),
           "|---|---|---|---:|---:|---|---|---|"]
    for cell in cells:
        scenario, _, hold = fg.parse_cell(cell)
        e = entry(cmp.get(cell), fg.MAIN_TARGET.get(scenario))
        if hold or not e:
            continue
        for stat in NS_STATS:
            st = e.get(stat)
            if not st:
                continue
            out.append("| `%s` | `%s` | %s | %s | %s | %s | %s | %s · %s |" % (
                cell, e["name"], stat, ns(st.get("before")), ns(st.get("after")), ratio(st),
                verdict(st, judged), ns_list(st.get("before_runs")), ns_list(st.get("after_runs"))))
    out.append("")
    return out


def drops_table(groups, cells):
    out = ["## Dropped events and missed entries and exits", "",
           "Summed over each kernel's boots. *missed* are runs of pmutrace's entry or exit "
           "programs that the kernel skipped (BPF trampoline recursion protection); *dropped* "
           "are events the programs themselves did not record, by reason. *preempted* is "
           "pmu-stress's count of involuntary context switches of its worker threads during "
           "their loops (`getrusage`), per 1000 reader calls; the per-boot missed exits per "
           "1000 calls are in brackets.", "",
           "| cell | kernel | reader calls | missed entry | missed exit | dropped | "
           "preempted / 1000 calls | missed exits / 1000 calls per boot |",
           "|---|---|---:|---:|---:|---|---:|---|"]
    for cell in cells:
        for label, bs in groups.items():
            if not any(cell in x.runs for x in bs):
                continue
            drops = {}
            for f in fg.per_boot(bs, cell, lambda f: f):
                for r, n in f["dropped"].items():
                    drops[r] = drops.get(r, 0) + n
            calls = fg.total(bs, cell, lambda f: f["calls"])
            inv = fg.per_boot(bs, cell, lambda f: f["switches_involuntary"])
            inv_rate = fg.per_1000(sum(inv), calls) if inv and None not in inv else None
            per = fg.per_boot(bs, cell, lambda f: fg.per_1000(f["missed_exit"], f["calls"]))
            out.append("| `%s` | %s | %d | %d | %d | %s | %s | %s |" % (
                cell, label, calls, fg.total(bs, cell, lambda f: f["missed_entry"]),
                fg.total(bs, cell, lambda f: f["missed_exit"]),
                " ".join("%s %d" % kv for kv in sorted(drops.items())),
                num(inv_rate), runs_text(per, num)))
    out.append("")
    return out


def misses_explained(groups, cells):
    """What the raw data says about the misses, as figures per kernel."""
    out = ["## Why some kernels miss calls", ""]
    busiest = [c for c in cells if not fg.parse_cell(c)[2]]
    if not busiest:
        return out
    rows = []
    for label, bs in groups.items():
        miss = calls = inv = 0
        have_inv = True
        for c in busiest:
            for f in fg.per_boot(bs, c, lambda f: f):
                miss += f["missed_entry"] + f["missed_exit"]
                calls += f["calls"]
                if f["switches_involuntary"] is None:
                    have_inv = False
                else:
                    inv += f["switches_involuntary"]
        x = next((y for y in bs if y.all("config") or y.all("image_config")), bs[0])
        conf = [c for c in (x.all("config") or x.all("image_config"))
                if c.startswith(("CONFIG_PREEMPT", "CONFIG_HZ", "CONFIG_NO_HZ"))]
        rows.append((label, miss, calls, inv if have_inv else None, x.get("kernel_version"),
                     conf, x.get("bpf_jit_enable")))
    out += ["The kernel skips a BPF trampoline program when the same program is already running on "
            "that CPU: a traced thread was preempted inside pmutrace's entry or exit program and "
            "another thread on the same CPU entered a traced call. So misses need preemption "
            "inside the program; the figures below put them side by side, over every default-mode "
            "cell of every boot.", "",
            "| kernel | missed runs (entry + exit) | reader calls | missed / 1000 calls | "
            "worker preemptions / 1000 calls | `uname -v` | preemption config | bpf_jit_enable |",
            "|---|---:|---:|---:|---:|---|---|---|"]
    for label, miss, calls, inv, ver, conf, jit in rows:
        out.append("| %s | %d | %d | %s | %s | `%s` | %s | %s |" % (
            label, miss, calls, num(fg.per_1000(miss, calls)),
            num(fg.per_1000(inv, calls)) if inv is not None else "not recorded", ver,
            " ".join("`%s`" % c for c in conf) or "not recorded", jit or "-"))
    out.append("")
    out += config_contrast(rows)
    out += drops_follow_misses(groups, busiest)
    return out


LAZY, FULL = "CONFIG_PREEMPT_LAZY=y", "CONFIG_PREEMPT=y"


def drops_follow_misses(groups, cells):
    """too_deep drops against missed exits, per kernel."""
    parts = []
    for label, bs in groups.items():
        deep = sum(fg.total(bs, c, lambda f: f["dropped"].get("too_deep", 0)) for c in cells)
        exits = sum(fg.total(bs, c, lambda f: f["missed_exit"]) for c in cells)
        parts.append("%s %d too_deep drops and %d missed exits" % (label, deep, exits))
    return ["- The `too_deep` drops come with the missed exits: an exit the kernel skips "
            "leaves its entry on the task's call stack, which then fills its 8 slots. Over the "
            "same cells: %s." % "; ".join(parts), ""]


def config_contrast(rows):
    """Name what differs between a kernel without misses and one with."""
    clean = [r for r in rows if r[2] and r[1] == 0]
    missing = [r for r in rows if r[2] and r[1] > 0]
    out, lazy = [], []
    for c in clean:
        for m in missing:
            only_c = sorted(set(c[5]) - set(m[5]))
            only_m = sorted(set(m[5]) - set(c[5]))
            what = ("Their recorded preemption, tick and JIT options differ: only %s has %s; "
                    "only %s has %s." % (c[0], " ".join("`%s`" % x for x in only_c) or "nothing",
                                         m[0], " ".join("`%s`" % x for x in only_m) or "nothing")
                    if c[5] and m[5] else "Their configs were not recorded.")
            pre = ""
            if c[3] is not None and m[3] is not None:
                pre = (" pmu-stress's workers were preempted %s times per 1000 calls on %s and %s "
                       "on %s." % (num(fg.per_1000(c[3], c[2])), c[0],
                                   num(fg.per_1000(m[3], m[2])), m[0]))
            out.append("- %s missed no program run in %d reader calls; %s missed %s per 1000.%s %s"
                       % (c[0], c[2], m[0], num(fg.per_1000(m[1], m[2])), pre, what))
            if (LAZY in c[5] and FULL in m[5] and c[3] is not None and m[3]
                    and fg.per_1000(c[3], c[2]) >= 0.5 * fg.per_1000(m[3], m[2])):
                lazy.append((c[0], m[0], num(m[1] / m[3])))
    if lazy:
        out.append(
            "- The workers were preempted about as often on %s as on %s, so the kernels differ "
            "in *where* a worker is preempted, not how often. That fits their preemption "
            "models. Under `%s` (kernel/Kconfig.preempt: \"less eager to preempt SCHED_NORMAL "
            "tasks\") a task running in the kernel is asked to reschedule lazily, at its return "
            "to user space or at the next tick, so a microsecond-long ioctl is almost never "
            "preempted inside pmutrace's programs. Under `%s` it is preempted at any interrupt, "
            "inside the programs too; while it is preempted there, the program's per-CPU "
            "recursion count stays taken and the kernel skips that program for every other "
            "worker on that CPU. Missed program runs per worker preemption: %s." % (
                lazy[0][0], " and ".join(sorted({x[1] for x in lazy})), LAZY, FULL,
                ", ".join("%s %s" % (x[1], x[2]) for x in lazy)))
    if out:
        out.append("")
    return out


def counts_check(groups):
    boots = [x for bs in groups.values() for x in bs]
    checked, bad = fg.count_mismatches(boots)
    out = ["## Exact counts", ""]
    if bad:
        out.append("%d of %d per-target counts differ from pmu-stress's own count:" % (len(bad), checked))
        out += ["- " + s for s in bad]
    else:
        out.append("In all %d (boot, cell, reader) triples, pmutrace's count plus its missed exits "
                   "equals the calls pmu-stress made (its `derived.*` lines)." % checked)
    out.append("")
    return out
