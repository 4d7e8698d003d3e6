// SPDX-License-Identifier: GPL-2.0
/*
 * Where an inlined function's body starts and ends in the caller, from the
 * DWARF of a vmlinux:
 *
 * - the instances are the DW_TAG_inlined_subroutine DIEs whose
 *   abstract_origin is the function, in the CUs that hold its abstract
 *   DW_TAG_subprogram (a static inline is abstract in each CU that uses it);
 * - the entry is DW_AT_entry_pc where it lies in one of the instance's
 *   non-empty ranges, else the start of the lowest non-empty range: GCC
 *   often points entry_pc at an empty range in the caller's prologue, where
 *   none of the body runs (kvm_pmu_probe_armpmu on 7.2.13: +0x8, where the
 *   body starts at +0x1c);
 * - the exits are where control leaves the ranges: a range's end when its
 *   last instruction falls through, and the target of each branch out of
 *   them (a64_branch.c), unless a few straight-line instructions of the
 *   caller lead back in (falls_back). A branch or return that leaves the caller itself
 *   (tail call, indirect jump, return) exits at the branch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <dwarf.h>
#include <gelf.h>
#include "a64_branch.h"
#include "sites.h"

struct func_sym {
	__u64 addr, size;
	const char *name;
};

struct vmlinux {
	int fd;
	Elf *elf;
	Dwarf *dw;
	struct func_sym *syms;
	size_t nsyms;
};

#define MAX_RANGES 64

struct instance {
	__u64 lo[MAX_RANGES], hi[MAX_RANGES];
	int n;
};

static int cmp_sym(const void *a, const void *b)
{
	const struct func_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The text symbols, sorted: a site is named as kallsyms would name it. */
static int load_syms(struct vmlinux *v)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(v->elf, scn))) {
		Elf_Data *d;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		v->syms = calloc(n ? n : 1, sizeof(*v->syms));
		if (!d || !v->syms)
			return -1;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym s;

			if (!gelf_getsym(d, i, &s) ||
			    GELF_ST_TYPE(s.st_info) != STT_FUNC || !s.st_size)
				continue;
			v->syms[v->nsyms++] = (struct func_sym){
				s.st_value, s.st_size,
				elf_strptr(v->elf, sh.sh_link, s.st_name)
			};
		}
		qsort(v->syms, v->nsyms, sizeof(*v->syms), cmp_sym);
		return 0;
	}
	return -1;
}

static const struct func_sym *sym_of(const struct vmlinux *v, __u64 addr)
{
	size_t lo = 0, hi = v->nsyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	lo--;
	return addr < v->syms[lo].addr + v->syms[lo].size ? &v->syms[lo] : NULL;
}

struct vmlinux *vmlinux_open(const char *path, char *err, size_t errlen)
{
	struct vmlinux *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	elf_version(EV_CURRENT);
	v->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(v);
		return NULL;
	}
	v->elf = elf_begin(v->fd, ELF_C_READ_MMAP, NULL);
	if (!v->elf || elf_kind(v->elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		goto fail;
	}
	v->dw = dwarf_begin_elf(v->elf, DWARF_C_READ, NULL);
	if (!v->dw) {
		snprintf(err, errlen,
			 "%s: no DWARF (%s): give the -dbg package's vmlinux",
			 path, dwarf_errmsg(-1));
		goto fail;
	}
	if (load_syms(v)) {
		snprintf(err, errlen, "%s: no symbol table", path);
		goto fail;
	}
	return v;
fail:
	vmlinux_close(v);
	return NULL;
}

void vmlinux_close(struct vmlinux *v)
{
	if (!v)
		return;
	if (v->dw)
		dwarf_end(v->dw);
	if (v->elf)
		elf_end(v->elf);
	close(v->fd);
	free(v->syms);
	free(v);
}

/* The instruction word at addr, from the section that holds it. */
static int insn_at(const struct vmlinux *v, __u64 addr, __u32 *insn)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(v->elf, scn))) {
		Elf_Data *d;
		__u64 off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || addr < sh.sh_addr ||
		    addr + 4 > sh.sh_addr + sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		off = addr - sh.sh_addr;
		if (!d || off + 4 > d->d_size)
			return -1;
		/* arm64 kernels are little-endian; so are the hosts we run on */
		memcpy(insn, (char *)d->d_buf + off, 4);
		return 0;
	}
	return -1;
}

static bool in_ranges(const struct instance *in, __u64 a)
{
	for (int i = 0; i < in->n; i++)
		if (a >= in->lo[i] && a < in->hi[i])
			return true;
	return false;
}

