#!/bin/bash
# soak.sh [SECONDS]: pmutrace traces Debian sid's 7.2 kernel in QEMU under a
# steady workload for SECONDS (default 1200), its RSS sampled every 30 s;
# writes docs/soak.md. A benchmark that prints figures, not a timed test.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
seconds=${1:-1200}
[ "$(id -u)" -eq 0 ] || { echo "soak.sh: run as root" >&2; exit 1; }
scripts/install-deps.sh >&2
make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs >&2
kdir=$(scripts/lab/fetch-kernel.sh sid)
scen=$(mktemp)
trap 'rm -f "$scen"' EXIT
{ echo "SOAK_SECONDS=$seconds"; cat scripts/soak/guest-soak.sh; } >"$scen"
out=build/soak
rm -rf "$out"
scripts/lab/run-guest.sh -k "$kdir" -s "$scen" -o "$out" -t $((seconds + 300)) \
	build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs tests/guest/lib.sh
first=$(awk -F, 'NR > 2 && $1 >= 60 { print $2; exit }' "$out/rss.csv")
last=$(tail -n 1 "$out/rss.csv" | cut -d, -f2)
max=$(awk -F, 'NR > 1 && $1 >= 60 { if ($2 > m) m = $2 } END { print m }' "$out/rss.csv")
min=$(awk -F, 'NR > 1 && $1 >= 60 { if (m == "" || $2 < m) m = $2 } END { print m }' "$out/rss.csv")
calls=$(jq '[.targets[].count] | add' "$out/soak.json")
{
	echo "# Soak: pmutrace's memory over $((seconds / 60)) minutes"
	echo
	echo "Measured by \`sudo scripts/soak/soak.sh $seconds\` on $(date -u +%Y-%m-%d) in QEMU (Debian sid's $(cat "$kdir/release"), 2 vCPUs, TCG)."
	echo "pmutrace ran in default mode with \`-i 60 --textfile … -j\`. Meanwhile a loop ran \`pmu-stress\`: check-ext ×4000, vcpu-init ×2 and set-pmu ×50, over and over."
	echo "Its RSS was read from \`/proc/PID/status\` every 30 s; [soak/rss.csv](soak/rss.csv) has every sample."
	echo
	echo "- Traced calls: $calls. pmutrace's exit code: $(cat "$out/soak.rc")."
	echo "- RSS after the first minute: first ${first} kB, last ${last} kB, min ${min} kB, max ${max} kB ($((max - min)) kB spread)."
	echo "- Peak RSS (VmHWM) at the end: $(tail -n 1 "$out/rss.csv" | cut -d, -f3) kB."
	echo
	echo "| seconds | VmRSS kB | VmHWM kB |"
	echo "|---:|---:|---:|"
	awk -F, 'NR > 1 && (($1 % 120) < 30 || NR == 2) { print "| " $1 " | " $2 " | " $3 " |" }' "$out/rss.csv"
} >docs/soak.md
mkdir -p docs/soak
cp "$out/rss.csv" docs/soak/rss.csv
echo "soak: wrote docs/soak.md" >&2
