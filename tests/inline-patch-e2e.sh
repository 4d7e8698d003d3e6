#!/bin/bash
# inline-patch-e2e.sh: inline sites on the before/after kernels of the RCU
# patch (scripts/lab/build-kernels.sh), whose readers' bodies the patch
# changes. Each side: its vmlinux (build-kernels.sh --vmlinux) belongs to its
# Image and the cached Images are left as they were; pmutrace-sites' table
# from it; one boot under the instruction clock (one ns per instruction)
# with tools/insn-count counting each body untraced (pair=, entry up to an
# exit), then pmutrace --sites timing the same calls: per-site counts equal
# the calls, and the bias-corrected body is within TOL instructions of the
# plugin's least. Traced windows then give the entry kprobe's own cost per
# body (traced less untraced pair), which the calibration stands for.
# Prints ok/FAIL/skip.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
TEST_NAME="inline[patch]"
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"
TOL=10
base=${E2E_OUT:-$top/build/e2e}/inline-patch
rm -rf "$base"
mkdir -p "$base"

touch "$base/stamp"
kout=$("$top/scripts/lab/build-kernels.sh" --cached --vmlinux 2>"$base/vmlinux.err")
rc=$?
if [ $rc = 3 ]; then
	echo "skip $TEST_NAME: before/after kernels not built (scripts/lab/build-kernels.sh): $(tail -n 1 "$base/vmlinux.err")"
	exit 0
fi
check "build-kernels.sh --vmlinux (rc $rc): $(tr '\n' ' ' <<<"$kout")$(tail -n 1 "$base/vmlinux.err")" \
	test "$(grep -c '^\(before\|after\): /.*/\(before\|after\)/vmlinux$' <<<"$kout")" = 2
bdir=$(sed -n 's,^before: \(.*\)/before/vmlinux$,\1,p' <<<"$kout")
check "build-kernels.sh --vmlinux: both under ${bdir:-?}" test "$(grep -c "^\(before\|after\): $bdir/" <<<"$kout")" = 2
check "the cached Images are unchanged: $(find "$bdir"/{before,after}/Image -newer "$base/stamp" | tr '\n' ' ')" \
	test -z "$(find "$bdir"/{before,after}/Image -newer "$base/stamp")"
