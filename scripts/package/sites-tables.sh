#!/bin/bash
# sites-tables.sh [SUITE[:FLAVOUR]...]: the inline-site tables the Debian
# package ships (make sites-tables; default: the arm64 kernels the lab
# boots: sid's cloud and rt, trixie's and bookworm's cloud), from
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

[ $# -gt 0 ] || set -- sid sid:rt-arm64 trixie bookworm
dir=data/sites
sites=build/$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')/pmutrace-sites
make -s "$sites"
rm -f "$dir"/*.sites
index=$(mktemp)
log=$(mktemp)
trap 'rm -f "$index" "$log"' EXIT
for k in "$@"; do
	suite=${k%%:*} flavour=cloud-arm64
	[ "$k" = "$suite" ] || flavour=${k#*:}
	vmlinux=$(scripts/lab/fetch-dbg.sh "$suite" "$flavour")
	release=$(cat "$(dirname "$vmlinux")/release")
	hex=$(readelf -n "$vmlinux" | awk '/Build ID:/ { print $3; exit }')
	# Exit 1: a reader is not inlined in this kernel, which is no error here.
	rc=0
	"$sites" -o "$dir/$hex.sites" "$vmlinux" >"$log" 2>&1 || rc=$?
	sed 's/^/  /' "$log" >&2
	[ $rc -le 1 ] || die "pmutrace-sites failed on $vmlinux (exit $rc)"
	# No reader inlined: nothing to ship, the index says so.
	if ! grep -q '^site ' "$dir/$hex.sites" 2>/dev/null; then
		rm -f "$dir/$hex.sites"
		echo "| \`$hex\` | $release | Debian $suite | none: no table shipped | |" >>"$index"
		continue
	fi
	inlined=$(awk '$1 == "site" { if (!($2 in n)) o[k++] = $2; n[$2]++ }
		END { for (i = 0; i < k; i++) printf "%s`%s` (%d sites)", i ? ", " : "", o[i], n[o[i]] }' "$dir/$hex.sites")
	# shellcheck disable=SC2016 # the backquotes are Markdown
	not=$(sed -n 's/^pmutrace-sites: \([a-z0-9_]*\): 0 instances.*/`\1`/p' "$log" | paste -sd, | sed 's/,/, /g')
	echo "| \`$hex\` | $release | Debian $suite | $inlined | ${not:-} |" >>"$index"
done
{
	cat <<'HEAD'
# Shipped inline-site tables

The tables of `pmutrace --sites auto` for Debian's own kernels, by GNU build-id (what
`/sys/kernel/notes` says). The Debian package, and `make install` (`make install-sites`), put
them into `/usr/share/pmutrace/sites/`. Made by `make sites-tables`
(`scripts/package/sites-tables.sh`) from each kernel's `-dbg` package with `pmutrace-sites` and
its default functions (the PMU readers); never edited by hand. A reader a table does not hold
has no inline instance in that kernel: it is a function of its own there (timed directly), or
not in it at all. A kernel that inlines no reader gets no table (the index says so).

`tests/e2e.sh` boots each kernel with these tables in `/usr/share/pmutrace/sites/` and checks
that `--sites auto` times the inlined readers at their sites, one count per call made, which
proves the table fits the build-id and the live instruction bytes; `tests/sites-host.sh` checks
each table is what `pmutrace-sites` makes today from its kernel's `-dbg` vmlinux.

| build-id | kernel | from | inlined readers (sites: entries and exits) | no inline instance |
|---|---|---|---|---|
HEAD
	cat "$index"
} >"$dir/README.md"
ls "$dir"/*.sites
