#!/bin/bash
# sites-tables.sh [SUITE[:FLAVOUR]...]: the inline-site tables the Debian
# package ships (make sites-tables; default: sid's cloud-arm64 kernel), from
# each kernel's -dbg vmlinux (scripts/lab/fetch-dbg.sh, cached), into
# data/sites/BUILDID.sites with an index, data/sites/README.md. Nothing
# there is edited by hand: rerun this after a change to pmutrace-sites or
# to the table's format. debian/rules installs them into
# /usr/share/pmutrace/sites, where pmutrace --sites auto looks.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

[ $# -gt 0 ] || set -- sid
dir=data/sites
sites=build/$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')/pmutrace-sites
make -s "$sites"
rm -f "$dir"/*.sites
index=$(mktemp)
trap 'rm -f "$index"' EXIT
for k in "$@"; do
	suite=${k%%:*} flavour=cloud-arm64
	[ "$k" = "$suite" ] || flavour=${k#*:}
	vmlinux=$(scripts/lab/fetch-dbg.sh "$suite" "$flavour")
	release=$(cat "$(dirname "$vmlinux")/release")
	hex=$(readelf -n "$vmlinux" | awk '/Build ID:/ { print $3; exit }')
	# Exit 1: a reader is not inlined in this kernel, which is no error here.
	"$sites" -o "$dir/$hex.sites" "$vmlinux" 2>&1 | sed 's/^/  /' >&2
	[ -s "$dir/$hex.sites" ] || die "no table for $release"
	echo "| \`$hex\` | $release | Debian $suite |" >>"$index"
done
{
	cat <<'HEAD'
# Shipped inline-site tables

The tables of `pmutrace --sites auto` for Debian's own kernels, by GNU build-id (what
`/sys/kernel/notes` says). The Debian package installs them into `/usr/share/pmutrace/sites/`.
Made by `make sites-tables` (`scripts/package/sites-tables.sh`) from each kernel's `-dbg`
package with `pmutrace-sites` and its default functions (the PMU readers); never edited by hand.

| build-id | kernel | from |
|---|---|---|
HEAD
	cat "$index"
} >"$dir/README.md"
ls "$dir"/*.sites
