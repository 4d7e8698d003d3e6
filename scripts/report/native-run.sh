#!/bin/sh
# native-run.sh [-l LABEL] [-b BOOT] [-t "THREADS"] [-s full|small] [-m FILE]
#               [-o DIR | ROOT]
# The report's scenario matrix on the running kernel: every scenario of
# pmu-stress at each thread count, traced by pmutrace in default mode, then
# each scenario once more with --hold (lock acquisitions per call). One boot,
# one folder: ROOT/LABEL-BOOT/ (or exactly DIR with -o) gets each cell's
# pmutrace JSON (CELL.json) and pmu-stress output (CELL.stress), `pmutrace
# check`'s verdicts (check.txt) and meta.txt (key=value lines: kernel, build
# id, patch side, CPU, PMUs, preemption model, load, times).
#
# Needs only the static binaries pmutrace and pmu-stress (next to this
# script, in $PMUTRACE_BIN, or on PATH) and a POSIX sh with coreutils or
# busybox: the QEMU lab runs this same script inside its guests.
#   -l LABEL  the kernel's name in the report (default: the patch side that
#             `pmutrace check` observes: before, after or unknown)
#   -b BOOT   this boot's name (default: the first 8 characters of boot_id)
#   -t LIST   thread counts (default "1 2 4 8"); -s small: a tenth of the work
#   -m FILE   key=value lines to add to meta.txt (the lab's host, accelerator)
# Exit: 0 done, 1 a run failed, 2 bad usage, 3 host not ready (one line why).
set -eu

die() {
	echo "native-run: $2" >&2
	exit "$1"
}
usage="usage: native-run.sh [-l LABEL] [-b BOOT] [-t THREADS] [-s full|small] [-m FILE] [-o DIR | ROOT]"
label='' boot='' threads='1 2 4 8' size=full extra='' dir=''
while getopts l:b:t:s:m:o: opt; do
	case $opt in
	l) label=$OPTARG ;;
	b) boot=$OPTARG ;;
	t) threads=$OPTARG ;;
	s) size=$OPTARG ;;
	m) extra=$OPTARG ;;
	o) dir=$OPTARG ;;
	*) die 2 "$usage" ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$dir" ] || [ $# -eq 1 ] || die 2 "$usage"
case $size in full) scale=1 ;; small) scale=10 ;; *) die 2 "-s is full or small, not '$size'" ;; esac
for t in $threads; do
	case $t in '' | *[!0-9]*) die 2 "-t takes thread counts such as \"1 4\", not '$threads'" ;; esac
done
[ -z "$extra" ] || [ -r "$extra" ] || die 2 "cannot read -m $extra"

here=$(cd "$(dirname "$0")" && pwd)
PATH=${PMUTRACE_BIN:+$PMUTRACE_BIN:}$here:$PATH
for b in pmutrace pmu-stress; do
	command -v $b >/dev/null || die 3 "$b not found: put the static binaries next to this script or in \$PMUTRACE_BIN"
done

# Refuse a host that is not ready, in one line: check's first failing verdict.
check=$(pmutrace check 2>&1) || die 3 "host not ready: $(printf '%s\n' "$check" | grep -E 'FAIL|absent|pmutrace:' | head -n 1 | sed 's/^ *//')"
side=$(printf '%s\n' "$check" | sed -n 's/^ *patch side  *\([a-z]*\).*/\1/p')
[ -n "$label" ] || label=${side:-unknown}
[ -n "$boot" ] || boot=$(cut -c1-8 /proc/sys/kernel/random/boot_id)
[ -n "$dir" ] || dir=$1/$label-$boot
mkdir -p "$dir"
[ ! -e "$dir/meta.txt" ] || die 2 "$dir already holds a run (meta.txt); give another folder"
printf '%s\n' "$check" >"$dir/check.txt"

cpu_model() {
	m=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	[ -n "$m" ] && echo "$m" && return 0
	sed -n 's/^CPU implementer[[:space:]]*: /implementer /p; s/^CPU part[[:space:]]*: /part /p' /proc/cpuinfo |
		head -n 2 | paste -sd' ' -
}
board() {
	if [ -r /proc/device-tree/model ]; then
		tr -d '\0' </proc/device-tree/model
	else
		first /sys/class/dmi/id/product_name
	fi
}
meta() { printf '%s=%s\n' "$1" "$2" >>"$dir/meta.txt"; }
first() { if [ -r "$1" ]; then head -n 1 "$1"; fi; }

# The GNU build id note (type 3, name "GNU") in the kernel's own notes.
build_id() {
	[ -r /sys/kernel/notes ] || return 0
	od -An -v -tx1 /sys/kernel/notes | awk '
		{ for (i = 1; i <= NF; i++) b[n++] = $i }
		function le(at) { return h(b[at]) + 256 * (h(b[at + 1]) + 256 * (h(b[at + 2]) + 256 * h(b[at + 3]))) }
		function h(x) { return index("0123456789abcdef", substr(x, 1, 1)) * 16 + index("0123456789abcdef", substr(x, 2, 1)) - 17 }
		END {
			for (at = 0; at + 12 <= n;) {
				nsz = le(at); dsz = le(at + 4); type = le(at + 8)
				d = at + 12 + int((nsz + 3) / 4) * 4
				if (type == 3 && b[at + 12] == "47" && b[at + 13] == "4e" && b[at + 14] == "55") {
					for (i = 0; i < dsz; i++) printf "%s", b[d + i]
					print ""
					exit
				}
				at = d + int((dsz + 3) / 4) * 4
			}
		}'
}

