// SPDX-License-Identifier: GPL-2.0
/* Finding symbols in /proc/kallsyms, in one pass for several names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pmutrace_user.h"

/*
 * "name" matches itself, and compiler-made variants of it such as
 * name.llvm.1234, name.isra.0 or name.constprop.0: an exact match wins.
 */
static int match_rank(const char *sym, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(sym, name, n) != 0)
		return 0;
	if (sym[n] == '\0')
		return 2;
	return sym[n] == '.' ? 1 : 0;
}

/* Data and bss symbols, where a mutex can be ('r' is read-only). */
static bool is_data_type(char type)
{
	return type == 'd' || type == 'D' || type == 'b' || type == 'B';
}

/*
 * Fill q[i].addr and q[i].found for each name present, and for each query
 * by address (name NULL) the data symbol that starts at q[i].at. Returns 0,
 * -ENOENT when the file cannot be read, or -EPERM when it shows only zero
 * addresses (kptr_restrict, or not root).
 */
int ksyms_lookup(const char *path, struct ksym_query *q, int n)
{
	int rank[PMUTRACE_MAX_TARGETS * 4] = { 0 };
	static char buf[1 << 20];
	bool any_nonzero = false;
	int open_end = -1; /* query whose end is the next new address */
	char line[512];
	FILE *f;

	if (n > (int)(sizeof(rank) / sizeof(rank[0])))
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		q[i].addr = q[i].end = 0;
		q[i].found[0] = '\0';
	}
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	/*
	 * "ffff800080010000 T name\t[module]": a few hundred thousand lines
	 * that the kernel is slow enough to produce, so no sscanf() per line;
	 * the address is parsed only for a match.
	 */
	while (fgets(line, sizeof(line), f)) {
		char *name = strchr(line, ' '), type;

		if (!name || !(name = strchr(name + 1, ' ')))
			continue;
		type = name[-1];
		name++;
		name[strcspn(name, " \t\n")] = '\0';
		if (!any_nonzero && line[strspn(line, "0")] != ' ')
			any_nonzero = true;
		/* Core kernel symbols come sorted by address. */
		if (open_end >= 0) {
			__u64 a = strtoull(line, NULL, 16);

			if (a > q[open_end].addr) {
				q[open_end].end = a;
				open_end = -1;
			}
		}
		for (int i = 0; i < n; i++) {
			int r;

			if (!q[i].name) {
				if (!q[i].addr && is_data_type(type) &&
				    strtoull(line, NULL, 16) == q[i].at) {
					q[i].addr = q[i].at;
					snprintf(q[i].found, sizeof(q[i].found),
						 "%s", name);
				}
				continue;
			}
			if (name[0] != q[i].name[0])
				continue;
			r = match_rank(name, q[i].name);
			if (r <= rank[i])
				continue;
			rank[i] = r;
			q[i].addr = strtoull(line, NULL, 16);
			q[i].end = 0;
			open_end = i;
			snprintf(q[i].found, sizeof(q[i].found), "%s", name);
		}
	}
	fclose(f);
	return any_nonzero ? 0 : -EPERM;
}

/*
 * The end of each function found by address (q[i].addr set, as the kernel's
 * index gives it): the next higher address after its own line. Reads only
 * until every one has its end; core kernel symbols come sorted by address,
 * so for built-in text that is an early part of the file. Returns the lines
 * read, -ENOENT or -E2BIG.
 */
int ksyms_find_ends(const char *path, struct ksym_query *q, int n)
{
	static char buf[1 << 16];
	bool seen[PMUTRACE_MAX_TARGETS * 4] = { false }; /* its own line */
	int open = 0, lines = 0;
	char line[512];
	FILE *f;

	if (n > (int)(sizeof(seen) / sizeof(seen[0])))
		return -E2BIG;
	for (int i = 0; i < n; i++)
		open += q[i].addr && !q[i].end;
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	while (open && fgets(line, sizeof(line), f)) {
		__u64 a = strtoull(line, NULL, 16);

		lines++;
		for (int i = 0; i < n; i++) {
			if (!q[i].addr || q[i].end)
				continue;
			if (a == q[i].addr)
				seen[i] = true;
			else if (seen[i] && a > q[i].addr) {
				q[i].end = a;
				open--;
			}
		}
	}
	fclose(f);
	return lines;
}

/*
 * Where this architecture's kernel lives: the kernel half of the address
 * space at its widest (arm64 with 52-bit VAs; x86-64 with 5-level paging),
 * so every configuration's kernel addresses lie above it.
 */
#if defined(__aarch64__)
#define KERNEL_VA_START 0xfff0000000000000ULL
#elif defined(__x86_64__)
#define KERNEL_VA_START 0xff00000000000000ULL
#else
#define KERNEL_VA_START 0ULL /* not known: not checked */
#endif

/*
 * "0xffff800081234560", or bare hex of 8 digits or more as kallsyms prints
 * it (so a short symbol such as "add" is never taken for an address).
 * Returns -EINVAL for anything else (0 is not an address), and -ERANGE for
 * an address where no kernel mutex can be: outside the kernel's half of the
 * address space, or not 8-byte aligned (struct mutex starts with an
 * atomic_long_t).
 */
int parse_lock_address(const char *s, __u64 *addr)
{
	unsigned long long v;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	else if (strlen(s) < 8)
		return -EINVAL;
	if (!*s || strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || *end || v == 0)
		return -EINVAL;
	if (v < KERNEL_VA_START || v % sizeof(__u64))
		return -ERANGE;
	*addr = v;
	return 0;
}

/* Every text symbol, sorted by address, for naming stack frames. */
struct ksym_table {
	struct ksym {
		__u64 addr;
		char *name;
	} * syms;
	size_t n;
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct ksym_table *ksyms_load(const char *path)
{
	struct ksym_table *t = calloc(1, sizeof(*t));
	size_t cap = 0;
	char line[512];
	FILE *f;

	if (!t)
		return NULL;
	f = fopen(path, "r");
	if (!f)
		return t;
	while (fgets(line, sizeof(line), f)) {
		char *type = strchr(line, ' '), *name;
		struct ksym *s;

		if (!type || (type[1] != 't' && type[1] != 'T') ||
		    type[2] != ' ')
			continue;
		name = type + 3;
		name[strcspn(name, " \t\n")] = '\0';
		if (t->n == cap) {
			cap = cap ? 2 * cap : 65536;
			s = realloc(t->syms, cap * sizeof(*s));
			if (!s)
				break;
			t->syms = s;
		}
		t->syms[t->n].addr = strtoull(line, NULL, 16);
		t->syms[t->n].name = strdup(name);
		if (t->syms[t->n].name)
			t->n++;
	}
	fclose(f);
	qsort(t->syms, t->n, sizeof(*t->syms), ksym_cmp);
	return t;
}

void ksyms_name(const struct ksym_table *t, __u64 addr, char *buf, size_t len)
{
	size_t lo = 0, hi = t ? t->n : 0;

	/* The last symbol at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || !t->syms[lo - 1].addr) {
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
		return;
	}
	snprintf(buf, len, "%s+0x%llx", t->syms[lo - 1].name,
		 (unsigned long long)(addr - t->syms[lo - 1].addr));
}

void ksyms_free(struct ksym_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->syms[i].name);
	free(t->syms);
	free(t);
}
