#!/bin/bash
# build-kernels.sh [--dry-run | [--cached] [--vmlinux]]
#
# Build two arm64 kernels that differ only by
# patches/0001-KVM-arm64-PMU-Protect-the-list-of-PMUs-with-RCU.patch:
#   before: Debian sid's linux-source-7.x exactly as shipped
#   after:  the same tree + the patch (incremental build), then `patch -R`
# One source tree, one config (allnoconfig + scripts/lab/kernel.config), one
# compiler (aarch64-linux-gnu-gcc). Results, each with Image, btf, config,
# release, suite, System.map and vmlinux (DWARF, for pmutrace-sites):
#   $PMUTRACE_CACHE/builds/<key>/{before,after}/
# <key> = source version + sha256 of the config fragment + sha256 of the patch
# (12 hex digits each). A second run with the same key only prints the paths.
# The key hashes the fragment's bytes, comments too: kernel.config's header
# still names this script by its old place (scripts/, before scripts/lab/),
# left so because a changed byte would rebuild both kernels everywhere.
#
# --dry-run: fetch the source package and check that the patch applies to it
# with no fuzz and no offset (on a pristine extract of the files it touches);
# prints one line, builds nothing, installs nothing. CI uses this.
#
# --vmlinux: build (or reuse) both kernels as above, then print the two
# vmlinux paths ("before: PATH", "after: PATH"). A build older than the
# vmlinux copy lacks it: the tree's own obj/vmlinux is taken when its build-id
# is the Image's, and the other side is made again by an incremental build
# (~30 s) in a private mount namespace over overlays of src/ and obj/, at the
# same paths (same DWARF, same build-id): the cached tree, obj/ and Images
# are left as they are (root: unshare, overlayfs).
#
# --cached: build no kernel: when the two are not built yet, say so in one
# line on stderr and exit 3 (a test's skip); else as without it.
#
# The source package comes from the linux-source metapackage of Debian sid,
# through the private apt configuration of scripts/lib.sh (never the system's
# apt sources). Missing build packages are installed from the system's
# (bookworm) apt sources, and only when a build is actually needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lib.sh disable=SC1091
. "$here/../lib.sh"

PATCH=$repo/patches/0001-KVM-arm64-PMU-Protect-the-list-of-PMUs-with-RCU.patch
FRAGMENT=$here/kernel.config
SUITE=${PMUTRACE_SRC_SUITE:-sid}
KMAKE_ARGS=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
BUILD_PKGS=(make gcc libc6-dev patch flex bison bc dwarves libssl-dev libelf-dev
	gcc-aarch64-linux-gnu python3 xz-utils)
# Fixed build identity: both Images carry the same banner, so the only
# difference between them is the patch.
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970"
export KBUILD_BUILD_USER=pmutrace KBUILD_BUILD_HOST=pmutrace KBUILD_BUILD_VERSION=1

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

dry_run=0 want_vmlinux=0 cached_only=0
for arg; do
	case $arg in
	--dry-run) dry_run=1 ;;
	--vmlinux) want_vmlinux=1 ;;
	--cached) cached_only=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown argument '$arg' (usage: build-kernels.sh [--dry-run | [--cached] [--vmlinux]])" ;;
	esac
done
if [ "$dry_run" -eq 1 ] && [ $((want_vmlinux + cached_only)) -gt 0 ]; then
	die "--dry-run goes alone (usage: build-kernels.sh [--dry-run | [--cached] [--vmlinux]])"
fi

[ -f "$PATCH" ] || die "missing patch file $PATCH"
[ -f "$FRAGMENT" ] || die "missing config fragment $FRAGMENT"
for tool in apt-get apt-cache dpkg-deb dpkg-query tar xz patch sha256sum flock; do
	command -v "$tool" >/dev/null || die "'$tool' is missing; install it first"
done

