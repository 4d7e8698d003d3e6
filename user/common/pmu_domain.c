// SPDX-License-Identifier: GPL-2.0
/*
 * What pmutrace knows about the kernel it measures: the readers of the list
 * arm_pmus that "KVM: arm64: PMU: Protect the list of PMUs with RCU" takes off
 * the mutex arm_pmus_lock, where each reader is timed when the compiler
 * inlined it, and how a run tells which side of the patch a kernel is on.
 */
#include <string.h>
#include "pmu_domain.h"

/*
 * Where the compiler inlines a reader (Debian's 7.2 arm64 kernels do), its
 * only caller stands in for it. The filter keeps the caller's calls that
 * reach the reader: kvm_arm_pmu_v3_set_attr() handles every PMU attribute,
 * and only KVM_ARM_VCPU_PMU_V3_SET_PMU leads to kvm_arm_pmu_v3_set_pmu().
 */
const struct pmu_reader pmu_readers[PMU_NREADERS] = {
	{ "kvm_pmu_probe_armpmu", "kvm_arm_set_default_pmu", FILTER_NONE, 0,
	  "" },
	{ "kvm_arm_pmu_v3_set_pmu", "kvm_arm_pmu_v3_set_attr",
	  FILTER_DEVICE_ATTR, PMUTRACE_KVM_ARM_VCPU_PMU_V3_SET_PMU,
	  "attr->attr == KVM_ARM_VCPU_PMU_V3_SET_PMU" },
	{ "kvm_supports_guest_pmuv3", NULL, FILTER_NONE, 0, "" },
};

const struct pmu_reader *pmu_reader_find(const char *name)
{
	for (int i = 0; i < PMU_NREADERS; i++)
		if (!strcmp(pmu_readers[i].name, name))
			return &pmu_readers[i];
	return NULL;
}

/* arm_pmus_lock itself, or as kallsyms spells a clang-renamed copy of it
 * (arm_pmus_lock.llvm.123): never a longer name that merely starts so. */
bool pmu_is_lock_name(const char *name)
{
	size_t n = strlen(PMU_LOCK);

	return !strncmp(name, PMU_LOCK, n) && (!name[n] || name[n] == '.');
}

/*
 * Which side of the RCU patch the kernel is on, from what was observed: a
 * reader that waited for or took arm_pmus_lock is "before"; readers that
 * ran with hold tracing on and never took it are "after". Anything less is
 * "unknown", with the reason in why.
 */
const char *patch_side(const struct run_result *r, char *why, size_t len)
{
	__u64 calls = 0, taken = 0, waits = 0;

	if (!r->lock.traced || !pmu_is_lock_name(r->lock.name)) {
		snprintf(why, len, "arm_pmus_lock is not watched");
		return "unknown";
	}
	for (int i = 0; i < r->ntargets; i++) {
		if (r->targets[i].mode == ATTACH_ABSENT ||
		    !pmu_reader_find(r->targets[i].name))
			continue;
		calls += r->res[i].s.count;
		taken += r->res[i].s.lock_acquired;
		waits += r->lock_stats.contended_in[i];
	}
	if (waits || taken) {
		if (r->lock.hold)
			snprintf(
				why, len,
				"readers waited for arm_pmus_lock %llu times and took it %llu times in %llu calls",
				(unsigned long long)waits,
				(unsigned long long)taken,
				(unsigned long long)calls);
		else
			snprintf(
				why, len,
				"readers waited for arm_pmus_lock %llu times in %llu calls",
				(unsigned long long)waits,
				(unsigned long long)calls);
		return "before";
	}
	if (!calls) {
		snprintf(why, len, "no reader call seen");
		return "unknown";
	}
	if (r->lock.hold) {
		snprintf(why, len,
			 "%llu reader calls took arm_pmus_lock 0 times",
			 (unsigned long long)calls);
		return "after";
	}
	snprintf(
		why, len,
		"%llu reader calls never waited for arm_pmus_lock; only --hold can show they do not take it",
		(unsigned long long)calls);
	return "unknown";
}
