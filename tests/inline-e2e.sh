#!/bin/bash
# inline-e2e.sh [KERNEL_DIR]: inline sites on Debian sid's 7.2 cloud kernel
# under the instruction-driven clock (-icount shift=0: one instruction per
# ns), against the path lengths an instruction-counting plugin measured
# (issue 22): kvm_pmu_probe_armpmu's body is 37 instructions,
# kvm_arm_pmu_v3_set_pmu's 125 (success) and 38 (-ENXIO). The site table
# comes from the -dbg package's vmlinux (scripts/lab/fetch-dbg.sh, ~350 MB
# once). Prints ok/FAIL/skip.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:-$("$top/scripts/lab/fetch-kernel.sh" sid)}
out=${E2E_OUT:-$top/build/e2e}/inline-sid
TEST_NAME="inline[sid]"
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"
# Within this many instructions of the plugin's count.
TOL=10

rm -rf "$out"
mkdir -p "$out"
if ! vmlinux=$("$top/scripts/lab/fetch-dbg.sh" sid 2>"$out/fetch.err"); then
	echo "skip $TEST_NAME: no -dbg vmlinux: $(tail -n 1 "$out/fetch.err")"
	exit 0
fi
"$top/build/x86/pmutrace-sites" -o "$out/sites.txt" "$vmlinux" \
	kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu kvm_arm_set_pmu 2>"$out/sites.err"
check "pmutrace-sites wrote the table (rc $?): $(tr '\n' ' ' <"$out/sites.err")" test -s "$out/sites.txt"
for want in "kvm_pmu_probe_armpmu 0 entry kvm_arm_set_default_pmu+0x1c" \
	"kvm_pmu_probe_armpmu 0 exit kvm_arm_set_default_pmu+0x78" \
	"kvm_pmu_probe_armpmu 0 exit kvm_arm_set_default_pmu+0xac" \
	"kvm_arm_pmu_v3_set_pmu 0 entry kvm_arm_pmu_v3_set_attr+0x1b0" \
	"kvm_arm_pmu_v3_set_pmu 0 exit kvm_arm_pmu_v3_set_attr+0x270"; do
	check "table has: $want" grep -q "^site $want " "$out/sites.txt"
done

# A table whose SET_PMU entry is in noinstr code (the exception entry), with
# the vmlinux's own bytes there: it passes the byte check, and the kernel
# refuses the kprobe.
word=$(llvm-objdump -d --start-address="0x$(nm "$vmlinux" | awk '$3 == "el1h_64_sync_handler" { print $1 }')" \
	"$vmlinux" 2>/dev/null | awk '/^ffff[0-9a-f]*:/ { n++ } n == 3 { print $5 $4 $3 $2; exit }')
sed "s/^site kvm_arm_pmu_v3_set_pmu 0 entry .*/site kvm_arm_pmu_v3_set_pmu 0 entry el1h_64_sync_handler+0x8 $word/" \
	"$out/sites.txt" >"$out/refuse.txt"
check "a table with a site in noinstr code (word $word)" test -n "$word"

PMUTRACE_LAB_MODE=icount \
	"$top/scripts/lab/run-guest.sh" -k "$kdir" -s "$top/tests/guest/inline.sh" \
	-o "$out" -t 600 "$top/build/arm64/pmutrace" "$top/build/arm64/pmu-stress" \
	"$top/build/arm64/bpf-progs" "$top/tests/guest/lib.sh" "$out/sites.txt" "$out/refuse.txt" \
	>"$out/run.log" 2>&1
check "guest ran the scenario (rc $?)" test "$(cat "$out/scenario.rc" 2>/dev/null)" = 0

for run in ok enxio multi; do
	# enxio's calls fail on purpose: counted below, by errno.
	if [ $run = enxio ]; then
		check "enxio: workload ran" grep -q '^elapsed_ns=' "$out/enxio.stress.1"
	else
		why=$(stress_ran "$out" "$run") && ok "$run: workload ran ($why)" || bad "$run: workload: $why"
	fi
	check "$run: JSON valid against docs/pmutrace.schema.json" \
		python3 "$top/tests/validate-json.py" "$top/docs/pmutrace.schema.json" "$out/$run.json"
	check "$run: no program left ($(progs_seen "$out" "$run"))" none_left "$out" "$run"
