#!/bin/bash
# bench-insns.sh: guest instructions per traced call and per unrelated
# operation (`make bench-insns`). Each boot of Debian's arm64 kernel runs in
# QEMU on one vCPU with tools/insn-count, which counts the instructions
# between the markers that pmu-stress --markers puts around its loop; a boot
# is one replicate, and every boot runs each variant in each round, rounds
# rotated (scripts/bench/guest-insns.sh). Raw data is staged in
# build/bench-insns/<kernel>/raw/boot<N>/ and, once every boot of the kernel
# ran, replaces insns/<kernel>/ of docs/performance/raw.tar.xz
# (scripts/bench/rawpack.py); then docs/performance.md is rendered from that
# archive (python3 -m scripts.bench.perfdoc).
# Usage: scripts/bench/bench-insns.sh [SUITE|KERNEL_DIR ...]   (default: sid)
# `make bench-rcu-insns` gives the before/after kernels of the RCU patch
# (scripts/lab/build-kernels.sh) with no tracer and every reader's workload.
# Knobs (environment): BENCH_BOOTS (5), BENCH_ROUNDS (3), BENCH_N_CE (250),
# BENCH_N_OPEN (60), BENCH_N_PIPE (150), BENCH_N_SP (1000), BENCH_N_VI (50),
# The windows of check-ext, open and pipe are shorter than the guest's
# timer tick (4 ms, 4 million instructions under -icount), so the least of
# a variant's rounds is a window no tick or other background work hit: an
# exact path length.
# BENCH_VARIANTS, BENCH_WORKLOADS (all variants run these), BENCH_DOCS (docs),
# BENCH_RAW_NAME (a name for the raw folder instead of the kernel release),
# BENCH_RAW_SUFFIX (added to the release: -inline, -nokaslr-inline),
# BENCH_RANGES (kernel functions whose instructions the plugin also counts
# apart, by their addresses in the kernel's System.map, or its -dbg
# vmlinux's symbols: ranges.txt),
# BENCH_SPANS (functions counted with their callees too, tools/insn-count's
# span=: added to the ranges; missing ones are left out like BENCH_RANGES'),
# BENCH_TARGET (the function of the empty, limit and single variants;
# kvm_supports_guest_pmuv3, which 6.12 and 6.1 lack: there
# kvm_arm_pmu_v3_set_attr with BENCH_WORKLOADS=sp),
# BENCH_SITES (inlined functions for the caller and inline variants: their
# site table, pmutrace-sites on the kernel's -dbg vmlinux, goes to the guest
# as /bin/sites.txt; `make bench-inline-insns` names the raw folder
# <release>-inline, so that it leaves the kernel's other figures).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

