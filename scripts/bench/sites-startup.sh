#!/bin/bash
# sites-startup.sh OLD NEW TABLE [OUT]: the start-up of two arm64 pmutrace
# builds with the same --sites TABLE, in one boot of sid's 7.2.13 kernel
# under the instruction clock (1 ns per instruction), three rounds each
# (scripts/bench/guest-sites-startup.sh). Prints, per run, the site
# check (from "kallsyms read" to "targets resolved": sites_prepare's
# look-ups and /proc/kcore reads) and the start-up up to the privilege drop.
# A benchmark, not a test: it prints figures and passes or fails nothing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
old=${1:?usage: sites-startup.sh OLD NEW TABLE [OUT]} new=${2:?} table=${3:?}
out=${4:-$top/build/bench/sites-startup}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$old" "$tmp/pmutrace-old"
cp "$new" "$tmp/pmutrace-new"
cp "$table" "$tmp/sites.txt"
rm -rf "$out"
PMUTRACE_LAB_MODE=icount "$top/scripts/lab/run-guest.sh" -k "$("$top/scripts/lab/fetch-kernel.sh" sid)" \
	-s "$top/scripts/bench/guest-sites-startup.sh" -o "$out" -t 600 \
	"$tmp/pmutrace-old" "$tmp/pmutrace-new" "$tmp/sites.txt" >"$tmp/run.log" 2>&1
for b in old new; do
	for i in 1 2 3; do
		awk -v b="$b" -v i="$i" '/: kallsyms read$/ { k = $3 } /: targets resolved$/ { t = $3 }
			/: privileges dropped/ { p = $3 }
			END { printf "%s run %d: site check %.1f ms, start-up to the privilege drop %.1f ms\n", b, i, t - k, p }' \
			"$out/$b.$i.err"
	done
done
