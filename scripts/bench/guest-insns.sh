# The guest half of scripts/bench/bench-insns.sh (busybox sh, 1 vCPU, QEMU with
# tools/insn-count). scripts/bench/bench-insns.sh prepends BOOT, ROUNDS, N_CE,
# N_OPEN, N_PIPE, N_SP, N_VI, VARIANTS, WORKLOADS, TARGET (the function the
# empty, limit and single variants attach to) and SITES (the inlined functions
# of the caller and inline variants, whose table is /bin/sites.txt).
# shellcheck shell=sh disable=SC2153 # the parameters come from bench-insns.sh
#
# Each pmu-stress --markers run is one window of the plugin's count. Every
# round runs each variant once, in an order rotated by one per round. One
# variant = one tracer started, its workloads run under it, tracer stopped.
# Results in /out:
#   windows.txt  win boot= round= variant= workload= calls= failed= rc=
#                (one line per marker window, in the plugin's order)
#   tools.txt    tool boot= round= variant= attach_ns= vmhwm_kb= rc=
#   r1-VARIANT.* the tracers' own output of round 1
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
TARGET=${TARGET:-kvm_supports_guest_pmuv3}
# shellcheck disable=SC2086 # word lists, split on purpose
NVAR=$(echo $VARIANTS | wc -w)

# tool_cmd VARIANT OUT: the tracer's command line in $CMD ("" for none),
# for tool_start (guest-bench-lib.sh).
# shellcheck disable=SC2034 # CMD is read by tool_start
tool_cmd() {
	_j="-j -o $2.json"
	case $1 in
	none) CMD= ;;
	empty) CMD="empty_probe $TARGET" ;;
	empty_default) CMD="empty_probe $DEFAULT_FUNCS" ;;
	limit) CMD="limit_probe $TARGET" ;;
	limit_fentry) CMD="limit_probe --fentry $TARGET" ;;
	default) CMD="pmutrace $_j" ;;
	single) CMD="pmutrace -f $TARGET --no-lock $_j" ;;
	hold) CMD="pmutrace --hold $_j" ;;
	fentry) CMD="env PMUTRACE_PROBE=fentry pmutrace $_j" ;;
	single_fentry) CMD="env PMUTRACE_PROBE=fentry pmutrace -f $TARGET --no-lock $_j" ;;
	limit_kprobe) CMD="limit_probe --kprobe $TARGET" ;;
	limit_kmulti) CMD="limit_probe --kprobe-multi $TARGET" ;;
	# Forced kinds: on PREEMPT_RT default mode uses kprobes (setup.c).
	fsession) CMD="env PMUTRACE_PROBE=fsession pmutrace $_j" ;;
	kprobe) CMD="env PMUTRACE_PROBE=kprobe pmutrace $_j" ;;
	by_process) CMD="pmutrace --by process $_j" ;;
	# Parts of pmutrace's exit compiled out (make bench-skip).
	skip_ret) CMD="pmutrace-skip1 -f $TARGET --no-lock $_j" ;;
	skip_hist) CMD="pmutrace-skip2 -f $TARGET --no-lock $_j" ;;
	skip_minmax) CMD="pmutrace-skip4 -f $TARGET --no-lock $_j" ;;
	skip_entries) CMD="pmutrace-skip8 -f $TARGET --no-lock $_j" ;;
	skip_all) CMD="pmutrace-skip15 -f $TARGET --no-lock $_j" ;;
	funclat) CMD="/usr/sbin/funclatency $TARGET" ;;
	klockstat) CMD="/usr/sbin/klockstat -L arm_pmus_lock" ;;
	# Issue 22: inlined functions through their callers, and at their
	# inline sites (kprobes; BENCH_SITES).
	caller | inline)
		CMD="pmutrace --sites /bin/sites.txt --attach $1 --no-lock $_j"
		for _f in $SITES; do CMD="$CMD -f $_f"; done
		;;
	# Issue 10: the lock itself, and each reader or its caller.
	rcu_*) CMD="pmutrace -f ${1#rcu_} --no-lock $_j" ;;
	*) CMD= && err "unknown variant $1" ;;
	esac
}

# workloads VARIANT: which workloads run under it (all of $WORKLOADS when
# that is set: the before/after kernels of the RCU patch).
workloads() {
	[ -z "${WORKLOADS:-}" ] || {
		echo "$WORKLOADS"
		return
	}
	case $1 in
	none | default | hold) echo "ce open pipe" ;;
	*) echo ce ;;
	esac
}

