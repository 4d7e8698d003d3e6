#!/bin/bash
# mkinitramfs.sh OUT.cpio.gz SCENARIO [FILE...]: a busybox initramfs whose
# /init mounts what tracing needs, runs SCENARIO (a busybox sh script) with
# the static arm64 binaries and FILEs in /bin, then prints every file the
# scenario left in /out between markers on the console and powers off.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

out=${1:?usage: mkinitramfs.sh OUT.cpio.gz SCENARIO [FILE...]}
scenario=${2:?usage: mkinitramfs.sh OUT.cpio.gz SCENARIO [FILE...]}
shift 2

busybox=$PMUTRACE_CACHE/busybox/bin/busybox
if [ ! -x "$busybox" ]; then
	papt_update bookworm
	fetch_deb bookworm busybox-static "$PMUTRACE_CACHE/busybox"
fi
[ -x "$busybox" ] || die "busybox-static for arm64 has no bin/busybox"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,out,sys/fs/bpf}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
for f in "$@"; do
	[ -f "$f" ] || die "no such file: $f (run make ARCH=arm64 first)"
	cp "$f" "$root/bin/"
done
# PMUTRACE_GUEST_OVERLAY=DIR: extra root content, e.g. the shared libraries
# of dynamically linked tools (scripts/bench/bench.sh runs bcc's libbpf-tools).
if [ -n "${PMUTRACE_GUEST_OVERLAY:-}" ]; then
	[ -d "$PMUTRACE_GUEST_OVERLAY" ] || die "PMUTRACE_GUEST_OVERLAY=$PMUTRACE_GUEST_OVERLAY is not a folder"
	cp -a "$PMUTRACE_GUEST_OVERLAY/." "$root/"
fi
cp "$scenario" "$root/scenario"
cat >"$root/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
echo 1 >/proc/sys/kernel/printk
export PATH=/bin
cd /out
echo "@@PMUTRACE-BOOTED $(cut -d' ' -f1 /proc/uptime)"
sh /scenario >/out/scenario.log 2>&1
echo $? >/out/scenario.rc
dmesg >/out/dmesg.txt
for f in /out/*; do
	echo "@@PMUTRACE-FILE ${f##*/}"
	base64 "$f"
	echo "@@PMUTRACE-END"
done
echo "@@PMUTRACE-DONE"
poweroff -f
INIT
chmod +x "$root/init" "$root/scenario"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
