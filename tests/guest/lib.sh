# Shell helpers for scenarios run inside the guest (busybox sh). Every wait
# is bounded: a stuck guest must fail its test, not hang it.

# trace_start NAME ARGS...: pmutrace ARGS in the background, JSON to
# /out/NAME.json, stderr to /out/NAME.err; returns once it says "Tracing".
trace_start() {
	name=$1
	shift
	pmutrace "$@" >"/out/$name.out" 2>"/out/$name.err" &
	trace_pid=$!
	i=0
	while ! grep -q '^Tracing' "/out/$name.err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $trace_pid 2>/dev/null; then
			echo "trace_start $name: pmutrace did not start" >>/out/errors.txt
			return 1
		fi
		sleep 0.1
	done
}

# trace_stop NAME [SIGNAL]: end pmutrace with SIGNAL (INT), record its exit code.
trace_stop() {
	kill -"${2:-INT}" $trace_pid
	wait $trace_pid
	echo $? >"/out/$1.rc"
}

# no_progs_left NAME: wait up to 10 s for the kernel to free pmutrace's BPF
# programs (freeing is deferred), then record what is still loaded.
no_progs_left() {
	i=0
	while bpf-progs | grep -qE ' (target_entry_|target_exit_|target_sess_|lock_contention|lock_acquired|lock_released)'; do
		i=$((i + 1))
		[ $i -gt 100 ] && break
		sleep 0.1
	done
	bpf-progs >"/out/$1.progs"
}
