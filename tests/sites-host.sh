#!/bin/bash
# sites-host.sh: where pmutrace-sites finds a vmlinux and where it writes
# the table, on this machine, without network: a path; a build-id under a
# debug root (.build-id/xx/rest.debug, boot/vmlinux-*); debuginfod, served
# by python3's http.server from a directory laid out as debuginfod's
# buildid/HEX/debuginfo; the cache (--cache). The vmlinux is a tiny arm64
# program with DWARF (tests/fixtures/inline-sites.c). Prints ok/FAIL lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sites=${PMUTRACE_SITES_BIN:-$top/build/$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')/pmutrace-sites}
tmp=$(mktemp -d) srv_pid=
trap '[ -z "$srv_pid" ] || kill "$srv_pid"; rm -rf "$tmp"' EXIT
ok() { echo "ok   sites-host: $*"; }
bad() { echo "FAIL sites-host: $*"; }
check() { # check NAME CMD...: ok when CMD succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
HOST_TEST="sites-host"
# shellcheck source=tests/host-lib.sh
. "$top/tests/host-lib.sh"

cc=aarch64-linux-gnu-gcc
[ "$(uname -m)" = aarch64 ] && cc=gcc
if ! $cc -O2 -g -nostdlib -ffreestanding -Wl,--build-id -o "$tmp/vmlinux" \
	"$top/tests/fixtures/inline-sites.c" 2>"$tmp/cc.err"; then
	bad "cannot build the fixture: $(head -c 300 "$tmp/cc.err")"
	exit 0
fi
hex=$(readelf -n "$tmp/vmlinux" | awk '/Build ID:/ { print $3 }')
# None of these from the environment: Debian's profile sets DEBUGINFOD_URLS.
unset DEBUGINFOD_URLS PMUTRACE_SITES_DIR
export DEBUGINFOD_CACHE_PATH=$tmp/dcache DEBUGINFOD_TIMEOUT=10
mkdir -p "$tmp/empty"

"$sites" -o "$tmp/path.sites" "$tmp/vmlinux" reader 2>"$tmp/path.err"
check "a path: reader's 2 inline instances, build-id $hex" \
	test "$(grep -c '^site reader [01] entry' "$tmp/path.sites")" = 2 -a \
	"$(sed -n 2p "$tmp/path.sites")" = "build-id $hex"

# The debug root, as the -dbg package lays it out.
mkdir -p "$tmp/root/boot" "$tmp/root/.build-id/${hex:0:2}"
cp "$tmp/vmlinux" "$tmp/root/boot/vmlinux-9.9.9-test"
"$sites" --debug-root "$tmp/root" --build-id "$hex" -o "$tmp/boot.sites" reader 2>"$tmp/boot.err"
check "--build-id: found as boot/vmlinux-*, the same table: $(head -n 1 "$tmp/boot.err")" \
	cmp -s "$tmp/path.sites" "$tmp/boot.sites"
mv "$tmp/root/boot/vmlinux-9.9.9-test" "$tmp/root/.build-id/${hex:0:2}/${hex:2}.debug"
mkdir "$tmp/empty/boot" && cp /bin/true "$tmp/empty/boot/vmlinux-other"
expect "--build-id: a boot/vmlinux-* of another build is passed over" 5 \
	"$sites" --debug-root "$tmp/empty" --build-id "$hex" reader
rm -r "$tmp/empty/boot"
"$sites" --debug-root "$tmp/root" --build-id "$hex" -o "$tmp/bid.sites" reader 2>"$tmp/bid.err"
check "--build-id: found as .build-id/xx/rest.debug, the same table: $(head -n 1 "$tmp/bid.err")" \
	cmp -s "$tmp/path.sites" "$tmp/bid.sites"
expect "--build-id nowhere, no DEBUGINFOD_URLS" 5 \
	"$sites" --debug-root "$tmp/empty" --build-id "$hex" reader

# debuginfod: GET /buildid/HEX/debuginfo.
mkdir -p "$tmp/srv/buildid/$hex"
ln -s "$tmp/vmlinux" "$tmp/srv/buildid/$hex/debuginfo"
: >"$tmp/srv.log"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tmp/srv" >"$tmp/srv.log" 2>&1 &
srv_pid=$!
for _ in $(seq 50); do
	port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$tmp/srv.log")
	[ -n "$port" ] && break
	sleep 0.1
done
export DEBUGINFOD_URLS=http://127.0.0.1:${port:-1}
"$sites" --debug-root "$tmp/empty" --build-id "$hex" -o "$tmp/dind.sites" reader 2>"$tmp/dind.err"
check "debuginfod ($DEBUGINFOD_URLS): the same table as from the path, kept in its cache: $(head -n 1 "$tmp/dind.err")" \
	test -n "$(find "$tmp/dcache" -name debuginfo -size +1k 2>/dev/null)" -a -s "$tmp/dind.sites"
check "debuginfod: table equals the path's" cmp -s "$tmp/path.sites" "$tmp/dind.sites"
expect "debuginfod has no such build-id" 5 \
	"$sites" --debug-root "$tmp/empty" --build-id 00112233445566778899aabbccddeeff00112233 reader
grep -q 'debuginfod: not found' "$tmp/err" || bad "the line does not say debuginfod did not find it: $(cat "$tmp/err")"
unset DEBUGINFOD_URLS

# The cache, where pmutrace --sites auto looks.
PMUTRACE_SITES_DIR=$tmp/cache "$sites" --cache "$tmp/vmlinux" reader 2>"$tmp/cache.err"
check "--cache: \$PMUTRACE_SITES_DIR/$hex.sites, the same table" \
	cmp -s "$tmp/path.sites" "$tmp/cache/$hex.sites"
PMUTRACE_SITES_DIR=/proc/pmutrace-sites "$sites" --cache "$tmp/vmlinux" reader 2>"$tmp/err"
rc=$?
check "--cache where no directory can be made: exit $rc, $(tail -n 1 "$tmp/err")" \
	test $rc = 4 -a "$(tail -n 1 "$tmp/err")" = "pmutrace-sites: cannot write /proc/pmutrace-sites"
expect "-o and --cache" 2 "$sites" -o "$tmp/x" --cache "$tmp/vmlinux" reader
expect "--build-id not hex" 2 "$sites" --build-id xyz reader
"$sites" -o "$tmp/none.sites" "$tmp/vmlinux" reader set_attr 2>"$tmp/err"
rc=$?
check "a function with no inline instance: exit $rc, $(grep set_attr "$tmp/err")" \
	test $rc = 1 -a -n "$(grep '^pmutrace-sites: set_attr: 0 instances' "$tmp/err")"

# The shipped tables (data/sites/, make sites-tables) are what
# pmutrace-sites makes today from their kernels' -dbg vmlinux: never edited
# by hand, never stale. PMUTRACE_VMLINUX_DBG: the -dbg vmlinux files at hand
# (scripts/lab/fetch-dbg.sh SUITE [FLAVOUR]), space-separated; a table whose
# vmlinux is not among them is a skip.
declare -A dbg
for v in ${PMUTRACE_VMLINUX_DBG:-}; do
	hex=$(readelf -n "$v" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
	if [ -n "$hex" ]; then dbg[$hex]=$v; else bad "PMUTRACE_VMLINUX_DBG: $v is no ELF file with a build-id"; fi
done
for t in "$top"/data/sites/*.sites; do
	hex=$(basename "$t" .sites)
	kernel=$(grep -F "\`$hex\`" "$top/data/sites/README.md" | cut -d'|' -f3 | xargs)
	vmlinux=${dbg[$hex]:-}
	if [ -z "$vmlinux" ]; then
		echo "skip sites-host: data/sites/$hex.sites (${kernel:-not in the index}) against a new table: its -dbg vmlinux is not in PMUTRACE_VMLINUX_DBG (scripts/lab/fetch-dbg.sh)"
		continue
	fi
	"$sites" -o "$tmp/new.sites" "$vmlinux" 2>/dev/null
	check "data/sites/$hex.sites (${kernel:-not in the index}) is what pmutrace-sites makes from $vmlinux now (make sites-tables)" \
		cmp -s "$t" "$tmp/new.sites"
done
