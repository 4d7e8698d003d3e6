"""docs/report/README.md: the modes, the summary, then each mode's tables
(every heading names its mode), the path length, the figures."""

import re

import figures as fg
import modes
import summary as sm
import text
import verdicts as vd


class ModeData:
    """One mode's boots, cells, compare JSON per cell and figure files."""

    def __init__(self, mode, groups, cells, cmp, svgs=None, strips=None, whole=None):
        """WHOLE: compare's document over all cells (`--cells`, issue 19) or None."""
        self.mode, self.groups, self.cells, self.cmp = mode, groups, cells, cmp
        self.svgs, self.strips, self.whole = svgs or {}, strips or {}, whole or {}


def labelled(lines, mode):
    """A section's headings one level down, each naming MODE."""
    out = []
    for line in lines:
        m = re.match(r"^(#+) (.*)$", line)
        out.append("#%s %s — %s" % (m.group(1), m.group(2), modes.name(mode)) if m else line)
    return out


def setup_facts(per_mode):
    """(machine, QEMU, time span) as the setup section prints them."""
    boots = [x for md in per_mode.values() for bs in md.groups.values() for x in bs]
    first = boots[0]
    machine = first.get("host") or first.get("board") or "not recorded"
    qemu = "none: the kernels ran natively"
    if first.get("qemu"):
        qemu = "%s, %s vCPUs, -cpu %s" % (first.get("qemu"), first.get("qemu_smp", "?"),
                                          (first.get("qemu_cpu").split("-cpu ")[1:] or ["?"])[0])
    starts = sorted(t for t in (text._time(x.get("host_start") or x.get("start")) for x in boots) if t)
    ends = sorted(t for t in (text._time(x.get("host_end") or x.get("end")) for x in boots) if t)
    span = ("from %s to %s UTC" % (starts[0].strftime("%Y-%m-%d %H:%M"), ends[-1].strftime("%H:%M"))
            if starts and ends else "at times not recorded")
    return machine, qemu, span


def summary_md(per_mode, a, b, facts, contention_mode):
    """The summary's figures as the page's own section."""
    machine, qemu, span = facts
    out = ["## Summary", "", "The same figures as [summary.txt](summary.txt) (plain text, for a "
           "reply on the mailing list). Boots %s on %s; QEMU: %s." % (span, machine, qemu), ""]
    for m, md in per_mode.items():
        for k in (a, b):
            acq, calls = sm.acquisitions(md.groups, k)
            out.append("- %s, **%s**: the readers took `arm_pmus_lock` %d times in %d reader calls "
                       "(`--hold` runs of %d boots); %d contended waits over all its boots." % (
                           modes.label(m), k, acq, calls, len(md.groups.get(k, [])),
                           sm.all_waits(md.groups, md.cells, k)))
    heads = sm.headlines(per_mode, contention_mode, modes.latency_mode(per_mode))
    out += ["- Headline verdict, %s: %s." % (q, v) for q, v in heads] or [
        "- Headline verdicts (pooled over cells, with adjusted p): none in `pmutrace "
        "compare`'s JSON; the per-cell verdicts follow."]
    out.append("")
    return out


def mode_section(md, a, b, latency_mode, contention_mode, load_warn):
    out = ["## %s" % modes.label(md.mode), "",
           "QEMU `%s`: %s." % (modes.MODES.get(md.mode, {}).get("flags", "?"),
                              modes.MODES.get(md.mode, {}).get("time", "?")), ""]
    if md.mode != latency_mode:
        out += ["Latency verdicts are not given here: they come from the %s mode, whose boots "
                "repeat." % modes.name(latency_mode), ""]
    if md.mode != contention_mode:
        out += ["Contention verdicts are not given here: they come from the %s mode "
                "(\"Contention in each mode\")." % modes.name(contention_mode), ""]
    body = text.setup(md.groups, md.cells, a, b, load_warn)
    body += headline_table(md, a, b, latency_mode, contention_mode)
    body += text.hold_table(md.groups)
    body += text.wait_table(md.groups, md.cells, md.cmp, a, b, md.mode == contention_mode)
    body += text.latency_table(md.cells, md.cmp, a, b, md.mode == latency_mode)
    body += text.drops_table(md.groups, md.cells)
    body += text.misses_explained(md.groups, md.cells)
    body += text.counts_check(md.groups)
    return out + labelled(body, md.mode)


def headline_table(md, a, b, latency_mode, contention_mode):
    """Compare's answers over all cells, each boot one value (issue 19), where
    its JSON has them; a question this mode does not answer is shown unjudged."""
    heads = sm.headline_entries(md)
    if not heads:
        return []
    out = ["## Headline: all cells together", "",
           "`pmutrace compare`'s one answer per question over all cells, each boot one value "
           "over all its cells (`pmutrace compare --cells`; the boot stays the replicate, so "
           "per-boot figures rather than van Elteren's cell strata, which would count one "
           "boot's cells as independent). " + vd.family_line(md.whole),
           "", "| question | %s | %s | ratio | verdict | per boot |" % (a, b),
           "|---|---:|---:|---|---|---|"]
    for h in heads:
        f = text.ns if h.get("unit") == "ns" else text.num
        judged = md.mode == (contention_mode if sm.about_waits(h) else latency_mode)
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            h.get("question", "?"), f(h.get("before")), f(h.get("after")), text.ratio(h),
            text.verdict(h, judged), h.get("per_boot", "")))
    out.append("")
    return out


