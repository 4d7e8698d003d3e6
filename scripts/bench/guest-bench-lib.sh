# Shared by the benchmarks' guest halves (scripts/bench/guest-bench.sh,
# scripts/bench/guest-insns.sh; busybox sh): the host puts it in front of them.
# shellcheck shell=sh disable=SC2034 # NOW, HWM, RC are for the caller

# The functions pmutrace's default mode attaches to: the empty loader's
# on them is the floor (timing) and default mode's start-up yardstick.
DEFAULT_FUNCS="kvm_arm_set_default_pmu kvm_arm_pmu_v3_set_attr kvm_supports_guest_pmuv3"

err() {
	echo "$*" >>/out/errors.txt
}

# now: $NOW = CLOCK_MONOTONIC in ns. busybox date has no %N; the third line
# of /proc/timer_list is "now at N nsecs", read with builtins (no fork).
now() {
	{
		read -r _l
		read -r _l
		read -r _w1 _w2 NOW _l
	} </proc/timer_list
}

nprogs() {
	/usr/sbin/bpftool prog show 2>/dev/null | grep -c '^[0-9]'
}

# settle WHAT: wait (up to 10 s) until the kernel has freed the last
# tracer's programs ($BASE_PROGS are always there), so the next variant does
# not pay for their deferred freeing.
settle() {
	_i=0
	while [ "$(nprogs)" -gt "$BASE_PROGS" ] && [ $_i -lt 100 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	[ $_i -lt 100 ] || err "round $ROUND $1: BPF programs still loaded after 10 s"
}

# wait_tracing FILE PID: until FILE has a line starting with "Tracing"
# (1 when PID died or 30 s passed). Builtins only: a fork per poll would slow
# the start-up being measured.
wait_tracing() {
	_i=0
	while :; do
		_seen=
		while IFS= read -r _l; do
			case $_l in Tracing*) _seen=1 && break ;; esac
		done <"$1"
		[ -z "$_seen" ] || return 0
		_i=$((_i + 1))
		if [ $_i -gt 3000 ] || ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		sleep 0.01
	done
}

# stop_tracer PID: $HWM = its VmHWM (kB), then SIGINT (SIGKILL after 60 s);
# $RC = its exit status.
stop_tracer() {
	HWM=0
	while read -r _k _v _u; do
		[ "$_k" = VmHWM: ] && HWM=$_v
	done </proc/"$1"/status
	kill -INT "$1"
	(
		sleep 60
		kill -KILL "$1" 2>/dev/null
	) &
	_dog=$!
	RC=0
	wait "$1" || RC=$?
	kill "$_dog" 2>/dev/null
	wait "$_dog" 2>/dev/null
}

# tool_start VARIANT [OUT_PREFIX]: start the tracer that the caller's
# tool_cmd gives for VARIANT ($CMD; none when empty) in the background
# ($TPID), wait until its "Tracing" line is written, and set $ATTACH_NS, the
# time to that line. Its output goes to OUT_PREFIX.out/.err/.json (default
# /tmp/tool). bcc's tools print "Tracing" on stdout, line-buffered by stdbuf.
STDBUF_LIB=/usr/libexec/coreutils/libstdbuf.so
tool_start() {
	TPID='' ATTACH_NS=0 TOOL_OUT=${2:-/tmp/tool}
	tool_cmd "$1" "$TOOL_OUT"
	[ -n "$CMD" ] || return 0
	_ready=$TOOL_OUT.err _bcc=
	case $CMD in /usr/sbin/*) _ready=$TOOL_OUT.out _bcc=1 ;; esac
	rm -f "$TOOL_OUT.json"
	: >"$TOOL_OUT.out"
	: >"$TOOL_OUT.err"
	now
	_t0=$NOW
	(
		[ -z "$_bcc" ] || export LD_PRELOAD=$STDBUF_LIB _STDBUF_O=L
		# shellcheck disable=SC2086 # a command line, split on purpose
		exec $CMD
	) >"$TOOL_OUT.out" 2>"$TOOL_OUT.err" &
	TPID=$!
	if ! wait_tracing "$_ready" "$TPID"; then
		err "round $ROUND $1: did not start: $(cat "$TOOL_OUT.err" "$TOOL_OUT.out")"
		kill -KILL "$TPID" 2>/dev/null
		TPID=''
		return 1
	fi
	now
	ATTACH_NS=$((NOW - _t0))
}

# tool_stop VARIANT: VmHWM, SIGINT (SIGKILL after 60 s), one line in
# /out/tools.txt (with boot=$BOOT where the caller has boots).
tool_stop() {
	[ -n "$TPID" ] || return 0
	stop_tracer "$TPID"
	[ "$RC" -eq 0 ] || err "round $ROUND $1: exit $RC: $(cat "$TOOL_OUT.err")"
	echo "tool ${BOOT:+boot=$BOOT }round=$ROUND variant=$1 attach_ns=$ATTACH_NS vmhwm_kb=$HWM rc=$RC" >>/out/tools.txt
	TPID=''
}

# keep VARIANT: the tracer's own output, for the record (bcc tools'
# histograms, pmutrace's JSON), as /out/r<ROUND>-VARIANT.*.
keep() {
	for _f in /tmp/tool.out /tmp/tool.err /tmp/tool.json; do
		[ -s "$_f" ] && cp "$_f" "/out/r$ROUND-$1.${_f##*.}"
	done
	return 0
}

# guest_txt LINE...: /out/guest.txt, the guest as the benchmark saw it, then
# the caller's own key=value lines (its parameters).
guest_txt() {
	{
		echo "kernel=$(uname -r)"
		echo "machine=$(uname -m)"
		echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
		echo "cmdline=$(cat /proc/cmdline)"
		for _l in "$@"; do echo "$_l"; done
	} >/out/guest.txt
}
