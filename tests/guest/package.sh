#!/bin/sh
# The guest half of tests/package-e2e.sh, run by lab-hook.service on the
# Debian arm64 root (systemd, dpkg, apt) from the test disk, /lab. Results go
# to /lab/out, which the host reads after power-off. Every wait is bounded.
out=/lab/out
deb=$(ls /lab/pmutrace_*_arm64.deb)
tf=/var/lib/prometheus/node-exporter/pmutrace.prom
export PATH="/lab/bin:$PATH" SYSTEMD_PAGER='' SYSTEMD_COLORS=0
say() { echo "@@LAB $*" >/dev/console; }

# wait_for SECONDS CMD...: poll CMD every 0.5 s until it succeeds.
wait_for() {
	n=$(($1 * 2))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.5
	done
}
tracing() { journalctl -q -o cat -u pmutrace --since "@$1" | grep -q '^Tracing'; }
# pmutrace's program names (progs_re), from the busybox lab's helpers.
# shellcheck source=tests/guest/lib.sh
. /lab/lib.sh
ours() { bpf-progs | grep -qE "$progs_re"; }
no_progs() { ! ours; }
scrapes() { sed -n 's/^pmutrace_scrapes_total //p' $tf 2>/dev/null; }
newer_scrape() { [ "$(scrapes)" -gt "$1" ]; }
state() { systemctl show -p "$1" --value pmutrace; }

# Everything on the root file system, for the purge check; the textfile's
# directory is node_exporter's, made before (this root has no node_exporter).
mkdir -p "${tf%/*}"
snapshot() {
	find / -xdev \( -path /lab -o -path /var/log -o -path /var/cache -o \
		-path /var/lib/apt -o -path /var/lib/systemd \) -prune -o -print |
		grep -vE '^/var/lib/dpkg/[^/]*-old$' | sort >"$out/$1"
}
snapshot files-before.txt

say "installing $deb"
apt-get install -y "$deb" >"$out/install.log" 2>&1
echo $? >"$out/install.rc"
[ "$(cat "$out/install.rc")" = 0 ] || exit 1
systemctl is-enabled pmutrace >"$out/enabled-after-install.txt" 2>&1
systemctl is-active pmutrace >"$out/active-after-install.txt" 2>&1
systemd-analyze verify --man=no /lib/systemd/system/pmutrace.service >"$out/verify.txt" 2>&1
echo $? >"$out/verify.rc"
systemd-analyze security pmutrace.service >"$out/security.txt" 2>&1
# The shipped inline-site tables: found by this kernel's build-id.
pmutrace check --sites auto --no-lock >"$out/check-auto.txt" 2>&1

# Linux 6.1 needs the shipped drop-in (its comment says why): the README's
# step for bookworm kernels.
if ! grep -q ' bpf_task_from_pid$' /proc/kallsyms; then
	mkdir -p /etc/systemd/system/pmutrace.service.d
	cp /usr/share/doc/pmutrace/examples/pmutrace-linux-6.1.conf \
		/etc/systemd/system/pmutrace.service.d/linux-6.1.conf
	systemctl daemon-reload
	echo linux-6.1.conf >"$out/dropin.txt"
fi

# The operator's edit: metrics on every address (the host reaches the guest
# through QEMU's forward), and the textfile every 2 s.
sed -i 's|^ARGS=.*|ARGS="--prometheus :9435 --textfile '$tf' -i 2"|' /etc/default/pmutrace
t0=$(date +%s)
systemctl enable --now pmutrace >"$out/enable.log" 2>&1
echo $? >"$out/enable.rc"
wait_for 120 tracing "$t0" && echo 1 >"$out/tracing"
say "service started: $(state ActiveState), tracing: $(cat "$out/tracing" 2>/dev/null)"
pid=$(state MainPID)
grep -E '^(Uid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid/status" >"$out/proc-status.txt"
# --textfile's monitor: the service's one child.
mon=$(child_of "$pid")
[ -n "$mon" ] && grep -E '^(Uid|CapEff|CapBnd):' "/proc/$mon/status" >"$out/monitor-status.txt"
bpf-progs >"$out/progs-running.txt"

# The workload: every PMU path, known counts.
for w in "1 20 vcpu-init" "1 100 set-pmu" "2 2000 check-ext"; do
	# shellcheck disable=SC2086 # THREADS ITERATIONS SCENARIO
	set -- $w
	pmu-stress -t "$1" -n "$2" "$3" >"$out/stress.$3" 2>&1
	echo $? >"$out/stress.$3.rc"
done
sleep 3 # one textfile interval past the workload
s0=$(scrapes)
say "WORKLOAD-DONE scrapes=${s0:-none}"
# The host scrapes now; its scrape shows in the next textfile.
[ -n "$s0" ] && wait_for 120 newer_scrape "$s0" && echo 1 >"$out/host-scraped"

# Restart=on-failure: a SIGKILL is a failure, systemd starts it again.
t1=$(date +%s)
systemctl kill -s KILL pmutrace
wait_for 60 tracing "$t1" && state NRestarts >"$out/restarts.txt"

say "restarted: $(cat "$out/restarts.txt" 2>/dev/null); stopping"
systemctl stop pmutrace
echo "$(state Result) $(state ExecMainStatus)" >"$out/stop-result.txt"
wait_for 10 no_progs
bpf-progs >"$out/progs-stopped.txt"
echo $? >"$out/progs-stopped.rc"
journalctl -q -o cat -u pmutrace >"$out/journal.txt"
cp $tf "$out/textfile-at-stop.prom" 2>/dev/null

# What attaching needs on this kernel: the unit's capabilities, then each
# one left out, as the same transient user, for one traced second. (A copy
# of the unit: systemd-run needs D-Bus, which this root has not.)
all="CAP_BPF CAP_PERFMON CAP_SYSLOG CAP_SETPCAP CAP_DAC_OVERRIDE"
caps_unit=/run/systemd/system/pmutrace-caps.service
inactive() { [ "$(systemctl show -p ActiveState --value pmutrace-caps)" != active ]; }
for drop in none $all; do
	set=$(echo "$all" | tr ' ' '\n' | grep -vx "$drop" | paste -sd' ')
	sed -e "s|^ExecStart=.*|ExecStart=/usr/sbin/pmutrace -d 1|" -e 's|^Restart=.*|Restart=no|' \
		-e "s|^CapabilityBoundingSet=.*|CapabilityBoundingSet=$set|" \
		-e "s|^AmbientCapabilities=.*|AmbientCapabilities=$set|" \
		/lib/systemd/system/pmutrace.service >$caps_unit
	systemctl daemon-reload
	t=$(date +%s)
	systemctl start pmutrace-caps
	sleep 1
	wait_for 90 inactive
	echo "without $drop: exit $(systemctl show -p ExecMainStatus --value pmutrace-caps);" \
		"$(journalctl -q -o cat -u pmutrace-caps --since "@$t" | grep -E '^(Tracing|pmutrace:)' |
			head -n 2 | cut -c1-200 | paste -sd'|')" >>"$out/caps-matrix.txt"
done
rm -f $caps_unit
systemctl daemon-reload

rm -rf /etc/systemd/system/pmutrace.service.d
say "purging"
apt-get purge -y pmutrace >"$out/purge.log" 2>&1
echo $? >"$out/purge.rc"
systemctl daemon-reload
systemctl list-unit-files 'pmutrace*' >"$out/units-after-purge.txt" 2>&1
dpkg -l pmutrace >"$out/dpkg-after-purge.txt" 2>&1
snapshot files-after.txt
