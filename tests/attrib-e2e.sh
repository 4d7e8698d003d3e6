#!/bin/bash
# attrib-e2e.sh SUITE [KERNEL_DIR]: boot Debian SUITE's arm64 cloud kernel,
# run tests/guest/attrib.sh, and check pmutrace's attribution against what
# each pmu-stress process says it did, and against bcc's klockstat.
# Prints "ok ..." / "FAIL ..." / "skip ..." lines. ATTRIB_MAIN=FILE: an
# arm64 pmutrace of another commit, whose programs' sizes are compared (a
# branch review; without it nothing is said).
# ATTRIB_CHECK_ONLY=1 checks the files of the last run again.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:?usage: attrib-e2e.sh sid|trixie|bookworm [KERNEL_DIR]}
kdir=${2:-}
out=${E2E_OUT:-$top/build/attrib-e2e}/$suite
schema=$top/docs/pmutrace.schema.json
. "$top/scripts/lib.sh"
TEST_NAME="attrib[$suite]"
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"

skip() { echo "skip $TEST_NAME $*"; }
eq() { [ "$1" = "$2" ]; }

[ -n "$kdir" ] || kdir=$("$top/scripts/lab/fetch-kernel.sh" "$suite") || { bad "fetch kernel"; exit 1; }
overlay=$PMUTRACE_CACHE/bench-overlay
[ -x "$overlay/usr/sbin/klockstat" ] || overlay=$("$top/scripts/bench/bench-overlay.sh") ||
	{ bad "guest overlay (klockstat, bpftool)"; exit 1; }
files=("$top/build/arm64/pmutrace" "$top/build/arm64/pmu-stress" "$top/build/arm64/bpf-progs"
	"$top/tests/guest/lib.sh" "$(dirname "$out")/contend.conf")
mkdir -p "$(dirname "$out")"
# The owners are checked on the klock run, on 7.x, where check-ext takes
# arm_pmus_lock in kvm_supports_guest_pmuv3: it is repeated until contended.
if [ "$suite" = sid ]; then
	contend_conf "$(dirname "$out")/contend.conf" contend_klock=arm_pmus_lock
else
	contend_conf "$(dirname "$out")/contend.conf"
fi
if [ -n "${ATTRIB_MAIN:-}" ]; then
	cp "$ATTRIB_MAIN" "$(dirname "$out")/pmutrace-main" && files+=("$(dirname "$out")/pmutrace-main")
fi
# ATTRIB_CHECK_ONLY=1: check the last run's files again, boot nothing.
rc=0
if [ -z "${ATTRIB_CHECK_ONLY:-}" ]; then
	rm -rf "$out"
	PMUTRACE_GUEST_OVERLAY=$overlay "$top/scripts/lab/run-guest.sh" -k "$kdir" \
		-s "$top/tests/guest/attrib.sh" -o "$out" -t 600 "${files[@]}"
	rc=$?
fi
if [ $rc -ne 0 ]; then
	bad "guest ran the scenario to its end (run-guest exit $rc, see $out/console.log)"
	exit 1
fi
ok "guest booted $(cat "$kdir/release") and ran the scenario"
[ -s "$out/errors.txt" ] && bad "guest scenario errors: $(tr '\n' ' ' <"$out/errors.txt")"

jqr() { jq -r "$@" 2>/dev/null; }
pid() { cat "$out/$1.pid.$2"; }
attached() { jqr "[.targets[] | select(.attach.mode != \"absent\") | .name] | .[]" "$out/$1.json"; }
workloads_ran() { # workloads_ran RUN NAME...: exit 0 and calls made
	local run=$1 n
	shift
	for n in "$@"; do
		[ "$(cat "$out/$run.stressrc.$n" 2>/dev/null)" = 0 ] || return 1
		grep -q '^derived\.' "$out/$run.stress.$n" || return 1
	done
}
traced() { # traced RUN: pmutrace exit 0 and a valid document
	eq "$(cat "$out/$1.rc" 2>/dev/null)" 0 &&
		/usr/bin/python3 "$top/tests/validate-json.py" "$schema" "$out/$1.json" >/dev/null
}

# traced_calls RUN NAME: calls of the attached targets NAME made.
traced_calls() {
	local t s=0
	for t in $(attached "$1"); do s=$((s + $(derived "$1" "$2" "$t"))); done
	echo $s
}

