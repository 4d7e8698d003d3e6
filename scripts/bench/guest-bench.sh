# The guest half of scripts/bench/bench.sh (busybox sh). scripts/bench/bench.sh prepends
# ROUNDS, N_CE, N_SP, N_OPEN, N_PIPE, REPS, N_XCHECK and BUDGET_S (no round
# starts after that many seconds, so a loaded host cannot stretch the run).
# shellcheck shell=sh disable=SC2153 # the parameters come from bench.sh
#
# Each round runs every variant once, in an order rotated by one per round,
# so a slow phase of the (shared, 2-core) host hits every variant alike. One
# variant = one tracer started, workloads run under it, tracer stopped.
# Results, one line each, in /out:
#   samples.txt  sample round= variant= workload= rep= calls= failed= elapsed_ns=
#   tools.txt    tool round= variant= attach_ns= vmhwm_kb= rc=
#   misc.txt     misc round= what=kallsyms_read ns=
#   bpfstats.txt stats round= workload= ops= phase=before|after id= prog= ns= cnt=
#   xcheck.*     the round with pmutrace and funclatency attached at once
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

VARIANTS="none empty default single hold funclat_ce funclat_sp klockstat"
# shellcheck disable=SC2086 # word lists, split on purpose
NVAR=$(echo $VARIANTS | wc -w)

# workloads VARIANT: which workloads run under it.
workloads() {
	case $1 in
	none | default) echo "ce sp open pipe" ;;
	single | funclat_ce) echo ce ;;
	funclat_sp) echo sp ;;
	*) echo "ce sp" ;;
	esac
}

# kv KEY FILE: the value of KEY= in a pmu-stress output.
kv() {
	sed -n "s/^$1=//p" "$2"
}

# work VARIANT WORKLOAD: run it REPS times and append samples. Several short
# runs, of which the host keeps the fastest: load from other jobs on the
# (shared) host only adds time, so a burst spoils some runs, not the session.
# ce/sp are the traced paths, one thread (no contention, so the cost is the
# probes'); open and pipe are unrelated and contended.
work() {
	_r=1
	while [ $_r -le "$REPS" ]; do
		_rc=0
		case $2 in
		ce)
			pmu-stress -t 1 -n "$N_CE" check-ext >/tmp/w.out 2>&1 || _rc=$?
			_calls=$(kv ioctl.KVM_CHECK_EXTENSION /tmp/w.out)
			_failed=$(kv failed.KVM_CHECK_EXTENSION /tmp/w.out)
			_ns=$(kv elapsed_ns /tmp/w.out)
			;;
		sp)
			pmu-stress -t 1 -n "$N_SP" set-pmu >/tmp/w.out 2>&1 || _rc=$?
			_calls=$(kv ioctl.KVM_SET_DEVICE_ATTR /tmp/w.out)
			_failed=$(kv failed.KVM_SET_DEVICE_ATTR /tmp/w.out)
			_ns=$(kv elapsed_ns /tmp/w.out)
			;;
		open)
			pmu-stress -t 2 -n "$N_OPEN" -d /dev/kvm open >/tmp/w.out 2>&1 || _rc=$?
			_calls=$(kv call.open /tmp/w.out)
			_failed=$(kv failed.open /tmp/w.out)
			_ns=$(kv elapsed_ns /tmp/w.out)
			;;
		pipe)
			# 64-byte writes and reads on two CPUs: both sides take
			# pipe->mutex for every block, and contend for it.
			now
			_t0=$NOW
			dd if=/dev/zero bs=64 count="$N_PIPE" 2>/dev/null |
				dd of=/dev/null bs=64 2>/dev/null || _rc=$?
			now
			_calls=$N_PIPE _failed=0 _ns=$((NOW - _t0))
			;;
		esac
		[ "$_rc" -eq 0 ] || { err "round $ROUND $1 $2: exit $_rc: $(cat /tmp/w.out)"; }
		echo "sample round=$ROUND variant=$1 workload=$2 rep=$_r calls=${_calls:-0} failed=${_failed:-0} elapsed_ns=${_ns:-0}" >>/out/samples.txt
		_r=$((_r + 1))
	done
}

# tool_cmd VARIANT OUT: the tracer's command line in $CMD ("" for none),
# for tool_start (guest-bench-lib.sh).
# shellcheck disable=SC2034 # CMD is read by tool_start
tool_cmd() {
	case $1 in
	none) CMD= ;;
	empty) CMD="empty_probe $DEFAULT_FUNCS" ;;
	default) CMD="pmutrace -j -o $2.json" ;;
	single) CMD="pmutrace -f kvm_supports_guest_pmuv3 --no-lock -j -o $2.json" ;;
	hold) CMD="pmutrace --hold -j -o $2.json" ;;
	funclat_ce) CMD="/usr/sbin/funclatency kvm_supports_guest_pmuv3" ;;
	funclat_sp) CMD="/usr/sbin/funclatency kvm_arm_pmu_v3_set_attr" ;;
	klockstat) CMD="/usr/sbin/klockstat -L arm_pmus_lock" ;;
	*) CMD= && err "unknown variant $1" ;;
	esac
}

