#!/bin/bash
# patch-e2e.sh [--require-built]: the RCU patch applies cleanly to Debian's
# current linux-source (a dry run), and the before/after kernels of
# scripts/lab/build-kernels.sh, booted one after the other, show the readers
# taking arm_pmus_lock once per call before the patch and never after.
# When the kernels are not built this says "skip" (tests/run builds them
# first and passes --require-built: then it is a failure). Prints ok/FAIL/skip.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"
TEST_NAME="patch:"
require=0
case ${1:-} in
"") ;;
--require-built) require=1 ;;
*) bad "usage: patch-e2e.sh [--require-built]"; exit 0 ;;
esac

line=$("$top/scripts/lab/build-kernels.sh" --dry-run 2>&1)
case $line in
*"dry-run OK"*) ok "$line" ;;
*) bad "$line"; exit 0 ;;
esac
key=$(sed -n 's/.*; key \([^ ]*\) (built: .*/\1/p' <<<"$line")
if [[ $line != *"(built: yes)"* ]]; then
	why="before/after kernels of key ${key:-?} not built (sudo scripts/lab/build-kernels.sh builds them, ~13 min)"
	if [ $require = 1 ]; then bad "$why"; else echo "skip patch: $why: not booted"; fi
	exit 0
fi

readers="kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu kvm_supports_guest_pmuv3"
jqr() { jq -r "$@" 2>/dev/null; }
before_ok=0
for side in before after; do
	out=${E2E_OUT:-$top/build/e2e}/patch-$side
	rm -rf "$out"
	if ! "$top/scripts/lab/run-guest.sh" -k "$PMUTRACE_CACHE/builds/$key/$side" -s "$top/tests/guest/patch.sh" \
		-o "$out" -t 300 "$top/build/arm64/pmutrace" "$top/build/arm64/pmu-stress" \
		"$top/build/arm64/bpf-progs" "$top/tests/guest/lib.sh"; then
		bad "$side kernel guest failed (see $out/console.log)"
		continue
	fi
	fails=0
	why=$(stress_ran "$out" hold)
	check "$side: the workload ran ($why)" test $? = 0 || fails=$((fails + 1))
	check "$side: pmutrace exit 0 (got $(cat "$out/hold.rc" 2>/dev/null))" \
		test "$(cat "$out/hold.rc" 2>/dev/null)" = 0 || fails=$((fails + 1))
	check "$side: lock arm_pmus_lock found ($(jqr '.locks[0].name + " @ " + .locks[0].address' "$out/hold.json"))" \
		test "$(jqr '.locks[0].name' "$out/hold.json")" = arm_pmus_lock || fails=$((fails + 1))
	want=$([ $side = before ] && echo 1 || echo 0)
	for t in $readers; do
		sel=".targets[] | select(.name == \"$t\")"
		exp=$(expected "$out" hold "derived.$t")
		c=$(jqr "$sel | .count" "$out/hold.json")
		m=$(jqr "$sel | .missed.exit" "$out/hold.json")
		a=$(jqr "$sel | .lock.acquired" "$out/hold.json")
		check "$side: $t counted $c + missed $m == $exp calls made by pmu-stress (> 0)" \
			count_is "$c" "$m" "$exp" || fails=$((fails + 1))
		# after: 0 is only worth something if the same test counted the
		# acquisitions on the before kernel (the positive control).
		if [ $side = after ] && [ $before_ok = 0 ]; then
			bad "after: $t took arm_pmus_lock ${a:-?} times in ${c:-?} calls: cannot judge, the before kernel did not show the acquisitions"
		elif [[ $a =~ ^[0-9]+$ && $c =~ ^[0-9]+$ ]] && [ "$c" -gt 0 ] && [ "$a" -eq $((want * c)) ]; then
			ok "$side: $t took arm_pmus_lock $a times in $c calls ($want per call)"
		else
			bad "$side: $t took arm_pmus_lock ${a:-?} times in ${c:-?} calls, want $want per call"
			fails=$((fails + 1))
		fi
	done
	side_seen=$(jqr '.patch_side.side' "$out/hold.json")
	check "$side: pmutrace observes side '$side_seen' ($(jqr '.patch_side.evidence' "$out/hold.json"))" \
		test "$side_seen" = $side || fails=$((fails + 1))
	check "$side: no BPF program left loaded ($(progs_seen "$out" hold))" none_left "$out" hold
	[ $side = before ] && [ $fails = 0 ] && before_ok=1
done
exit 0
