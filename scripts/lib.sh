# shellcheck shell=bash
# Shared by the scripts: the cache folder (outside the clone) and a private,
# arm64-only apt configuration per Debian suite. The system's own apt sources
# are never touched.

PMUTRACE_CACHE=${PMUTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pmutrace}

# host_mirror CODENAME [APT-OPTION...]: the Debian archive this host's apt
# fetches its own release from, read by apt itself (one-line .list and
# deb822 .sources alike, a local mirror or a proxy's URL such as
# apt-cacher-ng's): the first URI serving CODENAME, else the first serving a
# plain suite (stable, sid...). Prints nothing when apt has none.
host_mirror() {
	local codename=$1
	shift
	# No lists read (2 s on a loaded host, 40 ms without): only the sources.
	# shellcheck disable=SC2016 # apt's format fields, not shell
	{ apt-get -o Dir::State::lists=/nonexistent/pmutrace "$@" \
		indextargets --no-release-info \
		--format '$(TARGET_OF) $(RELEASE) $(REPO_URI)' 2>/dev/null || true; } |
		awk -v c="$codename" '
			$1 != "deb" { next }
			$2 == c && best == "" { best = $3 }
			$2 ~ /^(oldstable|stable|testing|unstable|sid)$/ && plain == "" { plain = $3 }
			END { u = best != "" ? best : plain; sub("/+$", "", u); print u }'
}

# PMUTRACE_MIRROR wins; else the host's own apt sources; deb.debian.org only
# where apt knows no Debian archive (not a Debian host).
DEBIAN_MIRROR=${PMUTRACE_MIRROR:-$(host_mirror "$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")")}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# papt SUITE apt-get|apt-cache ARGS... : run apt against one suite only.
papt() {
	local suite=$1 tool=$2
	shift 2
	local d=$PMUTRACE_CACHE/apt/$suite src
	src="Types: deb
URIs: $DEBIAN_MIRROR
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	# Rewritten when the mirror changes (lists are kept per URI).
	if [ "$(cat "$d/sources.sources" 2>/dev/null)" != "$src" ]; then
		mkdir -p "$d/lists/partial" "$d/archives/partial"
		[ -f "$d/status" ] || : >"$d/status"
		printf '%s\n' "$src" >"$d/sources.sources"
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
