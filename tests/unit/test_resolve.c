// SPDX-License-Identifier: GPL-2.0
/*
 * Target resolution against the BTF of Debian's real arm64 kernels (cut from
 * their Images by scripts/lab/fetch-kernel.sh; tests/run passes the paths). The
 * attach probe is replaced, since this host cannot load tracing programs.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include "pmutrace_user.h"
#include "unit.h"

static const char *refuse;

/* Attaches to everything but the function named in refuse. */
static int fake_probe(const struct btf *btf, __u32 id)
{
	const char *name =
		btf__name_by_offset(btf, btf__type_by_id(btf, id)->name_off);

	return refuse && !strcmp(name, refuse) ? -EINVAL : 0;
}

static struct btf *load(const char *env)
{
	const char *path = getenv(env);
	struct btf *btf = path ? btf__parse_raw(path) : NULL;

	CHECK(btf != NULL, "%s=%s: cannot read BTF", env,
	      path ? path : "(unset)");
	return btf;
}

static void test_72(void)
{
	struct btf *btf = load("PMUTRACE_BTF_SID");
	struct ksym_query none = { .name = "x" };
	struct target t;

	if (!btf)
		return;
	resolve_target(&t, "kvm_pmu_probe_armpmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_CALLER &&
		      !strcmp(t.function, "kvm_arm_set_default_pmu") &&
		      t.filter_kind == FILTER_NONE,
	      "probe_armpmu: %s %s", attach_mode_name(t.mode), t.function);
	CHECK(strstr(t.reason, "not in BTF or kallsyms: inlined") != NULL, "%s",
	      t.reason);
	CHECK(t.ret_kind == RET_INT32, "caller returns int");

	resolve_target(&t, "kvm_arm_pmu_v3_set_pmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_CALLER &&
		      !strcmp(t.function, "kvm_arm_pmu_v3_set_attr") &&
		      t.filter_kind == FILTER_DEVICE_ATTR &&
		      t.filter_arg == 1 &&
		      t.filter_value == PMUTRACE_KVM_ARM_VCPU_PMU_V3_SET_PMU,
	      "set_pmu: %s %s arg %u", attach_mode_name(t.mode), t.function,
	      t.filter_arg);

	resolve_target(&t, "kvm_supports_guest_pmuv3", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_DIRECT && t.ret_kind == RET_BOOL,
	      "supports: %s ret %s", attach_mode_name(t.mode), t.ret_type);

	/* In BTF but refused by the kernel (notrace): no caller known -> absent. */
	refuse = "kvm_supports_guest_pmuv3";
	resolve_target(&t, "kvm_supports_guest_pmuv3", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_ABSENT && strstr(t.reason, "cannot be attached"),
	      "%s", t.reason);
	/* The caller itself refused: absent, and the reason names it. */
	refuse = "kvm_arm_set_default_pmu";
	resolve_target(&t, "kvm_pmu_probe_armpmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_ABSENT &&
		      strstr(t.reason,
			     "kvm_arm_set_default_pmu cannot be attached"),
	      "%s", t.reason);
	refuse = NULL;

	resolve_target(&t, "misc_open", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_DIRECT && t.ret_kind == RET_INT32,
	      "generic misc_open");
	{
		struct ksym_query clone = { .name = "no_such_fn",
					    .addr = 0xffff800080000000ULL };

		snprintf(clone.found, sizeof(clone.found), "no_such_fn.isra.0");
		resolve_target(&t, "no_such_fn", btf, &clone, fake_probe);
		CHECK(t.mode == ATTACH_ABSENT &&
			      strstr(t.reason,
				     "kallsyms has no_such_fn.isra.0"),
		      "%s", t.reason);
	}
	btf__free(btf);
}

