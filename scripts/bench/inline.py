# SPDX-License-Identifier: GPL-2.0
"""Inline sites against the caller fallback, in instructions per call
(`make bench-inline-insns`, the last step of `make bench-insns`).

Raw data: RAW/insns/<kernel>-inline/boot<N>/, read as insns.py reads every
kernel's: variants none, caller and inline (pmutrace --sites --attach
caller|inline -f each function of guest.txt's sites=), workloads sp and vi;
sites.txt, the table the guest got; r1-caller.json and r1-inline.json,
round 1's output (how each target was attached, the calls it counted).
A boot is one replicate; shown: the median over boots (range). Each traced
window counts against its untraced neighbour (base_caller, base_inline:
insns.added_paired)."""
import json
import os

from scripts.bench import insns, read_lines

SUFFIX = "-inline"
VARIANTS = [
    ("caller", "caller fallback (`--attach caller`: fsession on the only caller, filtered)"),
    ("inline", "inline sites (`--sites`, `--attach inline`: a kprobe at each entry and exit)"),
]


def attached(boot, variant):
    """{target: (mode, via or None, sites, calls)} from round 1's JSON of one
    boot; {} when it is missing."""
    p = os.path.join(boot, f"r1-{variant}.json")
    if not os.path.exists(p):
        return {}
    with open(p) as f:
        doc = json.load(f)
    out = {}
    for t in doc.get("targets", []):
        a = t.get("attach") or {}
        via = a.get("function") if a.get("mode") == "caller" else None
        out[t["name"]] = (a.get("mode"), via, len(a.get("sites") or []), t.get("count"))
    return out


def rows(kdir):
    """[(workload, operation, reader, untraced, {variant: (added, × caller)})]
    per operation, each a Summary over boots."""
    bs = [insns.read_boot(b) for b in insns.boots(kdir)]
    out = []
    for w, op, reader in insns.RCU_WORKLOADS:
        base = insns.per_boot(bs, lambda b: min(b[("none", w)]) if ("none", w) in b else None)
        if base.med is None:
            continue
        cells = {}
        for v, _ in VARIANTS:
            a = insns.per_boot(bs, lambda b: insns.added_paired(b, v, w)[0])
            x = insns.per_boot(bs, lambda b: insns.ratio(insns.added_paired(b, v, w)[0],
                                                        insns.added_paired(b, "caller", w)[0]))
            cells[v] = (a, x)
        out.append((w, op, reader, base, cells))
    return out


def verdict(x):
    """Words for the inline/caller ratio X (a Summary over boots)."""
    if x.med is None:
        return "not measured"
    if x.lo > 1:
        return f"{x.fmt(2)} × the caller fallback's, more in every boot"
    if x.hi < 1:
        return f"{x.fmt(2)} × the caller fallback's, less in every boot"
    return f"{x.fmt(2)} × the caller fallback's: the boots disagree"


def section(kdir):
    """Markdown lines for one <kernel>-inline raw folder."""
    bpaths = insns.boots(kdir)
    guest = {}
    gp = os.path.join(bpaths[0], "guest.txt")
    if os.path.exists(gp):
        guest = dict(line.rstrip("\n").split("=", 1) for line in read_lines(gp) if "=" in line)
    funcs = guest.get("sites", "").split()
    name = os.path.basename(kdir)[:-len(SUFFIX)]
    fl = " ".join(f"-f {f}" for f in funcs)
    L = [f"### Inline sites against the caller fallback: {name}", "",
         "Command: `make bench-inline-insns`, the last step of `make bench-insns` "
         "(`scripts/bench/bench-insns.sh` with `BENCH_SITES`; raw data: "
         f"`raw/insns/{name}{SUFFIX}/boot<N>/` in the archive, with the site table `sites.txt` that "
         "`pmutrace-sites` wrote from the kernel's `-dbg` vmlinux). "
         f"{len(bpaths)} boots; {guest.get('params', '')}. Variants, each one run of "
         f"`pmutrace --sites sites.txt --attach caller|inline --no-lock {fl}` over both "
         "workloads, the rounds rotated: no tracer; the caller fallback; the inline sites. The "
         "kprobe pairs' calibration at start-up is outside the windows. Each cell: median over "
         "boots (range). A boot's figure is paired, as for the unrelated workloads above: the "
         "traced windows against the same workload run untraced just before the tracer started, "
         "the least of the rounds of each (a vCPU init, some 560,000 instructions, drifts by "
         "more than a tracer's cost between rounds). × caller fallback is the ratio within each "
         "boot.", ""]
    L.append("| operation | no tracer, per call | variant | added per call | × caller fallback |")
    L.append("|---|---|---|---|---|")
    found = rows(kdir)
    for w, op, reader, base, cells in found:
        for i, (v, what) in enumerate(VARIANTS):
            a, x = cells[v]
            first = (f"{op}: {reader}", base.fmt(1)) if i == 0 else ("", "")
            L.append(f"| {first[0]} | {first[1]} | {what} | {a.fmt()} | {x.fmt(2)} |")
    L.append("")
    # How round 1 of each boot attached, and what it counted.
    seen = {}
    for b in bpaths:
        for v, _ in VARIANTS:
            for t, (mode, via, nsites, calls) in attached(b, v).items():
                how = f"{mode} via {via}" if via else (
                    f"{mode} at {nsites} sites" if mode == "inline" else str(mode))
                seen.setdefault((v, t, how), []).append(calls)
    if seen:
        L.append("How each variant attached (round 1 of each boot, from its JSON), and the calls "
                 "it counted there (its SET_PMU window makes one vCPU init of its own): " +
                 "; ".join(f"{v}: `{t}` {how}, {'/'.join(str(c) for c in sorted(set(cs)))} calls"
                           for (v, t, how), cs in sorted(seen.items())) + ".")
        L.append("")
    for w, op, reader, base, cells in found:
        x = cells["inline"][1]
        L.append(f"- {op}: the inline sites add {verdict(x)}.")
    L.append("")
    xs = [cells["inline"][1] for *_, cells in found]
    if xs and all(x.med is not None and x.lo > 1 for x in xs):
        L.append("So inline sites are opt-in: pmutrace takes them only when `--sites FILE` is "
                 "given (they time the body alone, which the caller fallback cannot), and a host "
                 "that watches the readers in production keeps the caller fallback.")
        L.append("")
    return L


def render(d):
    """Markdown lines of every <kernel>-inline folder under D (RAW/insns)."""
    L = []
    for k in sorted(os.listdir(d)):
        if k.endswith(SUFFIX) and os.path.isdir(os.path.join(d, k)):
            L.extend(section(os.path.join(d, k)))
    return L