# Per-row counts equal each process's (or cgroup's) own, target by target.
# Where the kernel skipped exit programs (PREEMPT_RT: a program already
# running on that CPU), no row learns of those calls; pmutrace counts them
# as missed, so a row may fall short by at most the target's missed exits.
rows_match() { # rows_match RUN SELECTOR-KEY SELECTOR-VALUE NAME...
	local run=$1 key=$2 val=$3 t want got missed
	shift 3
	for t in $(attached "$run"); do
		want=$(derived "$run" "$@" "$t")
		got=$(jqr ".attribution.rows[] | select(.$key == $val) | .targets[\"$t\"].count // 0" "$out/$run.json")
		missed=$(jqr ".targets[] | select(.name == \"$t\") | .missed.exit // 0" "$out/$run.json")
		got=${got:-0} missed=${missed:-0}
		[ "$got" -le "$want" ] && [ $((want - got)) -le "$missed" ] ||
			{ echo "  $run $key=$val $t: pmutrace $got (kernel skipped $missed exits), pmu-stress $want" >&2; return 1; }
	done
}

# The readers that take arm_pmus_lock, and the callers they are inlined
# into: what a waiter's or owner's stack must go through.
readers='kvm_supports_guest_pmuv3|kvm_vm_ioctl_check_extension|kvm_pmu_probe_armpmu|kvm_arm_set_default_pmu|kvm_arm_pmu_v3_set_attr'

# Owners and stacks of a run's contended waits: every owner is one of the
# run's pmu-stress processes, both kinds of stack hold the reader's path.
check_owners() { # check_owners RUN NAME...
	local run=$1 waits pids='' owners n
	shift
	waits=$(jqr '.locks[0].contended // 0' "$out/$run.json")
	if [ "${waits:-0}" -eq 0 ]; then
		skip "$run: no contended wait in this run: owners not checked"
		return
	fi
	for n in "$@"; do pids="$pids $(pid "$run" "$n")"; done
	if [ "$(jqr '.attribution.by' "$out/$run.json")" = process ]; then
		check "$run: lock waits per process sum to the lock's $waits" \
			eq "$(jqr '[.attribution.rows[].lock_waits.count] | add' "$out/$run.json")" "$waits"
	fi
	owners=$(jqr '.attribution.lock.owners[].tgid' "$out/$run.json" | sort -u | tr '\n' ' ')
	only_ours() { local o; for o in $owners; do case " $pids " in *" $o "*) ;; *) return 1 ;; esac; done; }
	if [ -n "$owners" ]; then
		check "$run: every owner is a pmu-stress process (owners: $owners; ours:$pids)" only_ours
	else
		skip "$run: no owner known in $waits waits (the lock was free again when each began), though the round was repeated ($(cat "$out/$run.contend" 2>/dev/null))"
	fi
	check "$run: owners seen for $(jqr '[.attribution.lock.owners[].count] | add // 0' "$out/$run.json") of $waits waits (the rest: owner field empty or owner on CPU, counted)" \
		eq "$(jqr '([.attribution.lock.owners[].count] | add // 0) + .attribution.lock.not_attributed.owner_unknown + .attribution.lock.not_attributed.owners_full' "$out/$run.json")" "$waits"
	reader_path() { jq -r ".attribution.lock.$1[].frames[]" "$out/$run.json" | grep -E "^($readers)\+" >/dev/null; }
	# An owner's stack is read only when it is off a CPU (preempted while
	# holding the lock); when every owner was running there is none.
	if [ -z "$owners" ]; then
		:
	elif [ "$(jqr '.attribution.lock.owner_stacks_total' "$out/$run.json")" -gt 0 ]; then
		check "$run: owner stacks contain the reader's path" reader_path owner_stacks
	else
		skip "$run: every owner was on a CPU ($(jqr '.attribution.lock.not_attributed.owner_on_cpu' "$out/$run.json") waits) in the round kept, though pmu-stress -R preempted the readers ($(sed -n 's/^preempt.wakeups=//p' "$out/$run.stress.ce-a") wakeups) and the round was repeated ($(cat "$out/$run.contend" 2>/dev/null)): no owner stack to check"
	fi
	check "$run: waiter stacks contain the reader's path" reader_path waiter_stacks
}

