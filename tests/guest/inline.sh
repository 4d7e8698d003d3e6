# The guest half of tests/inline-e2e.sh: inline sites (--sites) on sid's
# 7.2 kernel, under the instruction-driven clock. Every run leaves its
# files in /out.
# shellcheck shell=sh source-path=SCRIPTDIR source=lib.sh
. /bin/lib.sh

# 1. and 2. The inlined readers at their sites: success, and SET_PMU's
# -ENXIO path alone.
inline_truth

# 3. -f on a function inlined into two callers.
trace_start multi --sites /bin/sites.txt --no-lock -f kvm_arm_set_pmu -j -o /out/multi.json
stress multi 1 -t 1 -n 5 vcpu-init
stress multi 2 -t 1 -n 7 set-pmu
trace_stop multi
no_progs_left multi

# 4. The three ways, forced, in text (the README shows them).
for how in function inline caller; do
	trace_start "text-$how" --sites /bin/sites.txt --no-lock --attach "$how"
	stress "text-$how" 1 -t 1 -n 3 vcpu-init
	stress "text-$how" 2 -t 1 -n 3 set-pmu
	trace_stop "text-$how"
done

# 5. A table of another kernel: refused in one line, before attaching.
sed 's/^build-id .*/build-id 00112233/' /bin/sites.txt >/tmp/other.txt
pmutrace --sites /tmp/other.txt --no-lock -d 1 >/dev/null 2>/out/other.err
echo $? >/out/other.rc

# 6. A site whose live instruction is not the table's (a static key, a
#    livepatch or another probe would do this): that target is refused.
sed 's/^\(site kvm_arm_pmu_v3_set_pmu 0 entry [^ ]*\) .*/\1 d503201f/' /bin/sites.txt >/tmp/patched.txt
pmutrace --sites /tmp/patched.txt --no-lock -d 1 >/out/patched.out 2>/out/patched.err
echo $? >/out/patched.rc

# 7. A table without kvm_arm_pmu_v3_set_pmu's exit (a way out the decoder
#    missed): each entry starts the instance again, nothing piles up.
grep -v '^site kvm_arm_pmu_v3_set_pmu 0 exit' /bin/sites.txt >/tmp/noexit.txt
trace_start noexit --sites /tmp/noexit.txt --no-lock -f kvm_arm_pmu_v3_set_pmu -j -o /out/noexit.json
stress noexit 1 -t 1 -n 20 set-pmu
trace_stop noexit

# 8. A site in noinstr code, with the right bytes: the kprobe is refused.
pmutrace --sites /bin/refuse.txt --no-lock -d 1 >/out/refuse.out 2>/out/refuse.err
echo $? >/out/refuse.rc

# 9. -p, -c and --by at the inline sites: two processes in cgroups of their
#    own, one making SET_PMU calls, the other initialising vCPUs (the
#    default-PMU probe), at once. Per process (JSON and the textfile), -p
#    the first, -c the second's cgroup (text).
two_sides
held inby sp a -t 1 -n 12 set-pmu
held inby vi b -t 1 -n 9 vcpu-init
trace_start inby --sites /bin/sites.txt --no-lock --by process --textfile /out/inby.prom -j -o /out/inby.json
go inby sp vi
trace_stop inby
held inpid sp a -t 1 -n 10 set-pmu
held inpid vi b -t 1 -n 6 vcpu-init
trace_start inpid --sites /bin/sites.txt --no-lock -p "$(cat /out/inpid.pid.sp)" -j -o /out/inpid.json
go inpid sp vi
trace_stop inpid
held incg sp a -t 1 -n 8 set-pmu
held incg vi b -t 1 -n 5 vcpu-init
stat -c %i /sys/fs/cgroup/vm-b >/out/incg.cgroup_id
trace_start incg --sites /bin/sites.txt --no-lock -c /vm-b --by cgroup
go incg sp vi
trace_stop incg
no_progs_left incg

# 10. --sites auto: the table of this kernel's build-id from the cache
#     directory ($PMUTRACE_SITES_DIR), no path given; --attach inline alone
#     means the same. A table there of another build: one warning line and
#     the readers through their callers; no table: the same, as without
#     --sites.
hex=$(sed -n 's/^build-id //p' /bin/sites.txt)
mkdir -p /tmp/sites
cp /bin/sites.txt "/tmp/sites/$hex.sites"
export PMUTRACE_SITES_DIR=/tmp/sites
trace_start auto --attach inline --no-lock -f kvm_arm_pmu_v3_set_pmu -j -o /out/auto.json
stress auto 1 -t 1 -n 5 set-pmu
trace_stop auto
sed 's/^build-id .*/build-id 00112233/' /bin/sites.txt >"/tmp/sites/$hex.sites"
pmutrace --sites auto --no-lock -d 1 >/out/auto-wrong.out 2>/out/auto-wrong.err
echo $? >/out/auto-wrong.rc
rm "/tmp/sites/$hex.sites"
pmutrace --sites auto --no-lock -d 1 >/out/auto-none.out 2>/out/auto-none.err
echo $? >/out/auto-none.rc
unset PMUTRACE_SITES_DIR