static int add_site(struct vmlinux *v, struct sitetab *t, const char *fn,
		    __u32 instance, bool exit, __u64 addr, char *err,
		    size_t errlen)
{
	const struct func_sym *sym = sym_of(v, addr);
	struct site s = { .instance = instance, .exit = exit };

	if (!sym || insn_at(v, addr, &s.insn)) {
		snprintf(err, errlen, "%s: no text symbol at 0x%llx", fn,
			 (unsigned long long)addr);
		return -1;
	}
	for (int i = 0; i < t->n; i++) {
		const struct site *o = &t->sites[i];

		if (o->instance == instance && o->exit == exit &&
		    !strcmp(o->function, fn) && !strcmp(o->symbol, sym->name) &&
		    o->offset == addr - sym->addr)
			return 0;
	}
	snprintf(s.function, sizeof(s.function), "%s", fn);
	snprintf(s.symbol, sizeof(s.symbol), "%s", sym->name);
	s.offset = addr - sym->addr;
	return sitetab_add(t, &s);
}

/*
 * GCC schedules a few of the caller's instructions into an inlined body: a
 * range ends, straight-line code of the caller runs, and the next range
 * goes on. Control that reaches addr comes back into the instance if a few
 * instructions without a jump lead there; those count as the body's.
 */
#define MAX_HOLE 8

static bool falls_back(const struct vmlinux *v, const struct instance *in,
		       __u64 addr)
{
	for (int i = 0; i <= MAX_HOLE; i++, addr += 4) {
		__u32 insn;
		__u64 to;

		if (in_ranges(in, addr))
			return true;
		if (insn_at(v, addr, &insn) ||
		    a64_is_jump(a64_decode(insn, addr, &to)))
			return false;
	}
	return false;
}

/* The exits of one instance (see the top of this file). */
static int instance_exits(struct vmlinux *v, const struct instance *in,
			  const char *fn, __u32 k, struct sitetab *t, char *err,
			  size_t errlen)
{
	const struct func_sym *caller = sym_of(v, in->lo[0]);

	for (int r = 0; r < in->n; r++) {
		enum a64_kind kind = A64_OTHER;

		for (__u64 pc = in->lo[r]; pc < in->hi[r]; pc += 4) {
			__u64 to, exit = 0;
			__u32 insn;

			if (insn_at(v, pc, &insn)) {
				snprintf(err, errlen, "%s: no text at 0x%llx",
					 fn, (unsigned long long)pc);
				return -1;
			}
			kind = a64_decode(insn, pc, &to);
			if (!a64_is_jump(kind))
				continue;
			if (!a64_is_direct(kind) || !caller ||
			    to < caller->addr ||
			    to >= caller->addr + caller->size)
				exit = pc; /* leaves the caller: time it here */
			else if (!in_ranges(in, to) && !falls_back(v, in, to))
				exit = to;
			if (exit &&
			    add_site(v, t, fn, k, true, exit, err, errlen))
				return -1;
		}
		if (!a64_is_unconditional(kind) &&
		    !falls_back(v, in, in->hi[r]) &&
		    add_site(v, t, fn, k, true, in->hi[r], err, errlen))
			return -1;
	}
	return 0;
}

static int read_ranges(Dwarf_Die *die, struct instance *in)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	in->n = 0;
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo == hi)
			continue; /* empty: no code of the body */
		if (in->n == MAX_RANGES)
			return -1;
		in->lo[in->n] = lo;
		in->hi[in->n++] = hi;
	}
	return in->n ? 0 : -1;
}

struct walk {
	struct vmlinux *v;
	const char *fn;
	struct sitetab *t;
	int found;
	char *err;
	size_t errlen;
};

static int add_instance(struct walk *w, Dwarf_Die *die)
{
	struct instance in;
	Dwarf_Addr pc;
	__u64 entry = ~0ull;

	if (read_ranges(die, &in))
		return 0; /* optimised away entirely: nothing runs */
	for (int i = 0; i < in.n; i++)
		if (in.lo[i] < entry)
			entry = in.lo[i];
	if (dwarf_entrypc(die, &pc) == 0 && in_ranges(&in, pc))
		entry = pc;
	if (add_site(w->v, w->t, w->fn, w->found, false, entry, w->err,
		     w->errlen) ||
	    instance_exits(w->v, &in, w->fn, w->found, w->t, w->err, w->errlen))
		return -1;
	w->found++;
	return 0;
}

static bool is_origin_of(Dwarf_Die *die, const char *fn)
{
	Dwarf_Attribute a;
	Dwarf_Die origin;
	const char *name;

	if (!dwarf_attr(die, DW_AT_abstract_origin, &a) ||
	    !dwarf_formref_die(&a, &origin))
		return false;
	name = dwarf_diename(&origin);
	return name && !strcmp(name, fn);
}

