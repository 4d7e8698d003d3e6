// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 branch decoder, the site table's format, and the extraction on
 * the real vmlinux of sid's 7.2.13 cloud kernel (PMUTRACE_VMLINUX_SID, from
 * scripts/lab/fetch-dbg.sh sid; skipped without it).
 */
#include <stdlib.h>
#include "unit.h"
#include "a64_branch.h"
#include "sites.h"

static void test_decoder(void)
{
	const __u64 pc = 0xffff800080000100ull;
	__u64 to;

	/* Words from objdump of the 7.2.13 vmlinux and the Arm ARM. */
	CHECK(a64_decode(0x14000004, pc, &to) == A64_B && to == pc + 16,
	      "b +16");
	CHECK(a64_decode(0x17ffffff, pc, &to) == A64_B && to == pc - 4, "b -4");
	CHECK(a64_decode(0x94000010, pc, &to) == A64_BL && to == pc + 64, "bl");
	CHECK(a64_decode(0x54000320, pc, &to) == A64_BCOND && to == pc + 100,
	      "b.eq +100");
	CHECK(a64_decode(0x54ffff60, pc, &to) == A64_BCOND && to == pc - 20,
	      "b.eq -20");
	CHECK(a64_decode(0xb4000193, pc, &to) == A64_CB && to == pc + 48,
	      "cbz x19, +48");
	CHECK(a64_decode(0x35000040, pc, &to) == A64_CB && to == pc + 8,
	      "cbnz w0, +8");
	CHECK(a64_decode(0x3607ff22, pc, &to) == A64_TB && to == pc - 28,
	      "tbz w2, #0, -28");
	CHECK(a64_decode(0xb7f80041, pc, &to) == A64_TB && to == pc + 8,
	      "tbnz x1, #63, +8");
	CHECK(a64_decode(0xd65f03c0, pc, &to) == A64_RET, "ret");
	CHECK(a64_decode(0xd65f0bff, pc, &to) == A64_RET, "retaa");
	CHECK(a64_decode(0xd61f0220, pc, &to) == A64_BR, "br x17");
	CHECK(a64_decode(0xd71f0a20, pc, &to) == A64_BR, "braa x17, x0");
	CHECK(a64_decode(0xd63f0220, pc, &to) == A64_BLR, "blr x17");
	CHECK(a64_decode(0xd69f03e0, pc, &to) == A64_OTHER, "eret");
	CHECK(a64_decode(0xd503201f, pc, &to) == A64_OTHER, "nop");
	CHECK(a64_decode(0xf9400820, pc, &to) == A64_OTHER, "ldr");
	CHECK(a64_decode(0x90000000, pc, &to) == A64_OTHER, "adrp");
	CHECK(a64_kprobe_simulates(0xb0012100) && /* adrp */
		      a64_kprobe_simulates(0x58000040) && /* ldr x0, literal */
		      a64_kprobe_simulates(0x94000010) &&
		      !a64_kprobe_simulates(0xa9055bf5) && /* stp */
		      !a64_kprobe_simulates(0xb9400a60), /* ldr w0, [x19, #8] */
	      "kprobe classes");
	CHECK(!a64_is_jump(A64_BL) && !a64_is_jump(A64_BLR) &&
		      a64_is_jump(A64_RET) && a64_is_jump(A64_CB),
	      "calls are not exits");
}

