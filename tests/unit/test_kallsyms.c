// SPDX-License-Identifier: GPL-2.0
/* kallsyms parsing: exact names, compiler suffixes, hidden addresses. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "pmutrace_user.h"
#include "unit.h"

static char path[] = "/tmp/pmutrace-kallsyms-XXXXXX";

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* --lock ADDR: a data symbol must start there, where kallsyms lists any. */
static void test_lock_address(void)
{
	const __u64 mtx = 0xffff8000812b0000ULL, fn = 0xffff800080400000ULL;
	struct ksym_query q[2] = { { .at = mtx }, { .name = "jiffies" } };
	struct options o = { .lock = "0xffff8000812b0000", .kallsyms = path };
	struct lock_target l = {};

	write_file("ffff800080010000 T _stext\n"
		   "ffff8000812b0000 d misc_mtx\n"
		   "ffff800081400000 D jiffies\n"
		   "ffff800080400000 T kvm_arm_set_default_pmu\n");
	CHECK(ksyms_lookup(path, q, 2) == 0 && q[0].addr == mtx &&
		      !strcmp(q[0].found, "misc_mtx"),
	      "the data symbol at the address: %s", q[0].found);
	CHECK(resolve_lock(&o, &l, &q[0], &q[1]) == 0 && l.traced &&
		      l.addr == mtx && !strcmp(l.name, "misc_mtx") &&
		      !l.unchecked,
	      "lock at an address named by its symbol: %s", l.name);

	q[0].at = fn;
	o.lock = "0xffff800080400000";
	memset(&l, 0, sizeof(l));
	CHECK(ksyms_lookup(path, q, 2) == 0 && q[0].addr == 0,
	      "a function's address taken for a data symbol");
	CHECK(resolve_lock(&o, &l, &q[0], &q[1]) == EXIT_NO_LOCK,
	      "a function's address accepted as a lock");

	/* No CONFIG_KALLSYMS_ALL: nothing to check against, said so. */
	write_file("ffff800080010000 T _stext\n"
		   "ffff800080400000 T kvm_arm_set_default_pmu\n");
	q[0].at = mtx;
	o.lock = "0xffff8000812b0000";
	memset(&l, 0, sizeof(l));
	CHECK(ksyms_lookup(path, q, 2) == 0 && q[0].addr == 0 &&
		      q[1].addr == 0 &&
		      resolve_lock(&o, &l, &q[0], &q[1]) == 0 && l.traced &&
		      l.addr == mtx && l.unchecked,
	      "without data symbols the address is taken, marked unchecked");
}

/* After the kernel's index gave the starts: the file only as far as the
 * last end, an alias at the same address skipped, an absent name ignored. */
static void test_find_ends(void)
{
	struct ksym_query q[3] = {
		{ .name = "kvm_arm_set_default_pmu",
		  .addr = 0xffff800080400000ULL },
		{ .name = "kvm_supports_guest_pmuv3",
		  .addr = 0xffff800080300000ULL },
		{ .name = "kvm_pmu_probe_armpmu" }, /* inlined: no start */
	};

	write_file("ffff800080010000 T _stext\n"
		   "ffff800080300000 T kvm_supports_guest_pmuv3\n"
		   "ffff800080300000 T an_alias\n"
		   "ffff800080300100 t next_one\n"
		   "ffff800080400000 T kvm_arm_set_default_pmu\n"
		   "ffff800080400200 T after_it\n"
		   "ffff800081400000 D jiffies\n"
		   "ffff800081500000 b arm_pmus_lock\n");
	CHECK(ksyms_find_ends(path, q, 3) == 6, "stopped after line 6");
	CHECK(q[0].end == 0xffff800080400200ULL, "end %llx",
	      (unsigned long long)q[0].end);
	CHECK(q[1].end == 0xffff800080300100ULL, "alias skipped: end %llx",
	      (unsigned long long)q[1].end);
	CHECK(q[2].addr == 0 && q[2].end == 0, "an absent name stays absent");
}

int main(void)
{
	struct ksym_query q[4] = { { .name = "arm_pmus_lock" },
				   { .name = "misc_mtx" },
				   { .name = "kvm_arm_set_default_pmu" },
				   { .name = "absent" } };
	__u64 addr = 0;
	int fd = mkstemp(path);

	close(fd);
	test_find_ends();
	write_file("ffff800080010000 T _stext\n"
		   "ffff8000812a0000 t misc_mtx.llvm.4242\n"
		   "ffff8000812b0000 d misc_mtx\n"
		   "ffff800081300000 b arm_pmus_lock.llvm.77\n"
		   "ffff800080400000 T kvm_arm_set_default_pmu\n"
		   "ffff800080500000 T kvm_arm_set_default_pmu_x\n"
		   "ffff800080600000 t mod_fn\t[kvm]\n");
	CHECK(ksyms_lookup(path, q, 4) == 0, "lookup");
	CHECK(q[0].addr == 0xffff800081300000ULL &&
		      !strcmp(q[0].found, "arm_pmus_lock.llvm.77"),
	      "suffixed name accepted: %s", q[0].found);
	CHECK(q[1].addr == 0xffff8000812b0000ULL,
	      "exact name wins over a suffixed one");
	CHECK(q[2].addr == 0xffff800080400000ULL,
	      "no prefix match without a dot");
	CHECK(q[3].addr == 0 && q[3].found[0] == '\0', "absent stays absent");

	write_file(
		"0000000000000000 T _stext\n0000000000000000 b arm_pmus_lock\n");
	CHECK(ksyms_lookup(path, q, 1) == -EPERM,
	      "hidden addresses are an error");
	test_lock_address();
	unlink(path);
	CHECK(ksyms_lookup(path, q, 1) == -ENOENT, "missing file");

	CHECK(parse_lock_address("0xffff800081300000", &addr) == 0 &&
		      addr == 0xffff800081300000ULL,
	      "0x address");
	CHECK(parse_lock_address("ffff800081300000", &addr) == 0,
	      "bare kallsyms-style address");
	CHECK(parse_lock_address("add", &addr) == -EINVAL,
	      "short hex-looking symbol is a symbol");
	CHECK(parse_lock_address("arm_pmus_lock", &addr) == -EINVAL, "symbol");
	CHECK(parse_lock_address("0x", &addr) == -EINVAL &&
		      parse_lock_address("0x0", &addr) == -EINVAL,
	      "empty and zero");
	CHECK(parse_lock_address("0x1ffffffffffffffff", &addr) == -EINVAL,
	      "overflow");
	/* Addresses that cannot hold a kernel mutex. */
	CHECK(parse_lock_address("0x1234567890", &addr) == -ERANGE &&
		      parse_lock_address("deadbeef00", &addr) == -ERANGE,
	      "user-space address taken for a lock");
	CHECK(parse_lock_address("0xffff800081300004", &addr) == -ERANGE,
	      "misaligned address taken for a lock");
	UNIT_EXIT();
}
