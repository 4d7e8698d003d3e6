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
insnraw.added_paired)."""
import json
import os

from scripts.bench import insnraw, read_lines

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


def span_of(kdir):
    """The function the plugin counted with its callees (BENCH_SPANS), or None."""
    for b in insnraw.boots(kdir):
        for c in insnraw.read_ranges(b).values():
            for k in c:
                if k.endswith(".incl"):
                    return k[:-len(".incl")]
    return None


def span_added(r, v, w, span):
    """Instructions per call variant V added inside SPAN on workload W in one
    boot (R: insnraw.read_ranges), against its untraced neighbour (base_V),
    else against no tracer."""
    k = span + ".incl"
    base = r.get(("base_" + v, w)) or r.get(("none", w))
    if not base or k not in base or k not in r.get((v, w), {}):
        return None
    return r[(v, w)][k] - base[k]


def rows(kdir):
    """[(workload, operation, reader, untraced, {variant: (added, × caller,
    added in the span, × caller)})] per operation, each a Summary over boots
    (the span's None without one)."""
    bs = [insnraw.read_boot(b) for b in insnraw.boots(kdir)]
    rs = [insnraw.read_ranges(b) for b in insnraw.boots(kdir)]
    span = span_of(kdir)
    out = []
    for w, op, reader in insnraw.RCU_WORKLOADS:
        base = insnraw.per_boot(bs, lambda b: min(b[("none", w)]) if ("none", w) in b else None)
        if base.med is None:
            continue
        cells = {}
        for v, _ in VARIANTS:
            a = insnraw.per_boot(bs, lambda b: insnraw.added_paired(b, v, w)[0])
            x = insnraw.per_boot(bs, lambda b: insnraw.ratio(insnraw.added_paired(b, v, w)[0],
                                                        insnraw.added_paired(b, "caller", w)[0]))
            sa = insnraw.per_boot(rs, lambda r: span and span_added(r, v, w, span))
            sx = insnraw.per_boot(rs, lambda r: span and insnraw.ratio(
                span_added(r, v, w, span), span_added(r, "caller", w, span)))
            cells[v] = (a, x, sa, sx)
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
    bpaths = insnraw.boots(kdir)
    guest = {}
    gp = os.path.join(bpaths[0], "guest.txt")
    if os.path.exists(gp):
        guest = dict(line.rstrip("\n").split("=", 1) for line in read_lines(gp) if "=" in line)
    funcs = guest.get("sites", "").split()
    folder = os.path.basename(kdir)
    nokaslr = "nokaslr" in guest.get("cmdline", "").split()
    title = guest.get("kernel", folder[:-len(SUFFIX)]) + (", booted with nokaslr" if nokaslr else "")
    fl = " ".join(f"-f {f}" for f in funcs)
    L = [f"### Inline sites against the caller fallback: {title}", "",
         "Command: `make bench-inline-insns`, the last step of `make bench-insns` "
         "(`scripts/bench/bench-insns.sh` with `BENCH_SITES`; raw data: "
         f"`raw/insns/{folder}/boot<N>/` in the archive, with the site table `sites.txt` that "
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
    found = rows(kdir)
    span = span_of(kdir)
    head = "| operation | no tracer, per call | variant | added per call | × caller fallback |"
    if span:
        L.append(f"Inside `{span}` too: the plugin counted that function with its callees "
                 f"(`tools/insn-count` `span=`, `BENCH_SPANS`; its range from `nm` of the -dbg "
                 "vmlinux; so the guest boots with `nokaslr`), which holds both operations' "
                 "tracer work and less of the rest of the operation. A vCPU init drifts inside "
                 "it too, so its range stays wide: its figures say more than the caller "
                 "fallback or not, not how much more to within a few hundred instructions.")
        L.append("")
        head += f" added inside `{span}` | × caller fallback |"
    if nokaslr:
        L.append("Without KASLR the kernel's text, its modules and the BPF trampolines lie "
                 "elsewhere than in the boots Debian ships (KASLR on), and what a tracer costs "
                 "can differ from those: the whole windows here against the section without "
                 "`nokaslr` show by how much.")
        L.append("")
    L.append(head)
    L.append("|---" * (head.count("|") - 1) + "|")
    for w, op, reader, base, cells in found:
        for i, (v, what) in enumerate(VARIANTS):
            a, x, sa, sx = cells[v]
            first = (f"{op}: {reader}", base.fmt(1)) if i == 0 else ("", "")
            L.append(f"| {first[0]} | {first[1]} | {what} | {a.fmt()} | {x.fmt(2)} |" +
                     (f" {sa.fmt()} | {sx.fmt(2)} |" if span else ""))
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
    # The verdict from the span where there is one: less drift.
    pick = 3 if span else 1
    for w, op, reader, base, cells in found:
        L.append(f"- {op}: the inline sites add {verdict(cells['inline'][pick])}"
                 + (f" (inside `{span}`)." if span else "."))
    L.append("")
    xs = [cells["inline"][pick] for *_, cells in found]
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
