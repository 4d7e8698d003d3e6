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
 * --sites auto finds the table by the kernel's build-id (sitedir.h); a
 * missing one leaves the targets to their callers, as without --sites.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include "pmutrace_user.h"
#include "sitedir.h"
#include "sitetab.h"

const char *sites_kcore_path = "/proc/kcore"; /* a test's fake elsewhere */

/* Read and check the table at path against the kernel's build-id (have,
 * n bytes): 0, or -1 with the reason in err. */
static int table_read(const char *path, const __u8 *have, int n,
		      struct sitetab *t, char *err, size_t errlen)
{
	char want[2 * SITETAB_MAX_BUILD_ID + 1], hex[sizeof(want)];
	FILE *f = fopen(path, "r");
	char why[256];
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	rc = sitetab_read(f, t, why, sizeof(why));
	fclose(f);
	if (rc) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (n != t->build_id_len || memcmp(have, t->build_id, n)) {
		build_id_hex(t->build_id, t->build_id_len, want, sizeof(want));
		build_id_hex(have, n, hex, sizeof(hex));
		snprintf(
			err, errlen,
			"the table is for the kernel with build-id %s; this one is %s",
			want, hex);
		sitetab_free(t);
		return -1;
	}
	return 0;
}

/*
 * --sites auto: the table named by this kernel's build-id, in the cache,
 * then among the shipped ones. None, or a bad one (one warning line), is
 * no table: never a failed run.
 */
static int sites_auto(const __u8 *id, int n, struct sitetab *t)
{
	char hex[2 * SITETAB_MAX_BUILD_ID + 1], path[4096], err[512];

	build_id_hex(id, n, hex, sizeof(hex));
	for (int i = 0; i < SITES_NR_DIRS; i++) {
		if (sites_table_path(sites_dir(i), hex, path, sizeof(path)) ||
		    access(path, F_OK))
			continue;
		if (!table_read(path, id, n, t, err, sizeof(err)))
			return 0;
		return report_error(
			0,
			"warning: --sites auto: %s: %s; not used, inlined targets are timed through their callers",
			path, err);
	}
	return report_error(
		0,
		"--sites auto: no table for build-id %s in %s or %s (pmutrace-sites --cache makes one); inlined targets are timed through their callers",
		hex, sites_dir(0), sites_dir(1));
}

/* t is left empty (no build-id) when --sites auto finds no table. */
int sites_load(const struct options *o, struct sitetab *t)
{
	__u8 id[SITETAB_MAX_BUILD_ID];
	char err[512];
	int n = kernel_build_id(id, sizeof(id));

	memset(t, 0, sizeof(*t));
	if (n < 0 && !strcmp(o->sites, SITES_AUTO))
		return report_error(
			0,
			"--sites auto: this kernel shows no build-id in %s; inlined targets are timed through their callers",
			SYS_NOTES);
	if (n < 0)
		return report_error(
			EXIT_KERNEL,
			"--sites: this kernel shows no build-id in %s, so the table cannot be checked against it",
			SYS_NOTES);
	if (!strcmp(o->sites, SITES_AUTO))
		return sites_auto(id, n, t);
	if (table_read(o->sites, id, n, t, err, sizeof(err)))
		return report_error(EXIT_USAGE, "--sites %s: %s", o->sites,
				    err);
	return 0;
}

/* /proc/kcore's PT_LOAD headers, read once for every site. */
struct kcore {
	int fd, err; /* fd < 0: unreadable, err says why */
	int n;
	Elf64_Phdr *load;
};

static void kcore_open(struct kcore *k)
{
	Elf64_Ehdr eh;

	memset(k, 0, sizeof(*k));
	k->fd = open(sites_kcore_path, O_RDONLY | O_CLOEXEC);
	k->err = errno;
	if (k->fd < 0)
		return;
	if (pread(k->fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !(k->load =
		      calloc(eh.e_phnum ? eh.e_phnum : 1, sizeof(*k->load))) ||
	    pread(k->fd, k->load, eh.e_phnum * sizeof(*k->load), eh.e_phoff) !=
		    (ssize_t)(eh.e_phnum * sizeof(*k->load))) {
		close(k->fd);
		free(k->load);
		k->load = NULL;
		k->fd = -1;
		k->err = EINVAL;
		return;
	}
	for (int i = 0; i < eh.e_phnum; i++)
		if (k->load[i].p_type == PT_LOAD)
			k->load[k->n++] = k->load[i];
}

static void kcore_close(struct kcore *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->load);
}

