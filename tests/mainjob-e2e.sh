#!/bin/bash
# mainjob-e2e.sh: the README's main job, `scripts/pmutrace.sh`, on Debian
# sid's kernel in QEMU: it must exit 0 and print a report in which every
# reader saw calls, as many as pmu-stress says it made.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
TEST_NAME="mainjob[sid]"
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"
out=$top/build/lab/sid
PMUTRACE_SUITES=sid "$top/scripts/pmutrace.sh" >"$top/build/mainjob.out" 2>"$top/build/mainjob.err"
rc=$?
check "scripts/pmutrace.sh exits 0 ($rc; $(tail -n 1 "$top/build/mainjob.err"))" test "$rc" = 0
check "one Tracing line" test "$(grep -c '^Tracing' "$top/build/mainjob.err")" = 1
calls() { # calls TARGET: its "calls N" plus its missed exits, from the report
	sed -n "/^$1:/,/^$/s/^  calls \([0-9]*\) .* missed [0-9]* entries, \([0-9]*\) exits.*/\1 \2/p" \
		"$top/build/mainjob.out" | head -n 1 | awk '{ print $1 + $2 }'
}
derived() { # derived TARGET: what pmu-stress says the kernel had to do
	cat "$out"/stress.* 2>/dev/null | sed -n "s/^derived\.$1=//p" | awk '{ s += $1 } END { print s + 0 }'
}
for t in kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu kvm_supports_guest_pmuv3; do
	n=$(calls "$t") want=$(derived "$t")
	check "$t: the report's calls + missed exits ${n:-none} == pmu-stress's $want (> 0)" \
		sh -c "[ '${want:-0}' -gt 0 ] && [ '${n:-x}' = '$want' ]"
done
check "patch side said" grep -q '^patch side: ' "$top/build/mainjob.out"
