"""The report's section "The readers themselves": each inlined reader's body
before and after the patch, timed at its inline sites (pmutrace --sites, the
kprobe pair's calibrated bias taken off), beside the same calls timed through
the caller, and the body's path length from tools/insn-count's pair=. The raw
set is one run of tests/inline-patch-e2e.sh: DIR/{before,after}/ with
ok.json, enxio.json (inline sites), caller.json, callerx.json (the callers)
and insns.txt (the plugin's windows 1-3: vCPU inits, SET_PMU, SET_PMU
-ENXIO, no tracer; 4-6: the same timed at the inline sites)."""

import json
import os

import text

# (what, target, inline-site run, caller run, plugin window, pair= name)
ROWS = [
    ("`kvm_pmu_probe_armpmu` (new vCPU)", "kvm_pmu_probe_armpmu", "ok", "caller", 1, "probe"),
    ("`kvm_arm_pmu_v3_set_pmu`, success", "kvm_arm_pmu_v3_set_pmu", "ok", "caller", 2, "setpmu"),
    ("`kvm_arm_pmu_v3_set_pmu`, `-ENXIO`", "kvm_arm_pmu_v3_set_pmu", "enxio", "callerx", 3,
     "setpmu"),
]
SIDES = ("before", "after")


def windows(path):
    """insns.txt -> [{KEY: int}] per window, in order."""
    out = []
    with open(path) as f:
        for line in f:
            out.append({k: int(v) for k, v in (w.split("=", 1) for w in line.split())})
    return out


def target(path, name):
    """The target NAME of a pmutrace JSON file; ValueError when absent."""
    with open(path) as f:
        for t in json.load(f)["targets"]:
            if t["name"] == name:
                return t
    raise ValueError("%s: no target %s" % (path, name))


def plugin_pair(wins, w, pair):
    """(least, entry_cost) of PAIR in plugin window W (1-based; None when it
    saw none) and what the entry kprobe adds: the least pair of its traced
    twin, three windows on, less the least untraced (None without both)."""
    win = wins[w - 1] if w <= len(wins) else {}
    traced = wins[w + 2] if w + 3 <= len(wins) else {}
    least = win.get(pair + ".min") if win.get(pair + ".pairs") else None
    cost = traced[pair + ".min"] - least if least is not None and traced.get(pair + ".pairs") else None
    return least, cost


def side(d):
    """A side's folder -> one dict per ROWS entry: insns (the plugin's least
    pair; None when it saw none), body (bias-corrected fast path, ns),
    caller_mean (ns), entry_cost (the least traced pair less the least
    untraced: what the entry kprobe adds; None without both)."""
    wins = windows(os.path.join(d, "insns.txt"))
    out = []
    for _, name, run, crun, w, pair in ROWS:
        least, cost = plugin_pair(wins, w, pair)
        t = target(os.path.join(d, run + ".json"), name)
        c = target(os.path.join(d, crun + ".json"), name)
        if t["attach"]["mode"] != "inline" or c["attach"]["mode"] != "caller":
            raise ValueError("%s: %s timed %s and %s, not inline and caller" % (
                d, name, t["attach"]["mode"], c["attach"]["mode"]))
        body = t["attach"]["body_ns"]
        out.append({"insns": least, "entry_cost": cost,
                    "body": body["fast_path"] if body else None, "caller_mean": c["latency_ns"]["mean"]})
    return out


def pair(b, a, fmt):
    """'b → a (a − b)' of two numbers; '–' stands for a missing one, and
    there is no difference then."""
    if b is None and a is None:
        return "–"
    if b is None or a is None:
        return "%s → %s" % ("–" if b is None else fmt(b), "–" if a is None else fmt(a))
    return "%s → %s (%+g)" % (fmt(b), fmt(a), float(text.num(a - b)))


def section(raw, out):
    """The section's lines from the raw set RAW (a folder), linked relative to OUT."""
    got = {s: side(os.path.join(raw, s)) for s in SIDES}
    rel = os.path.relpath(raw, out)
    one = lambda v: "%.1f" % v
    lines = ["## The readers themselves (inline sites)", "",
             "Not from the boots above: one run of `tests/inline-patch-e2e.sh` on the same "
             "before/after kernels, under the instruction-driven clock (1 ns = 1 guest "
             "instruction), 1 vCPU, 40 calls each; raw data in [%s](%s). Both readers are "
             "inlined into their only callers, so the tables above time the callers. Here each "
             "body is also counted by `tools/insn-count` (`pair=`: from the instance's entry up "
             "to an exit, callees included, no tracer) and timed by `pmutrace --sites` at its "
             "inline sites, with the kprobe pair's own cost (calibrated at start-up per class "
             "of entry instruction) taken off; the caller column is the same calls under "
             "`--attach caller`." % (rel, rel), "",
             "| body | path length (instructions), before → after | at its inline sites (ns, "
             "fast path), before → after | through its caller (ns, mean), before → after |",
             "|---|---|---|---|"]
    for i, (what, *_) in enumerate(ROWS):
        b, a = got["before"][i], got["after"][i]
        lines.append("| %s | %s | %s | %s |" % (
            what, pair(b["insns"], a["insns"], str), pair(b["body"], a["body"], one),
            pair(b["caller_mean"], a["caller_mean"], one)))
    dev = lambda s: ", ".join("–" if r["insns"] is None or r["body"] is None
                              else "%+.1f" % (r["body"] - r["insns"])
                              for r in got[s])
    cost = lambda s: ", ".join("–" if r["entry_cost"] is None else str(r["entry_cost"])
                               for r in got[s])
    lines += ["", "Timed less counted, per row: before %s; after %s. The clock ticks every 16 ns, "
              "wider than a body's change here, so a timed body is good to about a tick. With the "
              "patch each body starts with `bl __rcu_read_lock`, whose kprobe costs less than an "
              "`adrp`'s: it is corrected by a pair of its own class, from a `bl` to its callee "
              "past the callee's two ftrace NOPs (held in that pair's span too). What the entry "
              "kprobe adds (the plugin's least pair with the "
              "tracer on, less without) is, per row, before %s and after %s instructions (README, "
              "\"inlined functions timed at their inline sites\"). The path length is the exact "
              "figure." % (dev("before"), dev("after"), cost("before"), cost("after")), ""]
    return lines
