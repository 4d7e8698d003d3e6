#!/bin/bash
# fetch-netmods.sh KERNEL_DIR: the modules a guest needs for virtio-net
# (the Prometheus test) and virtio-blk (the Debian root's disk, scripts/lab/)
# on the Debian kernel in KERNEL_DIR (from fetch-kernel.sh), with every
# module they depend on (modinfo's depends), decompressed. Prints an overlay
# folder for PMUTRACE_GUEST_OVERLAY: /lib/netmods/*.ko and
# /lib/netmods/order, the names in the order to insmod them. What the
# kernel has built in is not there.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

kdir=${1:?usage: fetch-netmods.sh KERNEL_DIR}
kver=$(cat "$kdir/release")
suite=$(cat "$kdir/suite")
out=$kdir/netmods
if [ -f "$out/lib/netmods/order" ]; then
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
rm -rf "$out.tmp"
mkdir -p "$out.tmp/lib/netmods"
# The packages ship no modules.dep (depmod makes it at install): each
# module's own "depends" says what must be loaded before it.
ko() { find "$tmp/deb" -name "$1.ko*" -o -name "$(echo "$1" | tr _ -).ko*" | head -n 1; }
order=()
add() { # add NAME: what it depends on first, then itself, each once
	local name=$1 f dep
	case " ${order[*]:-} " in *" $name "*) return ;; esac
	f=$(ko "$name")
	if [ -z "$f" ]; then
		# Built in (=y): nothing to load.
		grep -q "^CONFIG_$(echo "$name" | tr '[:lower:]' '[:upper:]')=y" "$kdir/config" && return
		die "the $kver packages have no $name module, and it is not built in"
	fi
	case $f in
	*.xz) xz -dc "$f" >"$out.tmp/lib/netmods/$name.ko" ;;
	*.zst) zstd -qdc "$f" >"$out.tmp/lib/netmods/$name.ko" ;;
	*) cp "$f" "$out.tmp/lib/netmods/$name.ko" ;;
	esac
	for dep in $(modinfo -F depends "$out.tmp/lib/netmods/$name.ko" | tr , ' '); do
		add "$dep"
	done
	order+=("$name")
	echo "$name" >>"$out.tmp/lib/netmods/order"
}
for m in virtio_pci virtio_blk virtio_net; do add "$m"; done
touch "$out.tmp/lib/netmods/order"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
