#!/bin/bash
# run-guest.sh -k KERNEL_DIR -s SCENARIO -o OUT_DIR [-t SECONDS] [-p HOST:GUEST] [FILE...]
# Boot an arm64 kernel (a folder from fetch-kernel.sh) in QEMU (KVM on an
# arm64 host with /dev/kvm, else TCG; PMUTRACE_LAB_MODE=icount: TCG with the
# instruction-driven clock) with nested virtualization and a PMU,
# run SCENARIO inside, and copy the files it leaves in /out to OUT_DIR,
# beside console.log. The guest is killed after
# SECONDS (default 300): a hung guest fails, it never hangs the caller.
# -p forwards 127.0.0.1:HOST on the host to the guest's port GUEST (QEMU user
# networking, restricted: the guest reaches nothing outside); without it the
# guest has no network at all.
# Exit: 0 the scenario ran to its end, 124 timeout, 1 otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh disable=SC1091
. "$here/../lib.sh"

timeout_s=300 kdir='' scenario='' outdir='' fwd=''
usage="usage: run-guest.sh -k KERNEL_DIR -s SCENARIO -o OUT_DIR [-t SECONDS] [-p HOST:GUEST] [FILE...]"
while getopts k:s:o:t:p: opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	s) scenario=$OPTARG ;;
	o) outdir=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	p) fwd=$OPTARG ;;
	*) die "$usage" ;;
	esac
done
shift $((OPTIND - 1))
{ [ -n "$kdir" ] && [ -n "$scenario" ] && [ -n "$outdir" ]; } ||
	die "$usage"
[ -f "$kdir/Image" ] || die "no kernel Image in $kdir (scripts/lab/fetch-kernel.sh fetches one)"
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 missing: run scripts/install-deps.sh"

# KVM where it exists (an arm64 host with /dev/kvm; its CPU must offer nested
# virtualization for the guest's own /dev/kvm), else TCG. PMUTRACE_ACCEL=tcg|kvm
# forces one. Under TCG, pauth-impdef: TCG emulates QARMA slowly; the cheap
# algorithm makes the guest about 3x faster. Same flags on every run, so runs
# stay comparable. The choice is written to OUT_DIR/accel.
# PMUTRACE_LAB_MODE picks TCG's clock; this is the one place that knows the
# flags of each (docs/report/README.md says which mode answers what):
#   parallel (default): one host thread per vCPU, so vCPUs run at once (real
#     contention), and guest time is the host's: it follows the host's load;
#   icount: one host thread for all vCPUs and the instruction-driven clock,
#     guest time = instructions executed (1 ns each at shift 0), the same on
#     every boot and every machine whatever the load.
accel=${PMUTRACE_ACCEL:-}
mode=${PMUTRACE_LAB_MODE:-parallel}
if [ -z "$accel" ]; then
	accel=tcg
	[ "$(uname -m)" = aarch64 ] && [ -w /dev/kvm ] && [ "$mode" = parallel ] && accel=kvm
fi
# shellcheck disable=SC2054 # QEMU's own comma lists
case $accel:$mode in
kvm:parallel) cpu=(-accel kvm -cpu host) ;;
tcg:parallel) cpu=(-accel tcg -cpu max,pauth-impdef=on) ;;
tcg:icount) cpu=(-accel tcg,thread=single -icount shift=0,sleep=off -cpu max,pauth-impdef=on) ;;
kvm:icount) die "PMUTRACE_LAB_MODE=icount needs TCG (PMUTRACE_ACCEL=tcg)" ;;
*:parallel | *:icount) die "PMUTRACE_ACCEL is tcg or kvm, not '$accel'" ;;
*) die "PMUTRACE_LAB_MODE is parallel or icount, not '$mode'" ;;
esac
mkdir -p "$outdir"
initrd=$(mktemp --suffix=.cpio.gz)
trap 'rm -f "$initrd"' EXIT
"$here/mkinitramfs.sh" "$initrd" "$scenario" "$@"

# OUT_DIR/accel: "ACCEL MODE QEMU-FLAGS..."
echo "$accel $mode ${cpu[*]}" >"$outdir/accel"
net=(-nic none)
if [ -n "$fwd" ]; then
	# shellcheck disable=SC2054
	net=(-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${fwd%%:*}-:${fwd#*:}"
		-device virtio-net-pci,netdev=n0,romfile=)
fi
# PMUTRACE_GUEST_SMP (default 2) and PMUTRACE_QEMU_ARGS (extra words, e.g.
# a TCG plugin: scripts/bench/bench-insns.sh) for the instruction counts;
# PMUTRACE_GUEST_APPEND: more kernel parameters (nokaslr, so that the
# plugin's address ranges from the kernel's symbols are where it runs).
# shellcheck disable=SC2206 # split on purpose
extra=(${PMUTRACE_QEMU_ARGS:-})
rc=0
timeout --kill-after=10 "$timeout_s" qemu-system-aarch64 \
	-M virt,virtualization=on,gic-version=3 "${cpu[@]}" \
	-smp "${PMUTRACE_GUEST_SMP:-2}" -m 2048 -nographic "${net[@]}" -no-reboot "${extra[@]}" \
	-kernel "$kdir/Image" -initrd "$initrd" \
	-append "console=ttyAMA0 panic=-1 quiet loglevel=1${PMUTRACE_GUEST_APPEND:+ $PMUTRACE_GUEST_APPEND}" \
	</dev/null >"$outdir/console.log" 2>&1 || rc=$?

# Decode the files the guest printed between markers.
tr -d '\r' <"$outdir/console.log" | awk -v dir="$outdir" '
	/^@@PMUTRACE-FILE / { name = $2; file = dir "/" name ".b64"; printf "" > file; next }
	/^@@PMUTRACE-END/ { close(file); file = ""; next }
	file != "" { print >> file }
'
for b in "$outdir"/*.b64; do
	[ -e "$b" ] || continue
	base64 -d <"$b" >"${b%.b64}" 2>/dev/null || echo "run-guest: $b is truncated" >&2
	rm -f "$b"
done
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "run-guest: guest killed after ${timeout_s}s; see $outdir/console.log" >&2
	exit 124
fi
grep -q '^@@PMUTRACE-DONE' "$outdir/console.log" || {
	echo "run-guest: guest ended before the scenario finished; see $outdir/console.log" >&2
	exit 1
}
exit 0
