#!/bin/bash
# bench-rt.sh [KERNEL_DIR...]: the untimed share of pmutrace's default mode
# (calls whose entry the kernel skipped, so they have no latency) per kernel
# and thread count, with THREADS threads of KVM_CHECK_EXTENSION on 2 vCPUs,
# and the exactness check count + missed exits == calls. Default kernels:
# Debian sid's cloud and rt (PREEMPT_RT) flavours. Raw data is staged in
# build/bench-rt/<kernel>/raw/, then replaces rt/<kernel>/ of
# docs/performance/raw.tar.xz (scripts/bench/rawpack.py); the figures go to
# stdout (`python3 -m scripts.bench.perfdoc` puts them in docs/performance.md).
# Knobs: BENCH_RT_THREADS ("1 2 4"), BENCH_RT_N (calls per thread, 10000),
# BENCH_RT_RUNS (3), BENCH_RT_PROBES ("default fsession fentry": default
# mode, then each probe kind forced with PMUTRACE_PROBE), BENCH_DOCS (docs).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
threads=${BENCH_RT_THREADS:-1 2 4}
n=${BENCH_RT_N:-10000}
runs=${BENCH_RT_RUNS:-3}
probes=${BENCH_RT_PROBES:-default fsession fentry}
docs=${BENCH_DOCS:-docs}
[ $# -gt 0 ] || set -- "$(scripts/lab/fetch-kernel.sh sid)" "$(scripts/lab/fetch-kernel.sh sid rt-arm64)"
# Its own build folder, so that it can run beside the other benchmarks.
bin=build/bench-rt/arm64
make -s ARCH=arm64 OUTPUT=$bin $bin/pmutrace $bin/pmu-stress >&2
for kdir in "$@"; do
	name=$(tr ' ' '-' <"$kdir/release")
	out=build/bench-rt/$name
	rm -rf "$out/guest"
	mkdir -p "$out"
	{
		echo "THREADS='$threads' N=$n RUNS=$runs PROBES='$probes'"
		cat scripts/bench/guest-bench-lib.sh scripts/bench/guest-rt.sh
	} >"$out/scenario.sh"
	scripts/lab/run-guest.sh -k "$kdir" -s "$out/scenario.sh" -o "$out/guest" -t 1500 \
		$bin/pmutrace $bin/pmu-stress || die "$name: the guest failed"
	raw=$out/raw
	rm -rf "$raw"
	mkdir -p "$raw"
	for f in "$out"/guest/*-t*; do
		case $f in *.json) jq -c . "$f" >"$raw/${f##*/}" ;; *) cp "$f" "$raw/" ;; esac
	done
	python3 -m scripts.bench.rawpack update "$docs/performance/raw.tar.xz" "rt/$name" "$raw"
done
python3 -m scripts.bench.rt "$docs/performance/raw.tar.xz"
