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
# boot/vmlinux-<ver> is a symlink to lib/modules/<ver>/vmlinux.
member=./usr/lib/debug/lib/modules/$kver/vmlinux
dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" "$member" ||
	die "$pkg has no ${member#./}"
mv "$tmp/$member" "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
