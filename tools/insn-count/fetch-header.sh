#!/bin/bash
# fetch-header.sh: print the folder holding qemu-plugin.h for the system's
# qemu-system-aarch64. Debian ships the plugin API only in its QEMU source,
# so take that source package from bookworm through a private deb-src apt
# configuration (the system's apt sources are never touched) and keep just
# the one header, cached.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../../scripts/lib.sh"

out=$PMUTRACE_CACHE/qemu-plugin
if [ -s "$out/qemu-plugin.h" ]; then
	echo "$out"
	exit 0
fi
d=$PMUTRACE_CACHE/apt/bookworm-src
mkdir -p "$d/lists/partial" "$d/archives/partial"
: >"$d/status"
cat >"$d/sources.sources" <<SRC
Types: deb-src
URIs: $DEBIAN_MIRROR
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_src() {
	apt-get -o Dir::Etc::sourcelist="$d/sources.sources" \
		-o Dir::Etc::sourceparts=- -o Dir::State::lists="$d/lists" \
		-o Dir::State::status="$d/status" -o Dir::Cache="$d" \
		-o Dir::Cache::archives="$d/archives" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o Acquire::Languages=none -o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root "$@"
}
apt_src update -qq >/dev/null || die "cannot read bookworm's sources from $DEBIAN_MIRROR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The source version that matches the installed binary package.
ver=$(dpkg-query -W -f '${source:Version}' qemu-system-arm 2>/dev/null || true)
(cd "$tmp" && apt_src source -qq --download-only "qemu${ver:+=$ver}" >/dev/null) ||
	die "cannot download Debian's qemu source"
orig=$(find "$tmp" -name 'qemu_*.orig.tar.*' | head -n 1)
[ -n "$orig" ] || die "no qemu orig tarball in the source package"
tar -xf "$orig" -C "$tmp" --wildcards '*/include/qemu/qemu-plugin.h'
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
find "$tmp" -name qemu-plugin.h -path '*/include/qemu/*' -exec cp {} "$out.tmp/" \;
[ -s "$out.tmp/qemu-plugin.h" ] || die "qemu-plugin.h is not in $orig"
echo "${orig##*/}" >"$out.tmp/source"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
