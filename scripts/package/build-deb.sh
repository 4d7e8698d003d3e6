#!/bin/bash
# build-deb.sh: the arm64 Debian package (make deb), cross-built on x86 or
# native on arm64, from a copy of the tracked files in build/deb/src, so the
# package never sees (or cleans) the lab's build/. Prints the .deb's path;
# lintian's verdict goes to build/deb/lintian.txt.
# Run scripts/install-deps.sh first (as root) for the build dependencies.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

arch=arm64
out=$top/build/deb
version=$(dpkg-parsechangelog -S Version)
src=$out/src/pmutrace-$version
rm -rf "$out"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$src"

# libgsl-dev cannot be installed for two architectures: a cross build keeps
# the host's (for the host build) and links libgsl27:arm64 (debian/rules).
# Every other build dependency must be there.
opts=(-a"$arch")
if [ "$(dpkg --print-architecture)" != "$arch" ]; then
	unmet=$(cd "$src" && { dpkg-checkbuilddeps -a"$arch" 2>&1 || true; } |
		sed -n 's/.*Unmet build dependencies: //p' | sed -E 's/(^| )libgsl-dev(:[a-z0-9]+)?( \([^)]*\))?( |$)/ /')
	[ -z "${unmet// /}" ] || die "missing build dependencies: $unmet (run scripts/install-deps.sh)"
	dpkg-query -W -f='${Status}' libgsl27:$arch 2>/dev/null | grep -q 'ok installed' ||
		die "libgsl27:$arch missing (run scripts/install-deps.sh)"
	# The cross profile and nocheck: an x86 host runs no arm64 tests.
	opts+=(-d "-Pcross,nocheck")
	export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" CC=aarch64-linux-gnu-gcc
fi
(cd "$src" && dpkg-buildpackage "${opts[@]}" -B -us -uc) >"$out/build.log" 2>&1 ||
	die "dpkg-buildpackage failed, see $out/build.log"
name=pmutrace_${version}_$arch
# Every tag, overridden ones too (O:); tests/package-e2e.sh fails on E: or W:.
lintian --tag-display-limit 0 -I --pedantic --show-overrides "$out/src/$name.changes" >"$out/lintian.txt" 2>&1 || true
mv "$out/src/$name.deb" "$out/"
echo "$out/$name.deb"