# Preemption: the dynamic mode where the kernel has one (the word in
# parentheses), and the build's model from uname -v and the config.
preempt_dynamic() {
	f=/sys/kernel/debug/sched/preempt
	mounted=''
	if [ ! -r $f ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null; then
		mounted=1
	fi
	if [ -r $f ]; then cat $f; fi
	if [ -n "$mounted" ]; then umount /sys/kernel/debug 2>/dev/null || true; fi
}
kconfig() {
	if [ -r /proc/config.gz ]; then
		gzip -dc /proc/config.gz
	elif [ -r "/boot/config-$(uname -r)" ]; then
		cat "/boot/config-$(uname -r)"
	fi
}

meta schema pmutrace-boot/1
meta label "$label"
meta boot "$boot"
meta boot_id "$(first /proc/sys/kernel/random/boot_id)"
meta matrix "size=$size threads=$threads"
meta kernel_release "$(uname -r)"
meta kernel_version "$(uname -v)"
meta machine "$(uname -m)"
meta build_id "$(build_id)"
meta patch_side_check "${side:-unknown}"
meta cpu_midr "$(first /sys/devices/system/cpu/cpu0/regs/identification/midr_el1)"
meta cpu_model "$(cpu_model)"
meta board "$(board)"
meta cpus "$(grep -c '^processor' /proc/cpuinfo)"
meta cpus_online "$(first /sys/devices/system/cpu/online)"
for d in /sys/bus/event_source/devices/*; do
	[ -r "$d/type" ] && meta pmu "${d##*/} type=$(cat "$d/type")"
done
for d in /sys/devices/*pmu*; do
	[ -d "$d" ] && meta pmu_device "${d##*/} cpus=$(first "$d/cpus")"
done
meta preempt_dynamic "$(preempt_dynamic)"
meta bpf_jit_enable "$(first /proc/sys/net/core/bpf_jit_enable)"
kconfig | grep -E '^CONFIG_(PREEMPT[A-Z_]*|HZ[A-Z_0-9]*|NO_HZ[A-Z_]*|BPF_JIT[A-Z_]*)=' | while read -r c; do meta config "$c"; done
[ -z "$extra" ] || grep -E '^[a-z][a-z0-9_]*=' "$extra" >>"$dir/meta.txt"
meta load_start "$(first /proc/loadavg)"
meta start "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
meta uptime_start "$(cut -d' ' -f1 /proc/uptime)"

# total SCENARIO: calls per cell, split over the threads (same work per
# cell); at least one per thread.
total() {
	case $1 in
	vcpu-init) n=48 ;;
	set-pmu) n=2000 ;;
	check-ext) n=20000 ;;
	esac
	echo $((n / scale))
}
per_thread() {
	n=$(($(total "$1") / $2))
	[ $n -gt 0 ] && echo $n || echo 1
}

# cell NAME LABEL THREADS N SCENARIO [PMUTRACE ARGS]: one traced run.
failed=0
cell() {
	name=$1 lbl=$2 t=$3 n=$4 s=$5
	shift 5
	pmutrace "$@" -j -o "$dir/$name.json" --label "$lbl" >/dev/null 2>"$dir/$name.err" &
	pid=$!
	i=0
	while ! grep -q '^Tracing' "$dir/$name.err" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
			echo "native-run: $name: pmutrace did not start: $(tail -n 1 "$dir/$name.err")" >&2
			kill $pid 2>/dev/null || true
			failed=1
			return 0
		fi
		sleep 0.1
	done
	rc=0
	pmu-stress -t "$t" -n "$n" "$s" >"$dir/$name.stress" || rc=$?
	kill -INT $pid
	prc=0
	wait $pid || prc=$?
	echo "stress=$rc pmutrace=$prc" >"$dir/$name.rc"
	[ $rc -eq 0 ] && [ $prc -eq 0 ] || failed=1
}

for s in vcpu-init set-pmu check-ext; do
	for t in $threads; do
		cell "$s-t$t" "$s t=$t" "$t" "$(per_thread "$s" "$t")" "$s"
	done
	cell "hold-$s" "$s t=1 hold" 1 "$(per_thread "$s" 4)" "$s" --hold
done

meta end "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
meta uptime_end "$(cut -d' ' -f1 /proc/uptime)"
meta load_end "$(first /proc/loadavg)"
echo "native-run: $dir: $label on $(uname -r), $(find "$dir" -name '*.json' | wc -l) runs" >&2
[ $failed -eq 0 ] || die 1 "some runs failed; see $dir/*.err and *.rc"
