// SPDX-License-Identifier: GPL-2.0
/*
 * The inline-site table against the running kernel, before anything
 * attaches:
 * - the table's build-id must be the kernel's (/sys/kernel/notes): offsets
 *   from another build land in the middle of other code;
 * - each site's live instruction (/proc/kcore) must be the table's: a
 *   static key or alternative patched there, a livepatch's or another
 *   tool's probe (BRK) changes it, and the site no longer means what the
 *   DWARF said. Without /proc/kcore (no CAP_SYS_RAWIO, lockdown) the bytes
 *   are not checked, and the reason says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include "pmutrace_user.h"
#include "sitetab.h"

#define SYS_NOTES "/sys/kernel/notes"
#define PROC_KCORE "/proc/kcore"

/* The GNU build-id note among the kernel's notes; its length, or -1. */
static int kernel_build_id(__u8 *id, int max)
{
	char buf[4096];
	int fd = open(SYS_NOTES, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	size_t off = 0;

	if (fd >= 0)
		close(fd);
	while (n > 0 && off + sizeof(Elf64_Nhdr) <= (size_t)n) {
		Elf64_Nhdr h;
		size_t name, desc;

		memcpy(&h, buf + off, sizeof(h));
		name = off + sizeof(h);
		desc = name + ((h.n_namesz + 3) & ~3u);
		if (desc + h.n_descsz > (size_t)n)
			break;
		if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 &&
		    !memcmp(buf + name, "GNU", 4) && (int)h.n_descsz <= max) {
			memcpy(id, buf + desc, h.n_descsz);
			return h.n_descsz;
		}
		off = desc + ((h.n_descsz + 3) & ~3u);
	}
	return -1;
}

int sites_load(const struct options *o, struct sitetab *t)
{
	__u8 id[SITETAB_MAX_BUILD_ID];
	char err[256], want[64], have[64];
	FILE *f = fopen(o->sites, "r");
	int n;

	if (!f)
		return report_error(EXIT_USAGE, "--sites %s: %s", o->sites,
				    strerror(errno));
	n = sitetab_read(f, t, err, sizeof(err));
	fclose(f);
	if (n)
		return report_error(EXIT_USAGE, "--sites %s: %s", o->sites,
				    err);
	n = kernel_build_id(id, sizeof(id));
	build_id_hex(t->build_id, t->build_id_len, want, sizeof(want));
	if (n < 0) {
		sitetab_free(t);
		return report_error(
			EXIT_KERNEL,
			"--sites: this kernel shows no build-id in %s, so the table (%s) cannot be checked against it",
			SYS_NOTES, want);
	}
	build_id_hex(id, n, have, sizeof(have));
	if (n != t->build_id_len || memcmp(id, t->build_id, n)) {
		sitetab_free(t);
		return report_error(
			EXIT_USAGE,
			"--sites %s is for the kernel with build-id %s; this one is %s",
			o->sites, want, have);
	}
	return 0;
}

/* The 4 bytes at kernel address addr, from /proc/kcore's PT_LOAD. */
static int kcore_read(int fd, __u64 addr, __u32 *insn)
{
	Elf64_Ehdr eh;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return -EINVAL;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph),
			  eh.e_phoff + (off_t)i * eh.e_phentsize) != sizeof(ph))
			return -EIO;
		if (ph.p_type != PT_LOAD || addr < ph.p_vaddr ||
		    addr + 4 > ph.p_vaddr + ph.p_memsz)
			continue;
		return pread(fd, insn, 4, ph.p_offset + (addr - ph.p_vaddr)) ==
				       4 ?
			       0 :
			       -EIO;
	}
	return -ENOENT;
}

static void target_absent(struct target *t, const char *fmt, const char *a,
			  __u64 b, __u32 c, __u32 d)
{
	char why[sizeof(t->reason)];

	snprintf(why, sizeof(why), fmt, a, (unsigned long long)b, c, d);
	t->mode = ATTACH_ABSENT;
	snprintf(t->reason, sizeof(t->reason), "inline sites refused: %s", why);
}

/* Check one target's sites (already in r->sites from first on). */
static void check_sites(struct run_result *r, struct target *t, int first,
			int kcore, int kcore_err)
{
	for (int i = first; i < r->nsites && t->mode == ATTACH_INLINE; i++) {
		struct run_site *s = &r->sites[i];
		__u32 live;
		int err;

		if (!s->addr) {
			target_absent(t,
				      "%s+0x%llx: no such symbol in kallsyms",
				      s->symbol, s->offset, 0, 0);
			break;
		}
		if (kcore < 0)
			continue;
		err = kcore_read(kcore, s->addr, &live);
		if (err) {
			target_absent(t, "%s+0x%llx: not in /proc/kcore",
				      s->symbol, s->offset, 0, 0);
		} else if (live != s->insn) {
			target_absent(
				t,
				"%s+0x%llx: the live instruction %08x is not the table's %08x (patched: static key, alternative, livepatch or another probe)",
				s->symbol, s->offset, live, s->insn);
		}
	}
	if (t->mode == ATTACH_INLINE && kcore < 0) {
		size_t len = strlen(t->reason);

		snprintf(t->reason + len, sizeof(t->reason) - len,
			 "; live bytes unchecked (%s: %s)", PROC_KCORE,
			 strerror(kcore_err));
	}
}

