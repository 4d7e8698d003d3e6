# shellcheck shell=bash
# Shared by the scripts: the cache folder (outside the clone) and a private,
# arm64-only apt configuration per Debian suite. The system's own apt sources
# are never touched.

PMUTRACE_CACHE=${PMUTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pmutrace}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# papt SUITE apt-get|apt-cache ARGS... : run apt against one suite only.
papt() {
	local suite=$1 tool=$2
	shift 2
	local d=$PMUTRACE_CACHE/apt/$suite
	if [ ! -f "$d/sources.sources" ]; then
		mkdir -p "$d/lists/partial" "$d/archives/partial"
		: >"$d/status"
		cat >"$d/sources.sources" <<SRC
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	"$tool" -o Dir::Etc::sourcelist="$d/sources.sources" \
		-o Dir::Etc::sourceparts=- -o Dir::State::lists="$d/lists" \
		-o Dir::State::status="$d/status" -o Dir::Cache="$d" \
		-o Dir::Cache::archives="$d/archives" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
		-o Acquire::Check-Valid-Until=false -o Acquire::Languages=none \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root "$@"
}

# papt_update SUITE: refresh a suite's lists at most once a day.
papt_update() {
	local d=$PMUTRACE_CACHE/apt/$1
	papt "$1" apt-cache policy >/dev/null 2>&1 || true
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
		papt "$1" apt-get update -qq >/dev/null || die "cannot read the Debian '$1' suite from $DEBIAN_MIRROR"
	fi
}

# pkg_depends SUITE PKG REGEX: first dependency of PKG matching REGEX.
pkg_depends() {
	papt "$1" apt-cache depends "$2" 2>/dev/null |
		sed -n 's/^ *\(Pre\)\{0,1\}Depends: //p' | grep -E "$3" | head -n 1
}

# fetch_deb SUITE PKG DEST: download PKG and unpack it into DEST.
fetch_deb() {
	local suite=$1 pkg=$2 dest=$3 tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && papt "$suite" apt-get download -qq "$pkg" >/dev/null) ||
		{ rm -rf "$tmp"; die "package $pkg is not in Debian $suite"; }
	mkdir -p "$dest"
	dpkg-deb -x "$tmp"/*.deb "$dest"
	rm -rf "$tmp"
}
