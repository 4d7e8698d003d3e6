// SPDX-License-Identifier: GPL-2.0
/*
 * The session object (7.x): every slot's fsession program, unfiltered and
 * filtered, and the lock's programs; nothing it never loads (fentry/fexit
 * and kprobe twins, attribution's programs and maps), since libbpf opens,
 * relocates and creates all of it at every start.
 */
#include <bpf/libbpf.h>
#include "unit.h"
#include "pmutrace.h"
#include "sess/pmutrace.skel.h"

int main(void)
{
	static const char *const absent[] = {
		"target_entry_0",    "target_exit_0",	"attrib_entry_0",
		"target_kprobe_0",   "attrib_end",	"vm_set_pmu",
		"attrib_site_entry", "attrib_site_exit"
	};
	size_t sz;
	const void *elf = pmutrace_bpf__elf_bytes(&sz);
	struct bpf_object *obj = bpf_object__open_mem(elf, sz, NULL);

	CHECK(obj, "the embedded session object opens");
	if (!obj)
		UNIT_EXIT();
	for (int i = 0; i < PMUTRACE_MAX_TARGETS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "target_sess_%d", i);
		CHECK(bpf_object__find_program_by_name(obj, name), "no %s",
		      name);
		snprintf(name, sizeof(name), "target_fsess_%d", i);
		CHECK(bpf_object__find_program_by_name(obj, name), "no %s",
		      name);
	}
	CHECK(bpf_object__find_program_by_name(obj, "lock_contention_begin") &&
		      bpf_object__find_program_by_name(obj, "lock_acquired"),
	      "the lock's programs");
	CHECK(bpf_object__find_program_by_name(obj, "site_entry") &&
		      bpf_object__find_program_by_name(obj, "site_exit"),
	      "the inline sites' programs");
	for (size_t k = 0; k < sizeof(absent) / sizeof(absent[0]); k++)
		CHECK(!bpf_object__find_program_by_name(obj, absent[k]),
		      "%s is not in the session object", absent[k]);
	CHECK(!bpf_object__find_map_by_name(obj, "wait_stacks") &&
		      bpf_object__find_map_by_name(obj, "cgroup_filter"),
	      "attribution's maps stay out, the -p/-c filter's stays");
	bpf_object__close(obj);
	UNIT_EXIT();
}
