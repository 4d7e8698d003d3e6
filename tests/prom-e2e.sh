#!/bin/bash
# prom-e2e.sh SUITE: a real Prometheus on the host's loopback scrapes a live
# pmutrace in the guest (QEMU forwards 127.0.0.1:19435 to the guest's 9435);
# its histogram_quantile(0.99, ...) must agree with pmutrace's own p99, and
# promtool must accept what the guest served and wrote. Prints ok/FAIL lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-sid}
kdir=${2:-$("$top/scripts/fetch-kernel.sh" "$suite")}
out=${E2E_OUT:-$top/build/e2e}/prom-$suite
hport=19435 pport=19090
target=kvm_supports_guest_pmuv3
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"

ok() { echo "ok   prom[$suite] $*"; }
bad() { echo "FAIL prom[$suite] $*"; }
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

rm -rf "$out"
mkdir -p "$out/prometheus"
overlay=$("$top/scripts/fetch-netmods.sh" "$kdir") || { bad "fetch virtio-net modules"; exit 0; }
cat >"$out/prometheus/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: pmutrace
    static_configs:
      - targets: ['127.0.0.1:$hport']
YML
prometheus --config.file="$out/prometheus/prometheus.yml" \
	--storage.tsdb.path="$out/prometheus/data" \
	--web.listen-address=127.0.0.1:$pport >"$out/prometheus/log" 2>&1 &
prom_pid=$!
t0=$(date +%s)
PMUTRACE_GUEST_OVERLAY=$overlay "$top/scripts/run-guest.sh" -k "$kdir" -p $hport:9435 \
	-s "$top/tests/guest/prom.sh" -o "$out" -t 300 "$top/build/arm64/pmutrace" \
	"$top/build/arm64/pmu-stress" "$top/tests/guest/lib.sh" &
guest_pid=$!
trap 'kill $prom_pid $guest_pid 2>/dev/null; wait 2>/dev/null' EXIT

query() { # query PROMQL: the first value of an instant query, or empty
	curl -s --max-time 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
# Wait, bounded, until Prometheus holds the calls tests/guest/prom.sh makes
# (counted or missed); the exact check against pmu-stress's own count
# follows once the guest has ended and its output is here.
want=120000 seen='' missed='' up='' p99=''
for _ in $(seq 1 240); do
	kill -0 $guest_pid 2>/dev/null || break
	seen=$(query "pmutrace_calls_total{target=\"$target\"}")
	missed=$(query "pmutrace_calls_missed_total{target=\"$target\",probe=\"exit\"}")
	[ -n "$seen" ] && up=$(query 'up{job="pmutrace"}')
	if [ -n "$seen" ] && [ $((${seen%.*} + ${missed:-0})) -ge $want ]; then
		sleep 2
		seen=$(query "pmutrace_calls_total{target=\"$target\"}")
		missed=$(query "pmutrace_calls_missed_total{target=\"$target\",probe=\"exit\"}")
		p99=$(query "histogram_quantile(0.99, sum by (le) (pmutrace_call_duration_seconds_bucket{target=\"$target\"}))")
		break
	fi
	sleep 1
done
wait $guest_pid
rc=$?
# The run as Prometheus saw it, kept for scripts/prom-graph.sh.
range() { # range NAME PROMQL
	curl -s --max-time 10 "http://127.0.0.1:$pport/api/v1/query_range" \
		--data-urlencode "query=$2" --data-urlencode "start=$t0" \
		--data-urlencode "end=$(date +%s)" --data-urlencode step=1 >"$out/range-$1.json"
}
range p99 "histogram_quantile(0.99, sum by (le) (rate(pmutrace_call_duration_seconds_bucket{target=\"$target\"}[4s])))"
range calls "rate(pmutrace_calls_total{target=\"$target\"}[4s])"
range contended 'rate(pmutrace_lock_contended_total[4s])'
check "guest ran the scenario (run-guest exit $rc)" test $rc -eq 0
[ -s "$out/errors.txt" ] && bad "guest errors: $(tr '\n' ' ' <"$out/errors.txt")"
check "Prometheus scraped pmutrace in the guest: up == 1" test "$up" = 1
why=$(stress_ran "$out" prom norc)
check "the workload ran ($why)" test $? = 0
exp=$(expected "$out" prom "derived.$target")
check "Prometheus saw every call pmu-stress made: pmutrace_calls_total ${seen:-none} + missed exits ${missed:-none} == $exp (> 0)" \
	count_is "${seen%.*}" "${missed%.*}" "$exp"
own=$(jq -r ".targets[] | select(.name == \"$target\") | .latency_ns.p99" "$out/prom.json" 2>/dev/null)
echo "promql_p99_s=${p99:-none} pmutrace_p99_ns=${own:-none}" >"$out/p99-agreement.txt"
# Prometheus interpolates inside power-of-two buckets, pmutrace inside
# 1/16-wide ones: the two must fall within a factor of 2 of each other.
check "histogram_quantile(0.99) = ${p99:-none} s agrees with pmutrace's p99 = ${own:-none} ns" \
	awk -v p="${p99:-0}" -v o="${own:-0}" 'BEGIN { r = p * 1e9 / o; exit !(o > 0 && r >= 0.5 && r <= 2) }'
for f in scrape-start.txt scrape-end.txt metrics.prom; do
	check "promtool check metrics: $f from the guest" \
		sh -c "[ -s '$out/$f' ] && promtool check metrics <'$out/$f' >'$out/$f.promtool' 2>&1"
done
check "the textfile ends with pmutrace_up 0 (tracing ended)" grep -qx 'pmutrace_up 0' "$out/metrics.prom"
check "pmutrace_info carries the observed patch side" grep -q 'pmutrace_info{.*patch_side="before"' "$out/scrape-end.txt"
check "an unknown path is a 404" grep -q '404' "$out/notfound.err"
check "pmutrace exit 0 with the exporter on" test "$(cat "$out/prom.rc" 2>/dev/null)" = 0
exit 0