/* The 4 bytes at kernel address addr. */
static int kcore_read(const struct kcore *k, __u64 addr, __u32 *insn)
{
	for (int i = 0; i < k->n; i++) {
		const Elf64_Phdr *ph = &k->load[i];

		if (addr < ph->p_vaddr || addr + 4 > ph->p_vaddr + ph->p_memsz)
			continue;
		return pread(k->fd, insn, 4,
			     ph->p_offset + (addr - ph->p_vaddr)) == 4 ?
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

/* Check one target's sites, r->sites[first, end). */
static void check_sites(struct run_result *r, struct target *t, int first,
			int end, const struct kcore *k)
{
	for (int i = first; i < end && t->mode == ATTACH_INLINE; i++) {
		struct run_site *s = &r->sites[i];
		__u32 live;

		if (!s->addr) {
			target_absent(t,
				      "%s+0x%llx: no such symbol in kallsyms",
				      s->symbol, s->offset, 0, 0);
			break;
		}
		if (k->fd < 0)
			continue;
		if (kcore_read(k, s->addr, &live)) {
			target_absent(t, "%s+0x%llx: not in /proc/kcore",
				      s->symbol, s->offset, 0, 0);
		} else if (live != s->insn) {
			target_absent(
				t,
				"%s+0x%llx: the live instruction %08x is not the table's %08x (patched: static key, alternative, livepatch or another probe)",
				s->symbol, s->offset, live, s->insn);
		}
	}
	if (t->mode == ATTACH_INLINE && k->fd < 0) {
		size_t len = strlen(t->reason);

		snprintf(t->reason + len, sizeof(t->reason) - len,
			 "; live bytes unchecked (%s: %s)", sites_kcore_path,
			 strerror(k->err));
	}
}

#define MAX_SYMS (PMUTRACE_MAX_TARGETS * 4)

/*
 * Every site's and calibration pair's symbol, looked up in one go: the
 * kernel's index where it answers (no file read), else one read of the
 * file. Only an exact name counts: offsets of a .isra clone are not the
 * table's.
 */
static void site_addresses(struct run_site *s, int n, const char *kallsyms)
{
	struct ksym_query q[MAX_SYMS] = {};
	int nq = 0;

	for (int i = 0; i < n; i++) {
		int j;

		if (!s[i].symbol[0])
			continue;
		for (j = 0; j < nq && strcmp(q[j].name, s[i].symbol); j++)
			;
		if (j == nq && nq < MAX_SYMS)
			q[nq++].name = s[i].symbol;
	}
	if ((strcmp(kallsyms, PROC_KALLSYMS) || ksyms_kernel_lookup(q, nq)) &&
	    ksyms_lookup(kallsyms, q, nq) < 0)
		return;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < nq; j++)
			if (s[i].symbol[0] && !strcmp(q[j].name, s[i].symbol) &&
			    q[j].addr && !strcmp(q[j].found, s[i].symbol))
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

/* The calibration pairs the table names (addresses already looked up),
 * checked like the sites (the exit's bytes are not the table's: a kprobe
 * there only reads the clock). */
static void calib_check(struct run_result *r, const struct kcore *k)
{
	for (int c = 0; c < NR_CLASSES; c++) {
		const struct run_site *rs = &r->calib_sites[c],
				      *ex = &r->calib_exits[c];
		__u32 live;

		if (!rs->symbol[0])
			snprintf(r->calib[c].why, sizeof(r->calib[c].why),
				 "the site table has no %s pair",
				 insn_class_names[c]);
		else if (!rs->addr || !ex->addr)
			snprintf(r->calib[c].why, sizeof(r->calib[c].why),
				 "%s not in kallsyms",
				 rs->addr ? ex->symbol : rs->symbol);
		else if (k->fd >= 0 &&
			 (kcore_read(k, rs->addr, &live) || live != rs->insn))
			snprintf(r->calib[c].why, sizeof(r->calib[c].why),
				 "%s+0x%llx: live instruction differs",
				 rs->symbol, (unsigned long long)rs->offset);
		else
			r->has_calib[c] = true;
	}
}

void sites_prepare(struct run_result *r, const struct sitetab *tab,
		   const char *kallsyms)
{
	struct run_site all[PMUTRACE_MAX_SITES + 2 * NR_CLASSES];
	int n = 0, keep = 0, start[PMUTRACE_MAX_TARGETS + 1];
	struct kcore k;

	/* Every inline target's sites, then the pairs, for one look-up. */
	for (int i = 0; i < r->ntargets; i++) {
		struct target *t = &r->targets[i];

		start[i] = n;
		if (t->mode != ATTACH_INLINE)
			continue;
		/* The calibration pairs take the last site_stats slots. */
		if (n + t->nsites > PMUTRACE_MAX_SITES - 2 * NR_CLASSES) {
			target_absent(t, "%s%llu sites over the run's limit",
				      "", t->nsites, 0, 0);
			continue;
		}
		for (int j = 0; j < tab->n; j++)
			if (!tab->sites[j].calib &&
			    !strcmp(tab->sites[j].function, t->name))
				run_site_of(&all[n++], &tab->sites[j], i);
	}
	start[r->ntargets] = n;
	r->nsites = 0;
	if (!n)
		return;
	memset(all + n, 0, 2 * NR_CLASSES * sizeof(all[0]));
	/* Each calib line's entry and exit in its class's slots, after the
	 * sites. */
	for (int j = 0; j < tab->n; j++) {
		const struct site *cs = &tab->sites[j];
		int c = cs->calib ? insn_class_of(cs->function) : -1;
		struct run_site *ex = &all[n + NR_CLASSES + c];

		if (c < 0)
			continue;
		run_site_of(&all[n + c], cs, 0);
		run_site_of(ex, cs, 0);
		snprintf(ex->symbol, sizeof(ex->symbol), "%s", cs->exit_symbol);
		ex->offset = cs->exit_offset;
		ex->exit = true;
	}
	site_addresses(all, n + 2 * NR_CLASSES, kallsyms);
	memcpy(r->calib_sites, all + n, sizeof(r->calib_sites));
	memcpy(r->calib_exits, all + n + NR_CLASSES, sizeof(r->calib_exits));
	memcpy(r->sites, all, n * sizeof(all[0]));
	kcore_open(&k);
	/* A refused target's sites go; the others move up. */
	for (int i = 0; i < r->ntargets; i++) {
		int len = start[i + 1] - start[i];

		if (!len || r->targets[i].mode != ATTACH_INLINE)
			continue;
		check_sites(r, &r->targets[i], start[i], start[i + 1], &k);
		if (r->targets[i].mode != ATTACH_INLINE)
			continue;
		memmove(r->sites + keep, r->sites + start[i],
			len * sizeof(r->sites[0]));
		keep += len;
	}
	r->nsites = keep;
	if (keep)
		calib_check(r, &k);
	kcore_close(&k);
}
