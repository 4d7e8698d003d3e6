// SPDX-License-Identifier: GPL-2.0
/*
 * The plain BPF object as built for every architecture: it must not carry
 * one architecture's register layout (issue 9 #18: host builds read arm64's
 * registers on x86), and it has every slot's fentry/fexit, attrib_ and
 * kprobe programs, and the inline sites' pair with its attrib_ twins. test_bpf_session_object.c checks the session object.
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "unit.h"
#include "pmutrace.h"
#include "pmutrace.skel.h"

int main(void)
{
	static const char *const kinds[] = {
		"target_entry", "target_exit",	 "attrib_entry",
		"attrib_exit",	"target_kprobe", "target_kretprobe"
	};
	size_t sz;
	const void *elf = pmutrace_bpf__elf_bytes(&sz);
	struct bpf_object *obj = bpf_object__open_mem(elf, sz, NULL);
	struct btf *btf = obj ? bpf_object__btf(obj) : NULL;

	CHECK(obj && btf, "the embedded object opens, with BTF");
	if (!btf)
		UNIT_EXIT();
	/* kprobe arguments go through CO-RE flavours of both layouts,
	 * relocated against the running kernel's pt_regs. */
	CHECK(btf__find_by_name_kind(btf, "pt_regs___arm64", BTF_KIND_STRUCT) >
		      0,
	      "no arm64 flavour");
	CHECK(btf__find_by_name_kind(btf, "pt_regs___x86", BTF_KIND_STRUCT) > 0,
	      "no x86 flavour");
	for (int i = 0; i < PMUTRACE_MAX_TARGETS; i++)
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			char name[32];

			snprintf(name, sizeof(name), "%s_%d", kinds[k], i);
			CHECK(bpf_object__find_program_by_name(obj, name),
			      "no %s", name);
		}
	/* Inline sites: the default pair and attribution's twins. */
	for (size_t k = 0; k < 4; k++) {
		static const char *const sites[] = { "site_entry", "site_exit",
						     "attrib_site_entry",
						     "attrib_site_exit" };

		CHECK(bpf_object__find_program_by_name(obj, sites[k]), "no %s",
		      sites[k]);
	}
	CHECK(!bpf_object__find_program_by_name(obj, "target_sess_0"),
	      "fsession programs only in the session object");
	bpf_object__close(obj);
	UNIT_EXIT();
}