done

# 1. Counts per site equal the calls made; bodies within TOL of the plugin.
p=$(tgt kvm_pmu_probe_armpmu) s=$(tgt kvm_arm_pmu_v3_set_pmu)
inline_counts ""
check "ok: kvm_pmu_probe_armpmu timed at 3 inline sites: $(js ok "$p | .attach.mode, (.attach.sites | length)" | tr '\n' ' ')" \
	test "$(js ok "$p | .attach.mode + \" \" + (.attach.sites | length | tostring)")" = "inline 3"
check "ok: kvm_pmu_probe_armpmu's NULL exit +0xac saw none: $(js ok "$p | .attach.sites[2].count")" \
	test "$(js ok "$p | .attach.sites[2].count")" = 0
got=$(js ok "$p | .attach.body_ns.fast_path")
check "ok: kvm_pmu_probe_armpmu's body, bias-corrected: $got ns, plugin 37 (mean $(js ok "$p | .attach.body_ns.mean"))" near "$got" 37
got=$(js ok "$s | .attach.body_ns.fast_path")
check "ok: kvm_arm_pmu_v3_set_pmu's body on success: $got ns, plugin 125 (mean $(js ok "$s | .attach.body_ns.mean"))" near "$got" 125
got=$(js enxio "$s | .attach.body_ns.fast_path")
check "enxio: kvm_arm_pmu_v3_set_pmu's body on -ENXIO: $got ns, plugin 38 (mean $(js enxio "$s | .attach.body_ns.mean"))" near "$got" 38

# 2. -f on a function inlined into two callers: each instance counts its own.
m=$(tgt kvm_arm_set_pmu)
want0=$(expected "$out" multi derived.kvm_arm_pmu_v3_set_pmu)
want1=$(expected "$out" multi derived.kvm_arm_set_default_pmu)
got0=$(js multi "[$m | .attach.sites[] | select(.instance == 0 and .kind == \"entry\") | .count] | add")
got1=$(js multi "[$m | .attach.sites[] | select(.instance == 1 and .kind == \"entry\") | .count] | add")
check "multi: kvm_arm_set_pmu in kvm_arm_pmu_v3_set_attr entered $got0 = $want0 SET_PMU calls" count_is "$got0" 0 "$want0"
check "multi: kvm_arm_set_pmu in kvm_arm_set_default_pmu entered $got1 = $want1 probes" count_is "$got1" 0 "$want1"
got=$(js multi "$m | .count")
check "multi: kvm_arm_set_pmu total $got = $want0 + $want1" count_is "$got" 0 $((want0 + want1))

# 3. Every output says how a target is timed; --attach forces each way.
check "text: inline sites named" grep -q '^kvm_arm_pmu_v3_set_pmu: inline at 2 sites (kprobe)' "$out/text-inline.out"
check "text: --attach caller times the caller" grep -q '^kvm_arm_pmu_v3_set_pmu: caller via kvm_arm_pmu_v3_set_attr' "$out/text-caller.out"
check "text: --attach function leaves the inlined reader absent" grep -q '^kvm_arm_pmu_v3_set_pmu: absent' "$out/text-function.out"
rc=$(cat "$out/other.rc" 2>/dev/null)
check "a table of another build-id: exit 2 (got $rc), one line: $(head -c 150 "$out/other.err")" \
	test "$rc" = 2 -a "$(wc -l <"$out/other.err")" -eq 1
check "a site whose live instruction differs: target refused, with both words: $(grep -m1 'refused' "$out/patched.out")" \
	grep -q '^  (inline sites refused: kvm_arm_pmu_v3_set_attr+0x1b0: the live instruction a9055bf5 is not the table.s d503201f' "$out/patched.out"
check "the other targets still traced (exit $(cat "$out/patched.rc" 2>/dev/null))" \
	grep -q '^kvm_pmu_probe_armpmu: inline at 3 sites' "$out/patched.out"
calls=$(expected "$out" noexit derived.kvm_arm_pmu_v3_set_pmu)
got=$(js noexit '.dropped.stale_entry')
check "no exit in the table: $calls entries, $got restarted (stale), $(js noexit '.dropped.too_deep') too deep, $(js noexit "$(tgt kvm_arm_pmu_v3_set_pmu) | .count") timed" \
	test "$calls" -gt 0 -a "$got" = $((calls - 1)) -a "$(js noexit '.dropped.too_deep')" = 0
