#!/bin/bash
# lab-boot.sh -k KERNEL_DIR -l LABEL -b BOOT [-t THREADS] [-s full|small]
#             [-T SECONDS] [-m parallel|icount] OUT_ROOT
# One lab boot of the report: boots KERNEL_DIR in QEMU (scripts/lab/run-guest.sh),
# runs scripts/report/native-run.sh inside on the static binaries in
# $PMUTRACE_BIN (default build/arm64), and leaves the boot folder
# OUT_ROOT/LABEL-BOOT/ exactly as a native run would, its meta.txt also
# naming the machine the lab ran on, QEMU, the accelerator and the host's
# load and clock around the boot. -m: QEMU's clock (PMUTRACE_LAB_MODE of
# scripts/lab/run-guest.sh; default parallel), lab_mode= in meta.txt. The guest's console log stays in
# OUT_ROOT/LABEL-BOOT.console.log. Exit 0, or 1 when the boot failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lib.sh disable=SC1091
. "$top/scripts/lib.sh"

kdir='' label='' boot='' threads='1 2 4 8' size=full timeout_s=900 mode=parallel
usage="usage: lab-boot.sh -k KERNEL_DIR -l LABEL -b BOOT [-t THREADS] [-s full|small] [-T SECONDS] [-m parallel|icount] OUT_ROOT"
while getopts k:l:b:t:s:T:m: opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	l) label=$OPTARG ;;
	b) boot=$OPTARG ;;
	t) threads=$OPTARG ;;
	s) size=$OPTARG ;;
	T) timeout_s=$OPTARG ;;
	m) mode=$OPTARG ;;
	*) die "$usage" ;;
	esac
done
shift $((OPTIND - 1))
{ [ $# -eq 1 ] && [ -n "$kdir" ] && [ -n "$label" ] && [ -n "$boot" ]; } ||
	die "$usage"
case $mode in parallel | icount) ;; *) die "-m is parallel or icount, not '$mode'" ;; esac
bin=${PMUTRACE_BIN:-$top/build/arm64}
# The matrix script too comes from $PMUTRACE_BIN when it holds one, so a
# report's boots all run the same copy.
native=$here/native-run.sh
[ ! -f "$bin/native-run.sh" ] || native=$bin/native-run.sh
dest=$1/$label-$boot
[ ! -e "$dest" ] || die "$dest exists already"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The machine the lab runs on, as the guest cannot see it.
{
	echo "host=$(uname -m), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release), Linux $(uname -r)"
	echo "host_memory_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
	echo "qemu=$(qemu-system-aarch64 --version | head -n 1)"
	echo "qemu_smp=2"
	echo "lab_mode=$mode"
	echo "host_cores=$(nproc)"
	echo "lab_parallel=${PMUTRACE_LAB_PARALLEL:-1}"
	echo "kernel_dir=$kdir"
	echo "kernel_image_sha256=$(sha256sum "$kdir/Image" | cut -c1-64)"
	if [ -f "$kdir/config" ]; then
		grep -E '^CONFIG_(PREEMPT[A-Z_]*|HZ[A-Z_0-9]*|NO_HZ[A-Z_]*|BPF_JIT[A-Z_]*)=' "$kdir/config" | sed 's/^/image_config=/'
	fi
} >"$work/lab.meta"
# The guest sends back only /out's top level: the boot folder goes as a tar.
cat >"$work/scenario" <<EOF
rc=0
sh /bin/native-run.sh -o /out/boot -l '$label' -b '$boot' -t '$threads' -s '$size' -m /bin/lab.meta || rc=\$?
cd /out/boot && tar cf /out/boot.tar . && cd /out && rm -rf /out/boot
exit \$rc
EOF

host_start=$(date -u +%Y-%m-%dT%H:%M:%SZ) load_start=$(cat /proc/loadavg) t0=$(date +%s)
rc=0
PMUTRACE_LAB_MODE=$mode "$top/scripts/lab/run-guest.sh" -k "$kdir" -s "$work/scenario" -o "$work/out" -t "$timeout_s" \
	"$bin/pmutrace" "$bin/pmu-stress" "$native" "$work/lab.meta" || rc=$?
t1=$(date +%s)
mkdir -p "$1"
cp "$work/out/console.log" "$1/$label-$boot.console.log"
{ [ "$rc" -eq 0 ] && [ -s "$work/out/boot.tar" ]; } || die "the $label guest (boot $boot) failed; see $1/$label-$boot.console.log"
mkdir "$dest"
tar xf "$work/out/boot.tar" -C "$dest"
cp "$work/out/scenario.log" "$work/out/dmesg.txt" "$dest/"
{
	echo "accel=$(cut -d' ' -f1 "$work/out/accel")"
	echo "qemu_cpu=$(cut -d' ' -f3- "$work/out/accel")"
	echo "host_start=$host_start"
	echo "host_end=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host_boot_seconds=$((t1 - t0))"
	echo "host_load_start=$load_start"
	echo "host_load_end=$(cat /proc/loadavg)"
} >>"$dest/meta.txt"
[ "$(cat "$work/out/scenario.rc")" = 0 ] || die "native-run.sh failed in the $label guest (boot $boot); see $dest/scenario.log"
