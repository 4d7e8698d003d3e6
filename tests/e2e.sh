#!/bin/bash
# e2e.sh SUITE [KERNEL_DIR]: boot Debian SUITE's arm64 kernel (cloud, or
# the one in KERNEL_DIR, e.g. rt-arm64) in QEMU, run
# tests/guest/scenario.sh, and check what pmutrace reported against what
# pmu-stress says it did. Prints "ok ..." / "FAIL ..." lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:?usage: e2e.sh sid|trixie|bookworm [KERNEL_DIR]}
kdir=${2:-}
# E2E_NAME: what the results are called (another flavour of SUITE's kernel).
name=${E2E_NAME:-$suite}
out=${E2E_OUT:-$top/build/e2e}/$name
schema=$top/docs/pmutrace.schema.json
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"

TEST_NAME="e2e[$name]"

[ -n "$kdir" ] || kdir=$("$top/scripts/lab/fetch-kernel.sh" "$suite") || { bad "fetch kernel"; exit 1; }
rm -rf "$out"
mkdir -p "$out"
# The waits checked below: arm_pmus_lock's on 7.x (check-ext takes it
# in kvm_supports_guest_pmuv3), misc_mtx's where kallsyms lists it.
conf=("$out/contend.conf")
[ "$suite" = sid ] && conf+=(contend_default=arm_pmus_lock)
[ "$suite" = bookworm ] || conf+=(contend_generic=misc_mtx)
contend_conf "${conf[@]}"
# The shipped inline-site tables where the package puts them (make
# install-sites), for the guest's --sites auto.
make -s -C "$top" install-sites DESTDIR="$out/overlay" >/dev/null || { bad "make install-sites"; exit 1; }
PMUTRACE_GUEST_OVERLAY=$out/overlay \
	"$top/scripts/lab/run-guest.sh" -k "$kdir" -s "$top/tests/guest/scenario.sh" -o "$out" -t 420 \
	"$top/build/arm64/pmutrace" "$top/build/arm64/pmu-stress" "$top/build/arm64/bpf-progs" \
	"$top/tests/guest/lib.sh" "$out/contend.conf"
rc=$?
if [ $rc -ne 0 ]; then
	bad "guest ran the scenario to its end (run-guest exit $rc, see $out/console.log)"
	exit 1
fi
ok "guest booted $(cat "$kdir/release") and ran the scenario ($(grep -o 'PMUTRACE-BOOTED [0-9.]*' "$out/console.log" | cut -d' ' -f2)s to /init)"
[ -s "$out/errors.txt" ] && bad "guest scenario errors: $(tr '\n' ' ' <"$out/errors.txt")"

jqr() { jq -r "$@" 2>/dev/null; }
target() { # target RUN NAME FIELD-EXPRESSION
	jqr ".targets[] | select(.name == \"$2\") | $3" "$out/$1.json"
}
# timed_ok RUN NAME: every counted call timed, but for those whose entry run
# the kernel skipped (PREEMPT_RT's recursion protection): untimed <= missed
# entries, so 0 where nothing was missed.
timed_ok() {
	local c t m
	c=$(target "$1" "$2" .count) t=$(target "$1" "$2" .timed) m=$(target "$1" "$2" .missed.entry)
	[ -n "$c" ] && [ -n "$t" ] && [ "$t" -le "$c" ] && [ $((c - t)) -le "${m:-0}" ]
}

# What each kernel offers differs: 7.2 and 6.12 inline two readers; 6.12
# has no kvm_supports_guest_pmuv3; 6.1 (bookworm) has no fentry on arm64
# (kprobes then), keeps kvm_pmu_probe_armpmu as a function called from the
# first PMU attribute of a VM, and lists no data symbols (no lock, no
# --hold). inlined: the readers --sites auto times at their inline sites
# from the shipped table (data/sites/README.md).
probe=fentry runs="default hold generic" lock=1
inlined="kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu"
case $suite in
bookworm)
	modes="kvm_pmu_probe_armpmu=direct:kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu=caller:kvm_arm_pmu_v3_set_attr kvm_supports_guest_pmuv3=absent:null"
	probe=kprobe runs="default generic" lock=0 inlined=kvm_arm_pmu_v3_set_pmu
	;;
trixie) modes="kvm_pmu_probe_armpmu=caller:kvm_arm_set_default_pmu kvm_arm_pmu_v3_set_pmu=caller:kvm_arm_pmu_v3_set_attr kvm_supports_guest_pmuv3=absent:null" ;;
# 7.x has fsession: one program per call, the start in its cookie.
*) probe=fsession modes="kvm_pmu_probe_armpmu=caller:kvm_arm_set_default_pmu kvm_arm_pmu_v3_set_pmu=caller:kvm_arm_pmu_v3_set_attr kvm_supports_guest_pmuv3=direct:kvm_supports_guest_pmuv3" ;;
esac
# PREEMPT_RT (rt-arm64): kprobes, which run with preemption off; --hold keeps
# the trampolines (fsession) it needs.
rt=0
case $(cat "$kdir/release") in *-rt-*) rt=1 probe=kprobe ;; esac
probe_of() { # probe_of RUN
	if [ $rt = 1 ] && [ "$1" = hold ]; then echo fsession; else echo $probe; fi
}

