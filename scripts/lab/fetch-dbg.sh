#!/bin/bash
# fetch-dbg.sh SUITE [FLAVOUR]: download Debian's linux-image-<ver>-dbg for
# the kernel fetch-kernel.sh caches and keep only its vmlinux (DWARF), as
# vmlinux-dbg beside Image. Prints the file's path. The package is ~350 MB
# (2 GB unpacked with the modules' debug info, which is not kept).
# PMUTRACE_DBG_DEB=FILE: use that .deb instead of downloading it.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/../lib.sh"

suite=${1:?usage: fetch-dbg.sh sid|trixie|bookworm [cloud-arm64|arm64|rt-arm64]}
flavour=${2:-cloud-arm64}
kdir=$("$(dirname "$0")/fetch-kernel.sh" "$suite" "$flavour")
out=$kdir/vmlinux-dbg
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
kver=$(cat "$kdir/release")
pkg=linux-image-$kver-dbg
echo "fetch-dbg: Debian $suite: $pkg" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${PMUTRACE_DBG_DEB:-}" ]; then
	cp "$PMUTRACE_DBG_DEB" "$tmp/"
else
	(cd "$tmp" && papt "$suite" apt-get download -qq "$pkg" >/dev/null) ||
		die "package $pkg is not in Debian $suite"
fi
# One of boot/vmlinux-<ver> and lib/modules/<ver>/vmlinux is the file, the
# other a symlink to it: sid's 7.2 packages keep it under lib/modules,
# trixie's and bookworm's under boot. Both extracted (tar complains of the
# one a package lacks), the file is what the modules path resolves to.
member=./usr/lib/debug/lib/modules/$kver/vmlinux
dpkg-deb --fsys-tarfile "$tmp"/*.deb |
	tar -x -C "$tmp" "$member" "./usr/lib/debug/boot/vmlinux-$kver" 2>/dev/null || true
file=$(readlink -f "$tmp/$member")
case $file in "$tmp"/*) [ -f "$file" ] ;; *) false ;; esac || die "$pkg has no ${member#./}"
mv "$file" "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