check "a site the kernel refuses a kprobe at: target absent, with the site: $(grep -m1 'refused a kprobe' "$out/refuse.out")" \
	grep -q '^  (inline site el1h_64_sync_handler+0x8 refused a kprobe: ' "$out/refuse.out"

# 4. -p, -c and --by at the inline sites (section 9 of the guest half): each
#    process's own counts, exactly; pmutrace's calibration pairs, its own
#    calls, neither filtered out nor in a row.
inl="kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu"
for run in inby inpid incg; do
	why=$(stress_ran "$out" $run) && ok "$run: workloads ran ($why)" || bad "$run: workloads: $why"
	check "$run: pmutrace exit 0 ($(cat "$out/$run.rc" 2>/dev/null))" test "$(cat "$out/$run.rc" 2>/dev/null)" = 0
done
check "incg: no program left ($(progs_seen "$out" incg))" none_left "$out" incg
for run in inby inpid; do
	check "$run: JSON valid against docs/pmutrace.schema.json" \
		python3 "$top/tests/validate-json.py" "$top/docs/pmutrace.schema.json" "$out/$run.json"
	check "$run: the three calibration classes done, from pmutrace's own calls: $(js $run '[.inline_calibration[] | .class + " " + (.pairs|tostring)] | join(", ")')" \
		test "$(js $run '[.inline_calibration[] | select(.mean_ns != null)] | length')" = 3
done
# --by process: each process's row holds its own calls at the inline sites.
for n in sp vi; do
	p=$(cat "$out/inby.pid.$n" 2>/dev/null)
	for t in $inl; do
		want=$(derived inby $n $t)
		row=".attribution.rows[] | select(.pid == ${p:-0}) | .targets.$t"
		got=$(js inby "[$row | .count] | add // 0") timed=$(js inby "[$row | .timed] | add // 0")
		prom=$(awk -v p="pid=\"$p\"" -v t="target=\"$t\"" '/^pmutrace_attrib_calls_total\{/ && index($0, p) && index($0, t) { print $2 }' "$out/inby.prom")
		if [ "${want:-0}" = 0 ]; then
			check "inby: $n (pid $p) made no $t call, and its row has none ($got)" test "$got" = 0
			continue
		fi
		check "inby: $n (pid $p) $t: row count $got, timed $timed = $want calls; Prometheus ${prom:-none}" \
			sh -c "[ '$got' = '$want' ] && [ '$timed' = '$want' ] && [ '$prom' = '$want' ]"
	done
done
# Every call of both processes is in their two rows: no row of pmutrace's
# own (the calibration pairs), nothing lost.
check "inby: two rows, the two processes' ($(js inby '[.attribution.rows[] | .pid] | join(" ")'))" \
	test "$(js inby '[.attribution.rows[] | select(.pid != null)] | length')" = 2
