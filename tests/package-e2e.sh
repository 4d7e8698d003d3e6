#!/bin/bash
# package-e2e.sh [SUITE]: the Debian package on a real Debian arm64 userland
# with systemd. Builds the .deb (scripts/package/build-deb.sh), boots the cached
# bookworm arm64 root (scripts/lab/mkroot.sh; built on first use) with the
# arm64 kernel of Debian SUITE (default sid), and there (tests/guest/package.sh): installs it with apt,
# systemctl enable --now pmutrace, runs pmu-stress, while this host scrapes
# /metrics through QEMU's forward on 127.0.0.1; then SIGKILL (restart),
# systemctl stop (no BPF program left) and purge (no file left).
# Prints ok/FAIL/skip lines, and what the run cost.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-sid}
out=${E2E_OUT:-$top/build/e2e}/package-$suite
hport=19437

TEST_NAME="package[$suite]"
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip package[$suite]: needs root (debootstrap, image file owners)"
	exit 0
fi
t0=$(date +%s)
rm -rf "$out"
mkdir -p "$out/disk/bin" "$out/disk/out"

deb=$("$top/scripts/package/build-deb.sh" 2>"$out/build-deb.err") || {
	bad "dpkg-buildpackage -aarm64 -B: $(tail -n 1 "$out/build-deb.err")"
	exit 0
}
ok "dpkg-buildpackage -aarm64 -B built ${deb##*/}"
lint=$top/build/deb/lintian.txt
check "lintian: no errors, no warnings ($(grep -c '^[EW]: ' "$lint") E/W, $(grep -c '^[IPXO]: ' "$lint") I/P/X/O tags)" \
	sh -c "! grep -q '^[EW]: ' '$lint'"
check "pmutrace links Debian's shared libraries (Depends: $(dpkg-deb -f "$deb" Depends))" \
	sh -c "dpkg-deb -f '$deb' Depends | grep -q libbpf1"
