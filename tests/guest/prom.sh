# The guest half of tests/prom-e2e.sh: pmutrace serving /metrics on the
# guest's port 9435 (forwarded to the host), a workload, then an idle spell
# so the host's Prometheus scrapes the final totals before pmutrace ends.
. /bin/lib.sh
for m in failover net_failover virtio_net; do
	insmod "/lib/netmods/$m.ko" || echo "insmod $m failed" >>/out/errors.txt
done
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 ||
	echo "no eth0" >>/out/errors.txt
trace_start prom --prometheus :9435 --textfile /out/metrics.prom -i 2 \
	-j -o /out/prom.json
wget -q -O /out/scrape-start.txt http://127.0.0.1:9435/metrics
# One caller, then four: the graph shows contention arrive.
pmu-stress -t 1 -n 40000 check-ext >/out/prom.stress.1
sleep 3
pmu-stress -t 4 -n 20000 check-ext >/out/prom.stress.2
sleep 12
wget -q -O /out/scrape-end.txt http://127.0.0.1:9435/metrics
wget -q -O /out/notfound.txt http://127.0.0.1:9435/nope 2>/out/notfound.err
trace_stop prom
