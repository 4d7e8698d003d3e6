# The guest half of scripts/bench/bench-rt.sh (busybox sh): pmutrace in its
# default mode while THREADS threads of check-ext run on the guest's vCPUs;
# per run, pmu-stress's counts and pmutrace's JSON in /out.
# shellcheck shell=sh disable=SC2153 # THREADS, N, RUNS, PROBES come from bench-rt.sh
# Per run, each kind in turn (PROBES), so a slow phase of the boot hits all
# alike: default mode as shipped, and probe kinds forced with PMUTRACE_PROBE.
for t in $THREADS; do
	r=1
	while [ $r -le "$RUNS" ]; do
		for p in $PROBES; do
			o=/out/$p-t$t-r$r
			env="env PMUTRACE_PROBE=$p"
			[ "$p" = default ] && env=
			$env pmutrace -j -o "$o.json" 2>"$o.err" &
			pid=$!
			if wait_tracing "$o.err" "$pid"; then
				pmu-stress -t "$t" -n "$N" check-ext >"$o.stress" 2>&1
				kill -INT "$pid"
			else
				err "t=$t run $r $p: pmutrace did not start"
				kill -KILL "$pid"
			fi
			wait "$pid"
			echo $? >"$o.rc"
		done
		r=$((r + 1))
	done
done
