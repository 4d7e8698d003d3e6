#!/bin/bash
# inline-insns.sh: guest instructions per SET_PMU call (kvm_arm_pmu_v3_set_pmu,
# inlined) with no tracer, timed through its caller (fsession on
# kvm_arm_pmu_v3_set_attr) and at its inline sites (two kprobes and their
# calibration), on Debian sid's 7.2 cloud kernel: one boot, one vCPU,
# tools/insn-count, ROUNDS rounds rotated (the least of each variant's
# rounds is a window nothing else hit). Raw data in docs/inline/insns/;
# prints the table. Knobs: N (500 calls a window), ROUNDS (3).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
n=${N:-500} rounds=${ROUNDS:-3}
out=build/inline-insns
raw=docs/inline/insns
make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs >&2
make -s build/x86/pmutrace-sites build/insn-count/insn-count.so >&2
kdir=$(scripts/lab/fetch-kernel.sh sid)
vmlinux=$(scripts/lab/fetch-dbg.sh sid)
rm -rf "$out"
mkdir -p "$out" "$raw"
build/x86/pmutrace-sites -o "$out/sites.txt" "$vmlinux" kvm_arm_pmu_v3_set_pmu
{ echo "N=$n"; echo "ROUNDS=$rounds"; cat tests/guest/inline-insns.sh; } >"$out/scenario.sh"
PMUTRACE_GUEST_SMP=1 PMUTRACE_LAB_MODE=icount \
	PMUTRACE_QEMU_ARGS="-plugin $top/build/insn-count/insn-count.so,out=$top/$out/insns.txt" \
	scripts/lab/run-guest.sh -k "$kdir" -s "$out/scenario.sh" -o "$out" -t 900 \
	build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs tests/guest/lib.sh "$out/sites.txt" >&2
cp "$out/insns.txt" "$out/order" "$out/sites.txt" "$raw/"
cp "$out"/*.stress "$raw/"
# Windows in the order the guest ran them; per variant the least, per call.
paste -d' ' "$raw/order" <(sed -n 's/.*insns=\([0-9]*\).*/\1/p' "$raw/insns.txt") |
	awk -v n="$n" '{ if (!($1 in m) || $2 < m[$1]) m[$1] = $2 }
	END { printf "%-8s %12s %14s\n", "variant", "insns/call", "added/call"
	      for (v in m) printf "%-8s %12.1f %14.1f\n", v, m[v] / n, (m[v] - m["none"]) / n }' |
	tee "$raw/summary.txt"
