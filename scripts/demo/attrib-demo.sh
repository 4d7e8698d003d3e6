#!/bin/bash
# attrib-demo.sh [OUT_DIR]: the worked example of README's "Diagnosing a
# host": boot Debian sid's arm64 cloud kernel, run
# scripts/demo/guest-attrib-demo.sh (two VMMs in two machine.slice scopes), and
# keep pmutrace's output and what each VMM did in OUT_DIR (default
# docs/attrib/raw), with the commands that made them.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. scripts/lib.sh
out=${1:-docs/attrib/raw}
make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs >&2
kdir=$(scripts/lab/fetch-kernel.sh sid)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/lab/run-guest.sh -k "$kdir" -s scripts/demo/guest-attrib-demo.sh -o "$tmp" -t 600 \
	build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs tests/guest/lib.sh ||
	die "the guest did not finish; see $tmp/console.log"
rm -rf "$out"
mkdir -p "$out"
for by in process cgroup; do
	cp "$tmp/demo-$by.out" "$out/demo-$by.txt"
	cp "$tmp/demo-$by.err" "$out/demo-$by.err"
	cp "$tmp/$by"-stress.* "$out/"
done
{
	echo "made by: scripts/demo/attrib-demo.sh $out"
	echo "kernel: $(cat "$kdir/release") (QEMU TCG, 2 vCPUs)"
	echo "pmutrace: $(git describe --always --dirty)"
	echo "in the guest: pmutrace --by process|cgroup --owners --vms --top 5, ended by Ctrl-C (SIGINT)"
	echo "while (scripts/demo/guest-attrib-demo.sh):"
	sed -n 's/^\tvmm /  vmm /p' scripts/demo/guest-attrib-demo.sh
} >"$out/README"
echo "attrib-demo: $out" >&2