# work VARIANT WORKLOAD: one marker window.
work() {
	_rc=0
	case $2 in
	ce)
		pmu-stress --markers -t 1 -n "$N_CE" check-ext >/tmp/w.out 2>&1 || _rc=$?
		_k=KVM_CHECK_EXTENSION
		;;
	open)
		pmu-stress --markers -t 1 -n "$N_OPEN" -d /dev/kvm open >/tmp/w.out 2>&1 || _rc=$?
		_k=open
		;;
	pipe)
		pmu-stress --markers -t 1 -n "$N_PIPE" pipe >/tmp/w.out 2>&1 || _rc=$?
		_k=pipe
		;;
	# The other two readers' paths: SET_PMU (kvm_arm_pmu_v3_set_pmu,
	# inlined into kvm_arm_pmu_v3_set_attr) and a first VCPU_INIT
	# (kvm_pmu_probe_armpmu, inlined into kvm_arm_set_default_pmu).
	sp)
		pmu-stress --markers -t 1 -n "$N_SP" set-pmu >/tmp/w.out 2>&1 || _rc=$?
		_k=KVM_SET_DEVICE_ATTR
		;;
	vi)
		pmu-stress --markers -t 1 -n "$N_VI" vcpu-init >/tmp/w.out 2>&1 || _rc=$?
		_k=KVM_ARM_VCPU_INIT
		;;
	esac
	[ "$_rc" -eq 0 ] || err "round $ROUND $1 $2: exit $_rc: $(cat /tmp/w.out)"
	_calls=$(sed -n "s/^[a-z]*\.$_k=//p" /tmp/w.out | head -n 1)
	_failed=$(sed -n "s/^failed\.$_k=//p" /tmp/w.out)
	echo "win boot=$BOOT round=$ROUND variant=$1 workload=$2 calls=${_calls:-0} failed=${_failed:-0} rc=$_rc" >>/out/windows.txt
}

guest_txt "params=BOOT=$BOOT ROUNDS=$ROUNDS N_CE=$N_CE N_OPEN=$N_OPEN N_PIPE=$N_PIPE N_SP=$N_SP N_VI=$N_VI TARGET=$TARGET" \
	"variants=$VARIANTS" "sites=${SITES:-}"
# shellcheck disable=SC2034 # read by settle (guest-bench-lib.sh)
BASE_PROGS=$(nprogs)
: >/out/windows.txt
: >/out/tools.txt
# Warm-up, not in a window: translate the code once (TCG), fault pages in.
pmu-stress -t 1 -n "$N_CE" check-ext >/dev/null 2>&1
pmu-stress -t 1 -n "$N_OPEN" -d /dev/kvm open >/dev/null 2>&1
pmu-stress -t 1 -n "$N_PIPE" pipe >/dev/null 2>&1
[ -z "${WORKLOADS:-}" ] || {
	pmu-stress -t 1 -n "$N_SP" set-pmu >/dev/null 2>&1
	pmu-stress -t 1 -n "$N_VI" vcpu-init >/dev/null 2>&1
}
# The warm-up's deferred work (freed VMs, RCU callbacks, which lazy RCU may
# hold back up to 10 s) before window 1: idle time costs nothing under
# -icount sleep=off.
sleep 11

ROUND=1
while [ $ROUND -le "$ROUNDS" ]; do
	first=$(((ROUND - 1) % NVAR + 1))
	# shellcheck disable=SC2086
	order=$(echo $VARIANTS $VARIANTS | tr ' ' '\n' |
		sed -n "$first,$((first + NVAR - 1))p" | tr '\n' ' ')
	for v in $order; do
		# The unrelated workloads untraced right before a tracer that
		# runs them: a boot drifts by more than a 1% effect between its
		# first and last windows, so each traced window gets its own
		# neighbour (variant base_V). After an idle wait first, as
		# before window 1: the last tracer's freeing (RCU callbacks)
		# would land in it. The same before the untraced windows
		# (none): on PREEMPT_RT that freeing cost two of three rounds
		# some 640 instructions per call. The caller and inline variants
		# get their neighbours too: a vCPU init (560,000 instructions)
		# drifts by more than their cost between a boot's rounds.
		case $v:" $(workloads "$v") " in
		none:* | *" open "* | *" pipe "* | caller:* | inline:*) sleep 11 ;;
		esac
		for w in $(workloads "$v"); do
			case $v:$w in none:* | *:ce) ;; *) work "base_$v" "$w" ;; esac
		done
		if tool_start "$v"; then
			# The programs' sizes, for the breakdown (round 1).
			[ "$ROUND" != 1 ] || [ "$v" = none ] ||
				/usr/sbin/bpftool prog show >"/out/r1-$v.progs" 2>&1
			[ "$ROUND" != 1 ] || [ "$v" != default ] ||
				/usr/sbin/bpftool prog dump xlated name target_sess_2 >/out/r1-default.xlated 2>&1
			for w in $(workloads "$v"); do
				work "$v" "$w"
			done
		fi
		tool_stop "$v"
		[ "$ROUND" != 1 ] || keep "$v"
		settle "$v"
	done
	ROUND=$((ROUND + 1))
done
