#!/bin/bash
# report.sh: the before/after report of "KVM: arm64: PMU: Protect the list of
# PMUs with RCU". Builds (or reuses) the two kernels of scripts/lab/build-kernels.sh
# and fetches Debian sid's stock kernel, boots each in QEMU BOOTS times
# (STOCK_BOOTS for stock) in each of QEMU's clock modes (MODES: icount, the
# instruction-driven clock that answers the latency questions, and parallel,
# parallel TCG that answers the contention ones; scripts/lab/run-guest.sh),
# interleaved, and runs the report's matrix in every boot
# (scripts/report/native-run.sh, through scripts/report/lab-boot.sh).
# Each boot leaves one raw folder with its metadata; all of them are kept in
# docs/report/raw.tar.xz, and scripts/report/render.py writes
# docs/report/README.md, summary.txt and the SVGs from that archive alone.
# Usage: sudo scripts/report/report.sh   (`make report`)
#   BOOTS=12 STOCK_BOOTS=2 MODES="icount parallel" THREADS="1 2 4 8" PARALLEL=2
#   by default (BOOTS and STOCK_BOOTS per mode): PARALLEL guests
#   at a time (consecutive ones in the interleaved order, so each kernel
#   shares the host alike; recorded in every boot's meta.txt).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh disable=SC1091
. scripts/lib.sh

boots=${BOOTS:-12} stock_boots=${STOCK_BOOTS:-2} threads=${THREADS:-1 2 4 8} parallel=${PARALLEL:-2}
modes=${MODES:-icount parallel}
for m in $modes; do
	case $m in icount | parallel) ;; *) die "MODES holds icount and/or parallel, not '$m'" ;; esac
done
out=docs/report
[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"
scripts/install-deps.sh >&2
make -s >&2
make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress >&2
kernels=$(scripts/lab/build-kernels.sh | tee /dev/stderr)
declare -A kdir
kdir[before]=$(sed -n 's/^  before: \([^ ]*\) .*/\1/p' <<<"$kernels")
kdir[after]=$(sed -n 's/^  after: *\([^ ]*\) .*/\1/p' <<<"$kernels")
kdir[stock]=$(scripts/lab/fetch-kernel.sh sid)
for k in before after stock; do
	[ -s "${kdir[$k]}/Image" ] || die "no $k kernel Image (${kdir[$k]})"
done

work=build/report
rm -rf "$work"
mkdir -p "$work/bin"
for m in $modes; do mkdir -p "$work/raw/$m"; done
# Every boot runs the same binaries, whatever is rebuilt meanwhile.
cp build/arm64/pmutrace build/arm64/pmu-stress scripts/report/native-run.sh "$work/bin/"
# The boots in interleaved order (before, after, stock, before, ..., each
# mode in turn), so a slow phase of the host hits every kernel and mode
# alike; PARALLEL of them at a time.
jobs=()
for i in $(seq 1 "$boots"); do
	for m in $modes; do
		for k in before after stock; do
			[ "$k" != stock ] || [ "$i" -le "$stock_boots" ] || continue
			jobs+=("$m $k $(printf %02d "$i")")
		done
	done
done
start=$(date +%s) running=0 n=0 failed=0
for job in "${jobs[@]}"; do
	read -r m k b <<<"$job"
	if [ "$running" -ge "$parallel" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
	n=$((n + 1))
	echo "report: boot $n/${#jobs[@]}: $m $k $b ($(cat "${kdir[$k]}/release")), $(($(date +%s) - start)) s so far" >&2
	PMUTRACE_BIN=$work/bin PMUTRACE_LAB_PARALLEL=$parallel \
		scripts/report/lab-boot.sh -k "${kdir[$k]}" -l "$k" -b "$b" -t "$threads" -m "$m" "$work/raw/$m" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
[ "$failed" -eq 0 ] || die "a guest failed; see $work/raw/*/*.console.log"
echo "report: $(($(date +%s) - start)) s of guest runs" >&2
mkdir -p "$out"
rm -rf "$out/raw" "$out"/*.svg
# How the raw set was made travels with it (render.py names it).
echo "sudo make report (BOOTS=$boots STOCK_BOOTS=$stock_boots MODES=\"$modes\" THREADS=\"$threads\" PARALLEL=$parallel)" >"$work/raw/command.txt"
# Deterministic (sorted, mtime 0, no owners) and written atomically.
python3 -m scripts.bench.rawpack pack "$work/raw" "$out/raw.tar.xz" --exclude '*.console.log'
python3 scripts/report/render.py --pmutrace build/x86/pmutrace -o "$out" --insns docs/performance/raw.tar.xz --readme README.md \
	"$out/raw.tar.xz"
echo "report: wrote $out/README.md and summary.txt (also in README.md) from $out/raw.tar.xz" >&2
