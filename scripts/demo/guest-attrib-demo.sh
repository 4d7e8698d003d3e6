# shellcheck shell=sh
# The guest half of scripts/demo/attrib-demo.sh (busybox sh): two "VMs" as a
# libvirt host lays them out (one cgroup v2 scope each under
# machine.slice), each driven by a copy of pmu-stress named for its VMM;
# pmutrace answers "who waits for arm_pmus_lock, and who holds it?".
. /bin/lib.sh
mkdir -p /sys/fs/cgroup
grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
for vm in 1-vm-a 2-vm-b; do
	mkdir -p "/sys/fs/cgroup/machine.slice/machine-qemu-$vm.scope"
done
cp /bin/pmu-stress /bin/qemu-vm-a
cp /bin/pmu-stress /bin/qemu-vm-b
# vmm SCOPE NAME ARGS...: NAME ARGS inside cgroup SCOPE, in the background.
vmm() {
	scope=$1 name=$2
	shift 2
	for last; do :; done
	sh -c 'echo $$ >"/sys/fs/cgroup/machine.slice/machine-qemu-$0.scope/cgroup.procs" && exec "$@"' \
		"$scope" "$name" "$@" >"/out/$by-stress.$name.$last" &
	pids="$pids $!"
}
# wait_vmms: the VMMs only (a bare wait would wait for pmutrace too).
wait_vmms() {
	for p in $pids; do wait "$p"; done
	pids=
}
pids=
for by in process cgroup; do
	trace_start "demo-$by" --by "$by" --owners --vms --top 5 ||
		{ cat "/out/demo-$by.err"; exit 1; }
	vmm 1-vm-a qemu-vm-a -t 2 -n 20 vcpu-init
	vmm 2-vm-b qemu-vm-b -t 2 -n 100 set-pmu
	wait_vmms
	vmm 1-vm-a qemu-vm-a -t 4 -n 10000 check-ext
	vmm 2-vm-b qemu-vm-b -t 4 -n 10000 check-ext
	wait_vmms
	trace_stop "demo-$by"
done
