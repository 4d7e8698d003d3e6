// SPDX-License-Identifier: GPL-2.0
/* The PMU domain facts: the readers, the lock's name, the patch side. */
#include <string.h>
#include "pmu_domain.h"
#include "unit.h"

static void check_readers(void)
{
	const struct pmu_reader *k = pmu_reader_find("kvm_arm_pmu_v3_set_pmu");

	CHECK(PMU_NREADERS == 3, "three readers: %d", PMU_NREADERS);
	CHECK(k && !strcmp(k->caller, "kvm_arm_pmu_v3_set_attr") &&
		      k->filter == FILTER_DEVICE_ATTR &&
		      k->filter_value == PMUTRACE_KVM_ARM_VCPU_PMU_V3_SET_PMU,
	      "set_pmu is timed through set_attr, filtered to SET_PMU");
	CHECK(!pmu_reader_find("kvm_supports_guest_pmuv3")->caller,
	      "kvm_supports_guest_pmuv3 has no stand-in");
	CHECK(!pmu_reader_find("misc_open"), "other functions are no readers");
}

/* Issue 9 item 15: the lock's name was matched as a prefix. */
static void check_lock_name(void)
{
	CHECK(pmu_is_lock_name("arm_pmus_lock"), "the lock itself");
	CHECK(pmu_is_lock_name("arm_pmus_lock.llvm.8123"),
	      "clang's renamed copy of it");
	CHECK(!pmu_is_lock_name("arm_pmus_lock_other"),
	      "a longer name that starts the same is another lock");
	CHECK(!pmu_is_lock_name("arm_pmus_loc"), "a shorter name is not it");
}

static void check_patch_side(void)
{
	static struct run_result r;
	char why[256];

	r.ntargets = 1;
	snprintf(r.targets[0].name, NAME_LEN, "kvm_supports_guest_pmuv3");
	r.targets[0].mode = ATTACH_DIRECT;
	r.res[0].s.count = 100;
	r.lock.traced = true;
	r.lock.hold = true;
	snprintf(r.lock.name, NAME_LEN, "arm_pmus_lock_other");
	CHECK(!strcmp(patch_side(&r, why, sizeof(why)), "unknown"),
	      "another lock says nothing about the patch: %s", why);
	snprintf(r.lock.name, NAME_LEN, "arm_pmus_lock");
	CHECK(!strcmp(patch_side(&r, why, sizeof(why)), "after"),
	      "readers that never took the lock under --hold: %s", why);
	r.res[0].s.lock_acquired = 100;
	CHECK(!strcmp(patch_side(&r, why, sizeof(why)), "before"),
	      "readers that took it: %s", why);
}

int main(void)
{
	check_readers();
	check_lock_name();
	check_patch_side();
	UNIT_EXIT();
}
