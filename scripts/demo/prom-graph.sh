#!/bin/bash
# prom-graph.sh [E2E_DIR]: draw what the real Prometheus of tests/prom-e2e.sh
# scraped from pmutrace (calls/s, p99 from histogram_quantile, contended
# waits/s) into docs/prometheus/graph.svg with gnuplot.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
in=${1:-$top/build/e2e/prom-sid}
outfile=$top/docs/prometheus/graph.svg
command -v gnuplot >/dev/null || apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null
for n in p99 calls contended; do
	[ -s "$in/range-$n.json" ] || { echo "prom-graph: no $in/range-$n.json: run tests/prom-e2e.sh first" >&2; exit 1; }
	jq -r '.data.result[0].values[]? | "\(.[0]) \(.[1])"' "$in/range-$n.json" |
		grep -v NaN >"$in/$n.dat" || true
done
t0=$(head -n 1 "$in/calls.dat" | cut -d' ' -f1)
t1=$(tail -n 1 "$in/calls.dat" | cut -d' ' -f1)
gnuplot <<GP
set terminal svg size 800,520 dynamic background rgb 'white' font 'sans,11' noenhanced
set output '$outfile'
set multiplot layout 3,1 title "pmutrace in a QEMU guest (Debian sid 7.2), scraped every 1 s by Prometheus"
set xlabel 'seconds'
set grid
set xrange [0:$((t1 - t0))]
set key top right font ',9'
set ylabel 'calls/s'
plot '$in/calls.dat' using (\$1-$t0):2 with lines lw 2 title 'rate(pmutrace_calls_total{target="kvm_supports_guest_pmuv3"}[4s])'
set ylabel 'µs'
plot '$in/p99.dat' using (\$1-$t0):(\$2*1e6) with lines lw 2 title 'histogram_quantile(0.99, sum by (le) (rate(pmutrace_call_duration_seconds_bucket[4s])))'
set ylabel 'waits/s'
plot '$in/contended.dat' using (\$1-$t0):2 with lines lw 2 title 'rate(pmutrace_lock_contended_total[4s])'
unset multiplot
GP
echo "prom-graph: wrote $outfile"