# On 6.1, kvm_arm_pmu_v3_set_attr() probes the default PMU on a VM's first
# PMU attribute, not KVM_ARM_VCPU_INIT: once per VM of a set-pmu workload.
expected_calls() { # expected_calls RUN TARGET
	if [ "$suite" = bookworm ] && [ "$2" = kvm_pmu_probe_armpmu ]; then
		grep -l '^scenario=set-pmu' "$out/$1".stress.* | xargs cat |
			sed -n 's/^ioctl\.KVM_CREATE_VM=//p' | awk '{ s += $1 } END { print s + 0 }'
	else
		expected "$out" "$1" "derived.$2"
	fi
}
for run in default hold text generic twoA sitesauto; do
	[ -e "$out/$run.stress.1" ] || continue
	why=$(stress_ran "$out" $run)
	check "$run: the workload ran ($why)" test $? = 0
done

for run in $runs; do
	check "$run: pmutrace exit 0 (got $(cat "$out/$run.rc" 2>/dev/null))" \
		test "$(cat "$out/$run.rc" 2>/dev/null)" = 0
	check "$run: JSON valid against docs/pmutrace.schema.json" \
		/usr/bin/python3 "$top/tests/validate-json.py" "$schema" "$out/$run.json"
	check "$run: one 'Tracing' line on stderr" test "$(grep -c '^Tracing' "$out/$run.err")" = 1
	check "$run: no BPF program left loaded ($(progs_seen "$out" $run))" \
		none_left "$out" $run
	check "$run: nothing dropped" test "$(jqr '[.dropped[]] | add' "$out/$run.json")" = 0
	check "$run: every attached target probed by $(probe_of $run)" \
		test "$(jqr "[.targets[] | select(.attach.mode != \"absent\") | .attach.probe] | unique | join(\",\")" "$out/$run.json")" = "$(probe_of $run)"
done

for m in $modes; do
	name=${m%%=*} want=${m#*=}
	got="$(target default "$name" .attach.mode):$(target default "$name" .attach.function)"
	check "$name attached as $want (got $got)" test "$got" = "$want"
	[ "${want%%:*}" = absent ] && continue
	for run in ${runs% generic}; do
		exp=$(expected_calls $run "$name")
		cnt=$(target $run "$name" .count)
		miss=$(target $run "$name" .missed.exit)
		check "$run: $name count $cnt + missed exits $miss == $exp calls made by pmu-stress (> 0)" \
			count_is "$cnt" "$miss" "$exp"
		check "$run: $name every counted call timed but those whose entry the kernel skipped ($(target $run "$name" .timed) of $cnt, $(target $run "$name" .missed.entry) entries missed)" \
			timed_ok $run "$name"
		check "$run: $name latency percentiles are numbers, ordered min<=p50<=p99<=max" \
			test "$(target $run "$name" '.latency_ns | ([.min, .p50, .p99, .max] | all(type == "number")) and .min <= .p50 and .p50 <= .p99 and .p99 <= .max')" = true
	done
	[ $lock = 1 ] || continue
	acq=$(target hold "$name" .lock.acquired)
	cnt=$(target hold "$name" .count)
	check "hold: $name takes arm_pmus_lock once per call ($acq for $cnt calls)" \
		count_is "$acq" 0 "$cnt"
done

check "set_pmu filter is KVM_ARM_VCPU_PMU_V3_SET_PMU" \
	test "$(target default kvm_arm_pmu_v3_set_pmu .attach.filter)" = "attr->attr == KVM_ARM_VCPU_PMU_V3_SET_PMU"
if [ $lock = 0 ]; then
	check "no KALLSYMS_ALL: tracing goes on without the lock, and says so" \
		sh -c "grep -q 'arm_pmus_lock is not in /proc/kallsyms' '$out/default.err' && test \"\$(jq '.locks | length' '$out/default.json')\" = 0"
	check "kprobe fallback said on stderr" grep -q 'fentry is not supported by this kernel: using kprobes' "$out/default.err"
	check "--hold refused without fentry: exit 4, one line" \
		sh -c "test \"\$(cat '$out/hold.refused')\" = 4 && test \"\$(wc -l <'$out/hold.err')\" = 1"
	check "patch side unknown without the lock" test "$(jqr '.patch_side.side' "$out/default.json")" = unknown
else
	check "hold: Debian's kernel is on the 'before' side of the RCU patch ($(jqr '.patch_side.evidence' "$out/hold.json"))" \
		test "$(jqr '.patch_side.side' "$out/hold.json")" = before
	check "lock arm_pmus_lock found with an address" \
		sh -c "jq -e '.locks[0] | .name == \"arm_pmus_lock\" and (.address | startswith(\"0xffff\"))' '$out/default.json' >/dev/null"
fi
if [ $rt = 1 ]; then
	check "PREEMPT_RT: kprobes said on stderr" grep -q 'PREEMPT_RT kernel: using kprobes' "$out/default.err"
	check "PREEMPT_RT: --hold says its fsession programs are preemptible" \
		grep -q 'PREEMPT_RT kernel: fsession programs are preemptible' "$out/hold.err"
	c=$(target default kvm_supports_guest_pmuv3 .count)
	t=$(target default kvm_supports_guest_pmuv3 .timed)
	m="$(target default kvm_supports_guest_pmuv3 .missed.entry)/$(target default kvm_supports_guest_pmuv3 .missed.exit)"
	check "PREEMPT_RT: kprobes time every call of 4 threads on 2 vCPUs ($t of $c timed, missed $m)" \
		test "${c:-0}" -gt 0 -a "$t" = "$c" -a "$m" = 0/0
fi
if [ "$suite" = sid ]; then
	c=$(jqr '.locks[0].contended' "$out/default.json")
	w=$(jqr '.locks[0].waiters_inside.kvm_supports_guest_pmuv3' "$out/default.json")
	contention_check "$out" default "4 threads of check-ext on 2 vCPUs contend on arm_pmus_lock ($c waits, $w inside kvm_supports_guest_pmuv3)" \
		test "${c:-0}" -gt 0 -a "${w:-0}" -gt 0
fi

# After attaching, pmutrace keeps CAP_BPF and nothing else, for good, even
# with -o: the file is its monitor's (user/trace/monitor.c).
caps_ok() {
	local eff bnd nnp
	eff=$(sed -n 's/^CapEff:\t//p' "$out/default.caps")
	bnd=$(sed -n 's/^CapBnd:\t//p' "$out/default.caps")
	nnp=$(sed -n 's/^NoNewPrivs:\t//p' "$out/default.caps")
	[ "$eff" = 0000008000000000 ] && [ "$bnd" = 0000008000000000 ] && [ "$nnp" = 1 ]
}
check "privileges dropped after attaching, CAP_BPF only with -o ($(tr '\n\t' '  ' <"$out/default.caps"))" caps_ok

# Two runs at once: each counts every call.
for run in twoA twoB; do
	check "$run (concurrent with the other, ended by SIG$([ $run = twoA ] && echo INT || echo HUP)): exit 0" \
		test "$(cat "$out/$run.rc")" = 0
	for m in $modes; do
		name=${m%%=*}
		[ "${m#*=}" = absent:null ] && continue
		exp=$(expected_calls $run "$name")
		cnt=$(target $run "$name" .count)
		miss=$(target $run "$name" .missed.exit)
		check "$run: $name count $cnt + missed exits $miss == $exp (> 0)" count_is "$cnt" "$miss" "$exp"
	done
done
check "after SIGKILL no BPF program stays loaded ($(progs_seen "$out" killed))" none_left "$out" killed
check "pmutrace check: exit 0, ready ($(tail -n 1 "$out/check.out"))" \
	sh -c "test \"\$(cat '$out/check.rc')\" = 0 && grep -q '^ready: pmutrace can trace' '$out/check.out'"
side=unknown
[ "$suite" = sid ] && side=before
check "pmutrace check observes the patch side: $side ($(grep 'patch side' "$out/check.out" | sed 's/^ *//'))" \
	grep -qE "^  patch side +$side " "$out/check.out"
check "pmutrace check leaves no BPF program" none_left "$out" check default

# Generic mode, with misc_open nested inside do_sys_openat2.
calls=$(expected "$out" generic call.open)
cnt=$(target generic misc_open .count)
miss=$(target generic misc_open .missed.exit)
check "generic: misc_open attached directly" test "$(target generic misc_open .attach.mode)" = direct
check "generic: misc_open count $cnt + missed exits $miss == $calls opens (> 0)" count_is "$cnt" "$miss" "$calls"
check "generic: nested do_sys_openat2 saw at least the opens ($(target generic do_sys_openat2 .count) + missed exits $(target generic do_sys_openat2 .missed.exit))" \
	test "$(($(target generic do_sys_openat2 .count) + $(target generic do_sys_openat2 .missed.exit)))" -ge "$calls"
check "generic: nested calls all timed but those whose entry the kernel skipped" \
	timed_ok generic do_sys_openat2
check "generic: outer call slower than inner at the median" \
	test "$(target generic do_sys_openat2 .latency_ns.p50)" -ge "$(target generic misc_open .latency_ns.p50)"
# 4 threads opening /dev/kvm on 2 vCPUs contend on misc_mtx, which only
# misc_open takes: every wait is inside it, none credited to its caller.
if [ $lock = 1 ]; then
	c=$(jqr '.locks[0].contended' "$out/generic.json")
	wi=$(jqr '.locks[0].waiters_inside.misc_open' "$out/generic.json")
	wo=$(jqr '.locks[0].waiters_inside.do_sys_openat2' "$out/generic.json")
	waits_innermost() { count_is "$wi" 0 "$c" && test "$wo" = 0; }
	contention_check "$out" generic "generic: misc_mtx contended ($c waits), waiters attributed to the innermost target ($wi in misc_open, $wo in do_sys_openat2)" \
		waits_innermost
fi

# --sites auto, the shipped table found by the build-id the guest's
# /sys/kernel/notes gives (its live bytes checked by pmutrace), in the
# package's directory: each inlined reader at all its sites, a count per
# call made. (Every kernel here inlines a reader; a table found for none
# is said in one line: tests/inline-e2e.sh.)
build_id() { # build_id NOTES: the GNU build-id of a copy of /sys/kernel/notes
	python3 - "$1" <<'PY'
import struct, sys
b, o = open(sys.argv[1], "rb").read(), 0
while o + 12 <= len(b):
    n, d, t = struct.unpack_from("<III", b, o)
    name = o + 12
    desc = name + (n + 3) // 4 * 4
    if t == 3 and b[name:name + n] == b"GNU\0":
        print(b[desc:desc + d].hex())
    o = desc + (d + 3) // 4 * 4
PY
}
bid=$(build_id "$out/notes" 2>/dev/null)
table=$top/data/sites/$bid.sites
check "sites auto: exit 0 (got $(cat "$out/sitesauto.rc" 2>/dev/null))" test "$(cat "$out/sitesauto.rc" 2>/dev/null)" = 0
check "sites auto: no BPF program left loaded ($(progs_seen "$out" sitesauto))" none_left "$out" sitesauto
at_sites() { # at_sites NAME SITES COUNT CALLS: inline at SITES, COUNT == CALLS > 0
	[ "$2" != 0 ] && [ "$(target sitesauto "$1" '.attach.mode + " " + (.attach.sites | length | tostring)')" = "inline $2" ] &&
		count_is "$3" 0 "$4"
}
for name in $inlined; do
	n=$(grep -c "^site $name " "$table" 2>/dev/null)
	cnt=$(target sitesauto "$name" .count)
	exp=$(expected_calls sitesauto "$name")
	none=
	[ -f "$table" ] || none=": no such table"
	check "sites auto: $name at its ${n:-0} inline sites of the shipped data/sites/${bid:-NONE}.sites$none (got $(target sitesauto "$name" '.attach.mode + " at " + (.attach.sites | length | tostring)')), count $cnt == $exp calls made by pmu-stress (> 0)" \
		at_sites "$name" "${n:-0}" "$cnt" "$exp"
done

# Text output, interval printing and SIGTERM.
check "text: exit 0 on SIGTERM" test "$(cat "$out/text.rc")" = 0
check "text: a header per target with its attach mode" \
	test "$(grep -cE '^kvm_[a-z0-9_]+: (direct|caller via [a-z0-9_]+|absent)( \(kprobe\))?( \[|$)' "$out/text.out")" = 3
check "text: histogram with bars" grep -qE '^ +[0-9]+ -> [0-9]+ +: [0-9]+ +\|\*+ *\|' "$out/text.out"
[ $lock = 0 ] || check "text: lock block" grep -q '^arm_pmus_lock @ 0x' "$out/text.out"
# Each report gives the span it covers, as measured: deadlines are fixed
# (start + k s), so a wake-up delayed by a busy guest shows as 1.1 s here.
check "text: interval reports on stderr" grep -qE '^--- [0-9:]{8}: last [0-9]+\.[0-9] s ---' "$out/text.err"
check "a target with no calls says its histogram is empty, not hidden" \
	grep -q 'no calls seen, empty histogram' "$out/empty.out"

# Failures in the guest: one line, documented exit codes.
check "unknown --lock: exit 6 and one line" sh -c "test \"\$(cat '$out/badlock.rc')\" = 6 && test \"\$(wc -l <'$out/badlock.err')\" = 1"
check "no attachable --func: exit 5" test "$(cat "$out/nofunc.rc")" = 5
check "kernel without BTF: exit 4 and one line ($(cat "$out/nobtf.err"))" \
	sh -c "test \"\$(cat '$out/nobtf.rc')\" = 4 && test \"\$(wc -l <'$out/nobtf.err')\" = 1"
check "failures leave no BPF program" none_left "$out" failures default
exit 0