# The inline-site tables of Debian's kernels (data/sites/), for --sites auto.
dpkg-deb -c "$deb" >"$out/contents.txt"
for t in "$top"/data/sites/*.sites; do
	check "the .deb ships ${t##*/} in /usr/share/pmutrace/sites" \
		grep -q " \./usr/share/pmutrace/sites/${t##*/}\$" "$out/contents.txt"
done
t1=$(date +%s)
make -s -C "$top" ARCH=arm64 build/arm64/pmu-stress build/arm64/bpf-progs >"$out/make.log" 2>&1 ||
	{ bad "make ARCH=arm64 pmu-stress bpf-progs (see $out/make.log)"; exit 0; }
kdir=$("$top/scripts/lab/fetch-kernel.sh" "$suite") || { bad "fetch the $suite kernel"; exit 0; }
t2=$(date +%s)
root=$("$top/scripts/lab/mkroot.sh" bookworm 2>"$out/mkroot.err") || {
	bad "bookworm arm64 root: $(tail -n 1 "$out/mkroot.err")"
	exit 0
}
t3=$(date +%s)
ok "bookworm arm64 root with systemd: $root"

cp "$deb" "$out/disk/"
cp "$top/tests/guest/package.sh" "$out/disk/run.sh"
cp "$top/tests/guest/lib.sh" "$out/disk/lib.sh"
cp "$top/build/arm64/pmu-stress" "$top/build/arm64/bpf-progs" "$out/disk/bin/"
mke2fs -q -t ext4 -d "$out/disk" "$out/data.img" 256M >/dev/null
"$top/scripts/lab/boot-root.sh" -k "$kdir" -r "$root" -d "$out/data.img" \
	-p "$hport:9435" -t 900 -l "$out/console.log" &
guest=$!
trap 'kill $guest 2>/dev/null; wait 2>/dev/null' EXIT

# The guest says when its workload is done and waits for this scrape.
seen=0
for _ in $(seq 1 1200); do
	kill -0 $guest 2>/dev/null || break
	if grep -qa '@@LAB WORKLOAD-DONE' "$out/console.log" 2>/dev/null; then
		seen=1
		curl -s --max-time 20 "http://127.0.0.1:$hport/metrics" >"$out/metrics.txt"
		break
	fi
	sleep 0.5
done
wait $guest
rc=$?
t4=$(date +%s)
debugfs -R "rdump /out $out" "$out/data.img" >/dev/null 2>&1
g=$out/out
if [ "$rc" -ne 0 ] || [ ! -s "$g/run.rc" ]; then
	bad "guest booted systemd, ran the test and powered off (QEMU exit $rc; see $out/console.log)"
	exit 0
fi
ok "guest booted systemd, ran the test and powered off"
check "apt-get install the .deb offline (exit $(cat "$g/install.rc" 2>/dev/null))" \
	test "$(cat "$g/install.rc" 2>/dev/null)" = 0
check "installed but not enabled or started ($(cat "$g/enabled-after-install.txt" "$g/active-after-install.txt" 2>/dev/null | paste -sd/))" \
	test "$(cat "$g/enabled-after-install.txt" "$g/active-after-install.txt" 2>/dev/null | paste -sd/)" = disabled/inactive
check "systemd-analyze verify pmutrace.service: clean" \
	sh -c "[ \"\$(cat '$g/verify.rc' 2>/dev/null)\" = 0 ] && [ ! -s '$g/verify.txt' ]"
score=$(sed -n 's/.*Overall exposure level for pmutrace.service: //p' "$g/security.txt" 2>/dev/null)
check "systemd-analyze security pmutrace.service: exposure ${score:-none}" test -n "$score"
check "systemctl enable --now pmutrace: it says Tracing" test -s "$g/tracing"
# The unit must leave /proc/kallsyms readable (ProtectKernelTunables hides
# it): the lock is found there.
if grep -q '^CONFIG_KALLSYMS_ALL=y' "$kdir/config"; then
	check "the service watches arm_pmus_lock ($(grep -m1 -o 'lock arm_pmus_lock[^.]*' "$g/journal.txt" 2>/dev/null || grep -m1 'lock' "$g/journal.txt" 2>/dev/null | cut -c1-120))" \
		sh -c "grep -q '^Tracing .*; lock arm_pmus_lock' '$g/journal.txt' && grep -q '^pmutrace_lock_contended_total{lock=\"arm_pmus_lock\"' '$out/metrics.txt'"
else
	echo "skip package[$suite]: this kernel has no CONFIG_KALLSYMS_ALL: no lock to watch"
fi
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' "$g/proc-status.txt" 2>/dev/null)
uid=$(awk '/^Uid:/ { print $2 }' "$g/proc-status.txt" 2>/dev/null)
# CAP_BPF (39) only: --textfile is its monitor's, which keeps
# CAP_DAC_OVERRIDE (1) only, as the same dynamic user.
check "running as a dynamic user (uid ${uid:-none}) with CapEff ${capeff:-none} = CAP_BPF" \
	sh -c "[ '${capeff:-}' = 0000008000000000 ] && [ '${uid:-0}' -ne 0 ]"
mcap=$(sed -n 's/^CapEff:[[:space:]]*//p' "$g/monitor-status.txt" 2>/dev/null)
muid=$(awk '/^Uid:/ { print $2 }' "$g/monitor-status.txt" 2>/dev/null)
check "its --textfile monitor: uid ${muid:-none}, CapEff ${mcap:-none} = CAP_DAC_OVERRIDE" \
	sh -c "[ '${mcap:-}' = 0000000000000002 ] && [ '${muid:-none}' = '${uid:-}' ]"
check "NoNewPrivs and a seccomp filter" \
	sh -c "grep -q '^NoNewPrivs:.*1' '$g/proc-status.txt' && grep -q '^Seccomp:.*2' '$g/proc-status.txt'"
check "positive control: bpf-progs lists pmutrace's programs while it runs ($(grep -cE "$PROGS_RE" "$g/progs-running.txt" 2>/dev/null))" \
	grep -qE "$PROGS_RE" "$g/progs-running.txt"

for s in vcpu-init set-pmu check-ext; do
	check "pmu-stress $s exit 0" test "$(cat "$g/stress.$s.rc" 2>/dev/null)" = 0
done
check "the host scraped /metrics through QEMU's forward after the workload" \
	sh -c "[ $seen = 1 ] && grep -q '^pmutrace_up 1' '$out/metrics.txt' && [ -s '$g/host-scraped' ]"
# What pmu-stress says the kernel did, against calls + missed exits.
metric() { # metric NAME TARGET [PROBE]: one sample's value, or empty
	awk -v n="$1" -v t="target=\"$2\"" -v p="${3:+probe=\"$3\"}" \
		'index($1, n "{") == 1 && index($1, t) && (p == "" || index($1, p)) { print $2 + 0 }' \
		"$out/metrics.txt" | head -n 1
}
sum() { awk '{ s += $1 } END { print s + 0 }'; }
counted=0
for t in kvm_pmu_probe_armpmu kvm_arm_pmu_v3_set_pmu kvm_supports_guest_pmuv3; do
	# Which readers a kernel has differs (tests/e2e.sh): not all are counted.
	grep -q "^pmutrace_target_info{target=\"$t\",mode=\"\(direct\|caller\)\"" "$out/metrics.txt" 2>/dev/null ||
		continue
	counted=$((counted + 1))
	if [ "$suite" = bookworm ] && [ $t = kvm_pmu_probe_armpmu ]; then
		# 6.1 probes the default PMU on a VM's first PMU attribute.
		want=$(sed -n 's/^ioctl\.KVM_CREATE_VM=//p' "$g/stress.set-pmu" 2>/dev/null | sum)
	else
		want=$(cat "$g"/stress.* 2>/dev/null | sed -n "s/^derived\.$t=//p" | sum)
	fi
	calls=$(metric pmutrace_calls_total "$t")
	missed=$(metric pmutrace_calls_missed_total "$t" exit)
	got=$((${calls:-0} + ${missed:-0}))
	check "$t: scraped calls ${calls:-none} + missed exits ${missed:-none} = pmu-stress's $want (> 0)" \
		sh -c "[ -n '$calls' ] && [ $want -gt 0 ] && [ $got -eq $want ]"
done
check "at least one PMU reader counted ($counted)" test $counted -gt 0
check "Restart=on-failure: after SIGKILL systemd started it again (NRestarts $(cat "$g/restarts.txt" 2>/dev/null))" \
	test "$(cat "$g/restarts.txt" 2>/dev/null)" = 1
check "systemctl stop: SIGTERM ends it cleanly (Result, exit: $(cat "$g/stop-result.txt" 2>/dev/null))" \
	test "$(cat "$g/stop-result.txt" 2>/dev/null)" = "success 0"
check "the report went to the journal at stop" grep -q '^patch side:' "$g/journal.txt"
check "the textfile says pmutrace_up 0 after the stop" grep -qx 'pmutrace_up 0' "$g/textfile-at-stop.prom"
check "after systemctl stop, bpf-progs works ($(wc -l <"$g/progs-stopped.txt" 2>/dev/null) systemd programs) and lists none of pmutrace's" \
	sh -c "[ \"\$(cat '$g/progs-stopped.rc' 2>/dev/null)\" = 0 ] && ! grep -qE '$PROGS_RE' '$g/progs-stopped.txt'"
check "apt-get purge pmutrace (exit $(cat "$g/purge.rc" 2>/dev/null))" test "$(cat "$g/purge.rc" 2>/dev/null)" = 0
check "purged: dpkg knows no pmutrace, systemd no pmutrace unit" \
	sh -c "! grep -q '^[a-z][a-z] *pmutrace' '$g/dpkg-after-purge.txt' && grep -q '^0 unit files' '$g/units-after-purge.txt'"
diff "$g/files-before.txt" "$g/files-after.txt" >"$out/files.diff" 2>&1
check "purged: the root's files are those before the install ($(grep -c '^[<>]' "$out/files.diff") differ)" \
	sh -c "[ -s '$g/files-before.txt' ] && [ ! -s '$out/files.diff' ]"
# sid's kernel has a shipped table: --sites auto finds it by build-id.
if [ -f "$top/data/sites/$(readelf -n "$kdir/vmlinux-dbg" 2>/dev/null | awk '/Build ID:/ { print $3; exit }').sites" ]; then
	check "pmutrace check --sites auto: the shipped table of this kernel times the inlined readers at their sites: $(grep -m1 kvm_arm_pmu_v3_set_pmu "$g/check-auto.txt")" \
		grep -q '^  kvm_arm_pmu_v3_set_pmu  *inline (' "$g/check-auto.txt"
else
	echo "skip $TEST_NAME pmutrace check --sites auto: data/sites/ has no table of the $suite kernel"
fi
sed 's/^/  /' "$g/caps-matrix.txt" 2>/dev/null
echo "package-e2e[$suite]: $(($(date +%s) - t0)) s in all: package $((t1 - t0)) s, root $((t3 - t2)) s" \
	"($(grep -o 'built in .*' "$out/mkroot.err" 2>/dev/null || echo cached)), guest $((t4 - t3)) s"
exit 0