tmp=$(mktemp -d)
make_pid='' patched_tree='' patch_rc=0
cleanup() {
	local rc=$?
	if [ -n "$make_pid" ] && kill -0 "$make_pid" 2>/dev/null; then
		kill "$make_pid" 2>/dev/null || true
		wait "$make_pid" 2>/dev/null || true
	fi
	if [ -n "$patched_tree" ]; then
		# Never leave the shared tree patched behind us.
		(cd "$patched_tree" && patch -p1 -R -s --no-backup-if-mismatch <"$PATCH") ||
			echo "build-kernels: could not un-apply the patch in $patched_tree; remove that folder" >&2
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# --- 1. which source: sid's linux-source metapackage → linux-source-X.Y ----
papt_update "$SUITE"
src_pkg=$(pkg_depends "$SUITE" linux-source '^linux-source-[0-9]') || true
[ -n "$src_pkg" ] || die "Debian $SUITE's linux-source metapackage names no linux-source-X.Y package"
pkg_info=$(papt "$SUITE" apt-cache show --no-all-versions "$src_pkg" 2>/dev/null) ||
	die "Debian $SUITE has no package $src_pkg"
src_ver=$(sed -n 's/^Version: //p' <<<"$pkg_info" | head -n 1)
src_sha=$(sed -n 's/^SHA256: //p' <<<"$pkg_info" | head -n 1)
if [ -z "$src_ver" ] || [ -z "$src_sha" ]; then
	die "apt shows no Version/SHA256 for $src_pkg"
fi

# --- 2. the .deb, kept in the cache and checked against the archive's hash --
mkdir -p "$PMUTRACE_CACHE/src"
deb=$PMUTRACE_CACHE/src/${src_pkg}_${src_ver#*:}_all.deb
if [ ! -f "$deb" ] || [ "$(sha256sum <"$deb" | cut -d' ' -f1)" != "$src_sha" ]; then
	echo "build-kernels: downloading $src_pkg $src_ver from Debian $SUITE (~160 MB)" >&2
	rm -f "$deb"
	(cd "$tmp" && papt "$SUITE" apt-get download -qq "$src_pkg=$src_ver" >/dev/null) ||
		die "cannot download $src_pkg $src_ver from Debian $SUITE"
	mv "$tmp/${src_pkg}_"*.deb "$deb"
	[ "$(sha256sum <"$deb" | cut -d' ' -f1)" = "$src_sha" ] || die "$deb does not match the archive's SHA256"
fi
tarball=./usr/src/$src_pkg.tar.xz

# extract_src DEST [MEMBER...]: unpack the kernel tarball (or some members).
extract_src() {
	local dest=$1
	shift
	mkdir -p "$dest"
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "$tarball" | tar -xJf - -C "$dest" "$@"
}

# patch_check TREE [-R]: does the patch apply (or un-apply) exactly?
# Prints patch's complaint and fails on any fuzz, offset or reject.
patch_check() {
	local out rc=0
	out=$(cd "$1" && patch -p1 --dry-run -N --no-backup-if-mismatch ${2:+"$2"} <"$PATCH" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || grep -qiE 'fuzz|offset|hunk|reject|fail|reversed|malformed' <<<"$out"; then
		grep -iE 'fuzz|offset|hunk|reject|fail|reversed|malformed|No such' <<<"$out" | head -n 1
		[ "$rc" -ne 0 ] || rc=1
		return "$rc"
	fi
}

cfg_sha=$(sha256sum <"$FRAGMENT" | cut -c1-12)
pat_sha=$(sha256sum <"$PATCH" | cut -c1-12)
key=${src_ver}-c${cfg_sha}-p${pat_sha}
bdir=$PMUTRACE_CACHE/builds/$key
patch_name=$(basename "$PATCH")

# --- 3. --dry-run: does the patch apply to a pristine extract? ------------
if [ "$dry_run" -eq 1 ]; then
	mapfile -t files < <(sed -n 's,^+++ b/\([^[:space:]]*\).*,\1,p' "$PATCH" | sort -u)
	[ "${#files[@]}" -gt 0 ] || die "$patch_name touches no file"
	extract_src "$tmp" "${files[@]/#/$src_pkg/}" 2>/dev/null ||
		die "$src_pkg $src_ver lacks a file the patch touches: ${files[*]}"
	if why=$(patch_check "$tmp/$src_pkg"); then
		built=no
		[ -s "$bdir/before/Image" ] && [ -s "$bdir/after/Image" ] && built=yes
		echo "build-kernels: dry-run OK: $patch_name applies cleanly (no fuzz, no offset) to $src_pkg $src_ver; key $key (built: $built)"
		exit 0
	fi
	die "dry-run FAILED: $patch_name does not apply cleanly to $src_pkg $src_ver: ${why:-patch failed}"
fi

# --- 4. cached? -----------------------------------------------------------
complete() {
	local f
	for f in Image btf config release suite; do [ -s "$bdir/$1/$f" ] || return 1; done
}
if complete before && complete after && [ "$want_vmlinux" -eq 0 ]; then
	echo "build-kernels: cached ($key):"
	echo "  before: $bdir/before  ($(cat "$bdir/before/release"))"
	echo "  after:  $bdir/after  ($(cat "$bdir/after/release"))"
	exit 0
fi
if [ "$cached_only" -eq 1 ] && ! { complete before && complete after; }; then
	echo "build-kernels: not built ($key): --cached builds nothing" >&2
	exit 3
fi

mkdir -p "$bdir"
exec 9>"$bdir/.lock"
flock -n 9 || die "another build-kernels.sh is already building $bdir"

# --- 5. build packages (bookworm, from the system's own apt sources) -------
missing=()
for p in "${BUILD_PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing build packages (${missing[*]}): run as root or apt-get install them"
	echo "build-kernels: installing ${missing[*]} (bookworm)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm \
		"${missing[@]}" >"$tmp/apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed: $(tail -n 1 "$tmp/apt.log")"
fi

# --- 6. one source tree, as shipped ----------------------------------------
src=$bdir/src/$src_pkg
obj=$bdir/obj
if [ ! -f "$bdir/src/.extracted" ]; then
	echo "build-kernels: extracting $src_pkg $src_ver into $bdir/src" >&2
	rm -rf "$bdir/src"
	extract_src "$bdir/src" || die "cannot unpack $deb"
	[ -f "$src/Makefile" ] || die "$deb holds no $src_pkg/Makefile"
	touch "$bdir/src/.extracted"
fi
if ! patch_check "$src" >/dev/null; then
	if patch_check "$src" -R >/dev/null; then
		echo "build-kernels: $src was left patched by an interrupted run; un-applying" >&2
		(cd "$src" && patch -p1 -R -s --no-backup-if-mismatch <"$PATCH")
	else
		die "$src is neither as shipped nor patched (does the patch apply?); remove $bdir/src"
	fi
fi

kmake() { make -C "$src" O="$obj" "${KMAKE_ARGS[@]}" "$@"; }

# --- 7. config: allnoconfig + fragment, then every wanted option checked ----
check_config() {
	local cfg=$1 opt bad=()
	while read -r opt; do
		grep -qx "$opt=y" "$cfg" || bad+=("$opt (wanted =y)")
	done < <(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=y$/\1/p' "$FRAGMENT")
	while read -r opt; do
		grep -q "^$opt=" "$cfg" && bad+=("$opt (wanted off)")
	done < <(sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1/p' "$FRAGMENT")
	[ "${#bad[@]}" -eq 0 ] || die "config check failed in $cfg: ${bad[*]}"
}
if [ ! -f "$obj/.pmutrace-config" ]; then
	echo "build-kernels: configuring (allnoconfig + $(basename "$FRAGMENT"))" >&2
	mkdir -p "$obj"
	{
		kmake allnoconfig &&
			"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$FRAGMENT" &&
			kmake olddefconfig
	} >"$bdir/config.log" 2>&1 || die "configuring failed, see $bdir/config.log"
	check_config "$obj/.config"
	touch "$obj/.pmutrace-config"
fi
check_config "$obj/.config"

# --- 8. build with a progress line ------------------------------------------
jobs=$(nproc)
# kbuild SIDE: make Image, logging to build-SIDE.log; progress on stderr.
kbuild() {
	local side=$1 log=$bdir/build-$1.log start=$SECONDS n el last=-15 rc=0
	echo "build-kernels: [$side] make -j$jobs Image (log: $log)" >&2
	kmake -j"$jobs" Image >"$log" 2>&1 &
	make_pid=$!
	while kill -0 "$make_pid" 2>/dev/null; do
		sleep 1
		el=$((SECONDS - start))
		n=$(grep -cE '^ +(CC|AR) ' "$log" || true)
		if [ -t 2 ]; then
			printf '\rbuild-kernels: [%s] building: %s objects (CC/AR), %s ' "$side" "$n" "$(fmt_time "$el")" >&2
		elif [ $((el - last)) -ge 15 ]; then
			last=$el
			echo "build-kernels: [$side] building: $n objects (CC/AR), $(fmt_time "$el")" >&2
		fi
	done
	wait "$make_pid" || rc=$?
	make_pid=
	[ ! -t 2 ] || echo >&2
	el=$((SECONDS - start))
	if [ "$rc" -ne 0 ]; then
		tail -n 15 "$log" >&2
		die "[$side] build failed after $(fmt_time "$el"), full log: $log"
	fi
	n=$(grep -cE '^ +(CC|AR) ' "$log" || true)
	echo "build-kernels: [$side] done: $n objects (CC/AR) in $(fmt_time "$el")" >&2
	echo "$side $el s, $n objects (CC/AR), make -j$jobs Image, $(date -u +%FT%TZ)" >>"$bdir/build-times.txt"
}

# collect SIDE: copy what the guest and pmutrace need into $bdir/SIDE.
collect() {
	local side=$1 out=$bdir/$1 rel
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	cp "$obj/arch/arm64/boot/Image" "$out.tmp/Image"
	cp "$obj/.config" "$out.tmp/config"
	cp "$obj/System.map" "$out.tmp/System.map"
	cp "$obj/vmlinux" "$out.tmp/vmlinux"
	python3 "$here/extract-btf.py" "$out.tmp/Image" "$out.tmp/btf" ||
		die "[$side] no BTF in $obj/arch/arm64/boot/Image"
	rel=$(kmake -s kernelrelease)
	echo "$rel $side" >"$out.tmp/release"
	echo "build-$side" >"$out.tmp/suite"
	rm -rf "$out"
	mv "$out.tmp" "$out"
}

if ! complete before; then
	kbuild before
	collect before
fi
if ! complete after; then
	why=$(patch_check "$src") || die "$patch_name does not apply cleanly to $src: $why"
	(cd "$src" && patch -p1 -N -s --no-backup-if-mismatch <"$PATCH") || patch_rc=$?
	patched_tree=$src
	[ "$patch_rc" -eq 0 ] || die "applying $patch_name to $src failed"
	kbuild after
	collect after
	(cd "$src" && patch -p1 -R -s --no-backup-if-mismatch <"$PATCH") ||
		die "un-applying $patch_name in $src failed; remove $bdir/src"
	patched_tree=
fi
patch_check "$src" >/dev/null || die "$src is not back to its shipped state; remove $bdir/src"

# --- 9. --vmlinux: each side's vmlinux with the build-id of its Image -------
# belongs VMLINUX SIDE: is VMLINUX's build-id (of its .notes; the vDSO's
# comes first in an Image) in SIDE's Image?
belongs() {
	local id
	id=$(readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
	[ -n "$id" ] && python3 -c 'import sys
sys.exit(bytes.fromhex(sys.argv[1]) not in open(sys.argv[2], "rb").read())' "$id" "$bdir/$2/Image"
}
# remake SIDE: an incremental build of SIDE in a private mount namespace,
# over overlays of src/ and obj/ at their own paths; its vmlinux to $tmp.
remake() {
	local ov=$tmp/ov d
	for d in src obj; do mkdir -p "$ov/$d.up" "$ov/$d.work"; done
	echo "build-kernels: [$1] no vmlinux kept: building it again in an overlay (log: $bdir/vmlinux-$1.log)" >&2
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private bash -euc '
		for d in src obj; do
			mount -t overlay overlay -o "lowerdir=$2/$d,upperdir=$3/$d.up,workdir=$3/$d.work" "$2/$d"
		done
		[ "$1" = before ] || (cd "$4" && patch -p1 -N -s --no-backup-if-mismatch <"$5")
		out=$6
		shift 6
		nice make -C "$@" vmlinux
		cp "${2#O=}/vmlinux" "$out"' _ \
		"$1" "$bdir" "$ov" "$src" "$PATCH" "$tmp/vmlinux" "$src" O="$obj" "${KMAKE_ARGS[@]}" -j"$(nproc)" \
		>"$bdir/vmlinux-$1.log" 2>&1 || die "[$1] rebuilding vmlinux failed, see $bdir/vmlinux-$1.log"
}
if [ "$want_vmlinux" -eq 1 ]; then
	for side in before after; do
		belongs "$bdir/$side/vmlinux" "$side" && continue
		rm -f "$tmp/vmlinux"
		if belongs "$obj/vmlinux" "$side"; then
			cp "$obj/vmlinux" "$tmp/vmlinux"
		else
			remake "$side"
		fi
		belongs "$tmp/vmlinux" "$side" || die "[$side] the vmlinux built again is not its Image's (build-id)"
		mv "$tmp/vmlinux" "$bdir/$side/vmlinux"
	done
	echo "before: $bdir/before/vmlinux"
	echo "after: $bdir/after/vmlinux"
	exit 0
fi

echo "build-kernels: built ($key):"
echo "  before: $bdir/before  ($(cat "$bdir/before/release"))"
echo "  after:  $bdir/after  ($(cat "$bdir/after/release"))"