for t in $inl; do
	want=$(($(derived inby sp $t) + $(derived inby vi $t)))
	check "inby: $t total $(js inby "$(tgt $t) | .count") = the rows' $(js inby "[.attribution.rows[].targets.$t.count // 0] | add") = $want calls, entered $(js inby "[$(tgt $t) | .attach.sites[] | select(.kind == \"entry\") | .count] | add"), missed $(js inby "$(tgt $t) | .missed.entry + .missed.exit")" \
		sh -c "[ '$(js inby "$(tgt $t) | .count")' = $want ] && [ '$(js inby "[.attribution.rows[].targets.$t.count // 0] | add")' = $want ] && [ '$(js inby "[$(tgt $t) | .attach.sites[] | select(.kind == \"entry\") | .count] | add")' = $want ] && [ '$(js inby "$(tgt $t) | .missed.entry + .missed.exit")' = 0 ]"
done
# -p the SET_PMU process: only its calls, at every site.
for t in $inl; do
	want=$(derived inpid sp $t) other=$(derived inpid vi $t)
	check "inpid: -p sp: $t count $(js inpid "$(tgt $t) | .count"), entered $(js inpid "[$(tgt $t) | .attach.sites[] | select(.kind == \"entry\") | .count] | add") = sp's $want calls (vi made $other)" \
		sh -c "[ '$(js inpid "$(tgt $t) | .count")' = '$want' ] && [ '$(js inpid "[$(tgt $t) | .attach.sites[] | select(.kind == \"entry\") | .count] | add")' = '$want' ]"
done
check "inpid: the other process made calls the filter left out ($(derived inpid vi kvm_pmu_probe_armpmu) probes)" \
	test "$(derived inpid vi kvm_pmu_probe_armpmu)" -gt 0
# The twins' calibration matches their sites: the body is as without -p.
got=$(js inpid "$(tgt kvm_arm_pmu_v3_set_pmu) | .attach.body_ns.fast_path")
check "inpid: SET_PMU's body under -p, bias-corrected: $got ns, plugin 125" near "$got" 125
# -c the vCPU-init process's cgroup, text: its row and the targets' counts.
want=$(derived incg vi kvm_pmu_probe_armpmu)
check "incg: text: -c /vm-b counts vi's $want probes at the inline sites" \
	grep -qE "^  calls $want  errors" <(sed -n '/^kvm_pmu_probe_armpmu: inline at 3 sites/,/^$/p' "$out/incg.out")
# The row by the cgroup's id (its directory's inode): this guest's rows
# name it "(gone)", also without --sites (not looked into).
id=$(cat "$out/incg.cgroup_id" 2>/dev/null)
check "incg: text: cgroup /vm-b's row (id ${id:-none}): kvm_pmu_probe_armpmu calls $want" \
	grep -qE "^    kvm_pmu_probe_armpmu +calls $want +untimed 0 " <(sed -n "/^  cgroup .* (id ${id:-none}): /,/^  [a-z]/p" "$out/incg.out")
check "incg: text: one row, and the inline note" \
	sh -c "grep -q '^per cgroup (top 1 of 1' '$out/incg.out' && grep -q 'targets timed at inline sites' '$out/incg.out'"
want=$(derived incg vi kvm_arm_pmu_v3_set_pmu)
check "incg: SET_PMU calls of the other cgroup ($(derived incg sp kvm_arm_pmu_v3_set_pmu)) not counted: $(sed -n '/^kvm_arm_pmu_v3_set_pmu: inline/,/^$/p' "$out/incg.out" | grep -m1 '  calls'), vi made $want" \
	grep -qE "^  calls $want  " <(sed -n '/^kvm_arm_pmu_v3_set_pmu: inline/,/^$/p' "$out/incg.out")

# 5. --sites auto (and --attach inline alone): the table by build-id from
#     $PMUTRACE_SITES_DIR; a wrong or missing one never fails the run.
calls=$(expected "$out" auto derived.kvm_arm_pmu_v3_set_pmu)
got=$(js auto "$(tgt kvm_arm_pmu_v3_set_pmu) | .count")
check "--attach inline, no --sites: the table found by build-id in \$PMUTRACE_SITES_DIR, $(js auto "$(tgt kvm_arm_pmu_v3_set_pmu) | .attach.mode + \" at \" + (.attach.sites | length | tostring) + \" sites\""), $got = $calls calls" \
	sh -c "[ '$(js auto "$(tgt kvm_arm_pmu_v3_set_pmu) | .attach.mode")' = inline ] && [ '$calls' -gt 0 ] && [ '$got' = '$calls' ]"
for run in wrong none; do
	f=$out/auto-$run
	case $run in
	wrong) want='warning: --sites auto: .*: the table is for the kernel with build-id 00112233;' ;;
	none) want='--sites auto: no table for build-id' ;;
	esac
	check "--sites auto, $run table: exit $(cat "$f.rc" 2>/dev/null), one line: $(grep '^pmutrace: ' "$f.err" | head -c 200)" \
		sh -c "[ \"\$(cat '$f.rc')\" = 0 ] && [ \"\$(grep -c '^pmutrace: ' '$f.err')\" = 1 ] && grep -q '^pmutrace: $want' '$f.err'"
	check "--sites auto, $run table: the readers through their callers" \
		grep -q '^kvm_arm_pmu_v3_set_pmu: caller via kvm_arm_pmu_v3_set_attr' "$f.out"
done
