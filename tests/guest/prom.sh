# The guest half of tests/prom-e2e.sh: pmutrace serving /metrics over
# HTTPS with basic auth (/bin/web.yml, made by the host) on the guest's
# port 9435, forwarded to the host; a workload, then an idle spell so the
# host's Prometheus scrapes the final totals before pmutrace ends.
. /bin/lib.sh
for m in $(cat /lib/netmods/order); do
	insmod "/lib/netmods/$m.ko" || echo "insmod $m failed" >>/out/errors.txt
done
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 ||
	echo "no eth0" >>/out/errors.txt
# --prometheus ADDR:0 must say which port it got.
pmutrace -d 1 --no-lock --prometheus 127.0.0.1:0 >/dev/null 2>/out/port0.err
echo $? >/out/port0.rc
# A control for how late pmutrace's -i reports are: a shell loop that
# sleeps 0.5 s, logging uptime and clock, shows what the VM alone delays.
touch /tmp/probe
while [ -e /tmp/probe ]; do
	echo "$(cut -d' ' -f1 /proc/uptime) $(date +%T)"
	sleep 0.5
done >/out/probe.txt &
trace_start prom --prometheus :9435 --web-config /bin/web.yml \
	--textfile /out/metrics.prom -i 2 -j -o /out/prom.json
# Each second, the CPU ticks (utime stime) of pmutrace's two threads.
while [ -e /tmp/probe ]; do
	for t in /proc/$trace_pid/task/*; do
		echo "$(date +%T) $(cat "$t/comm") $(cut -d' ' -f14,15 "$t/stat")"
	done 2>/dev/null
	sleep 1
done >/out/cpu.txt &
# One caller, then four: the graph shows contention arrive.
pmu-stress -t 1 -n 40000 check-ext >/out/prom.stress.1
echo $? >/out/prom.stress.1.rc
sleep 3
pmu-stress -t 4 -n 20000 check-ext >/out/prom.stress.2
echo $? >/out/prom.stress.2.rc
sleep 30
# CPU each pmutrace thread used (utime, stime in ticks): loop and server.
for t in /proc/$trace_pid/task/*; do
	echo "$(cat "$t/comm") $(cut -d' ' -f14,15 "$t/stat")"
done >/out/threads.txt
trace_stop prom
rm /tmp/probe