def distributions(md, a, b):
    out = ["### Distributions — %s" % modes.name(md.mode), "",
           "Left: the pooled histograms of all boots (`pmutrace compare -f svg`, %s blue, %s "
           "orange). Right: one dot per boot, per kernel." % (a, b), ""]
    for cell in md.cells:
        names = [n for n in (md.svgs.get(cell), md.strips.get(cell)) if n]
        if names:
            out += ["#### %s — %s" % (cell, modes.name(md.mode)), "",
                    " ".join("![%s](%s)" % (cell, n) for n in names), ""]
    return out


def attach_table(per_mode):
    out = ["## How each kernel attached the targets, per mode", "",
           "| mode | kernel | target | attach mode | function |", "|---|---|---|---|---|"]
    for m, md in per_mode.items():
        for label, bs in md.groups.items():
            run = next(iter(bs[0].runs.values()))
            for t in run.get("targets", []):
                att = t.get("attach") or {}
                out.append("| %s | %s | %s | %s | %s |" % (
                    modes.name(m), label, t["name"], att.get("mode"), att.get("function") or "-"))
    out.append("")
    return out


def report(per_mode, a, b, raw, command=None, raw_cmd=None, extra=None, inline=None):
    """RAW: links to the raw data from the page; RAW_CMD: as given on the command line;
    EXTRA: the path length section's lines (render.py --insns); INLINE: the readers'
    own bodies (render.py --inline, readers.py)."""
    raw_cmd = raw_cmd or raw
    lm = modes.latency_mode(per_mode)
    pm = {m: (md.groups, md.cmp) for m, md in per_mode.items()}
    cells = [c for md in per_mode.values() for c in md.cells]
    cells = sorted(set(cells), key=fg.cell_order)
    cont_lines, cm = modes.contention(pm, cells, a, b)
    boots = [x for md in per_mode.values() for bs in md.groups.values() for x in bs]
    out = ['# Before and after "KVM: arm64: PMU: Protect the list of PMUs with RCU"', ""]
    out.append("Every table and figure here is generated from the raw boots in %s by "
               "`python3 scripts/report/render.py %s` (no hand edits).%s" % (
                   ", ".join("[%s](%s)" % (r, r) for r in raw), " ".join(raw_cmd),
                   " The raw data were made by `%s`." % command if command else ""))
    if any(x.get("accel") for x in boots):
        out += ["", "**The lab's timings are QEMU timings, not hardware timings.** Under the "
                "instruction-driven clock a \"ns\" is one guest instruction (virtual time); "
                "under parallel TCG it is host time, slowed by emulation and by the host's "
                "load. Counts are exact in every mode; ratios between two kernels that ran the "
                "same way are what carries over, and only roughly."]
    out.append("")
    facts = setup_facts(per_mode)
    out += modes.modes_lines(pm, cm)
    out += summary_md(per_mode, a, b, facts, cm)
    out += modes.spread_table(pm, cells, a, b)
    met, missed, unknown = modes.goal(pm, cells, a, b)
    out += ["Goal (smallest detectable ratio ≤ ×%s in every uncontended cell of the %s mode): "
            "%s." % (text.num(modes.GOAL_DETECT), modes.name(lm), "; ".join(p for p in (
                "met in %s" % ", ".join("`%s`" % c for c in met) if met else "",
                "**missed** in %s" % ", ".join("`%s`" % c for c in missed) if missed else "",
                "not known for %s: `pmutrace compare` does not print its detectable ratio yet "
                "(issue 19)" % ", ".join("`%s`" % c for c in unknown) if unknown else "") if p)
            or "no uncontended cell"), ""]
    out += cont_lines
    out += modes.load_lines(pm, a, b)
    for m, md in per_mode.items():
        out += mode_section(md, a, b, lm, cm, modes.load_warnings(m, md.groups, a, b))
    out += extra or []
    out += inline or []
    out += ["## Distributions", ""]
    for md in per_mode.values():
        out += distributions(md, a, b)
    out += attach_table(per_mode)
    out += ["## Regenerating", "",
            "- This page, [summary.txt](summary.txt) and every SVG, from the raw boots only: "
            "`%s` (`make report-render` for the committed archive). Tables: "
            "`scripts/report/text.py`, `modes.py`, `page.py`; the summary: `summary.py`; strip "
            "plots (`MODE-CELL-boots.svg`): `scripts/report/svg.py`; pooled histograms "
            "(`MODE-CELL.svg`): `pmutrace compare -f svg` of the cell's runs, the %s boots "
            "against the %s boots." % ("python3 scripts/report/render.py " + " ".join(raw_cmd),
                                       a, b),
            "- New raw boots: `sudo make report` in the QEMU lab (both modes: `MODES=\"icount "
            "parallel\"`), or `sudo ./native-run.sh raw/` on each boot of real hardware "
            "(README, \"Running the report on your hardware\").", ""]
    if extra:
        out[-1:-1] = ["- \"Path length (instructions, exact)\": new raw counts by `make "
                      "bench-rcu-insns` (the before/after kernels of `scripts/lab/build-kernels.sh` in "
                      "QEMU with `tools/insn-count`, 1 thread on 1 vCPU, no tracer; a few "
                      "minutes), rendered here by `render.py --insns` and in "
                      "docs/performance.md by `python3 -m scripts.bench.perfdoc`."]
    if inline:
        out[-1:-1] = ["- \"The readers themselves (inline sites)\": a new raw set by "
                      "`tests/inline-patch-e2e.sh` (its build/e2e/inline-patch/{before,after}, "
                      "30 s), rendered here by `render.py --inline` (`scripts/report/readers.py`)."]
    return "\n".join(out) + "\n", facts, cm
