#!/bin/bash
# Install everything pmutrace needs to build, cross-build for arm64 and run its
# QEMU lab, from Debian bookworm only. arm64 libraries come in through
# multiarch; nothing from trixie or sid ever enters the system's apt sources.
set -euo pipefail

# tests/depscheck.py checks that every command the scripts, the Makefile and
# the kernel build run comes from one of these (or from Debian's base).
HOST_PKGS=(clang libclang-rt-14-dev llvm bpftool libbpf-dev libelf-dev libdw-dev libdebuginfod-dev zlib1g-dev libjson-c-dev libgsl-dev
	pkg-config make gcc binutils git gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	qemu-system-arm cpio xz-utils zstd jq ca-certificates python3 python3-jsonschema prometheus gnuplot-nox
	clang-format groff-base curl librsvg2-bin
	libyaml-dev libcrypt-dev openssl apache2-utils
	util-linux procps
	patch flex bison bc dwarves libssl-dev kmod rsync shellcheck libcap-dev
	dpkg-dev build-essential debhelper lintian fakeroot debootstrap e2fsprogs debian-archive-keyring systemd)
ARM64_PKGS=(libc6-dev:arm64 libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64
	libjson-c-dev:arm64 libzstd-dev:arm64 libcap-dev:arm64 libssl-dev:arm64 libyaml-dev:arm64
	libcrypt-dev:arm64 libgsl27:arm64 libgslcblas0:arm64)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi

missing() {
	local p
	for p in "$@"; do
		[ -n "$p" ] || continue # emptied by the native arm64 case below
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"
	done
}

export DEBIAN_FRONTEND=noninteractive
if [ "$(dpkg --print-architecture)" = arm64 ]; then
	# Native arm64: no cross compiler, the libraries are the host's own.
	HOST_PKGS=("${HOST_PKGS[@]/gcc-aarch64-linux-gnu/}")
	HOST_PKGS=("${HOST_PKGS[@]/libc6-dev-arm64-cross/}")
	ARM64_PKGS=(libc6-dev libzstd-dev libgsl-dev)
fi
need_update=0
if [ "$(dpkg --print-architecture)" != arm64 ] &&
	! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	need_update=1
fi
todo=$(missing "${HOST_PKGS[@]}" "${ARM64_PKGS[@]}")
if [ -n "$todo" ]; then
	apt-get update -qq
	need_update=0
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $todo >/dev/null
fi
[ "$need_update" -eq 0 ] || apt-get update -qq

# libgsl-dev cannot be installed for two architectures at once, so the
# static arm64 GSL for the cross build is unpacked into the cache instead.
if [ "$(dpkg --print-architecture)" != arm64 ]; then
	. "$(dirname "$0")/lib.sh"
	if [ ! -f "$PMUTRACE_CACHE/arm64-gsl/usr/lib/aarch64-linux-gnu/libgsl.a" ]; then
		papt_update bookworm
		fetch_deb bookworm libgsl-dev "$PMUTRACE_CACHE/arm64-gsl"
	fi
fi
echo "install-deps: all build and lab packages present"