static void test_612(void)
{
	struct btf *btf = load("PMUTRACE_BTF_TRIXIE");
	struct ksym_query none = { .name = "x" };
	struct target t;

	if (!btf)
		return;
	resolve_target(&t, "kvm_supports_guest_pmuv3", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_ABSENT,
	      "6.12 has no kvm_supports_guest_pmuv3: %s",
	      attach_mode_name(t.mode));
	resolve_target(&t, "kvm_pmu_probe_armpmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_CALLER &&
		      !strcmp(t.function, "kvm_arm_set_default_pmu"),
	      "6.12 probe");
	resolve_target(&t, "kvm_arm_pmu_v3_set_pmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_CALLER && t.filter_arg == 1, "6.12 set_pmu");
	btf__free(btf);
}

/* This x86 build host is no arm64 KVM host: none of the readers exists in
 * its BTF, and the run must stop with exit 5 and say why. */
static void test_not_kvm_host(void)
{
	struct options o = { .kallsyms = "/proc/kallsyms", .no_lock = true };
	struct btf *btf = btf__load_vmlinux_btf();
	static struct run_result r;
	struct utsname u;

	uname(&u);
	if (!btf || !strcmp(u.machine, "aarch64")) {
		btf__free(btf);
		return;
	}
	CHECK(resolve_all(&o, &r, btf) == EXIT_NO_TARGET,
	      "not a KVM host: exit 5");
	CHECK(r.ntargets == 3 && r.targets[0].mode == ATTACH_ABSENT &&
		      r.targets[1].mode == ATTACH_ABSENT &&
		      r.targets[2].mode == ATTACH_ABSENT,
	      "all three readers absent on %s", u.machine);
	btf__free(btf);
}

/* The kprobe symbols outlive the caller's array (resolve_all's, on its
 * stack): probe_kprobe() answers from its own copy. */
static void test_kprobe_symbols_kept(void)
{
	struct btf *btf = load("PMUTRACE_BTF_SID");
	struct ksym_query q[1] = { { .name = "kvm_arm_pmu_v3_set_attr",
				     .addr = 0xffff800080123450ULL,
				     .found = "kvm_arm_pmu_v3_set_attr" } };
	__s32 id;

	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, q[0].name, BTF_KIND_FUNC);
	set_kprobe_symbols(q, 1);
	memset(q, 0xa5, sizeof(q));
	CHECK(id > 0 && probe_kprobe(btf, id) == 0,
	      "kprobe symbols read from the caller's array after it is gone");
	btf__free(btf);
}

/* The fallback order with an inline-site table, and --attach forcing each
 * way (the table's build-id is checked in sites_run.c, not here). */
static void test_inline_order(void)
{
	struct btf *btf = load("PMUTRACE_BTF_SID");
	struct ksym_query none = { .name = "x" };
	struct site s[3] = {
		{ .function = "kvm_pmu_probe_armpmu", .symbol = "a" },
		{ .function = "kvm_pmu_probe_armpmu", .exit = true },
		{ .function = "stepped", .calib = true },
	};
	struct sitetab tab = { .n = 3, .sites = s };
	struct target t;

	if (!btf)
		return;
	refuse = NULL;
	set_inline_sites(&tab, FORCE_AUTO);
	resolve_target(&t, "kvm_pmu_probe_armpmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_INLINE && t.nsites == 2 && t.ninstances == 1 &&
		      t.ret_kind == RET_NONE,
	      "auto, inlined, in the table: %s %d sites",
	      attach_mode_name(t.mode), t.nsites);
	CHECK(strstr(t.reason, "timed at its 2 inline sites (1 instance)"),
	      "%s", t.reason);
	resolve_target(&t, "kvm_supports_guest_pmuv3", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_DIRECT, "auto, a real function: %s",
	      attach_mode_name(t.mode));
	resolve_target(&t, "kvm_arm_pmu_v3_set_pmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_CALLER, "auto, not in the table: %s",
	      attach_mode_name(t.mode));

	set_inline_sites(&tab, FORCE_CALLER);
	resolve_target(&t, "kvm_pmu_probe_armpmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_CALLER &&
		      !strcmp(t.function, "kvm_arm_set_default_pmu"),
	      "--attach caller: %s", attach_mode_name(t.mode));
	resolve_target(&t, "kvm_supports_guest_pmuv3", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_ABSENT, "--attach caller, no caller: %s",
	      attach_mode_name(t.mode));

	set_inline_sites(&tab, FORCE_FUNCTION);
	resolve_target(&t, "kvm_pmu_probe_armpmu", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_ABSENT, "--attach function, inlined: %s",
	      attach_mode_name(t.mode));

	set_inline_sites(&tab, FORCE_INLINE);
	resolve_target(&t, "kvm_supports_guest_pmuv3", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_ABSENT &&
		      strstr(t.reason, "the site table has none"),
	      "--attach inline, not in the table: %s (%s)",
	      attach_mode_name(t.mode), t.reason);
	resolve_target(&t, "stepped", btf, &none, fake_probe);
	CHECK(t.mode == ATTACH_ABSENT, "a calib line is no target's site");
	set_inline_sites(NULL, FORCE_AUTO);
	btf__free(btf);
}

int main(void)
{
	test_not_kvm_host();
	test_72();
	test_612();
	test_kprobe_symbols_kept();
	test_inline_order();
	UNIT_EXIT();
}
