// SPDX-License-Identifier: GPL-2.0
/*
 * sites_run.c against a fake kallsyms and a fake /proc/kcore: one look-up
 * of every site's and calibration pair's symbol, /proc/kcore's headers read
 * once, a patched site refusing only its target, and --sites auto finding
 * the table by build-id (or not, without failing). Link seams count the
 * kallsyms reads (ksyms_lookup) and the kcore reads (pread).
 */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "pmutrace_user.h"
#include "sitedir.h"
#include "sitetab.h"
#include "unit.h"

#define BASE 0xffff800080000000ULL
#define DATA 0x1000 /* the PT_LOAD's file offset */

static int lookups, header_reads;

int __real_ksyms_lookup(const char *path, struct ksym_query *q, int n);
int __wrap_ksyms_lookup(const char *path, struct ksym_query *q, int n)
{
	lookups++;
	return __real_ksyms_lookup(path, q, n);
}

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	header_reads += off < DATA;
	return __real_pread(fd, buf, n, off);
}

static char dir[] = "/tmp/test_sites_run.XXXXXX";

static void put(const char *name, const void *p, size_t n, off_t off)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || pwrite(fd, p, n, off) != (ssize_t)n)
		perror(path);
	close(fd);
}

/* kallsyms: caller_a at BASE + 0x100, caller_b at + 0x200, the system
 * calls at + 0x300 and + 0x400; caller_c only as a .isra clone. kcore: a
 * note and one PT_LOAD of BASE, with word w at BASE + o where w == o. */
static void fixtures(void)
{
	static const char syms[] = "ffff800080000100 T caller_a\n"
				   "ffff800080000200 T caller_b\n"
				   "ffff800080000280 t caller_c.isra.0\n"
				   "ffff800080000300 T __arm64_sys_getcpu\n"
				   "ffff800080000400 T __arm64_sys_getppid\n";
	Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3,
				       ELFCLASS64 },
			  .e_phoff = sizeof(eh),
			  .e_phentsize = sizeof(Elf64_Phdr),
			  .e_phnum = 2 };
	Elf64_Phdr ph[2] = { { .p_type = PT_NOTE },
			     { .p_type = PT_LOAD,
			       .p_vaddr = BASE,
			       .p_offset = DATA,
			       .p_memsz = 0x1000 } };

	put("kallsyms", syms, sizeof(syms) - 1, 0);
	put("kcore", &eh, sizeof(eh), 0);
	put("kcore", ph, sizeof(ph), sizeof(eh));
	for (__u32 w = 0; w < 0x1000; w += 4)
		put("kcore", &w, 4, DATA + w);
}

static const char table[] = SITETAB_MAGIC
	"\nbuild-id 0011\n"
	"site f1 0 entry caller_a+0x10 00000110\n"
	"site f1 0 exit caller_a+0x20 00000120\n"
	"site f2 0 entry caller_b+0x8 00000208\n"
	"site f2 0 exit caller_a+0x30 00000130\n"
	"site f3 0 entry caller_b+0x10 deadbeef\n"
	"site f3 0 exit caller_b+0x14 00000214\n"
	"site f4 0 entry caller_b+0x20 00000220\n"
	"site f4 1 entry caller_a+0x40 00000140\n"
	"site f4 1 exit caller_a+0x44 00000144\n"
	"site f5 0 entry caller_c+0x4 00000284\n"
	"calib simulated __arm64_sys_getcpu+0x4 00000304\n"
	"calib stepped __arm64_sys_getppid+0x8 00000408\n";

static struct run_result r;

