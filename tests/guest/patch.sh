# The guest half of tests/patch-e2e.sh: the three paths under --hold, so
# every reader call shows whether it took arm_pmus_lock.
. /bin/lib.sh
trace_start hold --hold -j -o /out/hold.json
pmu-stress -t 2 -n 5 vcpu-init >/out/hold.stress.1
pmu-stress -t 2 -n 50 set-pmu >/out/hold.stress.2
pmu-stress -t 2 -n 500 check-ext >/out/hold.stress.3
trace_stop hold
