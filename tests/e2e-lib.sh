# Host-side helpers of the guest tests (sourced by every tests/*-e2e.sh
# and tests/e2e.sh). A count check is only worth
# something when the workload really ran: these say whether it did.
# shellcheck shell=bash

# pmutrace's BPF program names in a bpf-progs listing: the guest's own
# pattern, read from tests/guest/lib.sh, so host and guest checks agree.
# shellcheck disable=SC2034 # used by the sourcing scripts
PROGS_RE=$(sed -n "s/^progs_re='\(.*\)'$/\1/p" "$(dirname "${BASH_SOURCE[0]}")/guest/lib.sh")

# Every check prints one line: ok/FAIL with the test's name before the
# message (TEST_NAME, e.g. e2e[sid], set by the sourcing script).
ok() { echo "ok   $TEST_NAME $*"; }
bad() { echo "FAIL $TEST_NAME $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# stress_ran DIR RUN [norc]: every pmu-stress of RUN (DIR/RUN.stress.N)
# printed its whole output (it ends with elapsed_ns=), made no failed call
# and exited 0 (DIR/RUN.stressrc.N, written by the guest's `stress`; norc:
# a guest script that does not record it). Prints what it saw.
stress_ran() {
	local f n=0 bad=() rc line
	for f in "$1/$2".stress.*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		rc=$1/$2.stressrc.${f##*.}
		if [ "${3:-}" != norc ] && [ "$(cat "$rc" 2>/dev/null)" != 0 ]; then
			bad+=("${f##*/} exit $(cat "$rc" 2>/dev/null || echo unknown)")
		elif ! grep -q '^elapsed_ns=' "$f"; then
			bad+=("${f##*/} incomplete")
		fi
		while read -r line; do
			bad+=("${f##*/}: $line")
		done < <(grep -E '^failed\.[^=]+=[1-9]' "$f")
	done
	if [ "$n" -eq 0 ]; then
		echo "no pmu-stress output"
		return 1
	fi
	if [ "${#bad[@]}" -gt 0 ]; then
		echo "${bad[*]}"
		return 1
	fi
	if [ "${3:-}" = norc ]; then
		echo "$n pmu-stress runs, all complete (exit code not recorded), no failed call"
	else
		echo "$n pmu-stress runs, all exit 0, no failed call"
	fi
}

# expected DIR RUN KEY: the sum of KEY= over RUN's pmu-stress outputs (e.g.
# derived.kvm_supports_guest_pmuv3), 0 when none has it.
expected() {
	cat "$1/$2".stress.* 2>/dev/null | sed -n "s/^$3=//p" | awk '{ s += $1 } END { print s + 0 }'
}

# count_is COUNT MISSED EXPECTED: COUNT + MISSED == EXPECTED > 0, all numbers
# (an absent target gives "null", never a pass).
count_is() {
	[[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && [ "$3" -gt 0 ] &&
		[ $(($1 + $2)) -eq "$3" ]
}

# none_left DIR RUN [LIVE-RUN]: pmutrace's programs were listed while it ran
# (DIR/RUN.live: the positive control, the listing sees them) and none is
# left after it (DIR/RUN.left; both from the guest's lib.sh). LIVE-RUN: the
# control of another run, for one that cannot be listed while it runs
# (pmutrace check, the failures).
none_left() {
	[ -s "$1/${3:-$2}.live" ] && [ -f "$1/$2.left" ] && [ ! -s "$1/$2.left" ]
}

# progs_seen DIR RUN: what the listings saw, for a check's message.
progs_seen() {
	echo "$(cat "$1/$2.live" 2>/dev/null | wc -l) while it ran, $(cat "$1/$2.left" 2>/dev/null | wc -l) after"
}

# contend_conf FILE [VAR=VALUE...]: the guest's /bin/contend.conf (contend in
# tests/guest/lib.sh): the budget to find contention, E2E_CONTEND_STORMS
# rounds (default 8; 0: do not look) and E2E_CONTEND_SECONDS of guest time
# (default 60), and which lock each run must see contended.
contend_conf() {
	local f=$1
	shift
	printf '%s\n' "contend_storms=${E2E_CONTEND_STORMS:-8}" \
		"contend_secs=${E2E_CONTEND_SECONDS:-60}" "$@" >"$f"
}

# contention_check DIR RUN DESCRIPTION COMMAND...: COMMAND (which checks
# RUN's waits) only if the guest's witness saw the lock contended in RUN
# (DIR/RUN.contend); else a skip saying how long it tried. Never a pass or a
# failure by luck. Returns 0 only when COMMAND ran and passed.
contention_check() {
	local rec what=$3 waits
	rec=" $(cat "$1/$2.contend" 2>/dev/null)"
	shift 3
	field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$rec"; }
	waits=$(field waits)
	if [ -z "$waits" ]; then
		bad "$what: the guest left no record of its storms ($2.contend)"
	elif [ "$waits" -gt 0 ]; then
		what="$what (kernel's contention_begin on $(field lock): $waits in $(field rounds) rounds)"
		if "$@"; then ok "$what" && return 0; fi
		bad "$what"
	elif [ "$(field watched)" = 1 ]; then
		echo "skip $TEST_NAME $what: no wait on $(field lock) in $(field rounds) rounds, $(field seconds) s of guest time (budget $(field budget): rounds/seconds): contention under TCG needs both vCPU threads running at once, which the host did not give"
	elif [[ $(field budget) == 0/* ]]; then
		echo "skip $TEST_NAME $what: waits on $(field lock) not looked for (E2E_CONTEND_STORMS=0)"
	else
		bad "$what: the guest could not watch lock:contention_begin on $(field lock) ($rec)"
	fi
	return 1
}

# js RUN FILTER: jq on $out/RUN.json ("null" when there is none; out is the
# sourcing script's).
# shellcheck disable=SC2154
js() { jq -r "$2" "$out/$1.json" 2>/dev/null || echo null; }

# near VALUE WANT: |VALUE - WANT| <= TOL (the sourcing script's), VALUE a
# number.
near() { awk -v v="$1" -v w="$2" -v t="$TOL" 'BEGIN { exit !(v ~ /^-?[0-9.]+$/ && v - w <= t && w - v <= t) }'; }

# tgt NAME: the jq filter of target NAME in a run's JSON.
tgt() { echo ".targets[] | select(.name == \"$1\")"; }

# derived RUN NAME... TARGET: what those pmu-stress workloads (RUN.stress.NAME
# in $out) made the kernel do. On 6.1 (suite bookworm)
# kvm_arm_pmu_v3_set_attr() probes the default PMU on a VM's first PMU
# attribute, not at KVM_ARM_VCPU_INIT: once per VM of set-pmu.
derived() {
	local run=$1 t=${*: -1} n s=0 v
	for n in "${@:2:$#-2}"; do
		if [ "${suite:-}" = bookworm ] && [ "$t" = kvm_pmu_probe_armpmu ]; then
			v=0
			grep -q '^scenario=set-pmu' "$out/$run.stress.$n" &&
				v=$(sed -n 's/^ioctl\.KVM_CREATE_VM=//p' "$out/$run.stress.$n")
		else
			v=$(sed -n "s/^derived\.$t=//p" "$out/$run.stress.$n")
		fi
		s=$((s + ${v:-0}))
	done
	echo $s
}
# stress_key RUN NAME KEY: KEY= of that pmu-stress output.
stress_key() { sed -n "s/^$3=//p" "$out/$1.stress.$2"; }

# inline_counts PREFIX: the runs ok and enxio of the guest's inline_truth
# (tests/guest/lib.sh) in $out: each reader's count, and its entry's and
# first exit's, equal the calls made; every -ENXIO call failed so; the three
# kprobe pair calibration classes done.
inline_counts() {
	local t f got calls
	for t in kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu; do
		calls=$(expected "$out" ok "derived.$t")
		for f in ".count" ".attach.sites[0].count" ".attach.sites[1].count"; do
			got=$(js ok "$(tgt $t) | $f")
			check "${1}ok: $t $f $got = $calls calls" count_is "$got" 0 "$calls"
		done
	done
	calls=$(expected "$out" enxio derived.kvm_arm_pmu_v3_set_pmu)
	got=$(js enxio "$(tgt kvm_arm_pmu_v3_set_pmu) | .count")
	check "${1}enxio: kvm_arm_pmu_v3_set_pmu count $got = $calls calls" count_is "$got" 0 "$calls"
	check "${1}enxio: every SET_PMU failed with ENXIO" grep -q "^errno.KVM_SET_DEVICE_ATTR.ENXIO=$calls$" "$out/enxio.stress.1"
	check "${1}calibration of the three classes done: $(js ok '[.inline_calibration[] | .class + " " + (.fast_mean_ns|tostring)] | join(", ")')" \
		test "$(js ok '[.inline_calibration[] | select(.fast_mean_ns != null)] | length')" = 3
}
