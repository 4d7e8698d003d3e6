#!/bin/bash
# bench-overlay.sh: build the guest overlay of the benchmarks and print its
# folder (scripts/bench/bench.sh, scripts/bench/bench-insns.sh, tests/attrib-e2e.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../lib.sh"

# build_overlay DIR: bcc's funclatency and klockstat for arm64 (bookworm's
# libbpf-tools), bpftool (for the programs' run statistics), coreutils'
# libstdbuf.so, and every shared library they need (readelf -d,
# transitively), laid out as in Debian's root.
build_overlay() {
	local dir=$1 debs=$PMUTRACE_CACHE/bench-debs pkg lib src f
	papt_update bookworm
	for pkg in libbpf-tools bpftool coreutils libc6 libelf1 zlib1g libzstd1 libbpf1 libcap2; do
		[ -d "$debs/$pkg" ] || fetch_deb bookworm "$pkg" "$debs/$pkg"
	done
	rm -rf "$dir"
	mkdir -p "$dir/usr/sbin" "$dir/usr/libexec/coreutils" "$dir/lib/aarch64-linux-gnu"
	cp "$debs/libbpf-tools/usr/sbin/funclatency" "$debs/libbpf-tools/usr/sbin/klockstat" \
		"$debs/bpftool/usr/sbin/bpftool" "$dir/usr/sbin/"
	cp "$debs/coreutils/usr/libexec/coreutils/libstdbuf.so" "$dir/usr/libexec/coreutils/"
	local -a todo=("$dir/usr/sbin/funclatency" "$dir/usr/sbin/klockstat" "$dir/usr/sbin/bpftool"
		"$dir/usr/libexec/coreutils/libstdbuf.so")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -e "$dir/lib/aarch64-linux-gnu/$lib" ] && continue
			src=$(find "$debs" -name "$lib" \( -type f -o -type l \) | head -n 1)
			[ -n "$src" ] || die "no package here provides $lib (needed by ${f##*/})"
			cp -L "$src" "$dir/lib/aarch64-linux-gnu/$lib"
			todo+=("$dir/lib/aarch64-linux-gnu/$lib")
		done
	done
	# The program interpreter is looked up by its absolute path.
	cp "$dir/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" "$dir/lib/"
}

overlay=$PMUTRACE_CACHE/bench-overlay
build_overlay "$overlay" >&2
echo "$overlay"
