#!/bin/bash
# boot-root.sh -k KERNEL_DIR -r ROOT.img -l CONSOLE.log [-d DATA.img] [-p HOST:GUEST]
#              [-t SECONDS] [-i INIT] [-w]
# Boot a Debian arm64 root disk (scripts/lab/mkroot.sh) with a Debian kernel
# (scripts/lab/fetch-kernel.sh). The cloud kernel has virtio_blk as a module, so
# a busybox initramfs loads it and the virtio-net modules, mounts /dev/vda and
# switches to INIT there (default /sbin/init, i.e. systemd). The root is a
# snapshot (its writes vanish at exit) unless -w. DATA.img becomes /dev/vdb,
# written through. cache=unsafe: QEMU ignores the guest's flushes (dpkg
# syncs every file); what a killed build half-wrote is rebuilt anyway. -p forwards 127.0.0.1:HOST to the guest's GUEST
# port. The guest is killed after SECONDS (default 600).
# Exit: QEMU's, 124 on timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/../lib.sh"

kdir='' root='' log='' data='' fwd='' timeout_s=600 init=/sbin/init snap=on
while getopts k:r:l:d:p:t:i:w opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	r) root=$OPTARG ;;
	l) log=$OPTARG ;;
	d) data=$OPTARG ;;
	p) fwd=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	i) init=$OPTARG ;;
	w) snap=off ;;
	*) die "usage: boot-root.sh -k KERNEL_DIR -r ROOT.img -l LOG [-d DATA.img] [-p HOST:GUEST] [-t S] [-i INIT] [-w]" ;;
	esac
done
if [ ! -f "$kdir/Image" ] || [ ! -f "$root" ] || [ -z "$log" ]; then
	die "usage: boot-root.sh -k KERNEL_DIR -r ROOT.img -l LOG [-d DATA.img] [-p HOST:GUEST] [-t S] [-i INIT] [-w]"
fi

mods=$("$here/fetch-netmods.sh" "$kdir")
busybox=$PMUTRACE_CACHE/busybox/bin/busybox
if [ ! -x "$busybox" ]; then
	papt_update bookworm
	fetch_deb bookworm busybox-static "$PMUTRACE_CACHE/busybox"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/i"/{bin,dev,proc,sys,newroot}
cp "$busybox" "$tmp/i/bin/busybox"
ln -s busybox "$tmp/i/bin/sh"
cp -a "$mods/lib" "$tmp/i/"
cat >"$tmp/i/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/netmods/order); do
	insmod /lib/netmods/$m.ko || echo "lab-initramfs: insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 -o rw /dev/vda /newroot || { echo "lab-initramfs: no root on /dev/vda"; poweroff -f; }
init=$(sed -n 's/.* lab\.init=\([^ ]*\).*/\1/p' /proc/cmdline)
umount /proc /sys /dev
exec switch_root /newroot "${init:-/sbin/init}"
INIT
chmod +x "$tmp/i/init"
(cd "$tmp/i" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.gz"

drives=(-drive "if=none,file=$root,format=raw,id=root,snapshot=$snap,cache=unsafe" -device "virtio-blk-pci,drive=root")
[ -z "$data" ] || drives+=(-drive "if=none,file=$data,format=raw,id=data,cache=unsafe" -device "virtio-blk-pci,drive=data")
hostfwd=
[ -z "$fwd" ] || hostfwd=",hostfwd=tcp:127.0.0.1:${fwd%%:*}-:${fwd#*:}"
# restrict=on: the guest reaches nothing outside; only the forward comes in.
rc=0
timeout --kill-after=10 "$timeout_s" qemu-system-aarch64 \
	-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on \
	-smp 2 -m 2048 -nographic -no-reboot "${drives[@]}" \
	-netdev "user,id=n0,restrict=on$hostfwd" -device virtio-net-pci,netdev=n0,romfile= \
	-kernel "$kdir/Image" -initrd "$tmp/initrd.gz" \
	-append "console=ttyAMA0 panic=-1 quiet loglevel=1 lab.init=$init" \
	</dev/null >"$log" 2>&1 || rc=$?
[ "$rc" -ne 137 ] || rc=124
exit "$rc"
