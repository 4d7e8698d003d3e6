#!/bin/bash
# bench.sh: what tracing with pmutrace costs, against the floor (empty
# fentry/fexit programs on the same functions) and against bcc's libbpf-tools
# (funclatency, klockstat) from Debian bookworm. One QEMU guest on Debian
# sid's stock kernel runs scripts/bench/guest-bench.sh: every variant once per
# round, rounds interleaved. This script keeps the raw results as the
# top-level files of docs/performance/raw.tar.xz (staged in build/bench/raw,
# scripts/bench/rawpack.py) and renders docs/performance.md from that archive.
# Usage: sudo scripts/bench/bench.sh   (`make bench`)
# Knobs (environment): BENCH_ROUNDS (10), BENCH_REPS (7 runs of each workload
# per variant and round), BENCH_N_CE, BENCH_N_SP, BENCH_N_OPEN, BENCH_N_PIPE
# (iterations per run), BENCH_N_XCHECK, BENCH_BUDGET_S (540: no round starts
# later in the guest, so the whole run stays under ~12 min), BENCH_DOCS.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. scripts/lib.sh

rounds=${BENCH_ROUNDS:-10}
reps=${BENCH_REPS:-7}
n_ce=${BENCH_N_CE:-4000}
n_sp=${BENCH_N_SP:-1500}
n_open=${BENCH_N_OPEN:-800}
n_pipe=${BENCH_N_PIPE:-10000}
budget_s=${BENCH_BUDGET_S:-540}
n_xcheck=${BENCH_N_XCHECK:-10000}
docs=${BENCH_DOCS:-docs}
guest_timeout=1200

[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"
scripts/install-deps.sh >&2
make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs >&2

make -s ARCH=arm64 build/arm64/empty_probe >&2

overlay=$(scripts/bench/bench-overlay.sh)
kdir=$(scripts/lab/fetch-kernel.sh sid)

out=build/bench
rm -rf "$out"
mkdir -p "$out"
scen=$out/scenario.sh
cat >"$scen" <<EOF
ROUNDS=$rounds N_CE=$n_ce N_SP=$n_sp N_OPEN=$n_open N_PIPE=$n_pipe REPS=$reps N_XCHECK=$n_xcheck BUDGET_S=$budget_s
EOF
cat scripts/bench/guest-bench-lib.sh scripts/bench/guest-bench.sh >>"$scen"

{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "load_start=$(uptime)"
	echo "host=$(uname -r) $(uname -m), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "qemu=$(qemu-system-aarch64 --version | head -n 1)"
	echo "version=$(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "kernel_dir=$kdir"
} >"$out/host.txt"
echo "bench: $rounds rounds in one guest ($(cat "$kdir/release")); load: $(uptime)" >&2
start=$(date +%s)
# The host is shared: sample its load while the guest runs.
(
	while :; do
		echo "$(($(date +%s) - start)) $(cut -d' ' -f1-3 /proc/loadavg)"
		sleep 15
	done
) >"$out/hostload.txt" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
PMUTRACE_GUEST_OVERLAY=$overlay scripts/lab/run-guest.sh -k "$kdir" -s "$scen" -o "$out/guest" \
	-t "$guest_timeout" build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs \
	build/arm64/empty_probe &
guest=$!
# Record the QEMU command line exactly as run: our guest's QEMU is the one
# among run-guest.sh's descendants (other jobs may run QEMU too).
(
	for _ in $(seq 120); do
		pids=$guest
		for _ in 1 2 3; do
			pids=$(for p in $pids; do ps -o pid= --ppid "$p" || true; done)
			for p in $pids; do
				if [ "$(tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | head -n 1)" = qemu-system-aarch64 ]; then
					tr '\0' '\n' <"/proc/$p/cmdline" >"$out/qemu-args.txt"
					exit 0
				fi
			done
		done
		sleep 0.5
	done
) || true
rc=0
wait $guest || rc=$?
kill $sampler 2>/dev/null || true
{
	echo "guest_s=$(($(date +%s) - start))"
	echo "load_end=$(uptime)"
} >>"$out/host.txt"
[ "$rc" -eq 0 ] || die "the guest failed (exit $rc); see $out/guest/console.log"
[ -s "$out/guest/samples.txt" ] || die "the guest left no samples; see $out/guest/scenario.log"

# Raw results: small text files only (console.log holds them all in base64),
# staged in $out/raw, then put into the archive in place of its top-level
# files; the instruction counts (raw/insns, scripts/bench/bench-insns.sh) and
# PREEMPT_RT's runs (raw/rt, scripts/bench/bench-rt.sh) stay.
archive=$docs/performance/raw.tar.xz
raw=$out/raw
rm -rf "$raw"
mkdir -p "$raw"
cp "$out/host.txt" "$out/hostload.txt" "$raw/"
[ ! -s "$out/qemu-args.txt" ] || cp "$out/qemu-args.txt" "$raw/"
for f in "$out"/guest/*; do
	case ${f##*/} in
	console.log | dmesg.txt) ;;
	# pmutrace's JSON of round 1 and the cross-check; the others add
	# nothing the samples do not have.
	r1-*.json | xcheck.*.json) jq -c . "$f" >"$raw/${f##*/}" ;;
	*.json) ;;
	*) cp "$f" "$raw/" ;;
	esac
done
python3 -m scripts.bench.rawpack update "$archive" . "$raw" --keep insns --keep rt

python3 -m scripts.bench.perfdoc "$archive" "$docs/performance.md"
echo "bench: wrote $docs/performance.md ($(($(date +%s) - start)) s)" >&2
