// SPDX-License-Identifier: GPL-2.0
/* Names for outputs, so text, JSON and Prometheus say the same. */
#include "attrib_result.h"

const char *probe_kind_name(enum probe_kind kind)
{
	return kind == PROBE_SESSION ? "fsession" :
	       kind == PROBE_KPROBE  ? "kprobe" :
				       "fentry";
}

/* --attach's values, in enum attach_force's order. */
const char *const attach_force_names[NR_FORCE] = { "auto", "function", "inline",
						   "caller" };

const char *attach_mode_name(enum attach_mode mode)
{
	switch (mode) {
	case ATTACH_DIRECT:
		return "direct";
	case ATTACH_CALLER:
		return "caller";
	case ATTACH_INLINE:
		return "inline";
	default:
		return "absent";
	}
}

const char *site_at(const struct run_site *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s+0x%llx", s->symbol,
		 (unsigned long long)s->offset);
	return buf;
}

const char *site_kind_name(const struct run_site *s)
{
	return s->exit ? "exit" : "entry";
}

const char *attrib_by_name(enum attrib_by by)
{
	return by == BY_PROCESS ? "process" :
	       by == BY_CGROUP	? "cgroup" :
				  "none";
}

const char *attrib_miss_name(int reason)
{
	static const char *const names[MISS_REASONS] = {
		[MISS_BY_FULL] = "rows_full",
		[MISS_STACK] = "waiter_stack_unrecorded",
		[MISS_WAITER_FULL] = "waiter_stacks_full",
		[MISS_OWNER_FULL] = "owners_full",
		[MISS_OWNER_STACK_FULL] = "owner_stacks_full",
		[MISS_NO_OWNER] = "owner_unknown",
		[MISS_OWNER_RUNNING] = "owner_on_cpu",
		[MISS_OWNER_STACK] = "owner_stack_unreadable",
		[MISS_NO_STATE] = "no_task_state",
		[MISS_VM_FULL] = "vms_full",
	};

	return reason >= 0 && reason < MISS_REASONS ? names[reason] : "?";
}

const char *attrib_field_name(int bit)
{
	switch (bit) {
	case FIELD_MUTEX_OWNER:
		return "mutex.owner";
	case FIELD_TASK_ON_CPU:
		return "task_struct.on_cpu";
	case FIELD_KVM_USERSPACE_PID:
		return "kvm.userspace_pid";
	case FIELD_KVM_ARM_PMU:
		return "kvm_arch.arm_pmu";
	case FIELD_ARM_PMU_NAME:
		return "arm_pmu.name";
	}
	return "?";
}

const char *vm_pmu_kind_name(__u32 kind)
{
	return kind == VM_PMU_DEFAULT ? "default" : "set_pmu";
}
