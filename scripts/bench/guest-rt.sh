# The guest half of scripts/bench/bench-rt.sh (busybox sh): pmutrace in its
# default mode while THREADS threads of check-ext run on the guest's vCPUs;
# per run, pmu-stress's counts and pmutrace's JSON in /out.
# shellcheck shell=sh disable=SC2153 # THREADS, N, RUNS come from bench-rt.sh
for t in $THREADS; do
	r=1
	while [ $r -le "$RUNS" ]; do
		pmutrace -j -o "/out/t$t-r$r.json" 2>"/out/t$t-r$r.err" &
		pid=$!
		if wait_tracing "/out/t$t-r$r.err" "$pid"; then
			pmu-stress -t "$t" -n "$N" check-ext >"/out/t$t-r$r.stress" 2>&1
			kill -INT "$pid"
		else
			err "t=$t run $r: pmutrace did not start"
			kill -KILL "$pid"
		fi
		wait "$pid"
		echo $? >"/out/t$t-r$r.rc"
		r=$((r + 1))
	done
done
