# shellcheck shell=sh
# Shell helpers for scenarios run inside the guest (busybox sh). Every wait
# is bounded: a stuck guest must fail its test, not hang it.

# The names of pmutrace's BPF programs as the kernel keeps them (15
# characters at most): what "no program left loaded" looks for; attrib_*
# and vm_* are attribution's (bpf/attrib.bpf.h).
progs_re=' (target_entry_|target_exit_|site_entry|site_exit|target_sess_|target_fsess_|target_kprobe_|target_kretpro|lock_contention|lock_acquired|lock_released|attrib_|vm_default_pmu|vm_set_pmu)'

# our_progs FILE: pmutrace's programs loaded now, one a line, into FILE (the
# whole listing in /tmp/progs.all). If the listing fails there is no FILE,
# so the host's check fails instead of passing on an empty list.
our_progs() {
	rm -f "$1"
	bpf-progs >/tmp/progs.all || return 1
	grep -E "$progs_re" /tmp/progs.all >"$1"
	return 0
}

# trace_start NAME ARGS...: pmutrace ARGS in the background, JSON to
# /out/NAME.json, stderr to /out/NAME.err; returns once it says "Tracing",
# after listing its programs in /out/NAME.live (the positive control of
# no_progs_left).
trace_start() {
	name=$1
	shift
	pmutrace "$@" >"/out/$name.out" 2>"/out/$name.err" &
	trace_pid=$!
	wait_tracing "/out/$name.err" || {
		echo "trace_start $name: pmutrace did not start" >>/out/errors.txt
		return 1
	}
	our_progs "/out/$name.live"
}

# wait_tracing FILE...: up to 30 s for each FILE to hold the "Tracing" line.
wait_tracing() {
	for f in "$@"; do
		i=0
		while ! grep -q '^Tracing' "$f" 2>/dev/null; do
			i=$((i + 1))
			[ $i -gt 300 ] && return 1
			sleep 0.1
		done
	done
}

# trace_stop NAME [SIGNAL]: end pmutrace with SIGNAL (INT), record its exit code.
trace_stop() {
	kill -"${2:-INT}" $trace_pid
	wait $trace_pid
	echo $? >"/out/$1.rc"
}

# stress RUN N ARGS...: pmu-stress ARGS, its output in /out/RUN.stress.N and
# its exit code in /out/RUN.stressrc.N: a count check is only worth
# something if the workload ran.
stress() {
	run=$1 n=$2
	shift 2
	pmu-stress "$@" >"/out/$run.stress.$n"
	echo $? >"/out/$run.stressrc.$n"
}

# no_progs_left NAME: wait up to 10 s for the kernel to free pmutrace's BPF
# programs (freeing is deferred), then record what is still loaded: ours in
# /out/NAME.left, the whole listing in /out/NAME.progs.
no_progs_left() {
	i=0
	while our_progs /tmp/ours && [ -s /tmp/ours ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	our_progs "/out/$1.left" && cp /tmp/progs.all "/out/$1.progs"
}