boots=${BENCH_BOOTS:-5}
rounds=${BENCH_ROUNDS:-3}
n_ce=${BENCH_N_CE:-250}
n_open=${BENCH_N_OPEN:-60}
n_pipe=${BENCH_N_PIPE:-150}
n_sp=${BENCH_N_SP:-1000}
n_vi=${BENCH_N_VI:-50}
workloads=${BENCH_WORKLOADS:-}
target=${BENCH_TARGET:-kvm_supports_guest_pmuv3}
ranges=${BENCH_RANGES:-}
spans=${BENCH_SPANS:-}
sites=${BENCH_SITES:-}
docs=${BENCH_DOCS:-docs}
archive=$docs/performance/raw.tar.xz
variants=${BENCH_VARIANTS:-none empty empty_default limit limit_fentry default single hold fentry single_fentry by_process skip_ret skip_hist skip_minmax skip_entries skip_all funclat klockstat}
[ $# -gt 0 ] || set -- sid

make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress build/arm64/empty_probe \
	build/arm64/limit_probe bench-skip >&2
make -s build/insn-count/insn-count.so ${sites:+build/x86/pmutrace-sites} >&2
overlay=$(scripts/bench/bench-overlay.sh)

for k in "$@"; do
	if [ -d "$k" ]; then kdir=$k; else kdir=$(scripts/lab/fetch-kernel.sh "$k"); fi
	# Our own builds' release files say "VERSION before|after".
	name=${BENCH_RAW_NAME:-$(tr ' ' '-' <"$kdir/release")${BENCH_RAW_SUFFIX:-}}
	raw=build/bench-insns/$name/raw
	rm -rf "$raw"
	files=()
	if [ -n "$sites" ]; then
		vmlinux=$kdir/vmlinux-dbg
		[ -s "$vmlinux" ] || [ -d "$k" ] || vmlinux=$(scripts/lab/fetch-dbg.sh "$k")
		[ -s "$vmlinux" ] || die "$kdir: no vmlinux-dbg for BENCH_SITES (scripts/lab/fetch-dbg.sh)"
		mkdir -p "build/bench-insns/$name"
		# shellcheck disable=SC2086 # a word list
		build/x86/pmutrace-sites -o "build/bench-insns/$name/sites.txt" "$vmlinux" $sites
		files=("build/bench-insns/$name/sites.txt")
	fi
	# The functions' addresses: the kernel's System.map, else (Debian's
	# kernels) the symbols of its -dbg vmlinux, less the mapping symbols
	# ($x, $d) and local labels that would cut a function's range short.
	map=$kdir/System.map
	if [ -n "$ranges$spans" ] && [ ! -s "$map" ] && [ -s "$kdir/vmlinux-dbg" ]; then
		map=build/bench-insns/$name/System.map
		mkdir -p "${map%/*}"
		nm -n "$kdir/vmlinux-dbg" | grep -v -e ' \$' -e ' \.L' >"$map"
	fi
	for b in $(seq "$boots"); do
		out=build/bench-insns/$name/boot$b
		rm -rf "$out"
		mkdir -p "$out"
		{
			echo "BOOT=$b ROUNDS=$rounds N_CE=$n_ce N_OPEN=$n_open N_PIPE=$n_pipe N_SP=$n_sp N_VI=$n_vi"
			echo "VARIANTS='$variants' WORKLOADS='$workloads' TARGET=$target SITES='$sites'"
			cat scripts/bench/guest-bench-lib.sh scripts/bench/guest-insns.sh
		} >"$out/scenario.sh"
		plugin=$top/build/insn-count/insn-count.so,out=$top/$out/insns.txt
		if [ -n "$ranges$spans" ] && [ -s "$map" ]; then
			# shellcheck disable=SC2086 # a word list
			python3 -m scripts.bench.ranges "$map" $ranges $spans >"$out/ranges.txt"
			plugin+=,ranges=$top/$out/ranges.txt
			for f in $spans; do
				! grep -q "^$f " "$out/ranges.txt" || plugin+=,span=$f
			done
		fi
		echo "bench-insns: $name boot $b of $boots; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
		t0=$(date +%s)
		# Ranges are link-time addresses: no KASLR (Debian's kernels have it).
		append=
		[ ! -f "$out/ranges.txt" ] || append=nokaslr
		PMUTRACE_GUEST_OVERLAY=$overlay PMUTRACE_GUEST_SMP=1 PMUTRACE_LAB_MODE=icount \
			PMUTRACE_GUEST_APPEND=$append \
			PMUTRACE_QEMU_ARGS="-plugin $plugin" \
			scripts/lab/run-guest.sh -k "$kdir" -s "$out/scenario.sh" -o "$out/guest" -t 1500 \
			build/arm64/pmutrace build/arm64/pmu-stress build/arm64/empty_probe \
			build/arm64/limit_probe build/arm64/bench/pmutrace-skip* "${files[@]}" || die "boot $b failed; see $out/guest/console.log"
		echo "bench-insns: boot $b took $(($(date +%s) - t0)) s" >&2
		mkdir -p "$raw/boot$b"
		cp "$out/insns.txt" "$raw/boot$b/"
		[ ! -f "$out/ranges.txt" ] || cp "$out/ranges.txt" "$raw/boot$b/"
		[ -z "$sites" ] || cp "${files[0]}" "$raw/boot$b/"
		for f in "$out"/guest/*; do
			case ${f##*/} in
			console.log | dmesg.txt) ;;
			*.json) jq -c . "$f" >"$raw/boot$b/${f##*/}" ;;
			*) cp "$f" "$raw/boot$b/" ;;
			esac
		done
		echo "qemu=$(qemu-system-aarch64 --version | head -n 1)" >"$raw/boot$b/host.txt"
		echo "host_load=$(cut -d' ' -f1-3 /proc/loadavg) boot_s=$(($(date +%s) - t0))" >>"$raw/boot$b/host.txt"
	done
	python3 -m scripts.bench.rawpack update "$archive" "insns/$name" "$raw"
done
python3 -m scripts.bench.perfdoc "$archive" "$docs/performance.md"
