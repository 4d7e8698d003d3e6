#!/bin/bash
# report.sh: the before/after report of "KVM: arm64: PMU: Protect the list of
# PMUs with RCU". Builds (or reuses) the two kernels of scripts/build-kernels.sh
# and fetches Debian sid's stock kernel, runs scripts/guest-matrix.sh in QEMU
# REPEATS times on each (same QEMU settings), keeps every run's JSON in
# docs/report/raw/, and writes docs/report/README.md with SVGs.
# Usage: sudo scripts/report.sh   (REPEATS=3 by default; `make report`)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

repeats=${REPEATS:-3}
out=docs/report
[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"
scripts/install-deps.sh >&2
make -s >&2
make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress >&2
kernels=$(scripts/build-kernels.sh | tee /dev/stderr)
declare -A kdir
kdir[before]=$(sed -n 's/^  before: \([^ ]*\) .*/\1/p' <<<"$kernels")
kdir[after]=$(sed -n 's/^  after: *\([^ ]*\) .*/\1/p' <<<"$kernels")
kdir[stock]=$(scripts/fetch-kernel.sh sid)
for k in before after stock; do
	[ -s "${kdir[$k]}/Image" ] || die "no $k kernel Image (${kdir[$k]})"
done

rm -rf "$out/raw" build/report
mkdir -p "$out/raw" build/report/bin
# Every repeat runs the same binaries, whatever is rebuilt meanwhile.
cp build/arm64/pmutrace build/arm64/pmu-stress tests/guest/lib.sh build/report/bin/
start=$(date +%s)
for r in $(seq 1 "$repeats"); do
	# Interleaved, so a slow phase of the host hits every kernel alike.
	for k in before after stock; do
		echo "report: repeat $r/$repeats on $k ($(cat "${kdir[$k]}/release"))" >&2
		o=build/report/$k-r$r
		scripts/run-guest.sh -k "${kdir[$k]}" -s scripts/guest-matrix.sh -o "$o" -t 600 \
			build/report/bin/pmutrace build/report/bin/pmu-stress build/report/bin/lib.sh ||
			die "the $k guest failed in repeat $r; see $o/console.log"
		mkdir -p "$out/raw/$k"
		for j in "$o"/*.json; do
			jq -c . "$j" >"$out/raw/$k/r$r-$(basename "$j")"
		done
		for s in "$o"/*.stress; do cp "$s" "$out/raw/$k/r$r-$(basename "$s")"; done
	done
done
elapsed=$(($(date +%s) - start))
scripts/report-render.sh "$out" "$repeats" "$elapsed" \
	"$(cat "${kdir[before]}/release")" "$(cat "${kdir[after]}/release")" \
	"$(cat "${kdir[stock]}/release")"
echo "report: wrote $out/README.md ($elapsed s of guest runs)" >&2
