# The guest half of tests/inline-patch-e2e.sh, on a before/after kernel of
# the RCU patch (one vCPU, the instruction clock, tools/insn-count's pair=
# on the readers' inline sites): the bodies with no tracer, one plugin
# window per pmu-stress, then the same bodies timed at their inline sites.
# shellcheck shell=sh source-path=SCRIPTDIR source=lib.sh
. /bin/lib.sh

# 1. No tracer: the plugin counts each body (windows 1, 2, 3).
stress plain 1 --markers -t 1 -n 40 vcpu-init
stress plain 2 --markers -t 1 -n 40 set-pmu
stress plain 3 --markers -t 1 -n 40 -P 999999 set-pmu

# 2. Timed at the inline sites (no markers: no plugin window).
inline_truth

# 3. The same calls timed through the callers (the report's figures).
trace_start caller --sites /bin/sites.txt --no-lock --attach caller -j -o /out/caller.json
stress caller 1 -t 1 -n 40 vcpu-init
stress caller 2 -t 1 -n 40 set-pmu
trace_stop caller
trace_start callerx --sites /bin/sites.txt --no-lock --attach caller -j -o /out/callerx.json
stress callerx 1 -t 1 -n 40 -P 999999 set-pmu
trace_stop callerx

# 4. Timed at the inline sites with the markers on (windows 4, 5, 6): the
#    plugin's pairs then hold the entry kprobe's cost too.
trace_start marked --sites /bin/sites.txt --no-lock -j -o /out/marked.json
stress marked 1 --markers -t 1 -n 40 vcpu-init
stress marked 2 --markers -t 1 -n 40 set-pmu
stress marked 3 --markers -t 1 -n 40 -P 999999 set-pmu
trace_stop marked

# 5. A table without the call pair (an older pmutrace-sites'): a BL entry's
#    body is not corrected, and says why.
trace_start nocall --sites /bin/sites-nocall.txt --no-lock
stress nocall 1 -t 1 -n 5 vcpu-init
trace_stop nocall
