#!/bin/bash
# pmutrace.sh [PMUTRACE OPTIONS]: the main job, on any Debian machine, as root.
#  - On an arm64 KVM host: install, build, and run pmutrace itself.
#  - Anywhere else: install, build static arm64 binaries, fetch Debian's
#    arm64 cloud kernels (sid 7.x and trixie 6.12), boot each in QEMU, and
#    run pmutrace there while pmu-stress starts VMs, sets PMUs and checks
#    the PMU capability. Each kernel's output is printed and kept in
#    build/lab/<suite>/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0 $*"
scripts/install-deps.sh >&2
if [ "$(uname -m)" = aarch64 ] && [ -e /dev/kvm ]; then
	make -s ARCH=arm64 build/arm64/pmutrace >&2
	exec build/arm64/pmutrace "$@"
fi

make -s ARCH=arm64 build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs >&2
rc=0
for suite in ${PMUTRACE_SUITES:-sid trixie}; do
	kdir=$(scripts/lab/fetch-kernel.sh "$suite")
	out=build/lab/$suite
	scen=$(mktemp)
	printf 'PMUTRACE_ARGS="%s"\n' "$*" >"$scen"
	cat scripts/demo/guest-demo.sh >>"$scen"
	echo "== Debian $suite: $(cat "$kdir/release") in QEMU (pmutrace $*)" >&2
	if scripts/lab/run-guest.sh -k "$kdir" -s "$scen" -o "$out" -t 300 \
		build/arm64/pmutrace build/arm64/pmu-stress build/arm64/bpf-progs tests/guest/lib.sh &&
		[ "$(cat "$out/scenario.rc" 2>/dev/null)" = 0 ]; then
		cat "$out/trace.err" >&2
		cat "$out/trace.out"
		grep -h '^ioctl\.\|^scenario=' "$out"/stress.* | paste -sd' ' | sed 's/^/pmu-stress: /' >&2
	else
		echo "pmutrace.sh: the $suite guest failed; see $out/scenario.log and $out/console.log" >&2
		rc=1
	fi
	rm -f "$scen"
done
exit $rc
