#!/bin/bash
# inline-truth.sh [RUNS]: the inline sites' ground truth of
# tests/inline-patch-e2e.sh, RUNS times (default 5): each run boots the
# before kernel, then the after one (build-kernels.sh's, under the
# instruction clock), so a boot is a replicate and the kernels alternate.
# Each boot's small raw files (pmutrace's JSON at the inline sites, the
# plugin's insns.txt, the site table, pmu-stress's counts, the test's lines)
# go to docs/inline/patch/runs/boot<N>/ (INLINE_TRUTH_OUT elsewhere), which
# replaces the folder only when every boot ran; then
# scripts/report/inline_truth.py prints the README's tables from them.
# `make inline-truth RUNS=N` builds first. Exit 1 when a boot did not run.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-5}
dest=${INLINE_TRUTH_OUT:-$top/docs/inline/patch/runs}
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
	echo "inline-truth: RUNS must be a positive number, not '$runs'" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
new=$tmp/runs
for n in $(seq 1 "$runs"); do
	echo "inline-truth: boot $n of $runs (before, then after)" >&2
	E2E_OUT=$tmp/e2e "$top/tests/inline-patch-e2e.sh" >"$tmp/test.out" || true
	if grep -q '^skip ' "$tmp/test.out"; then
		echo "inline-truth: $(grep -m1 '^skip ' "$tmp/test.out")" >&2
		exit 1
	fi
	for side in before after; do
		from=$tmp/e2e/inline-patch/$side to=$new/boot$n/$side
		mkdir -p "$to"
		for f in ok.json enxio.json insns.txt sites.txt plugin.args; do
			[ -s "$from/$f" ] || {
				echo "inline-truth: boot $n, $side: no $f (the guest did not run; see $from/run.log)" >&2
				exit 1
			}
			cp "$from/$f" "$to/"
		done
		cp "$from"/{plain,ok,enxio,marked}.stress.* "$to/"
	done
	cp "$tmp/test.out" "$new/boot$n/test.out"
	echo "inline-truth: boot $n: $(grep -c '^ok ' "$tmp/test.out") ok, $(grep -c '^FAIL ' "$tmp/test.out") FAIL" >&2
done
python3 "$top/scripts/report/inline_truth.py" "$new" >"$tmp/tables.md"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -r "$new" "$dest"
cat "$tmp/tables.md"