# bpf_stats: in pmutrace's default session, after the timed runs, run each
# workload once more with kernel.bpf_stats_enabled=1 and record the run
# count and run time of every loaded program before and after (bpftool
# omits them while zero). That
# says how often pmutrace's programs ran per operation and for how long,
# which the timings cannot resolve for the unrelated workloads. Untimed:
# the statistics cost time themselves.
bpf_stats() {
	echo 1 >/proc/sys/kernel/bpf_stats_enabled || return 0
	for _w in ce open pipe; do
		case $_w in
		ce) _ops=$N_CE ;;
		open) _ops=$((2 * N_OPEN)) ;;
		pipe) _ops=$N_PIPE ;;
		esac
		for _ph in before after; do
			/usr/sbin/bpftool prog show 2>/dev/null | awk -v pre="stats round=$ROUND workload=$_w ops=$_ops phase=$_ph" '
				/^[0-9]+: / {
					t = 0
					c = 0
					for (i = 1; i <= NF; i++) {
						if ($i == "name") n = $(i + 1)
						if ($i == "run_time_ns") t = $(i + 1)
						if ($i == "run_cnt") c = $(i + 1)
					}
					sub(":", "", $1)
					print pre, "id=" $1, "prog=" n, "ns=" t, "cnt=" c
				}' >>/out/bpfstats.txt
			[ $_ph = after ] && break
			case $_w in
			ce) pmu-stress -t 1 -n "$N_CE" check-ext >/dev/null 2>&1 ;;
			open) pmu-stress -t 2 -n "$N_OPEN" -d /dev/kvm open >/dev/null 2>&1 ;;
			pipe) dd if=/dev/zero bs=64 count="$N_PIPE" 2>/dev/null | dd of=/dev/null bs=64 2>/dev/null ;;
			esac
		done
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}

guest_txt "params=ROUNDS=$ROUNDS N_CE=$N_CE N_SP=$N_SP N_OPEN=$N_OPEN N_PIPE=$N_PIPE REPS=$REPS N_XCHECK=$N_XCHECK BUDGET_S=$BUDGET_S"
# shellcheck disable=SC2034 # read by settle (guest-bench-lib.sh)
BASE_PROGS=$(nprogs)
: >/out/samples.txt
: >/out/tools.txt
: >/out/misc.txt
: >/out/bpfstats.txt

# Warm-up, untimed: the first runs after boot translate fresh code (TCG)
# and fault pages in.
pmu-stress -t 1 -n "$N_CE" check-ext >/dev/null 2>&1
pmu-stress -t 1 -n "$N_SP" set-pmu >/dev/null 2>&1
pmu-stress -t 2 -n "$N_OPEN" -d /dev/kvm open >/dev/null 2>&1
dd if=/dev/zero bs=64 count="$N_PIPE" 2>/dev/null | dd of=/dev/null bs=64 2>/dev/null

now
T_START=$NOW
ROUND=1
while [ $ROUND -le "$ROUNDS" ]; do
	now
	if [ $(((NOW - T_START) / 1000000000)) -ge "$BUDGET_S" ]; then
		err "time budget of ${BUDGET_S}s used up: ran $((ROUND - 1)) of $ROUNDS rounds"
		break
	fi
	# Rotate: round r starts with variant r.
	first=$(((ROUND - 1) % NVAR + 1))
	# shellcheck disable=SC2086
	order=$(echo $VARIANTS $VARIANTS | tr ' ' '\n' |
		sed -n "$first,$((first + NVAR - 1))p" | tr '\n' ' ')
	echo "round $ROUND at $(((NOW - T_START) / 1000000)) ms: $order" >>/out/progress.txt
	# What every tool that resolves symbols pays once: one read of
	# /proc/kallsyms.
	now
	t0=$NOW
	cat /proc/kallsyms >/dev/null
	now
	echo "misc round=$ROUND what=kallsyms_read ns=$((NOW - t0))" >>/out/misc.txt
	for v in $order; do
		if tool_start "$v"; then
			for w in $(workloads "$v"); do
				work "$v" "$w"
			done
			[ "$v" != default ] || bpf_stats
		fi
		tool_stop "$v"
		keep "$v"
		settle "$v"
	done
	ROUND=$((ROUND + 1))
done

# Cross-check: pmutrace and funclatency on kvm_supports_guest_pmuv3 at
# once, with two threads (so pmutrace may miss, and must say so), plus
# vcpu-init, the other path that calls it.
ROUND=x
tool_start default /tmp/xpt || err "xcheck: pmutrace did not start"
xpt=$TPID
tool_start funclat_ce /tmp/xfl || err "xcheck: funclatency did not start"
xfl=$TPID
pmu-stress -t 2 -n "$N_XCHECK" check-ext >/out/xcheck.stress.check-ext 2>&1 ||
	err "xcheck: check-ext failed"
pmu-stress -t 2 -n 20 vcpu-init >/out/xcheck.stress.vcpu-init 2>&1 ||
	err "xcheck: vcpu-init failed"
for p in $xfl $xpt; do
	kill -INT "$p"
	wait "$p" || err "xcheck: tracer $p exit $?"
done
cp /tmp/xpt.json /out/xcheck.pmutrace.json
cp /tmp/xpt.err /out/xcheck.pmutrace.err
cp /tmp/xfl.out /out/xcheck.funclatency.out
cp /tmp/xfl.err /out/xcheck.funclatency.err
now
echo "done at $(((NOW - T_START) / 1000000)) ms" >>/out/progress.txt