/* Look up the symbols of n sites. */
static void site_addresses(struct run_site *s, int n, const char *kallsyms)
{
	struct ksym_query q[PMUTRACE_MAX_TARGETS * 4] = {};
	int nq = 0;

	for (int i = 0; i < n; i++) {
		int j;

		for (j = 0; j < nq && strcmp(q[j].name, s[i].symbol); j++)
			;
		if (j == nq && nq < (int)(sizeof(q) / sizeof(q[0])))
			q[nq++].name = s[i].symbol;
	}
	if (ksyms_lookup(kallsyms, q, nq) < 0)
		return;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < nq; j++)
			if (!strcmp(q[j].name, s[i].symbol) && q[j].addr)
				s[i].addr = q[j].addr + s[i].offset;
}

static void run_site_of(struct run_site *rs, const struct site *s, int target)
{
	memset(rs, 0, sizeof(*rs));
	rs->target = target;
	rs->instance = s->instance;
	rs->exit = s->exit;
	snprintf(rs->symbol, sizeof(rs->symbol), "%s", s->symbol);
	rs->offset = s->offset;
	rs->insn = s->insn;
}

/* The calibration pairs the table names, checked like the sites (the
 * exit's bytes are not the table's: a kprobe there only reads the clock). */
static void calib_prepare(struct run_result *r, const struct sitetab *tab,
			  const char *kallsyms, int kcore)
{
	for (int k = 0; k < tab->n; k++) {
		const struct site *s = &tab->sites[k];
		int c = insn_class_of(s->function);
		struct run_site *rs = &r->calib_sites[c < 0 ? 0 : c],
				*ex = &r->calib_exits[c < 0 ? 0 : c];
		__u32 live;

		if (!s->calib || c < 0)
			continue;
		run_site_of(rs, s, 0);
		site_addresses(rs, 1, kallsyms);
		*ex = *rs;
		snprintf(ex->symbol, sizeof(ex->symbol), "%s", s->exit_symbol);
		ex->offset = s->exit_offset;
		ex->exit = true;
		ex->addr = 0;
		site_addresses(ex, 1, kallsyms);
		if (!rs->addr || !ex->addr)
			snprintf(r->calib[c].why, sizeof(r->calib[c].why),
				 "%s not in kallsyms",
				 rs->addr ? s->exit_symbol : s->symbol);
		else if (kcore >= 0 && (kcore_read(kcore, rs->addr, &live) ||
					live != rs->insn))
			snprintf(r->calib[c].why, sizeof(r->calib[c].why),
				 "%s+0x%llx: live instruction differs",
				 s->symbol, (unsigned long long)s->offset);
		else
			r->has_calib[c] = true;
	}
	for (int c = 0; c < NR_CLASSES; c++)
		if (!r->has_calib[c] && !r->calib[c].why[0])
			snprintf(r->calib[c].why, sizeof(r->calib[c].why),
				 "the site table has no %s pair",
				 insn_class_names[c]);
}

void sites_prepare(struct run_result *r, const struct sitetab *tab,
		   const char *kallsyms)
{
	int kcore = open(PROC_KCORE, O_RDONLY | O_CLOEXEC);
	int kcore_err = errno;

	r->nsites = 0;
	for (int i = 0; i < r->ntargets; i++) {
		struct target *t = &r->targets[i];
		int first = r->nsites;

		if (t->mode != ATTACH_INLINE)
			continue;
		/* The calibration pairs take the last site_stats slots. */
		if (r->nsites + t->nsites >
		    PMUTRACE_MAX_SITES - 2 * NR_CLASSES) {
			target_absent(t, "%s%llu sites over the run's limit",
				      "", t->nsites, 0, 0);
			continue;
		}
		for (int k = 0; k < tab->n; k++) {
			const struct site *s = &tab->sites[k];

			if (!s->calib && !strcmp(s->function, t->name))
				run_site_of(&r->sites[r->nsites++], s, i);
		}
		site_addresses(r->sites + first, r->nsites - first, kallsyms);
		check_sites(r, t, first, kcore, kcore_err);
		if (t->mode != ATTACH_INLINE)
			r->nsites = first;
	}
	if (r->nsites)
		calib_prepare(r, tab, kallsyms, kcore);
	if (kcore >= 0)
		close(kcore);
}
