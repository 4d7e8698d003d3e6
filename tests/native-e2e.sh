#!/bin/bash
# native-e2e.sh [BEFORE_KERNEL_DIR AFTER_KERNEL_DIR]
# The native report path (scripts/report/native-run.sh + render.py), tested
# where it can be: each QEMU guest is itself an arm64 KVM host. Boots the
# before kernel and the after kernel once each (default: the builds of
# scripts/lab/build-kernels.sh), runs the native matrix inside (a small one: 1 and
# 2 threads, a tenth of the work), brings the boot folders back, renders them,
# and checks the lock acquisitions per reader call exactly: 1 before, 0 after,
# each count against pmu-stress's own. Also checks that native-run.sh refuses
# this x86 host in one line. Prints ok/FAIL/skip lines; exit 1 on any FAIL.
# ok and fail always succeed, so "A && ok || fail" is an if-then-else here.
# shellcheck disable=SC2015
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
fails=0
ok() { echo "ok   $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
skip() { echo "skip $*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A host that cannot trace is refused before anything runs, in one line.
if [ -x build/x86/pmutrace ] && [ -x build/x86/pmu-stress ]; then
	rc=0
	PMUTRACE_BIN=$top/build/x86 scripts/report/native-run.sh "$work/host" 2>"$work/refused" || rc=$?
	if [ "$rc" -eq 3 ] && [ "$(wc -l <"$work/refused")" -eq 1 ] && grep -q '^native-run: host not ready: ' "$work/refused" &&
		[ ! -e "$work/host" ]; then
		ok "native-run.sh refuses a host that cannot trace: $(cat "$work/refused")"
	elif [ "$(id -u)" -ne 0 ]; then
		skip "native-run.sh refusal: not root (exit $rc)"
	else
		fail "native-run.sh on this host: exit $rc, $(wc -l <"$work/refused") lines: $(head -c 300 "$work/refused")"
	fi
else
	skip "native-run.sh refusal: no build/x86 binaries (run make)"
fi

if [ $# -eq 2 ]; then
	before=$1 after=$2
else
	kernels=$(scripts/lab/build-kernels.sh 2>/dev/null) || kernels=''
	before=$(sed -n 's/^  before: \([^ ]*\) .*/\1/p' <<<"$kernels")
	after=$(sed -n 's/^  after: *\([^ ]*\) .*/\1/p' <<<"$kernels")
fi
if [ ! -s "${before:-/nonexistent}/Image" ] || [ ! -s "${after:-/nonexistent}/Image" ]; then
	skip "native matrix in guests: no before/after kernels (scripts/lab/build-kernels.sh builds them)"
	exit $((fails > 0))
fi
[ -x build/arm64/pmutrace ] && [ -x build/arm64/pmu-stress ] || {
	skip "native matrix in guests: no build/arm64 binaries (make ARCH=arm64)"
	exit $((fails > 0))
}

raw=$work/raw
for k in before after; do
	dir=$before
	[ $k = after ] && dir=$after
	if scripts/report/lab-boot.sh -k "$dir" -l $k -b 01 -t "1 2" -s small "$raw" >"$work/$k.log" 2>&1; then
		ok "$k guest ran native-run.sh ($(grep -c . "$raw/$k-01/meta.txt") meta lines, $(find "$raw/$k-01" -name '*.json' | wc -l) runs)"
	else
		fail "$k guest: $(tail -n 3 "$work/$k.log" | tr '\n' ' ')"
		continue
	fi
	b=$raw/$k-01
	for key in kernel_release build_id cpu_midr cpus_online pmu accel host load_start start end; do
		grep -q "^$key=." "$b/meta.txt" || fail "$k meta.txt has no $key"
	done
	side=$(sed -n 's/^patch_side_check=//p' "$b/meta.txt")
	[ "$side" = $k ] && ok "$k: pmutrace check observed patch side $side" ||
		fail "$k: pmutrace check observed patch side '$side'"
	# Each hold run: the workload ran, every call counted, and 1 or 0
	# acquisitions per call, exactly.
	want=1
	[ $k = after ] && want=0
	for s in vcpu-init set-pmu check-ext; do
		c=hold-$s
		if [ "$(cat "$b/$c.rc")" != "stress=0 pmutrace=0" ]; then
			fail "$k $c: $(cat "$b/$c.rc")"
			continue
		fi
		for t in kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu kvm_supports_guest_pmuv3; do
			n=$(sed -n "s/^derived\.$t=//p" "$b/$c.stress")
			[ "${n:-0}" -gt 0 ] || continue
			got=$(jq -r --arg t "$t" '.targets[] | select(.name == $t) |
				"\(.count + .missed.exit) \(.lock.acquired)"' "$b/$c.json")
			if [ "$got" = "$n $((want * n))" ]; then
				ok "$k $c $t: $n calls (pmu-stress $n), $((want * n)) acquisitions"
			else
				fail "$k $c $t: pmutrace 'calls acquisitions' = '$got', pmu-stress made $n calls, want $want per call"
			fi
		done
	done
done
[ -d "$raw/before-01" ] && [ -d "$raw/after-01" ] || exit 1

# Render both folders as a report, and read the figures back.
rc=0
python3 scripts/report/render.py --pmutrace build/x86/pmutrace -o "$work/report" \
	"$raw/before-01" "$raw/after-01" 2>"$work/render.err" || rc=$?
doc=$work/report/README.md
if [ $rc -ne 0 ] || [ ! -s "$doc" ]; then
	fail "render.py: exit $rc: $(cat "$work/render.err")"
	exit 1
fi
ok "render.py rendered the two boots: $(cat "$work/render.err")"
total() { # total LABEL: the reader calls pmu-stress made in LABEL's hold runs
	cat "$raw/$1-01"/hold-*.stress | sed -n 's/^derived\.\(kvm_pmu_probe_armpmu\|kvm_arm_pmu_v3_set_pmu\|kvm_supports_guest_pmuv3\)=//p' |
		awk '{ n += $1 } END { print n + 0 }'
}
nb=$(total before) na=$(total after)
[ "$nb" -gt 0 ] && [ "$na" -gt 0 ] || fail "the hold runs made no calls ($nb, $na)"
# "- MODE, **before**: the readers took `arm_pmus_lock` N times in N reader calls (..."
took() { grep -E -- "^- [^*]*\*\*$1\*\*: the readers took \`arm_pmus_lock\` $2 times in $3 reader calls " "$doc"; }
took before "$nb" "$nb" >/dev/null &&
	ok "report: before took the lock $nb times in $nb calls" || fail "report: before is not '$nb times in $nb calls': $(grep -F -- '**before**' "$doc")"
took after 0 "$na" >/dev/null &&
	ok "report: after took the lock 0 times in $na calls" || fail "report: after is not '0 times in $na calls': $(grep -F -- '**after**' "$doc")"
grep -q '^In all [0-9]* (boot, cell, reader) triples' "$doc" &&
	ok "report: every count equals pmu-stress's ($(grep -o '^In all [0-9]*' "$doc"))" ||
	fail "report: counts differ: $(sed -n '/^## Exact counts/,/^## /p' "$doc" | head -n 6 | tr '\n' ' ')"
grep -q 'accelerator \*\*\(tcg\|kvm\)\*\*' "$doc" && ok "report names the accelerator" ||
	fail "report does not name the accelerator"
exit $((fails > 0))
