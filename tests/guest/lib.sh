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

# child_of PID: the pid of PID's child (the last one, if several), or
# nothing: pmutrace's file monitor, which -o and --textfile write through.
child_of() {
	child=
	for d in /proc/[0-9]*; do
		# shellcheck disable=SC2046 # the fields of stat: pid (comm) state ppid
		set -- "$1" $(cat "$d/stat" 2>/dev/null)
		[ "${5:-}" = "$1" ] && child=${d#/proc/}
	done
	echo "$child"
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

# contend NAME LOCK FUNC [GOAL]: FUNC 1, FUNC 2, ... (a shell function making
# one round of a workload) until the kernel's lock:contention_begin event has
# fired on LOCK in a round (and GOAL, a shell function judging that round's
# files, says yes), or the budget is spent: $contend_storms rounds (at least
# one: the workload) or $contend_secs s of guest time. Contention under
# parallel TCG needs both vCPU threads running at once, which a busy host
# may not give in a round. Without LOCK: FUNC 1 only. The event, filtered
# by LOCK's address, is a witness independent of pmutrace: /out/NAME.contend
# says what it saw in the last round (whose files are kept); the host checks
# pmutrace's waits only where it saw some (else: skip). The host sets the
# budget in /bin/contend.conf (contend_conf in tests/e2e-lib.sh);
# contend_storms=0: no watching.
contend_storms=8 contend_secs=60
# shellcheck disable=SC1091
[ -f /bin/contend.conf ] && . /bin/contend.conf
contend() {
	[ -n "$2" ] || { $3 1; return; }
	c_ev=/sys/kernel/tracing/events/lock/contention_begin
	c_addr=$(awk -v s="$2" '$3 == s { print "0x" $1; exit }' /proc/kallsyms)
	c_watch=0
	if [ "$contend_storms" -gt 0 ] && [ -n "$c_addr" ] && echo 0 >$c_ev/enable &&
		echo "lock_addr == $c_addr" >$c_ev/filter && echo 1 >$c_ev/enable; then
		c_watch=1
	fi
	c_t0=$(cut -d. -f1 /proc/uptime) c_round=0 c_waits=0 c_goal=-
	while :; do
		c_round=$((c_round + 1))
		[ $c_watch = 1 ] && : >/sys/kernel/tracing/trace
		$3 $c_round
		c_secs=$(($(cut -d. -f1 /proc/uptime) - c_t0))
		[ $c_watch = 1 ] && c_waits=$(grep -c 'contention_begin:' /sys/kernel/tracing/trace)
		if [ -n "${4:-}" ]; then
			c_goal=0
			[ "$c_waits" -gt 0 ] && $4 && c_goal=1
		fi
		[ $c_watch = 0 ] || { [ "$c_waits" -gt 0 ] && [ "$c_goal" != 0 ]; } ||
			[ $c_round -ge "$contend_storms" ] || [ $c_secs -ge "$contend_secs" ] && break
	done
	[ $c_watch = 1 ] && echo 0 >$c_ev/enable && echo 0 >$c_ev/filter
	echo "lock=$2 address=${c_addr:-none} watched=$c_watch rounds=$c_round waits=$c_waits goal=${4:--} reached=$c_goal seconds=$c_secs budget=$contend_storms/$contend_secs" >"/out/$1.contend"
}

# two_sides: cgroups vm-a and vm-b, and pmu-stress-a and -b, copies of
# pmu-stress whose comm names the process in attribution's rows.
two_sides() {
	mkdir -p /sys/fs/cgroup
	grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
	mkdir -p /sys/fs/cgroup/vm-a /sys/fs/cgroup/vm-b
	cp /bin/pmu-stress /bin/pmu-stress-a
	cp /bin/pmu-stress /bin/pmu-stress-b
}

# held RUN NAME SIDE ARGS...: a shell that joins cgroup vm-SIDE (two_sides),
# waits for go NAME, then becomes pmu-stress-SIDE ARGS (exec: the pid
# stays), so the pid is known before pmutrace starts. Its pid is in
# /out/RUN.pid.NAME, its output in /out/RUN.stress.NAME.
held() {
	run=$1 name=$2 side=$3
	shift 3
	rm -f "/tmp/go.$name"
	mkfifo "/tmp/go.$name"
	sh -c 'echo $$ >/sys/fs/cgroup/vm-$0/cgroup.procs && read -r x <"$1" && shift 2 && exec "$@"' \
		"$side" "/tmp/go.$name" -- "pmu-stress-$side" "$@" >"/out/$run.stress.$name" 2>&1 &
	echo $! >"/out/$run.pid.$name"
}

# go RUN NAME...: start the held workloads together, wait for them all;
# each one's exit code in /out/RUN.stressrc.NAME, as stress() leaves it.
go() {
	run=$1
	shift
	for n in "$@"; do echo go >"/tmp/go.$n"; done
	for n in "$@"; do
		wait "$(cat "/out/$run.pid.$n")"
		echo $? >"/out/$run.stressrc.$n"
	done
}

# inline_truth: the inlined readers timed at the sites of /bin/sites.txt,
# 40 calls each: success paths (run ok), then SET_PMU's -ENXIO path alone
# (run enxio: a PMU type no PMU has). The ground truth's runs.
inline_truth() {
	trace_start ok --sites /bin/sites.txt --no-lock -j -o /out/ok.json
	stress ok 1 -t 1 -n 40 vcpu-init
	stress ok 2 -t 1 -n 40 set-pmu
	trace_stop ok
	no_progs_left ok
	trace_start enxio --sites /bin/sites.txt --no-lock -j -o /out/enxio.json
	stress enxio 1 -t 1 -n 40 -P 999999 set-pmu
	trace_stop enxio
	no_progs_left enxio
}
