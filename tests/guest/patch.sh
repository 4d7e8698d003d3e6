# The guest half of tests/patch-e2e.sh: the three paths under --hold, so
# every reader call shows whether it took arm_pmus_lock. One thread: no
# reader is preempted by another, so none of its calls is missed.
# shellcheck shell=sh source-path=SCRIPTDIR source=lib.sh
. /bin/lib.sh
trace_start hold --hold -j -o /out/hold.json
stress hold 1 -t 1 -n 5 vcpu-init
stress hold 2 -t 1 -n 50 set-pmu
stress hold 3 -t 1 -n 500 check-ext
trace_stop hold
no_progs_left hold
