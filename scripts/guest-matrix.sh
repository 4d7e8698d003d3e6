# The guest half of scripts/report.sh (busybox sh): every scenario at 1, 2,
# 4 and 8 threads, the same total work per cell, traced in default mode;
# then each scenario once more with --hold for the lock acquisitions per call.
. /bin/lib.sh

total() {
	case $1 in
	vcpu-init) echo 48 ;;
	set-pmu) echo 2000 ;;
	check-ext) echo 20000 ;;
	esac
}

for s in vcpu-init set-pmu check-ext; do
	for t in 1 2 4 8; do
		run=$s-t$t
		trace_start "$run" -j -o "/out/$run.json" --label "$s t=$t" || continue
		pmu-stress -t $t -n $(($(total $s) / t)) $s >"/out/$run.stress"
		trace_stop "$run"
	done
	run=hold-$s
	trace_start "$run" --hold -j -o "/out/$run.json" --label "$s t=1 hold" || continue
	pmu-stress -t 1 -n $(($(total $s) / 4)) $s >"/out/$run.stress"
	trace_stop "$run"
done
