# The guest half of tests/e2e.sh: every run leaves its files in /out for the
# host to check. pmu-stress prints exactly which calls it made, and `stress`
# keeps its exit code beside.
# shellcheck shell=sh source-path=SCRIPTDIR source=lib.sh
. /bin/lib.sh

# 1. Default targets and lock; the three paths, concurrent; Ctrl-C ends it.
trace_start default -j -o /out/default.json
grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/$trace_pid/status >/out/default.caps
stress default 1 -t 2 -n 10 vcpu-init
stress default 2 -t 2 -n 100 set-pmu
# 4 threads of check-ext on 2 vCPUs, preempted inside their critical
# sections by -R's RT wakeups (then the others wait); where the host checks
# the waits on arm_pmus_lock (contend_default), again until it is contended.
default_storm() { stress default $((2 + $1)) -t 4 -n 20000 -R 200 check-ext; }
contend default "${contend_default:-}" default_storm
trace_stop default
no_progs_left default

# 2. Hold mode: lock acquisitions per reader call. Kernels without fentry
#    (kprobe fallback) refuse it: record how.
if grep -q 'fentry is not supported' /out/default.err; then
	pmutrace --hold -d 1 >/dev/null 2>/out/hold.err
	echo $? >/out/hold.refused
else
	trace_start hold --hold -j -o /out/hold.json
	stress hold 1 -t 1 -n 5 vcpu-init
	stress hold 2 -t 1 -n 50 set-pmu
	stress hold 3 -t 1 -n 50 check-ext
	trace_stop hold
fi
no_progs_left hold

# 3. Text output with intervals, ended by SIGTERM.
trace_start text -i 1
stress text 1 -t 2 -n 3000 check-ext
stress text 2 -t 1 -n 3 vcpu-init
stress text 3 -t 1 -n 20 set-pmu
sleep 1.2
trace_stop text TERM
no_progs_left text

# 4. Generic mode: a non-KVM function, nested inside another target, and
#    its mutex; ended by its own duration. Where the host checks the waits
#    on misc_mtx (contend_generic), the whole run again until it is seen
#    contended.
# Kernels without CONFIG_KALLSYMS_ALL list no misc_mtx: no lock then.
lock="-l misc_mtx"
grep -q ' misc_mtx$' /proc/kallsyms || lock=--no-lock
generic_run() {
	rm -f /out/generic.*
	# shellcheck disable=SC2086
	pmutrace -f misc_open -f do_sys_openat2 $lock -j -o /out/generic.json \
		-d 8 2>/out/generic.err &
	pid=$!
	wait_tracing /out/generic.err && our_progs /out/generic.live
	stress generic 1 -t 4 -n 2000 -d /dev/kvm open
	wait $pid
	echo $? >/out/generic.rc
}
contend generic "${contend_generic:-}" generic_run
no_progs_left generic

# 5. Two runs at once each count every call; SIGKILL leaves nothing behind.
pmutrace -j -o /out/twoA.json 2>/out/twoA.err &
pa=$!
pmutrace -j -o /out/twoB.json 2>/out/twoB.err &
pb=$!
wait_tracing /out/twoA.err /out/twoB.err && our_progs /out/twoA.live
stress twoA 1 -t 2 -n 5 vcpu-init
stress twoA 2 -t 2 -n 100 set-pmu
stress twoA 3 -t 2 -n 2000 check-ext
kill -INT $pa
kill -HUP $pb
wait $pa
echo $? >/out/twoA.rc
wait $pb
echo $? >/out/twoB.rc
for f in /out/twoA.stress*; do cp "$f" "/out/twoB.${f#/out/twoA.}"; done
hold=--hold
grep -q 'fentry is not supported' /out/default.err && hold=
# shellcheck disable=SC2086
trace_start killed $hold
kill -KILL $trace_pid
wait $trace_pid
no_progs_left killed
pmutrace check >/out/check.out 2>/out/check.err
echo $? >/out/check.rc
no_progs_left check

# 6. --sites auto with the shipped tables where the package puts them
#    (/usr/share/pmutrace/sites, from tests/e2e.sh), none made on this host:
#    the readers this kernel inlines at their sites, or no table said.
unset PMUTRACE_SITES_DIR
cat /sys/kernel/notes >/out/notes
trace_start sitesauto --sites auto --no-lock -j -o /out/sitesauto.json
stress sitesauto 1 -t 1 -n 5 vcpu-init
stress sitesauto 2 -t 1 -n 20 set-pmu
trace_stop sitesauto
no_progs_left sitesauto

# 7. A target nobody calls: its empty histogram is said, not hidden.
pmutrace -f misc_deregister --no-lock -d 1 >/out/empty.out 2>/out/empty.err

# 8. Failures inside the guest: unknown lock, nothing attachable.
pmutrace -l no_such_lock_xyz -d 1 >/dev/null 2>/out/badlock.err
echo $? >/out/badlock.rc
pmutrace -f no_such_function_xyz -d 1 >/dev/null 2>/out/nofunc.err
echo $? >/out/nofunc.rc
# A kernel without BTF, faked by hiding the kernel's BTF behind an empty file.
: >/tmp/empty
mount -o bind /tmp/empty /sys/kernel/btf/vmlinux &&
	pmutrace -d 1 >/dev/null 2>/out/nobtf.err
echo $? >/out/nobtf.rc
umount /sys/kernel/btf/vmlinux
no_progs_left failures