static void test_table(void)
{
	static const char text[] = SITETAB_MAGIC
		"\nbuild-id 00a1ff\n# comment\n\n"
		"site f 0 entry caller.constprop.0+0x1c 94000000\n"
		"site f 0 exit caller.constprop.0+0x78 b4000193\n"
		"site f 1 exit other+0x0 d65f03c0\n"
		"calib stepped __arm64_sys_getppid+0x1c b9400a60\n"
		"calib call __arm64_sys_sched_yield+0x14 97ff57ab "
		"do_sched_yield+0x8\n";
	char err[128], *buf;
	struct sitetab t, u;
	size_t len;
	FILE *f;

	f = fmemopen((void *)text, sizeof(text) - 1, "r");
	CHECK(!sitetab_read(f, &t, err, sizeof(err)), "%s", err);
	fclose(f);
	CHECK(t.n == 5 && t.sites[3].calib && t.sites[3].offset == 0x1c &&
		      !strcmp(t.sites[3].function, "stepped") &&
		      !strcmp(t.sites[3].exit_symbol, "__arm64_sys_getppid") &&
		      t.sites[3].exit_offset == 0x20,
	      "calib line: its exit the next instruction");
	CHECK(t.n == 5 && t.sites[4].calib && t.sites[4].offset == 0x14 &&
		      t.sites[4].insn == 0x97ff57ab &&
		      !strcmp(t.sites[4].symbol, "__arm64_sys_sched_yield") &&
		      !strcmp(t.sites[4].exit_symbol, "do_sched_yield") &&
		      t.sites[4].exit_offset == 8,
	      "calib call line: its exit the callee's");
	CHECK(t.n == 5 && t.build_id_len == 3 && t.build_id[2] == 0xff, "n %d",
	      t.n);
	CHECK(t.n == 5 && !strcmp(t.sites[0].symbol, "caller.constprop.0") &&
		      t.sites[0].offset == 0x1c && !t.sites[0].exit &&
		      t.sites[1].exit && t.sites[1].insn == 0xb4000193,
	      "fields");
	CHECK(sitetab_instances(&t, "f") == 2 && !sitetab_instances(&t, "g"),
	      "instances");
	/* A table of an older pmutrace-sites, without the call pair. */
	f = fmemopen((void *)text, strstr(text, "calib call") - text, "r");
	CHECK(!sitetab_read(f, &u, err, sizeof(err)) && u.n == 4,
	      "no calib call line: %s", err);
	fclose(f);
	sitetab_free(&u);
	f = open_memstream(&buf, &len);
	CHECK(!sitetab_write(f, &t), "write");
	fclose(f);
	f = fmemopen(buf, len, "r");
	CHECK(!sitetab_read(f, &u, err, sizeof(err)) && u.n == t.n &&
		      !memcmp(u.sites, t.sites, t.n * sizeof(*t.sites)),
	      "round trip: %s", err);
	fclose(f);
	free(buf);
	sitetab_free(&t);
	sitetab_free(&u);

	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "pmutrace-sites 2\nbuild-id 00\n", "line 1: not a pmutrace" },
		{ SITETAB_MAGIC "\nsite f 0 entry c+0x1 0\n",
		  "no build-id line" },
		{ SITETAB_MAGIC "\nbuild-id 0g\n", "line 2: not a" },
		{ SITETAB_MAGIC "\nbuild-id 00\nsite f 0 middle c+0x1 0\n",
		  "line 3: not a site" },
		{ SITETAB_MAGIC "\nbuild-id 00\nsite f 0 exit c+1 0\n",
		  "line 3: not a site" },
		{ SITETAB_MAGIC "\nbuild-id 00\nsite f 0 exit +0x1 0\n",
		  "line 3: not a site" },
		{ SITETAB_MAGIC "\nbuild-id 00\nsite f 0 exit c+0x1 0 extra\n",
		  "line 3: not a site" },
		{ SITETAB_MAGIC "\nbuild-id 00\ncalib fast c+0x1 0\n",
		  "line 3: not 'calib simulated|stepped" },
		{ SITETAB_MAGIC "\nbuild-id 00\ncalib call c+0x1 94000000\n",
		  "line 3: a calib call line needs its exit" },
		{ SITETAB_MAGIC "\nbuild-id 00\ncalib call c+0x1 94000000 d\n",
		  "line 3: a calib call line's exit is not" },
		{ SITETAB_MAGIC "\nbuild-id 00\ncalib call c+0x1 9 d+0x0 e\n",
		  "line 3: not 'calib simulated|stepped" },
		{ SITETAB_MAGIC "\nbuild-id 00\ncalib stepped c+0x1 0 d+0x5\n",
		  "line 3: only a calib call line has an exit" },
		{ "", "line 1: not a pmutrace" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fmemopen((void *)bad[i].text, strlen(bad[i].text) + 1, "r");
		CHECK(sitetab_read(f, &t, err, sizeof(err)) && t.n == 0 &&
			      !strncmp(err, bad[i].why, strlen(bad[i].why)),
		      "bad table %zu: '%s', want '%s...'", i, err, bad[i].why);
		fclose(f);
	}
}

/* site i of t is kind at symbol+off */
static bool site_is(const struct sitetab *t, int i, bool exit, const char *sym,
		    __u64 off)
{
	return i < t->n && t->sites[i].exit == exit &&
	       !strcmp(t->sites[i].symbol, sym) && t->sites[i].offset == off;
}