make -s -C "$top" build/insn-count/insn-count.so >&2
# addr VMLINUX SYMBOL+OFF: the absolute address, hex.
addr() { printf '0x%x' $((0x$(nm "$1" | awk -v s="${2%+*}" '$3 == s { print $1; exit }') + ${2#*+})); }
# pair NAME FUNC: the plugin's pair= for FUNC's instance 0 in $out/sites.txt.
pair() {
	local a arg=pair=$1
	for a in $(awk -v f="$2" '$1 == "site" && $2 == f && $3 == 0 && $4 == "entry" { print $5 }' "$out/sites.txt") \
		$(awk -v f="$2" '$1 == "site" && $2 == f && $3 == 0 && $4 == "exit" { print $5 }' "$out/sites.txt"); do
		arg=$arg:$(addr "$vmlinux" "$a")
	done
	echo "$arg"
}
# win N KEY: KEY= from the plugin's window N.
win() { sed -n "${1}p" "$out/insns.txt" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# body RUN TARGET-FILTER WINDOW PAIR: RUN's bias-corrected fast path of the
# target within TOL of the plugin's least pair in WINDOW. Every body after
# the patch enters at bl __rcu_read_lock: corrected by the call pair.
body() {
	local got want mean name insn
	got=$(js "$1" "$2 | .attach.body_ns.fast_path")
	want=$(win "$3" "$4.min")
	mean=$(awk -v b="$(win "$3" "$4.body")" -v n="$(win "$3" "$4.pairs")" 'BEGIN { if (n) printf "%.1f", b / n }')
	name=$(js "$1" "$2 | .name")
	insn=$(awk -v f="$name" '$1 == "site" && $2 == f && $3 == 0 && $4 == "entry" { print $6; exit }' "$out/sites.txt")
	check "$side: $1: $name's body (entry $insn), bias-corrected: $got ns, plugin $want (least; mean $mean)" \
		near "$got" "${want:-x}"
}

for side in before after; do
	out=$base/$side
	mkdir -p "$out"
	vmlinux=$(sed -n "s/^$side: //p" <<<"$kout")
	id=$(readelf -n "$vmlinux" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
	check "$side: the vmlinux's build-id ${id:-none} is in its Image" \
		python3 -c 'import sys; sys.exit(not sys.argv[1] or bytes.fromhex(sys.argv[1]) not in open(sys.argv[2], "rb").read())' \
		"$id" "$bdir/$side/Image"
	"$top/build/x86/pmutrace-sites" -o "$out/sites.txt" "$vmlinux" kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu \
		2>"$out/sites.err"
	check "$side: pmutrace-sites wrote the table (rc $?): $(grep -c '^site ' "$out/sites.txt" 2>/dev/null) sites" \
		grep -q '^site kvm_arm_pmu_v3_set_pmu 0 exit' "$out/sites.txt"
	grep -v '^calib call ' "$out/sites.txt" >"$out/sites-nocall.txt"
	plug="$top/build/insn-count/insn-count.so,out=$out/insns.txt,$(pair probe kvm_pmu_probe_armpmu),$(pair setpmu kvm_arm_pmu_v3_set_pmu)"
	echo "$plug" >"$out/plugin.args"
	PMUTRACE_GUEST_SMP=1 PMUTRACE_LAB_MODE=icount PMUTRACE_QEMU_ARGS="-plugin $plug" \
		"$top/scripts/lab/run-guest.sh" -k "$bdir/$side" -s "$top/tests/guest/inline-patch.sh" \
		-o "$out" -t 900 "$top/build/arm64/pmutrace" "$top/build/arm64/pmu-stress" \
		"$top/build/arm64/bpf-progs" "$top/tests/guest/lib.sh" "$out/sites.txt" "$out/sites-nocall.txt" \
		>"$out/run.log" 2>&1
	check "$side: guest ran the scenario (rc $?)" test "$(cat "$out/scenario.rc" 2>/dev/null)" = 0
	for run in plain ok enxio nocall; do
		check "$side: $run: workload ran" grep -q '^elapsed_ns=' "$out/$run.stress.1"
	done
	check "$side: the plugin closed 6 windows" test "$(wc -l <"$out/insns.txt" 2>/dev/null)" = 6

	# The plugin, untraced: one pair per call, windows vcpu-init, set-pmu, -ENXIO.
	calls=$(stress_key plain 1 derived.kvm_pmu_probe_armpmu)
	check "$side: plugin: kvm_pmu_probe_armpmu pairs $(win 1 probe.pairs) = $calls calls" count_is "$(win 1 probe.pairs)" 0 "$calls"
	for w in 2 3; do
		calls=$(stress_key plain $w derived.kvm_arm_pmu_v3_set_pmu)
		check "$side: plugin: kvm_arm_pmu_v3_set_pmu pairs $(win $w setpmu.pairs) = $calls calls (window $w)" \
			count_is "$(win $w setpmu.pairs)" 0 "$calls"
	done

	# Traced windows 4-6: one pair per call; the least pair less the untraced
	# one is what the entry kprobe adds (up to the exit's trap).
	for c in "1 probe" "2 setpmu" "3 setpmu"; do
		read -r w pn <<<"$c"
		calls=$(stress_key marked "$w" "derived.$([ "$pn" = probe ] && echo kvm_pmu_probe_armpmu || echo kvm_arm_pmu_v3_set_pmu)")
		got=$(win $((w + 3)) "$pn.pairs")
		check "$side: traced window $((w + 3)): $pn pairs $got = $calls calls; entry kprobe's cost $(($(win $((w + 3)) "$pn.min") - $(win "$w" "$pn.min"))) instructions" \
			count_is "$got" 0 "$calls"
	done

	# pmutrace at the inline sites: counts per site, bodies against the plugin.
	p=$(tgt kvm_pmu_probe_armpmu) s=$(tgt kvm_arm_pmu_v3_set_pmu)
	inline_counts "$side: "
	body ok "$p" 1 probe
	body ok "$s" 2 setpmu
	body enxio "$s" 3 setpmu
	# A table without the call pair: BL bodies (after) not corrected, with
	# the reason; the others (before) still are.
	if [ $side = after ]; then
		check "$side: no calib call line: $(grep -m1 'body: ' "$out/nocall.out"); $(grep -m1 'call entry: ' "$out/nocall.out")" \
			grep -q '^  body: not corrected (no kprobe pair calibration for a BL entry)$' "$out/nocall.out"
	else
		check "$side: no calib call line: $(grep -m1 'body: ' "$out/nocall.out")" \
			grep -q '^  body: mean .* fast path ' "$out/nocall.out"
	fi
done
