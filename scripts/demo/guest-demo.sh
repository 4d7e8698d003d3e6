# shellcheck shell=sh
# The guest half of scripts/pmutrace.sh (busybox sh): trace while pmu-stress
# drives the three PMU paths the way a VM start-up does, then Ctrl-C.
# PMUTRACE_ARGS is prepended by scripts/pmutrace.sh.
. /bin/lib.sh
# shellcheck disable=SC2086
trace_start trace $PMUTRACE_ARGS || { cat /out/trace.err; exit 1; }
pmu-stress -t 2 -n 20 vcpu-init >/out/stress.vcpu-init
pmu-stress -t 2 -n 200 set-pmu >/out/stress.set-pmu
pmu-stress -t 4 -n 10000 check-ext >/out/stress.check-ext
trace_stop trace