static void test_vmlinux(void)
{
	const char *path = getenv("PMUTRACE_VMLINUX_SID");
	struct sitetab t = { 0 };
	struct vmlinux *v;
	char err[256];
	int n;

	if (!path || !*path) {
		SKIP("PMUTRACE_VMLINUX_SID unset (scripts/lab/fetch-dbg.sh sid)");
		return;
	}
	v = vmlinux_open(path, err, sizeof(err));
	CHECK(v, "%s", err);
	if (!v)
		return;
	n = sites_find(v, "kvm_pmu_probe_armpmu", &t, err, sizeof(err));
	CHECK(n == 1, "kvm_pmu_probe_armpmu: %d instances (%s)", n, err);
	CHECK(t.n == 3 &&
		      site_is(&t, 0, false, "kvm_arm_set_default_pmu", 0x1c) &&
		      site_is(&t, 1, true, "kvm_arm_set_default_pmu", 0x78) &&
		      site_is(&t, 2, true, "kvm_arm_set_default_pmu", 0xac),
	      "kvm_pmu_probe_armpmu: %d sites, first %s+0x%llx", t.n,
	      t.n ? t.sites[0].symbol : "",
	      t.n ? (unsigned long long)t.sites[0].offset : 0ull);
	CHECK(t.n && (t.sites[0].insn & 0x9f000000) == 0x90000000,
	      "the entry is the adrp of &arm_pmus_lock: %08x",
	      t.n ? t.sites[0].insn : 0);
	sitetab_free(&t);
	n = sites_find(v, "kvm_arm_pmu_v3_set_pmu", &t, err, sizeof(err));
	CHECK(n == 1, "kvm_arm_pmu_v3_set_pmu: %d instances (%s)", n, err);
	CHECK(t.n == 2 &&
		      site_is(&t, 0, false, "kvm_arm_pmu_v3_set_attr", 0x1b0) &&
		      site_is(&t, 1, true, "kvm_arm_pmu_v3_set_attr", 0x270),
	      "kvm_arm_pmu_v3_set_pmu: %d sites", t.n);
	for (int i = 0; i < t.n; i++)
		printf("# %s+0x%llx %s %08x\n", t.sites[i].symbol,
		       (unsigned long long)t.sites[i].offset,
		       t.sites[i].exit ? "exit" : "entry", t.sites[i].insn);
	sitetab_free(&t);
	/* Inlined into two callers; in kvm_arm_pmu_v3_set_attr one caller
	 * instruction (+0x218) sits inside the body: not an exit. */
	n = sites_find(v, "kvm_arm_set_pmu", &t, err, sizeof(err));
	CHECK(n == 2, "kvm_arm_set_pmu: %d instances (%s)", n, err);
	CHECK(t.n == 4 &&
		      site_is(&t, 0, false, "kvm_arm_pmu_v3_set_attr", 0x210) &&
		      site_is(&t, 1, true, "kvm_arm_pmu_v3_set_attr", 0x22c) &&
		      site_is(&t, 2, false, "kvm_arm_set_default_pmu", 0x7c) &&
		      site_is(&t, 3, true, "kvm_arm_set_default_pmu", 0x94),
	      "kvm_arm_set_pmu: %d sites, second %s+0x%llx", t.n,
	      t.n > 1 ? t.sites[1].symbol : "",
	      t.n > 1 ? (unsigned long long)t.sites[1].offset : 0ull);
	sitetab_free(&t);
	CHECK(!sites_calib(v, &t, err, sizeof(err)) && t.n == 3 &&
		      site_is(&t, 0, false, "__arm64_sys_getcpu", 0x78) &&
		      site_is(&t, 1, false, "__arm64_sys_getppid", 0x1c) &&
		      t.sites[0].calib &&
		      a64_kprobe_simulates(t.sites[0].insn) &&
		      !a64_kprobe_simulates(t.sites[1].insn),
	      "calibration pairs: %s", err);
	/* sched_yield's handler calls do_sched_yield, past its paciasp
	 * and frame; the exit is past do_sched_yield's two ftrace NOPs. */
	CHECK(t.n == 3 &&
		      site_is(&t, 2, false, "__arm64_sys_sched_yield", 0x14) &&
		      (t.sites[2].insn & 0xfc000000) == 0x94000000 &&
		      !strcmp(t.sites[2].exit_symbol, "do_sched_yield") &&
		      t.sites[2].exit_offset == 8,
	      "call pair: %s+0x%llx to %s+0x%llx",
	      t.n == 3 ? t.sites[2].symbol : "",
	      t.n == 3 ? (unsigned long long)t.sites[2].offset : 0ull,
	      t.n == 3 ? t.sites[2].exit_symbol : "",
	      t.n == 3 ? (unsigned long long)t.sites[2].exit_offset : 0ull);
	sitetab_free(&t);
	n = sites_find(v, "no_such_function_here", &t, err, sizeof(err));
	CHECK(n == 0 && t.n == 0, "absent function: %d", n);
	sitetab_free(&t);
	vmlinux_close(v);
}

int main(void)
{
	test_decoder();
	test_table();
	test_vmlinux();
	UNIT_EXIT();
}
