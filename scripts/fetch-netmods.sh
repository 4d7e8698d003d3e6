#!/bin/bash
# fetch-netmods.sh KERNEL_DIR: the virtio-net modules (failover, net_failover,
# virtio_net), and virtio_blk for the Debian root's disk (scripts/lab/), of
# the Debian kernel in KERNEL_DIR (from fetch-kernel.sh), taken
# from its linux-modules package and decompressed; prints an overlay folder
# for PMUTRACE_GUEST_OVERLAY holding them in /lib/netmods/. Guests that need
# a network (the Prometheus test) insmod them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=${1:?usage: fetch-netmods.sh KERNEL_DIR}
kver=$(cat "$kdir/release")
suite=$(cat "$kdir/suite")
out=$kdir/netmods
if [ -f "$out/done" ] || { [ -s "$out/lib/netmods/virtio_net.ko" ] && [ -s "$out/lib/netmods/virtio_blk.ko" ]; }; then
	echo "$out"
	exit 0
fi
papt_update "$suite"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# trixie and later split the modules into linux-modules-*; bookworm's
# linux-image-* holds them itself.
(fetch_deb "$suite" "linux-modules-$kver" "$tmp/deb") 2>/dev/null ||
	fetch_deb "$suite" "linux-image-$kver" "$tmp/deb"
mkdir -p "$out.tmp/lib/netmods"
for m in failover net_failover virtio_net virtio_blk; do
	f=$(find "$tmp/deb" -name "$m.ko*" | head -n 1)
	if [ -z "$f" ]; then
		# Built in (=y): nothing to load.
		grep -q "^CONFIG_$(echo "$m" | tr '[:lower:]' '[:upper:]')=y" "$kdir/config" && continue
		die "the $kver packages have no $m module, and it is not built in"
	fi
	case $f in
	*.xz) xz -dc "$f" >"$out.tmp/lib/netmods/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$out.tmp/lib/netmods/$m.ko" ;;
	*) cp "$f" "$out.tmp/lib/netmods/$m.ko" ;;
	esac
done
: >"$out.tmp/done"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
