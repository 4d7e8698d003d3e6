# The guest half of scripts/bench/inline-insns.sh: SET_PMU calls between
# pmu-stress's markers with no tracer, with kvm_arm_pmu_v3_set_pmu timed
# through its caller, and at its inline sites; ROUNDS rounds, rotated. The
# plugin appends one window per run to insns.txt on the host, in the order
# written to /out/order.
# shellcheck shell=sh source-path=SCRIPTDIR source=lib.sh
. /bin/lib.sh
N=${N:-500}
ROUNDS=${ROUNDS:-3}
set -- none caller inline
r=0
while [ $r -lt "$ROUNDS" ]; do
	for v in "$@"; do
		if [ "$v" != none ]; then
			trace_start "$v.$r" --sites /bin/sites.txt --no-lock \
				-f kvm_arm_pmu_v3_set_pmu --attach "$v"
		fi
		pmu-stress --markers -t 1 -n "$N" set-pmu >"/out/$v.$r.stress"
		echo "$v" >>/out/order
		[ "$v" = none ] || trace_stop "$v.$r"
	done
	set -- "$2" "$3" "$1"
	r=$((r + 1))
done