static int walk_dies(struct walk *w, Dwarf_Die *parent)
{
	Dwarf_Die child;

	if (dwarf_child(parent, &child) != 0)
		return 0;
	do {
		if (dwarf_tag(&child) == DW_TAG_inlined_subroutine &&
		    is_origin_of(&child, w->fn) && add_instance(w, &child))
			return -1;
		if (dwarf_haschildren(&child) && walk_dies(w, &child))
			return -1;
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

/* Does the CU declare fn at its top level (where an abstract inline is)? */
static bool cu_declares(Dwarf_Die *cu, const char *fn)
{
	Dwarf_Die child;

	if (dwarf_child(cu, &child) != 0)
		return false;
	do {
		const char *name;

		if (dwarf_tag(&child) != DW_TAG_subprogram)
			continue;
		name = dwarf_diename(&child);
		if (name && !strcmp(name, fn))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* A kprobe can take insn, and the next instruction runs right after it
 * (a call's: its callee's first). */
static bool calib_fits(__u32 insn, enum insn_class class)
{
	__u64 to;

	if (class == CLASS_CALL)
		return a64_decode(insn, 0, &to) == A64_BL;
	if (class == CLASS_SIMULATED)
		return a64_kprobe_simulates(insn) &&
		       a64_decode(insn, 0, &to) == A64_OTHER;
	/* Register 31 (sp) untouched: the pair is matched by its frame. */
	return !a64_kprobe_simulates(insn) &&
	       (insn & 0xffc00000) != 0xd5000000 && /* system: hints, MRS */
	       (insn & 0x3f000000) != 0x08000000 && /* exclusive load/store */
	       (insn & 0x1f) != 31 && ((insn >> 5) & 0x1f) != 31;
}

#define A64_NOP 0xd503201fu

/*
 * Where a call pair's exit goes: the BL at addr's callee, past the NOPs
 * ftrace patches at its entry (2 on Debian's kernels), which it must have:
 * trace_kprobe refuses a kprobe anywhere in a notrace function ("Could not
 * probe notrace function"), and a NOP there is ftrace's to patch. Before
 * the callee's prologue its sp is the caller's: the pair matches by frame.
 */
static int call_exit(struct vmlinux *v, __u64 addr, __u32 insn, struct site *s)
{
	const struct func_sym *t;
	__u32 w;
	__u64 to, off = 0;

	a64_decode(insn, addr, &to);
	t = sym_of(v, to);
	if (!t || t->addr != to)
		return -1;
	while (off < 8 && !insn_at(v, to + off, &w) && w == A64_NOP)
		off += 4;
	if (!off)
		return -1;
	snprintf(s->exit_symbol, sizeof(s->exit_symbol), "%s", t->name);
	s->exit_offset = off;
	return 0;
}

/* The first fitting pair of class c in symbol, past the two NOPs ftrace
 * patches at the entry, into s; false for none. */
static bool calib_pair(struct vmlinux *v, const char *symbol, enum insn_class c,
		       struct site *s)
{
	const struct func_sym *sym = NULL;

	for (size_t i = 0; i < v->nsyms && !sym; i++)
		if (!strcmp(v->syms[i].name, symbol))
			sym = &v->syms[i];
	for (__u64 off = 8; sym && off + 8 <= sym->size; off += 4) {
		if (insn_at(v, sym->addr + off, &s->insn) ||
		    !calib_fits(s->insn, c))
			continue;
		if (c == CLASS_CALL) {
			if (call_exit(v, sym->addr + off, s->insn, s))
				continue;
		} else {
			snprintf(s->exit_symbol, sizeof(s->exit_symbol), "%s",
				 symbol);
			s->exit_offset = off + 4;
		}
		snprintf(s->symbol, sizeof(s->symbol), "%s", symbol);
		s->offset = off;
		return true;
	}
	return false;
}

int sites_calib(struct vmlinux *v, struct sitetab *t, char *err, size_t errlen)
{
	int missing = 0;

	for (int c = 0; c < NR_CLASSES; c++) {
		struct site s = { .calib = true };
		bool found = false;

		for (int f = 0; f < NR_CALIB_FUNCS && !found; f++)
			found = calib_funcs[f].class == (enum insn_class)c &&
				calib_pair(v, calib_funcs[f].symbol, c, &s);
		if (!found) {
			snprintf(err, errlen,
				 "no %s instruction pair to calibrate with",
				 insn_class_names[c]);
			missing++;
			continue;
		}
		snprintf(s.function, sizeof(s.function), "%s",
			 insn_class_names[c]);
		if (sitetab_add(t, &s))
			return -1;
	}
	return missing;
}

int sites_find(struct vmlinux *v, const char *function, struct sitetab *t,
	       char *err, size_t errlen)
{
	struct walk w = { v, function, t, 0, err, errlen };
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	const void *id;
	int len;

	len = dwelf_elf_gnu_build_id(v->elf, &id);
	if (len <= 0 || len > SITETAB_MAX_BUILD_ID) {
		snprintf(err, errlen, "no GNU build-id note");
		return -1;
	}
	memcpy(t->build_id, id, len);
	t->build_id_len = len;
	while (dwarf_get_units(v->dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0)
		if (cu_declares(&cudie, function) && walk_dies(&w, &cudie))
			return -1;
	return w.found;
}
