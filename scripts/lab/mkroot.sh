#!/bin/bash
# mkroot.sh [--cached] [SUITE]: a Debian arm64 root disk with systemd (default suite
# bookworm), built once and cached; prints the path of its raw ext4 image.
# The host cannot run arm64 binaries, so debootstrap's first stage runs here
# (--foreign: download and unpack) and its second stage (the packages'
# maintainer scripts) inside QEMU, booted with Debian sid's arm64 kernel.
# scripts/lab/root/ is copied in: root on /dev/vda, DHCP on QEMU's user
# network, and lab-hook.service, which runs the test disk's run.sh and
# powers off. The cache key is what makes the root: the suite, the package
# list, and the names and contents of the files in scripts/lab/root/.
# --cached builds nothing: it prints the image and exits 0 only if built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/../lib.sh"

cached_only=0
if [ "${1:-}" = --cached ]; then # only say whether it is built: exit 1 if not
	cached_only=1
	shift
fi
suite=${1:-bookworm}
# systemd to test the unit; the shared libraries pmutrace's package depends
# on, since the guest has no network to fetch them: its apt works offline.
include=systemd,systemd-sysv,udev,libbpf1,libelf1,libjson-c5,libgsl27,libgslcblas0,zlib1g,libcap2,libcrypt1,libssl3,libyaml-0-2
files=$here/root
key=$({
	echo "$suite $include"
	cd "$files" && find . -type f | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -c1-12)
out=$PMUTRACE_CACHE/roots/$suite-arm64-$key
if [ -s "$out/root.img" ]; then
	echo "$out/root.img"
	exit 0
fi
[ "$cached_only" -eq 0 ] || exit 1
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and the image's file owners need it)"
command -v debootstrap >/dev/null || die "debootstrap missing: run scripts/install-deps.sh"

t0=$(date +%s)
rm -rf "$out.tmp"
mkdir -p "$out.tmp" "$PMUTRACE_CACHE/debootstrap-debs"
dir=$out.tmp/root
echo "mkroot: debootstrap --foreign $suite arm64 (first stage)" >&2
debootstrap --foreign --arch=arm64 --variant=minbase --include="$include" \
	--cache-dir="$PMUTRACE_CACHE/debootstrap-debs" "$suite" "$dir" "$DEBIAN_MIRROR" \
	>"$out.tmp/stage1.log" 2>&1 || die "debootstrap first stage failed, see $out.tmp/stage1.log"
cp -a "$files/." "$dir/"
t1=$(date +%s)

# Only what is installed goes in: the downloaded debs are unpacked already.
mke2fs -q -t ext4 -L pmutrace-root -d "$dir" "$out.tmp/root.img" 2G
rm -rf "$dir"
kdir=$("$here/fetch-kernel.sh" sid)
echo "mkroot: second stage in QEMU on $(cat "$kdir/release") (TCG: minutes)" >&2
"$here/boot-root.sh" -w -k "$kdir" -r "$out.tmp/root.img" -l "$out.tmp/stage2.log" \
	-t 2400 -i /stage2 || true
grep -q '@@ROOT-READY' "$out.tmp/stage2.log" ||
	die "second stage failed, see $out.tmp/stage2.log"
e2fsck -fp "$out.tmp/root.img" >/dev/null || true
rm -rf "$out"
mv "$out.tmp" "$out"
echo "mkroot: $suite arm64 root built in $(($(date +%s) - t0)) s" \
	"(first stage $((t1 - t0)) s, second stage in QEMU $(($(date +%s) - t1)) s)" >&2
echo "$out/root.img"
