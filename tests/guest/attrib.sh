# shellcheck shell=sh
# The guest half of tests/attrib-e2e.sh: two pmu-stress processes with
# different comms (copies of the binary) in two cgroups, traced per
# process, per cgroup, filtered by -p and -c, with owners and VMs, beside
# bcc's klockstat; and the cost of each mode from the kernel's BPF stats.
. /bin/lib.sh

two_sides
cat /proc/self/cgroup >/out/cgroup.self

# 1. Per process, owners and VMs: two check-ext processes contend (4
#    threads on 2 vCPUs), then a set-pmu and a vcpu-init process; each
#    second's rows on stderr (-i 1).
held byproc ce-a a -t 3 -n 4000 check-ext
held byproc ce-b b -t 3 -n 3000 check-ext
held byproc sp-a a -t 2 -n 20 set-pmu
held byproc vi-b b -t 1 -n 7 vcpu-init
trace_start byproc --by process --owners --vms -i 1 -j -o /out/byproc.json
go byproc ce-a ce-b
go byproc sp-a vi-b
sleep 2 # an interval past the workloads: the intervals add up to the run
trace_stop byproc

# 2. The same per cgroup, text output.
held bycg ce-a a -t 2 -n 2000 check-ext
held bycg ce-b b -t 1 -n 1500 check-ext
held bycg sp-b b -t 1 -n 10 set-pmu
trace_start bycg --by cgroup -j -o /out/bycg.json
go bycg ce-a ce-b sp-b
trace_stop bycg

# 3. -p selects one process, -c one cgroup, while the other runs too.
#    set-pmu reaches every target on every kernel.
# --hold needs fentry and the lock (6.1 has neither): only where it starts.
hold=--hold
pmutrace --hold -d 0.1 >/dev/null 2>&1 || hold=
held pfilt sp-a a -t 1 -n 30 set-pmu
held pfilt sp-b b -t 1 -n 20 set-pmu
trace_start pfilt -p "$(cat /out/pfilt.pid.sp-a)" --by process $hold -j -o /out/pfilt.json
go pfilt sp-a sp-b
trace_stop pfilt
held cfilt sp-a a -t 1 -n 25 set-pmu
held cfilt sp-b b -t 1 -n 15 set-pmu
trace_start cfilt -c /vm-b --by cgroup $hold -j -o /out/cfilt.json
go cfilt sp-a sp-b
trace_stop cfilt

# Bad cgroups: refused in one line, exit 2, before anything loads.
pmutrace -c /no-such-cgroup -d 1 >/dev/null 2>/out/badcg.err
echo $? >/out/badcg.rc
pmutrace -c /proc -d 1 >/dev/null 2>/out/notcg.err
echo $? >/out/notcg.rc

# 4. Owners beside bcc's klockstat on the same run (when the overlay has it).
#    klockstat's fexit on mutex_lock() runs inside the critical section, so
#    this run is contended where the others rarely are. An owner's stack is
#    read only when the owner is off its CPU: a reader's critical section
#    is a few instructions, and under PREEMPT_LAZY a SCHED_OTHER thread is
#    not preempted inside it, so -R wakes an RT thread in each process every
#    200 us, which is. Where the host checks the owners (contend_klock),
#    the whole run again until it is contended and pmutrace read an owner's
#    stack (a wait whose owner was off its CPU).
klock_run() {
	rm -f /out/klock.*
	held klock ce-a a -t 4 -n 2000 -R 200 check-ext
	held klock ce-b b -t 4 -n 2000 -R 200 check-ext
	(
		export LD_PRELOAD=/usr/libexec/coreutils/libstdbuf.so _STDBUF_O=L
		exec /usr/sbin/klockstat -L arm_pmus_lock
	) >/out/klock.klockstat 2>&1 &
	kpid=$!
	i=0
	while ! grep -q Tracing /out/klock.klockstat && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	trace_start klock --by process --owners -j -o /out/klock.json
	go klock ce-a ce-b
	trace_stop klock
	kill -INT $kpid
	wait $kpid
	echo $? >/out/klock.klockstat.rc
}
klock_owner_off_cpu() { grep -q '"owner_stacks_total": *[1-9]' /out/klock.json; }
[ -x /usr/sbin/klockstat ] && contend klock "${contend_klock:-}" klock_run klock_owner_off_cpu

# 5. Cost: each mode's programs, their size after the verifier and their
#    run time for the same calls (kernel.bpf_stats_enabled).
if [ -x /usr/sbin/bpftool ]; then
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	# fentry: what --by costs over on a fsession kernel, where attribution
	# takes the fentry/fexit pair.
	for mode in main default fentry by-process; do
		case $mode in
		main) [ -x /bin/pmutrace-main ] || continue
			set -- pmutrace-main ;;
		default) set -- pmutrace ;;
		fentry) set -- env PMUTRACE_PROBE=fentry pmutrace ;;
		by-process) set -- pmutrace --by process ;;
		esac
		"$@" -j -o "/out/cost-$mode.json" 2>"/out/cost-$mode.err" &
		tp=$!
		i=0
		while ! grep -q '^Tracing' "/out/cost-$mode.err" && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		pmu-stress -t 1 -n 5000 check-ext >"/out/cost-$mode.stress"
		/usr/sbin/bpftool -j prog show >"/out/cost-$mode.progs"
		kill -INT $tp
		wait $tp
		echo $? >"/out/cost-$mode.rc"
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
fi
no_progs_left attrib