# 1. Per process.
run=byproc
check "$run: pmutrace exit 0, JSON valid" traced $run
if workloads_ran $run ce-a ce-b sp-a vi-b && [ "$(derived $run ce-a kvm_supports_guest_pmuv3)" -gt 0 ]; then
	rows=0
	for n in ce-a ce-b sp-a vi-b; do
		check "$run: pid of $n: every target's count equals its own ($(traced_calls $run $n) traced calls)" \
			rows_match $run pid "$(pid $run $n)" $n
		# 6.12 has no kvm_supports_guest_pmuv3: check-ext makes no traced call.
		[ "$(traced_calls $run $n)" -gt 0 ] || continue
		rows=$((rows + 1))
		want=pmu-stress-${n#*-}
		check "$run: pid of $n has comm $want" \
			eq "$(jqr ".attribution.rows[] | select(.pid == $(pid $run $n)) | .comm" "$out/$run.json")" "$want"
	done
	check "$run: one row for each of the $rows processes that made traced calls, no other" \
		eq "$(jqr '[.attribution.rows[] | select(.pid != null)] | length' "$out/$run.json")" $rows
	# Owners: on the klock run (section 4), which is repeated until contended.
	# -i 1: each interval's rows are that interval's calls, so per process
	# they add up to the run's (the last interval began after the workloads).
	intervals=$(grep -c '^per process in this interval' "$out/$run.err")
	for n in ce-a ce-b sp-a vi-b; do
		p=$(pid $run $n)
		check "$run: -i 1: $n's calls over $intervals intervals add up to the run's" \
			eq "$(awk -v p="$p" '$1 == "pid" && $2 == p && /: calls [0-9]+$/ { s += $NF } END { print s + 0 }' "$out/$run.err")" \
			"$(jqr "[.attribution.rows[] | select(.pid == $p) | .calls] | add // 0" "$out/$run.json")"
	done
	if [ "$(jqr '.attribution.vms.note' "$out/$run.json")" = null ]; then
		sp=$(pid $run sp-a) vi=$(pid $run vi-b)
		vm() { jqr "[.attribution.vms.vms[] | select(.pid == $1 and .how == \"$2\") | .$3] | add // 0" "$out/$run.json"; }
		check "$run: set-pmu process: SET_PMU calls $(vm "$sp" set_pmu calls) = $(derived $run sp-a kvm_arm_pmu_v3_set_pmu)" \
			eq "$(vm "$sp" set_pmu calls)" "$(derived $run sp-a kvm_arm_pmu_v3_set_pmu)"
		check "$run: set-pmu process: VMs $(vm "$sp" set_pmu vms) = KVM_CREATE_VM $(stress_key $run sp-a ioctl.KVM_CREATE_VM)" \
			eq "$(vm "$sp" set_pmu vms)" "$(stress_key $run sp-a ioctl.KVM_CREATE_VM)"
		check "$run: vcpu-init process: default PMU calls = $(derived $run vi-b kvm_arm_set_default_pmu)" \
			eq "$(vm "$vi" default calls)" "$(derived $run vi-b kvm_arm_set_default_pmu)"
		check "$run: every VM got a named host PMU ($(jqr '[.attribution.vms.vms[].pmu] | unique | join(",")' "$out/$run.json"))" \
			eq "$(jqr '[.attribution.vms.vms[] | select(.pmu == null)] | length' "$out/$run.json")" 0
	else
		skip "$run: VMs: $(jqr '.attribution.vms.note' "$out/$run.json")"
	fi
else
	bad "$run: the workloads ran (exit 0, calls made)"
fi

# 2. Per cgroup.
run=bycg
check "$run: pmutrace exit 0, JSON valid" traced $run
if workloads_ran $run ce-a ce-b sp-b; then
	for side in a b; do
		names=ce-a
		[ $side = b ] && names="ce-b sp-b"
		id=$(jqr ".attribution.rows[] | select(.cgroup == \"/vm-$side\") | .cgroup_id" "$out/$run.json")
		# shellcheck disable=SC2086 # a list of names
		check "$run: cgroup /vm-$side ($names): every target's count equals its processes' sum" \
			rows_match $run cgroup_id "${id:-0}" $names
	done
else
	bad "$run: the workloads ran (exit 0, calls made)"
fi

# 3. -p and -c select exactly one process / cgroup.
for run in pfilt cfilt; do
	check "$run: pmutrace exit 0, JSON valid" traced $run
	if workloads_ran $run sp-a sp-b; then
		one="sp-a"
		[ $run = cfilt ] && one="sp-b"
		want=$(traced_calls $run $one)
		for t in $(attached $run); do
			check "$run: $t counts only $one: $(jqr ".targets[] | select(.name == \"$t\") | .count" "$out/$run.json") = $(derived $run $one "$t")" \
				eq "$(jqr ".targets[] | select(.name == \"$t\") | .count" "$out/$run.json")" "$(derived $run $one "$t")"
		done
		check "$run: one row ($want calls expected)" eq "$(jqr '.attribution.rows | length' "$out/$run.json")" 1
		# --hold: each reader call takes arm_pmus_lock once on this
		# (before) kernel, and the other process's are not recorded.
		acq=0
		for t in $(attached $run); do acq=$((acq + $(derived $run $one "$t"))); done
		if [ "$(jqr '.locks[0].hold' "$out/$run.json")" = null ]; then
			skip "$run: --hold: not on this kernel (it needs fentry and the lock)"
		else
			check "$run: --hold: acquisitions $(jqr '.locks[0].hold.acquired' "$out/$run.json") = $one's reader calls $acq, none outside targets" \
				sh -c "[ '$(jqr '.locks[0].hold.acquired' "$out/$run.json")' = $acq ] && [ '$(jqr '.locks[0].hold.acquired_outside_targets' "$out/$run.json")' = 0 ]"
		fi
	else
		bad "$run: the workloads ran (exit 0, calls made)"
	fi
done

for bad in badcg notcg; do
	check "$bad: -c refused with exit 2 in one line ($(cat "$out/$bad.err" 2>/dev/null))" \
		sh -c "[ \"\$(cat '$out/$bad.rc')\" = 2 ] && [ \"\$(wc -l <'$out/$bad.err')\" = 1 ]"
done

# 4. Beside klockstat: per caller. klockstat counts every acquisition of
#    the lock by caller; pmutrace the contended ones by waiter stack.
run=klock
if [ ! -s "$out/klock.klockstat" ]; then
	skip "$run: klockstat did not run in this guest"
elif ! traced $run || ! workloads_ran $run ce-a ce-b; then
	bad "$run: pmutrace and the workloads ran"
else
	calls=$(derived $run ce-a ce-b kvm_supports_guest_pmuv3)
	# The first table of klockstat's output is the waits (acquisitions).
	kl() { awk -v f="$1" '/Avg Hold/ { exit } $1 ~ "^" f "\\+" { s += $4 } END { print s + 0 }' "$out/klock.klockstat"; }
	if [ "$(jqr '.targets[] | select(.name == "kvm_supports_guest_pmuv3") | .attach.mode' "$out/$run.json")" = absent ]; then
		skip "$run: kvm_supports_guest_pmuv3 is not in this kernel"
	else
		# Where the kernel skips tracing programs (PREEMPT_RT), it skips
		# klockstat's too: its count is then a lower bound.
		if [ "$(jqr '[.targets[].missed.exit] | add // 0' "$out/$run.json")" -gt 0 ]; then
			check "$run: klockstat saw kvm_supports_guest_pmuv3 take the lock $(kl kvm_supports_guest_pmuv3) times <= $calls calls (this kernel skips tracing programs)" \
				test "$(kl kvm_supports_guest_pmuv3)" -le "$calls"
		else
			check "$run: klockstat saw kvm_supports_guest_pmuv3 take the lock $(kl kvm_supports_guest_pmuv3) times = $calls calls" \
				eq "$(kl kvm_supports_guest_pmuv3)" "$calls"
		fi
		mine=$(jqr '[.attribution.lock.waiter_stacks[] | select(.caller // "" | startswith("kvm_supports_guest_pmuv3+")) | .count] | add // 0' "$out/$run.json")
		all=$(jqr '.locks[0].contended' "$out/$run.json")
		check "$run: pmutrace's contended waits from kvm_supports_guest_pmuv3 ($mine of $all) are at most klockstat's acquisitions there" \
			test "$mine" -le "$(kl kvm_supports_guest_pmuv3)"
		# Waiters and owners need waits: checked where the kernel's own
		# event saw the lock contended in this run (else a skip, never luck).
		callers_known() {
			local c
			for c in $(jqr '.attribution.lock.waiter_stacks[].caller // empty' "$out/$run.json" | sed 's/+.*//' | sort -u); do
				[ "$(kl "$c")" -gt 0 ] || return 1
			done
		}
		if contention_check "$out" $run "$run: pmutrace saw contended waits on arm_pmus_lock ($(jqr '.locks[0].contended' "$out/$run.json"))" \
			test "$(jqr '.locks[0].contended // 0' "$out/$run.json")" -gt 0; then
			check "$run: every caller in pmutrace's waiter stacks is one of klockstat's" callers_known
			check_owners $run ce-a ce-b
		fi
	fi
fi

# 5. Cost: figures printed. Attribution's code is in programs of its own
#    (the attrib_ twins and attrib_*), loaded only with -p/-c/--by: default
#    and fentry mode load none, --by process loads the twins of slot 2 (the
#    control). On a fsession kernel default mode is target_sess_N, and --by
#    takes the fentry/fexit pair: its attrib_ twins are set beside fentry
#    mode's. ATTRIB_MAIN=FILE (a review of a branch, not CI: main is this
#    commit once merged) also compares the default programs' sizes with it.
size() { jqr "[.[] | select(.name == \"$2\") | .$3] | first // empty" "$out/cost-$1.progs"; }
run_ns() {
	local c n
	c=$(size "$1" "$2" run_cnt) n=$(size "$1" "$2" run_time_ns)
	[ -n "$c" ] && [ "$c" -gt 0 ] && echo "$((n / c)) ns/run over $c runs" || echo "no runs"
}
# kvm_supports_guest_pmuv3, which the cost workload calls, is slot 2.
defaults=()
[ -n "$(size default target_sess_2 bytes_xlated)" ] && defaults=(target_sess_2)
[ -n "$(size default target_exit_2 bytes_xlated)" ] && defaults=(target_entry_2 target_exit_2)
if [ ! -s "$out/cost-default.progs" ]; then
	skip "cost: bpftool did not run in this guest"
elif [ ${#defaults[@]} -eq 0 ]; then
	skip "cost: kvm_supports_guest_pmuv3 is not traced in this kernel"
else
	for p in "${defaults[@]}"; do
		d=$(size default "$p" bytes_xlated)
		echo "cost[$suite] default $p: xlated $d jited $(size default "$p" bytes_jited) bytes; run $(run_ns default "$p")"
		if [ -s "$out/cost-main.progs" ]; then
			m=$(size main "$p" bytes_xlated)
			echo "cost[$suite] main $p: xlated $m jited $(size main "$p" bytes_jited) bytes; run $(run_ns main "$p")"
			check "cost: $p in default mode is as large as on main after the verifier ($d = $m bytes)" eq "$d" "$m"
		fi
	done
	names() { jqr '[.[].name] | join(" ")' "$out/cost-$1.progs"; }
	loads() { [[ " $(names "$1") " == *" $2"* ]]; }
	for mode in default fentry; do
		[ -s "$out/cost-$mode.progs" ] || continue
		check "cost: $mode mode loads none of attribution's programs ($(names $mode))" \
			eval '! loads $mode attrib_'
	done
	check "cost: --by process loads attribution's twins of slot 2 ($(names by-process))" \
		eval 'loads by-process "attrib_entry_2 " && loads by-process "attrib_exit_2 "'
	for p in entry_2 exit_2; do
		f=fentry
		[ -s "$out/cost-fentry.progs" ] && [ -n "$(size fentry target_$p bytes_xlated)" ] || f=default
		echo "cost[$suite] $p: xlated fentry mode $(size $f target_$p bytes_xlated), --by process (attrib_$p) $(size by-process attrib_$p bytes_xlated) bytes; jited $(size $f target_$p bytes_jited), $(size by-process attrib_$p bytes_jited); run $(run_ns $f target_$p), $(run_ns by-process attrib_$p)"
	done
fi
# Attribution takes fentry/fexit where default mode is fsession, and says so.
probe_of() { jqr '[.targets[].attach.probe // empty] | first // empty' "$out/cost-$1.json"; }
if [ "$(probe_of default)" = fsession ]; then
	check "--by process on a fsession kernel runs on fentry and says so" \
		sh -c "[ '$(probe_of by-process)' = fentry ] && grep -q 'attribution needs fentry/fexit' '$out/cost-by-process.err'"
elif [ -s "$out/cost-default.json" ]; then
	skip "attribution's probe: default mode is $(probe_of default) here, not fsession"
fi
check "no BPF program left loaded" \
	sh -c "! grep -qE '$PROGS_RE' '$out/attrib.progs'"
