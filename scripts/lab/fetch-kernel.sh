#!/bin/bash
# fetch-kernel.sh SUITE [FLAVOUR]: download Debian's arm64 kernel of SUITE
# (sid, trixie, bookworm) into the cache and print the folder holding Image,
# config and btf. FLAVOUR is cloud-arm64 (the default), arm64 or rt-arm64
# (PREEMPT_RT). The version comes from the suite's linux-image-FLAVOUR
# metapackage, never from a table here.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/../lib.sh"

suite=${1:?usage: fetch-kernel.sh sid|trixie|bookworm [cloud-arm64|arm64|rt-arm64]}
flavour=${2:-cloud-arm64}
papt_update "$suite"
meta=linux-image-$flavour
image_pkg=$(pkg_depends "$suite" "$meta" '^linux-image-[0-9]') ||
	die "Debian $suite has no $meta (is the suite name right?)"
[ -n "$image_pkg" ] || die "Debian $suite has no $meta (is the suite name right?)"
kver=${image_pkg#linux-image-}
out=$PMUTRACE_CACHE/kernels/$kver
# Newer packaging keeps the config in linux-base-<version>, not in the image
# or binary package (folders fetched before that lack it: add it).
base_config() {
	local tmp
	tmp=$(mktemp -d)
	if (fetch_deb "$suite" "linux-base-$kver" "$tmp") 2>/dev/null; then
		find "$tmp" -name 'config*' -type f -exec cp {} "$1" \; -quit
	fi
	rm -rf "$tmp"
}
if [ -s "$out/Image" ] && [ -s "$out/btf" ]; then
	[ -s "$out/config" ] || base_config "$out/config"
	echo "$out"
	exit 0
fi

echo "fetch-kernel: Debian $suite: $image_pkg" >&2
rm -rf "$out.tmp"
fetch_deb "$suite" "$image_pkg" "$out.tmp/deb"
vmlinuz=$(find "$out.tmp/deb" -name 'vmlinuz*' -type f | head -n 1)
if [ -z "$vmlinuz" ]; then
	# Newer packaging moves the kernel binary into linux-binary-*.
	bin_pkg=$(pkg_depends "$suite" "$image_pkg" '^linux-binary-') ||
		die "$image_pkg has no vmlinuz and no linux-binary dependency"
	fetch_deb "$suite" "$bin_pkg" "$out.tmp/deb"
	vmlinuz=$(find "$out.tmp/deb" -name 'vmlinuz*' -type f | head -n 1)
fi
[ -n "$vmlinuz" ] || die "no vmlinuz in $image_pkg"
config=$(find "$out.tmp/deb" -name 'config*' -type f | head -n 1)

# Debian ships arm64's vmlinuz either raw or gzip-compressed.
if gzip -t "$vmlinuz" 2>/dev/null; then
	gzip -dc "$vmlinuz" >"$out.tmp/Image"
else
	cp "$vmlinuz" "$out.tmp/Image"
fi
if [ -n "$config" ]; then
	cp "$config" "$out.tmp/config"
else
	base_config "$out.tmp/config"
fi
python3 "$(dirname "$0")/extract-btf.py" "$out.tmp/Image" "$out.tmp/btf"
echo "$kver" >"$out.tmp/release"
echo "$suite" >"$out.tmp/suite"
echo "$flavour" >"$out.tmp/flavour"
rm -rf "$out.tmp/deb" "$out"
mv "$out.tmp" "$out"
echo "$out"
