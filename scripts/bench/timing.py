# SPDX-License-Identifier: GPL-2.0
"""The timing half of docs/performance.md: ns per call under each tracer
(scripts/bench/bench.sh, scripts/bench/guest-bench.sh), from the raw files in RAW."""
import glob, json, os, random, re, shlex, statistics  # noqa: F401
from scripts.bench import read_lines, read_text


def render(raw):
    """The Markdown lines of the timing benchmark's report."""
    med = statistics.median


    def kv_file(path):
        d = {}
        for line in read_lines(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
        return d


    def records(path, kind):
        if not os.path.exists(path):
            return []
        return [dict(x.split("=", 1) for x in line.split()[1:])
                for line in read_lines(path) if line.startswith(kind + " ")]


    host = kv_file(f"{raw}/host.txt")
    guest = kv_file(f"{raw}/guest.txt")
    params = dict(x.split("=") for x in guest["params"].split())
    samples = records(f"{raw}/samples.txt", "sample")
    tools = records(f"{raw}/tools.txt", "tool")
    misc = records(f"{raw}/misc.txt", "misc")
    # Per round and workload: pmutrace's program runs and run time over one
    # extra, untimed run with kernel.bpf_stats_enabled=1.
    bstats = {}
    _snap = {}
    for x in records(f"{raw}/bpfstats.txt", "stats"):
        _snap.setdefault((x["round"], x["workload"], x["phase"]), {})[x["id"]] = (int(x["ns"]), int(x["cnt"]), int(x["ops"]))
    for (r, w, ph), after in _snap.items():
        if ph != "after" or (r, w, "before") not in _snap:
            continue
        before = _snap[(r, w, "before")]
        ops = next(iter(after.values()))[2]
        zero = (0, 0, ops)
        bstats.setdefault(w, []).append(
            (sum(after[i][1] - before.get(i, zero)[1] for i in after) / ops,
             sum(after[i][0] - before.get(i, zero)[0] for i in after) / ops))
    errors = read_text(f"{raw}/errors.txt").strip() if os.path.exists(f"{raw}/errors.txt") else ""
    load = [float(line.split()[1]) for line in read_lines(f"{raw}/hostload.txt") if line.strip()]
    qemu_cmd = "(not captured)"
    if os.path.exists(f"{raw}/qemu-args.txt"):
        args = read_text(f"{raw}/qemu-args.txt").split("\n")[:-1]
        # Temporary and cache paths say nothing about the set-up.
        args = ["initramfs.cpio.gz" if i and args[i - 1] == "-initrd" else
                os.path.basename(a) if i and args[i - 1] == "-kernel" else a
                for i, a in enumerate(args)]
        qemu_cmd = " ".join(shlex.quote(a) for a in args)

    # ns per call: sess[(variant, workload)][round] = the runs of that session.
    sess = {}
    for s in samples:
        calls, ns = int(s["calls"]), int(s["elapsed_ns"])
        if calls > 0 and ns > 0 and int(s["failed"]) == 0:
            sess.setdefault((s["variant"], s["workload"]), {}).setdefault(s["round"], []).append(ns / calls)
    attach = {}
    for t in tools:
        if int(t["attach_ns"]) > 0:
            attach.setdefault(t["variant"], {})[t["round"]] = int(t["attach_ns"]) / 1e6


    # A session's figure is its fastest run. Load from other jobs on the host
    # only ever adds time (a descheduled vCPU), so the fastest of several runs is
    # the least disturbed one; in quiet rounds all runs agree within ~1%.
    EST = min


    def smeds(v, w, est=None):
        """Per round: the session's figure."""
        return {r: (est or EST)(xs) for r, xs in sess.get((v, w), {}).items()}


    def m(v, w):
        x = list(smeds(v, w).values())
        return med(x) if x else None


    def rng(v, w):
        x = list(smeds(v, w).values())
        return (min(x), max(x)) if x else (None, None)



    def n(x, d=0):
        return "n/a" if x is None else f"{x:,.{d}f}"


    # Uncertainty: resample whole rounds (each round holds every variant, so the
    # host's load is shared within a round), 2000 times, fixed seed.
    boot_rng = random.Random(1)


    def ci(stat, series):
        """95% bootstrap interval of stat(list of dicts restricted to rounds)."""
        rounds = sorted(set.intersection(*(set(d) for d in series)))
        if len(rounds) < 3:
            return None
        vals = []
        for _ in range(2000):
            pick = [boot_rng.choice(rounds) for _ in rounds]
            v = stat(*([d[r] for r in pick] for d in series))
            if v is not None:
                vals.append(v)
        if len(vals) < 1000:
            return None
        vals.sort()
        return vals[int(0.025 * len(vals))], vals[int(0.975 * len(vals)) - 1]


    def x_floor(none, empty, mine):
        a, b = med(mine) - med(none), med(empty) - med(none)
        return a / b if b > 0 else None


    def added(none, mine):
        return med(mine) - med(none)


    # The goals on per-call cost as differences, which resample well (a ratio
    # to the floor's small added cost does not): pmutrace's added cost minus
    # 1.25 times the floor's, and minus funclatency's. Met when <= 0.
    def excess_floor(none, empty, mine):
        return (med(mine) - med(none)) - 1.25 * (med(empty) - med(none))


    def excess_other(mine, other):
        return med(mine) - med(other)


    def ratio_minus_1(a, b):
        return med(b) / med(a) - 1


    def verdict(point, iv, limit, fmt, what=None):
        """Goal "point <= limit": met/missed only when the interval agrees."""
        what = what or "the figure"
        if iv is None:
            return "met" if point <= limit else f"**missed**: {what} is {fmt(point)}, limit {fmt(limit)}"
        lo, hi = iv
        span = f"{what} is {fmt(point)}, 95% interval {fmt(lo)} … {fmt(hi)}"
        if hi <= limit:
            return f"met ({span})"
        if lo > limit:
            return f"**missed** ({span}; limit {fmt(limit)})"
        return (f"**not resolved**: {span} straddles the limit {fmt(limit)}; "
                f"the point estimate alone says {'met' if point <= limit else 'missed'}")


    def ns_fmt(v):
        return f"{v:+,.0f} ns/call" if v else "0 ns/call"


    label = {
        "none": "no tracing",
        "empty": "empty fentry/fexit (floor)",
        "default": "pmutrace (default)",
        "single": "pmutrace -f kvm_supports_guest_pmuv3 --no-lock",
        "hold": "pmutrace --hold",
        "funclat_ce": "funclatency kvm_supports_guest_pmuv3",
        "funclat_sp": "funclatency kvm_arm_pmu_v3_set_attr",
        "klockstat": "klockstat -L arm_pmus_lock",
    }
    paths = [("ce", "`check-ext` → `kvm_supports_guest_pmuv3`", "funclat_ce"),
             ("sp", "`set-pmu` → `kvm_arm_pmu_v3_set_attr`", "funclat_sp")]
    R = len({s["round"] for s in samples})
    R_txt = f"{R} rounds" + ("" if str(R) == params["ROUNDS"] else
                             f" (of {params['ROUNDS']} planned: the guest's time budget of "
                             f"{params['BUDGET_S']} s ran out)")
    xf = lambda v: f"{v:.2f} ×"
    pc = lambda v: f"{v * 100:+.1f}%"

    L = []
    p = L.append
    p("# pmutrace: what tracing costs")
    p("")
    p("Written by `sudo scripts/bench/bench.sh` (`make bench-timing`; `make bench` runs it with the other benchmarks below). Every figure here comes from its run of "
      f"{host['date']}; the raw output is in [performance/raw.tar.xz](performance/raw.tar.xz) "
      "(`tar -xJf docs/performance/raw.tar.xz -C docs/performance` unpacks it into "
      "`docs/performance/raw/`). This page is rendered from that archive alone by "
      "`python3 -m scripts.bench.perfdoc`; each section names the command that makes its raw "
      "data again, which replaces only that section's part of the archive.")
    p("")
    p("> **Caveat.** The guest runs under QEMU's TCG emulation, not on hardware. Absolute times are "
      "TCG times, many times slower than a real arm64 host, and they are not hardware timings. "
      "Counts are exact. The ratios between variants, measured in the same guest and interleaved, "
      "are what carry over, roughly: TCG does not slow every kind of instruction alike.")
    p("")
    p("## Set-up")
    p("")
    p(f"- Kernel: Debian sid's stock `{guest['kernel']}` ({guest['machine']}, {guest['cpus']} vCPUs). "
      f"One guest ran the whole benchmark, {host['guest_s']} s from boot to power-off.")
    p(f"- QEMU: {host['qemu']}, as `scripts/lab/run-guest.sh` ran it:")
    p("")
    p(f"  ```\n  {qemu_cmd}\n  ```")
    p("")
    p(f"- Host: {host['host']}. `uptime` at the start: `{host['load_start'].strip()}`. At the end: "
      f"`{host['load_end'].strip()}`.")
    if load:
        p(f"  The 1-minute load average, sampled every 15 s while the guest ran: median {med(load):.2f}, "
          f"range {min(load):.2f}–{max(load):.2f}. Other jobs were using the same 2 cores.")
    p(f"- pmutrace `{host['version']}`. bcc's tools are from Debian bookworm's `libbpf-tools` 0.26 "
      "(arm64), copied into the guest with their shared libraries from bookworm.")
    p(f"- {R_txt}. Each round runs every variant once, and the order rotates by one variant per "
      "round, so slow phases of the shared host hit every variant alike. A variant is one tracer run: "
      "start it, wait for its `Tracing` line, run its workloads, stop it with SIGINT, then wait until "
      "the kernel has freed its programs.")
    p(f"- Each workload runs {params['REPS']} times per variant and round. A session's figure is its "
      "fastest run, and the figures below are the median of those over rounds. Load from other jobs "
      "on the host only adds time (a descheduled vCPU), so the fastest run is the least disturbed. "
      "Section 1 also gives the ratios from the median run, for comparison.")
    p("- The 95% intervals come from a bootstrap over whole rounds (2000 resamples). A goal counts as "
      "met or missed only when its interval lies on one side of the limit.")
    p(f"- The traced paths use one thread, so no lock is contended and the cost measured is the probes': "
      f"`pmu-stress -t 1 -n {params['N_CE']} check-ext` and `pmu-stress -t 1 -n {params['N_SP']} set-pmu`. "
      "ns per call = `elapsed_ns` / the ioctl count, which pmu-stress measures from its first worker's "
      "start to its last worker's end.")
    p(f"- The unrelated workloads are contended: `pmu-stress -t 2 -n {params['N_OPEN']} -d /dev/kvm open` "
      "(`misc_open` takes `misc_mtx`), and "
      f"`dd if=/dev/zero bs=64 count={params['N_PIPE']} | dd of=/dev/null bs=64`, where both sides take "
      "`pipe->mutex` for every 64-byte block.")
    p("")
    p("The variants:")
    p("")
    p("- **no tracing**.")
    p("- **empty_probe** (`tests/bench/empty_probe.c`) attaches one empty fentry program and one "
      "empty fexit program (`tests/bench/bench_empty.bpf.c`) to each function pmutrace attaches to by "
      "default: `kvm_arm_set_default_pmu`, `kvm_arm_pmu_v3_set_attr` and `kvm_supports_guest_pmuv3`. "
      "This is the floor.")
    p("- **pmutrace** (default): the same three functions, plus the `lock:contention_begin/end` "
      "tracepoints.")
    p("- **`pmutrace -f kvm_supports_guest_pmuv3 --no-lock`**: one function and no lock, the "
      "like-for-like match for funclatency.")
    p("- **`pmutrace --hold`**: adds `mutex_lock`/`mutex_unlock`.")
    p("- **`funclatency FUNC`** (bcc): one function per run. Version 0.26 uses a "
      "kprobe/kretprobe pair, not fentry.")
    p("- **`klockstat -L arm_pmus_lock`** (bcc): fentry/fexit on every mutex and rwsem call, "
      "filtered to the lock in BPF.")
    p("")

    # 1. Per-call cost.
    p("## 1. Cost per traced call")
    p("")
    p("- **ns/call** is the median over rounds of each session's fastest run, with the range over rounds in brackets.")
    p("- **added** is that figure minus the one without tracing.")
    p("- **× floor** is added divided by the empty programs' added.")
    p("")
    res = {}
    for w, title, fl in paths:
        p(f"### {title}")
        p("")
        p("| variant | ns/call [range over rounds] | added ns/call [95% interval] | × floor |")
        p("|---|---:|---:|---:|")
        base, e = m("none", w), m("empty", w)
        floor = None if base is None or e is None else e - base
        vs = ["none", "empty", "default"] + (["single"] if w == "ce" else []) + ["hold", fl, "klockstat"]
        for v in vs:
            x = m(v, w)
            if x is None:
                p(f"| {label[v]} | no data | | |")
                continue
            lo, hi = rng(v, w)
            add = None if base is None else x - base
            col = acol = ""
            if v != "none" and add is not None:
                iv = ci(added, [smeds("none", w), smeds(v, w)])
                acol = n(add) + (f" [{n(iv[0])}–{n(iv[1])}]" if iv else "")
            if v not in ("none", "empty") and floor and floor > 0:
                col = f"{add / floor:.2f}"
            p(f"| {label[v]} | {n(x)} [{n(lo)}–{n(hi)}] | {acol} | {col} |")
            res[(v, w)] = add
        res[("funclat", w)] = res.get((fl, w))
        p("")
        alt = [smeds(v, w, med) for v in ("none", "empty", "default")]
        if all(alt):
            a = [med(list(x.values())) for x in alt]
            if a[1] > a[0]:
                p(f"From each session's median run instead of its fastest, pmutrace is at "
                  f"{(a[2] - a[0]) / (a[1] - a[0]):.2f} × floor ({n(a[2] - a[0])} vs "
                  f"{n(a[1] - a[0])} ns/call added).")
                p("")

    # 2. Unrelated workloads.
    p("## 2. Unrelated workloads, with and without pmutrace (default mode)")
    p("")
    p("Figures as in section 1: the median over rounds of each session's fastest run.")
    p("")
    p("| workload | no tracing ns/op [range over rounds] | pmutrace ns/op [range] | slowdown [95% interval] |")
    p("|---|---:|---:|---:|")
    slow = {}
    for w, title in [("open", "open and close `/dev/kvm`, 2 threads"),
                     ("pipe", "pipe, `dd \\| dd`, 64-byte blocks")]:
        a, b = m("none", w), m("default", w)
        if a is None or b is None:
            p(f"| {title} | no data | | |")
            continue
        iv = ci(ratio_minus_1, [smeds("none", w), smeds("default", w)])
        slow[w] = (b / a - 1, iv)
        (alo, ahi), (blo, bhi) = rng("none", w), rng("default", w)
        p(f"| {title} | {n(a)} [{n(alo)}–{n(ahi)}] | {n(b)} [{n(blo)}–{n(bhi)}] | {pc(b / a - 1)}"
          + (f" [{pc(iv[0])} … {pc(iv[1])}]" if iv else "") + " |")
    p("")

    if bstats:
        p("How often pmutrace's programs ran, and for how long: in every round, the default-mode "
          "session ran each workload once more, untimed, with `kernel.bpf_stats_enabled=1`, and "
          "`bpftool prog show` read every program's `run_cnt` and `run_time_ns` before and after. "
          "The counts are exact. The run time covers the programs' bodies plus the two clock reads "
          "that the statistics add around each run, which are slow under TCG. It does not cover the "
          "tracepoint or trampoline that calls them.")
        p("")
        p("| workload | program runs per op: median [range] | program time per op, ns: median [range] | share of the op without tracing |")
        p("|---|---:|---:|---:|")
        for w, title in [("ce", "`check-ext` (traced)"), ("open", "open and close `/dev/kvm`"),
                         ("pipe", "pipe, `dd \\| dd`")]:
            xs = bstats.get(w)
            if not xs:
                continue
            c, t = [x[0] for x in xs], [x[1] for x in xs]
            base = m("none", w)
            share = f"{med(t) / base * 100:.2f}%" if base else "n/a"
            p(f"| {title} | {med(c):.3f} [{min(c):.3f}–{max(c):.3f}] | {med(t):,.1f} "
              f"[{min(t):,.1f}–{max(t):,.1f}] | {share} |")
        p("")

    # 3. Start-up and memory.
    p("## 3. Start-up and memory")
    p("")
    p("- **Time-to-attached** runs from just before the tool starts until its `Tracing` line appears "
      "in its output file. The file is polled every 10 ms with shell builtins, and the clock is "
      "CLOCK_MONOTONIC, read from `/proc/timer_list`.")
    p("- **Peak RSS** is `VmHWM` from `/proc/PID/status`, read just before SIGINT.")
    p("")
    p("| tool | runs | time-to-attached ms: median [range] | VmHWM kB: median [max] | non-zero exits |")
    p("|---|---:|---:|---:|---:|")
    att, hwm = {}, {}
    for v in ["default", "single", "hold", "empty", "funclat_ce", "funclat_sp", "klockstat"]:
        t = [x for x in tools if x["variant"] == v]
        if not t:
            continue
        a = list(attach.get(v, {}).values())
        h = [int(x["vmhwm_kb"]) for x in t if int(x["vmhwm_kb"]) > 0]
        bad = sum(1 for x in t if x["rc"] != "0")
        att[v] = med(a) if a else None
        hwm[v] = med(h) if h else None
        p(f"| {label[v]} | {len(t)} | "
          + (f"{med(a):,.0f} [{min(a):,.0f}–{max(a):,.0f}]" if a else "n/a") + " | "
          + (f"{med(h):,.0f} [{max(h):,}]" if h else "n/a") + f" | {bad} |")
    p("")
    ks = [int(x["ns"]) / 1e6 for x in misc if x["what"] == "kallsyms_read"]
    if ks:
        p(f"For scale: one `cat /proc/kallsyms >/dev/null` took {med(ks):,.0f} ms "
          f"[{min(ks):,.0f}–{max(ks):,.0f}] in this guest. It was timed once per round.")
        p("")
    p("The bcc tools print `Tracing` on stdout, which is block-buffered when it goes to a file, so "
      "the line would only appear at exit. They therefore run with coreutils' `libstdbuf.so` "
      "preloaded (`_STDBUF_O=L`). That adds a little to their RSS.")
    p("")

    # 4. Cross-check.
    p("## 4. Cross-check: pmutrace and funclatency at once")
    p("")


    def funclat_total(path):
        tot = 0
        for line in read_lines(path):
            mm = re.match(r"\s*\d+\s*->\s*\d+\s*:\s*(\d+)", line)
            if mm:
                tot += int(mm.group(1))
        return tot


    xok = None
    try:
        pj = json.loads(read_text(f"{raw}/xcheck.pmutrace.json"))
        t = next(t for t in pj["targets"] if t["name"] == "kvm_supports_guest_pmuv3")
        pcount, pmx, pme = t["count"], t["missed"]["exit"], t["missed"]["entry"]
        fl = funclat_total(f"{raw}/xcheck.funclatency.out")
        derived = sum(int(kv_file(f).get("derived.kvm_supports_guest_pmuv3", 0))
                      for f in glob.glob(f"{raw}/xcheck.stress.*"))
        xok = pcount + pmx == fl == derived
        p(f"pmutrace (default) and `funclatency kvm_supports_guest_pmuv3` were attached together while "
          f"`pmu-stress -t 2 -n {params['N_XCHECK']} check-ext` and then `pmu-stress -t 2 -n 20 vcpu-init` ran:")
        p("")
        p("| source | `kvm_supports_guest_pmuv3` calls |")
        p("|---|---:|")
        p(f"| pmu-stress (`derived.`, both runs) | {derived} |")
        p(f"| pmutrace count + missed exits | {pcount} + {pmx} = {pcount + pmx} (missed entries: {pme}) |")
        p(f"| funclatency, sum of its histogram | {fl} |")
        p("")
        p("**" + ("All three agree exactly." if xok else "They do NOT agree.") + "**")
    except (OSError, StopIteration, KeyError, ValueError) as ex:
        p(f"The cross-check gave no result: {ex}.")
    chk = []
    for f in sorted(glob.glob(f"{raw}/r*-funclat_*.out")):
        mm = re.match(r"r(\d+)-(funclat_\w+)\.out", os.path.basename(f))
        calls = sum(int(s["calls"]) for s in samples
                    if s["round"] == mm.group(1) and s["variant"] == mm.group(2))
        chk.append(funclat_total(f) == calls)
    if chk:
        p("")
        p(f"In the rounds, funclatency's total equalled pmu-stress's call count in {sum(chk)} of "
          f"{len(chk)} runs.")
    p("")

    # Goals.
    p("## Goals")
    p("")
    p("| goal | measured | verdict |")
    p("|---|---|---|")
    for w, title, fl in paths:
        d, e, f_ = res.get(("default", w)), res.get(("empty", w)), res.get(("funclat", w))
        if d is not None and e and e > 0:
            iv = ci(excess_floor, [smeds("none", w), smeds("empty", w), smeds("default", w)])
            p(f"| {title}: pmutrace's added cost ≤ 1.25 × the floor's | {d / e:.2f} × "
              f"({n(d)} vs {n(e)} ns/call) | {verdict(d - 1.25 * e, iv, 0, ns_fmt, 'the excess over 1.25 × floor')} |")
        if d is not None and f_ is not None:
            iv = ci(excess_other, [smeds("default", w), smeds(fl, w)])
            p(f"| {title}: pmutrace's added cost below funclatency's | {n(d)} vs {n(f_)} ns/call "
              f"({d / f_:.2f} ×) | {verdict(d - f_, iv, 0, ns_fmt, 'the difference')} |")
    for w, (sd, iv) in slow.items():
        p(f"| unrelated `{w}` workload slowed ≤ 1% (default mode) | {pc(sd)} | "
          f"{verdict(sd, iv, 0.01, pc, 'the slowdown')} |")
    for mine, v in [("default", "funclat_ce"), ("single", "funclat_ce"), ("default", "klockstat")]:
        if att.get(mine) is not None and att.get(v) is not None:
            a, b = att[mine], att[v]
            iv = ci(lambda x, y: med(x) / med(y), [attach[mine], attach[v]])
            p(f"| start-up of {label[mine]} no worse than {label[v]} | {a:,.0f} vs {b:,.0f} ms "
              f"({a / b:.2f} ×) | {verdict(a / b, iv, 1.0, xf, 'the ratio')} |")
        if hwm.get(mine) is not None and hwm.get(v) is not None:
            a, b = hwm[mine], hwm[v]
            p(f"| peak RSS of {label[mine]} no worse than {label[v]} | {a:,.0f} vs {b:,.0f} kB "
              f"({a / b:.2f} ×) | " + ("met" if a <= b else "**missed**") + " |")
    if xok is not None:
        p(f"| cross-check: the three counts are equal | section 4 | {'met' if xok else '**missed**'} |")
    p("")

    # Why: worded from the results; the figures it cites are this run's.
    p("## Why")
    p("")
    for w, title, fl in paths:
        d, e = res.get(("default", w)), res.get(("empty", w))
        if d is None or not e or e <= 0:
            continue
        if d > e:
            p(f"- **{title}, against the floor.** The floor's programs return at once, so what they "
              "cost is the trampoline alone. pmutrace's programs do the measuring. Per call they read "
              "the clock twice and look up the task-storage call stack twice. They also update a "
              "per-CPU histogram and the return-value counters. The goal of 1.25 × leaves a quarter "
              f"of the trampoline's cost for all of that ({n(e / 4)} ns/call here), and pmutrace "
              f"used {n(d - e)} ns/call more than the floor."
              + (f" The kernel's statistics put the bodies of pmutrace's programs at "
                 f"{med([x[1] for x in bstats['ce']]):,.0f} ns per call on this path "
                 f"({med([x[0] for x in bstats['ce']]):.2f} runs per call), clock reads included."
                 if w == "ce" and bstats.get("ce") else ""))
        else:
            p(f"- **{title}, against the floor.** pmutrace's added cost came out at or below the "
              "floor's. The floor is a lower bound, so the difference is noise.")
    if any(res.get(("funclat", w)) for w, _, _ in paths):
        p("- **Against funclatency.** bookworm's funclatency attaches a kprobe and a kretprobe "
          "instead of fentry/fexit. On arm64 a kprobe is normally a breakpoint exception, and a "
          "kretprobe swaps the return address for a trampoline. Both cost more than an fentry/fexit "
          "trampoline, and TCG makes exceptions especially expensive, so the gap is probably "
          "smaller on hardware.")
    if slow:
        p("- **Unrelated workloads.** In default mode, the only probes that do not target the PMU "
          "functions are the `lock:contention_begin/end` tracepoints. They fire only when a lock "
          "is contended, and then return at once for any lock but `arm_pmus_lock`. The two "
          "workloads were chosen to contend (`misc_mtx`, `pipe->mutex`). They are also the noisiest "
          "figures here. With 2 vCPUs under TCG on a loaded 2-core host, a vCPU that the host "
          "deschedules while it holds the lock stalls the other vCPU too.")
        for w, title in [("open", "open"), ("pipe", "pipe")]:
            xs = bstats.get(w)
            base = m("none", w)
            if not xs or not base:
                continue
            c, t = med([x[0] for x in xs]), med([x[1] for x in xs])
            share = t / base
            how = ("well below 1%" if share < 0.005 else "around 1%" if share < 0.02 else "above 1%")
            p(f"  In the `{title}` workload the programs ran {c:.3f} times per operation, for "
              f"{t:,.1f} ns per operation by the kernel's statistics. That is {share * 100:.2f}% of "
              f"the operation without tracing: {how}, before the cost of the tracepoint that calls "
              "them is counted.")
    if att.get("default") is not None and att.get("funclat_ce") is not None and att["default"] > att["funclat_ce"]:
        extra = f" (a whole read took {med(ks):,.0f} ms here)" if ks else ""
        p("- **Start-up.** Before pmutrace prints `Tracing`, it does the following "
          "(`PMUTRACE_STEPS=1` prints the time of each step):")
        p("  - parses the kernel's BTF once, for its own look-ups and then for libbpf's load "
          "(a link wrap of `btf__load_vmlinux_btf()` hands it over), and loads one probe "
          "program to tell a kernel that refuses tracing from a target that cannot be traced;")
        p("  - asks the kernel's symbol index for the lock and its targets (one run of a BPF "
          "syscall program calling `bpf_kallsyms_lookup_name`), then reads `/proc/kallsyms` only "
          f"as far as its targets' text, the first 2% of the file{extra}, and not at all "
          "without a lock (the text's ends only place lock waiters in a target);")
        p("  - confirms each target by loading a probe program on it;")
        p("  - loads and attaches its programs (one fsession program per target on 7.x), and the "
          "two tracepoints.")
        p("  Each attach patches kernel text. funclatency attaches one kprobe, "
          "and its RSS shows that it never loads the kernel's BTF. empty_probe loads the BTF and "
          "attaches three pairs, with no symbol lookup and no probe. It shows how much of the "
          "difference is inherent to fentry.")
    if hwm.get("default") is not None and hwm.get("funclat_ce") is not None and hwm["default"] > hwm["funclat_ce"]:
        p("- **Memory.** Most of pmutrace's RSS is libbpf's parsed copy of the kernel's BTF, which "
          "any fentry tool needs. The empty-program loader does nothing else, and it has "
          f"{n(hwm.get('empty'))} kB against pmutrace's {n(hwm['default'])} kB. funclatency uses "
          "kprobes and never loads that BTF. klockstat uses fentry and is larger still "
          f"({n(hwm.get('klockstat'))} kB).")
    p("")

    p("## Failures and errors recorded in the guest")
    p("")
    if errors:
        p("```")
        p(errors)
        p("```")
    else:
        p("None. Every tool attached, every workload finished without a failed call, and every tool "
          "exited with 0.")
    p("")
    p("## Raw files")
    p("")
    p("At the top of the archive (`raw/`); `raw/insns/` and `raw/rt/` hold the sections below.")
    p("")
    p("| file | contents |")
    p("|---|---|")
    p("| `host.txt` | date, load, QEMU version |")
    p("| `qemu-args.txt` | QEMU's command line, one argument per line |")
    p("| `hostload.txt` | the host's load average every 15 s |")
    p("| `guest.txt` | kernel, parameters |")
    p("| `samples.txt` | one line per workload run |")
    p("| `tools.txt` | time-to-attached, VmHWM and exit code per tool run |")
    p("| `misc.txt` | the `/proc/kallsyms` reads |")
    p("| `r<round>-<variant>.*` | each tool's own output; pmutrace's JSON for round 1 only, compacted |")
    p("| `xcheck.*` | the cross-check |")
    p("| `progress.txt` | each round's order |")
    p("| `scenario.log` | the guest scenario's log |")
    return L
