# shellcheck shell=sh disable=SC2154 # trace_pid: set by tests/guest/lib.sh
# The guest half of scripts/soak/soak.sh (busybox sh): pmutrace in default mode
# with interval printing and a textfile, under a steady workload, for
# SOAK_SECONDS (prepended by soak.sh); its RSS sampled every 30 s.
. /bin/lib.sh
trace_start soak -i 60 --textfile /out/soak.prom -j -o /out/soak.json
(
	while [ ! -e /out/stop ]; do
		pmu-stress -t 2 -n 2000 check-ext >/dev/null
		pmu-stress -t 1 -n 2 vcpu-init >/dev/null
		pmu-stress -t 1 -n 50 set-pmu >/dev/null
	done
) &
load=$!
start=$(cut -d. -f1 /proc/uptime)
echo "seconds,vm_rss_kb,vm_hwm_kb" >/out/rss.csv
while :; do
	now=$(($(cut -d. -f1 /proc/uptime) - start))
	echo "$now,$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$trace_pid/status),$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$trace_pid/status)" >>/out/rss.csv
	[ $now -ge "$SOAK_SECONDS" ] && break
	sleep 30
done
touch /out/stop
wait $load
trace_stop soak
