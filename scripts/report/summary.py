"""docs/report/summary.txt: the report in plain text for a reply on the
patch's mailing list: at most 72 columns, no Markdown, every figure as the
rendered report prints it (tests/report checks both)."""

import textwrap

import figures as fg
import modes
import text

WIDTH = 72


def _para(out, s, indent="  "):
    out.extend(textwrap.wrap(plain(s), WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                             break_on_hyphens=False, break_long_words=True))


def plain(s):
    """Markdown's marks off a generated sentence, and ASCII for mail."""
    for a, b in (("**", ""), ("`", ""), ("µs", "us"), ("×", "x"), ("≥", ">="), ("→", "->"),
                 ("−", "-"), ("…", "...")):
        s = s.replace(a, b)
    return s


def acquisitions(groups, label):
    return text.hold_total(groups.get(label, []))


def all_waits(groups, cells, label):
    return sum(fg.total(groups.get(label, []), c, lambda f: f["contended"]) for c in cells
               if not fg.parse_cell(c)[2])


def headline_entries(md):
    """Compare's answers over all cells (issue 19's "headline": question,
    before, after, ratio, lo, hi, verdict, p, p_adjusted, unit, per_boot), from
    its whole document, else from any cell's; [] when it has none."""
    docs = [md.whole] + list(md.cmp.values())
    for d in docs:
        heads = [h for h in (d or {}).get("headline") or [] if isinstance(h, dict)]
        if heads:
            return heads
    return []


def about_waits(h):
    """Does a headline question ask about the lock's waits?"""
    q = h.get("question", "")
    return "contention" in q or "wait" in q


def headlines(per_mode, contention_mode, latency_mode):
    """[(question, verdict text)]: each question from the mode that answers
    it (contention from CONTENTION_MODE, latencies from LATENCY_MODE)."""
    out = []
    for m, want in ((contention_mode, True), (latency_mode, False)):
        for h in headline_entries(per_mode[m]):
            if about_waits(h) == want:
                out.append(("%s (%s)" % (h.get("question", "?"), modes.name(m)),
                            text.verdict(h)))
    return out


def latency_lines(md, a, b):
    """The latency mode's per-cell p50 verdicts of the main readers."""
    out = []
    for cell in md.cells:
        scenario, _, hold = fg.parse_cell(cell)
        e = text.entry(md.cmp.get(cell), fg.MAIN_TARGET.get(scenario))
        st = (e or {}).get("p50")
        if hold or not st:
            continue
        out.append("%s %s p50: %s -> %s, ratio %s, %s" % (
            cell, e["name"], text.ns(st.get("before")), text.ns(st.get("after")),
            text.ratio(st), text.verdict(st)))
    return out


def contention_lines(md, a, b):
    """Verdicts of the cells where a boot of either kernel waited; the
    others named together."""
    out, none = [], []
    for cell in md.cells:
        if fg.parse_cell(cell)[2]:
            continue
        if all(all_waits({k: md.groups.get(k, [])}, [cell], k) == 0 for k in (a, b)):
            none.append(cell)
            continue
        st = (text.lock_entry(md.cmp.get(cell)) or {}).get("waits_per_1k")
        if st:
            out.append("%s waits per 1000 calls: ratio %s, %s" % (
                cell, text.ratio(st), text.verdict(st)))
    if none:
        out.append("no waits in any boot of either kernel: %s" % ", ".join(none))
    return out


def build(per_mode, a, b, contention_mode, paths, raw, command, setup_facts):
    """PER_MODE: {mode: render.ModeData}; PATHS: the path length rows
    (scripts.bench.spans.rows and insns.rcu_rows); RAW: the raw archives
    as the report names them; SETUP_FACTS: (machine, qemu, span) strings."""
    lm = modes.latency_mode(per_mode)
    machine, qemu, span = setup_facts
    out = ['Before/after "KVM: arm64: PMU: Protect the list of PMUs with RCU"',
           "(pmutrace's make report; boots %s)" % span, ""]
    out.append("What was built and booted")
    first = next(iter(per_mode.values())).groups
    for k, bs in first.items():
        x = bs[0]
        _para(out, "%s: Linux %s, build id %s%s" % (
            k, x.get("kernel_release"), x.get("build_id", "")[:16] or "-",
            " (scripts/lab/build-kernels.sh: Debian's kernel source, "
            "allnoconfig + scripts/lab/kernel.config, %s the patch)" % (
                "without" if k == a else "with") if k in (a, b) else ""))
    _para(out, "Machine: %s" % machine)
    _para(out, "QEMU: %s" % qemu)
    for m, md in per_mode.items():
        _para(out, "Mode %s (%s): %s boots" % (
            modes.name(m), modes.MODES.get(m, {}).get("flags", m),
            " + ".join("%d %s" % (len(v), k) for k, v in md.groups.items())))
    out += ["", "Exact counts (--hold runs and lock tracepoints)"]
    for m, md in per_mode.items():
        for k in (a, b):
            acq, calls = acquisitions(md.groups, k)
            _para(out, "%s, %s: arm_pmus_lock taken %d times in %d reader calls; %d "
                  "contended waits" % (modes.name(m), k, acq, calls,
                                       all_waits(md.groups, md.cells, k)))
    out += ["", "Headline verdicts"]
    heads = headlines(per_mode, contention_mode, lm)
    if heads:
        for q, v in heads:
            _para(out, "%s: %s" % (q, v))
    else:
        _para(out, "(pooled headline verdicts: none in pmutrace compare's "
              "JSON; per-cell verdicts below)")
    out += ["", "Contention, per cell (%s mode)" % modes.name(contention_mode)]
    for line in contention_lines(per_mode[contention_mode], a, b) or ["no verdict"]:
        _para(out, line)
    out += ["", "Latency of each cell's main reader (%s mode)" % modes.name(lm)]
    _para(out, "Its ns are virtual: one guest instruction per ns (-icount shift=0)."
          if lm == "icount" else "Its ns are the host's time as the guest saw it.")
    for line in latency_lines(per_mode[lm], a, b):
        _para(out, line)
    whole, spans = paths
    if whole or spans:
        out += ["", "Path length (guest instructions per call, no tracer, exact)"]
    # A whole VM + vCPU init is some 777,000 instructions: its reader alone
    # is the span row.
    for _, op, _, bs, as_ in (r for r in whole if r[0] != "vi"):
        _para(out, "%s: %s -> %s (%s)" % (op, f"{bs.med:,.1f}", f"{as_.med:,.1f}",
                                          f"{as_.med - bs.med:+,.1f}"))
    for op, fn, _, (bv, bl, _), (av, al, _) in spans:
        _para(out, "%s with callees: %s -> %s (%s); in mutex_*: %s -> %s" % (
            fn, f"{bv:,.1f}", f"{av:,.1f}", f"{av - bv:+,.1f}", f"{bl:,.1f}", f"{al:,.1f}"))
    out += ["", "Raw data and how to regenerate"]
    for r in raw:
        _para(out, r)
    if command:
        _para(out, "made by: %s" % command)
    return "\n".join(out) + "\n"