static void test_prepare(void)
{
	static const char *const names[] = { "f1", "f2", "f3", "f4", "f5" };
	FILE *f = fmemopen((void *)table, sizeof(table) - 1, "r");
	char kallsyms[256], kcore[256], err[128];
	struct sitetab t;

	CHECK(!sitetab_read(f, &t, err, sizeof(err)), "%s", err);
	fclose(f);
	snprintf(kallsyms, sizeof(kallsyms), "%s/kallsyms", dir);
	snprintf(kcore, sizeof(kcore), "%s/kcore", dir);
	sites_kcore_path = kcore;
	r.ntargets = 5;
	for (int i = 0; i < r.ntargets; i++) {
		snprintf(r.targets[i].name, NAME_LEN, "%s", names[i]);
		r.targets[i].mode = ATTACH_INLINE;
		for (int k = 0; k < t.n; k++)
			r.targets[i].nsites +=
				!strcmp(t.sites[k].function, names[i]);
	}
	sites_prepare(&r, &t, kallsyms);
	CHECK(lookups == 1, "kallsyms read %d times for 5 targets and 2 pairs",
	      lookups);
	CHECK(header_reads == 2,
	      "/proc/kcore's headers read %d times (ELF header, then the program headers)",
	      header_reads);
	CHECK(r.targets[0].mode == ATTACH_INLINE &&
		      r.targets[1].mode == ATTACH_INLINE &&
		      r.targets[3].mode == ATTACH_INLINE,
	      "modes %d %d %d", r.targets[0].mode, r.targets[1].mode,
	      r.targets[3].mode);
	CHECK(r.targets[2].mode == ATTACH_ABSENT &&
		      strstr(r.targets[2].reason,
			     "caller_b+0x10: the live instruction 00000210 is not the table's deadbeef"),
	      "f3: %s", r.targets[2].reason);
	CHECK(r.targets[4].mode == ATTACH_ABSENT &&
		      strstr(r.targets[4].reason,
			     "caller_c+0x4: no such symbol in kallsyms"),
	      "f5 (only a .isra clone): %s", r.targets[4].reason);
	/* f3's and f5's sites went; f4's moved up after f1's and f2's. */
	CHECK(r.nsites == 7 && r.sites[4].target == 3 &&
		      r.sites[4].addr == BASE + 0x220 &&
		      r.sites[6].addr == BASE + 0x144 &&
		      r.sites[3].addr == BASE + 0x130,
	      "%d sites, [4] target %d at %llx", r.nsites, r.sites[4].target,
	      (unsigned long long)r.sites[4].addr);
	CHECK(r.has_calib[CLASS_SIMULATED] && r.has_calib[CLASS_STEPPED] &&
		      r.calib_sites[CLASS_STEPPED].addr == BASE + 0x408,
	      "calibration: %s / %s", r.calib[0].why, r.calib[1].why);
	sitetab_free(&t);
}

/* --sites auto: 0 and no table when there is none for this kernel, or a
 * wrong one; the table when PMUTRACE_SITES_DIR has it. */
static void test_auto(void)
{
	struct options o = { .sites = SITES_AUTO };
	char hex[2 * SITETAB_MAX_BUILD_ID + 1], path[512];
	__u8 id[SITETAB_MAX_BUILD_ID];
	int n = kernel_build_id(id, sizeof(id));
	struct sitetab t;
	FILE *f;

	if (n < 0) {
		SKIP("this host has no build-id in %s", SYS_NOTES);
		return;
	}
	build_id_hex(id, n, hex, sizeof(hex));
	setenv(SITES_DIR_ENV, dir, 1);
	CHECK(!strcmp(sites_dir(0), dir) &&
		      !strcmp(sites_dir(1), SITES_SHIPPED_DIR),
	      "%s, %s", sites_dir(0), sites_dir(1));
	CHECK(sites_load(&o, &t) == 0 && t.build_id_len == 0,
	      "no table: %d bytes of build-id", t.build_id_len);
	sites_table_path(dir, hex, path, sizeof(path));
	f = fopen(path, "w");
	fprintf(f, "%s\nbuild-id 0011\n", SITETAB_MAGIC);
	fclose(f);
	CHECK(sites_load(&o, &t) == 0 && t.build_id_len == 0,
	      "another build-id's table under this one's name: used");
	f = fopen(path, "w");
	fprintf(f, "%s\nbuild-id %s\nsite f 0 entry\n", SITETAB_MAGIC, hex);
	fclose(f);
	CHECK(sites_load(&o, &t) == 0 && t.build_id_len == 0,
	      "a table with a bad line: used");
	f = fopen(path, "w");
	fprintf(f, "%s\nbuild-id %s\nsite f 0 entry c+0x4 0\n", SITETAB_MAGIC,
		hex);
	fclose(f);
	CHECK(sites_load(&o, &t) == 0 && t.build_id_len == n && t.n == 1,
	      "this kernel's table not found in %s", dir);
	sitetab_free(&t);
	unlink(path);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	fixtures();
	test_prepare();
	test_auto();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	UNIT_EXIT();
}
