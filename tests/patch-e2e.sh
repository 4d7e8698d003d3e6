#!/bin/bash
# patch-e2e.sh: the RCU patch applies cleanly to Debian's current
# linux-source (a dry run: CI builds no kernel); and when the before/after
# kernels of scripts/build-kernels.sh are in the cache, boot both and check
# that the readers take arm_pmus_lock once per call before, never after.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
ok() { echo "ok   patch: $*"; }
bad() { echo "FAIL patch: $*"; }

line=$("$top/scripts/build-kernels.sh" --dry-run 2>&1)
case $line in
*"dry-run OK"*) ok "$line" ;;
*) bad "$line"; exit 0 ;;
esac
key=$(sed -n 's/.*; key \([^ ]*\) (built: .*/\1/p' <<<"$line")
if [[ $line != *"(built: yes)"* ]]; then
	echo "ok   patch: before/after kernels not built here (sudo scripts/build-kernels.sh builds them); boot test skipped"
	exit 0
fi
for side in before after; do
	out=${E2E_OUT:-$top/build/e2e}/patch-$side
	rm -rf "$out"
	if ! "$top/scripts/run-guest.sh" -k "$PMUTRACE_CACHE/builds/$key/$side" -s "$top/tests/guest/patch.sh" \
		-o "$out" -t 300 "$top/build/arm64/pmutrace" "$top/build/arm64/pmu-stress" "$top/tests/guest/lib.sh"; then
		bad "$side kernel guest failed (see $out/console.log)"
		continue
	fi
	want=$([ $side = before ] && echo 1 || echo 0)
	for t in kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu kvm_supports_guest_pmuv3; do
		c=$(jq -r ".targets[] | select(.name == \"$t\") | .count" "$out/hold.json")
		a=$(jq -r ".targets[] | select(.name == \"$t\") | .lock.acquired" "$out/hold.json")
		if [ "${c:-0}" -gt 0 ] && [ "$a" -eq $((want * c)) ]; then
			ok "$side: $t took arm_pmus_lock $a times in $c calls"
		else
			bad "$side: $t took arm_pmus_lock ${a:-?} times in ${c:-?} calls, want $want per call"
		fi
	done
	side_seen=$(jq -r '.patch_side.side' "$out/hold.json")
	if [ "$side_seen" = $side ]; then ok "$side: pmutrace observes side '$side_seen'"; else bad "$side: pmutrace observes side '$side_seen'"; fi
done
exit 0
