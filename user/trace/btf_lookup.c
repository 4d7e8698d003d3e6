// SPDX-License-Identifier: GPL-2.0
/*
 * libbpf 1.1's btf__find_by_name_kind() walks every type of the kernel's
 * BTF (some 150,000) on each call, and a name that is not there (an inlined
 * reader) costs the whole walk: about 6 ms of guest time on sid's 7.2, and
 * start-up asks for ten names. btf_lookup_prepare() answers the names it is
 * given, FUNC or ENUM, in one walk; btf_lookup() serves those from it and
 * hands any other name, or another BTF, to libbpf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "btf_lookup.h"

static struct {
	const struct btf *btf;
	int n;
	/* The wanted names' first two bytes: most names fail this test
	 * before any comparison. */
	__u8 lead[(1 << 16) / 8];
	struct found {
		const char *name;
		__s32 func, enm; /* the first of each kind; -ENOENT: none */
	} names[BTF_LOOKUP_MAX];
} idx;

/* A name's first two bytes ("" and one-letter names included). */
static __u32 lead_of(const char *name)
{
	return (__u32)(unsigned char)name[0] << 8 |
	       (name[0] ? (unsigned char)name[1] : 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->name,
		      ((const struct found *)b)->name);
}

void btf_lookup_prepare(const struct btf *btf, const char *const *names, int n)
{
	__u32 count = btf__type_cnt(btf);

	idx.btf = btf;
	idx.n = 0;
	for (int i = 0; i < n && idx.n < BTF_LOOKUP_MAX; i++)
		if (names[i])
			idx.names[idx.n++] =
				(struct found){ names[i], -ENOENT, -ENOENT };
	qsort(idx.names, idx.n, sizeof(idx.names[0]), by_name);
	memset(idx.lead, 0, sizeof(idx.lead));
	for (int i = 0; i < idx.n; i++) {
		__u32 l = lead_of(idx.names[i].name);

		idx.lead[l / 8] |= 1u << (l % 8);
	}
	for (__u32 id = 1; id < count; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		int kind = btf_kind(t);
		struct found key, *f;
		__u32 l;

		if (kind != BTF_KIND_FUNC && kind != BTF_KIND_ENUM)
			continue;
		key.name = btf__name_by_offset(btf, t->name_off);
		l = key.name ? lead_of(key.name) : 0;
		if (!(idx.lead[l / 8] & (1u << (l % 8))))
			continue;
		f = bsearch(&key, idx.names, idx.n, sizeof(idx.names[0]),
			    by_name);
		if (f && kind == BTF_KIND_FUNC && f->func < 0)
			f->func = id;
		else if (f && kind == BTF_KIND_ENUM && f->enm < 0)
			f->enm = id;
	}
}

__s32 btf_lookup(const struct btf *btf, const char *name, __u32 kind)
{
	struct found key = { .name = name }, *f = NULL;

	if (btf == idx.btf && (kind == BTF_KIND_FUNC || kind == BTF_KIND_ENUM))
		f = bsearch(&key, idx.names, idx.n, sizeof(idx.names[0]),
			    by_name);
	if (!f)
		return btf__find_by_name_kind(btf, name, kind);
	return kind == BTF_KIND_FUNC ? f->func : f->enm;
}

void btf_lookup_forget(void)
{
	idx.btf = NULL;
	idx.n = 0;
}

/*
 * The kernel BTF that start-up parsed goes on to libbpf's load of our object,
 * which would parse /sys/kernel/btf/vmlinux again (20 ms of guest time on
 * sid's 7.2, a quarter of `-f ... --no-lock`'s start-up). libbpf asks
 * btf__load_vmlinux_btf() for it, and the tracer's link wraps that function
 * (BTF_WRAP in the Makefile): the first call after btf_keep() takes the kept
 * BTF, and libbpf frees it after the load as it would its own. A libbpf
 * linked as a shared library calls its own function: btf_drop_kept() then
 * frees the kept one unused.
 */
static struct btf *kept;

struct btf *__real_btf__load_vmlinux_btf(void);

struct btf *__wrap_btf__load_vmlinux_btf(void)
{
	struct btf *btf = kept;

	if (!btf)
		return __real_btf__load_vmlinux_btf();
	kept = NULL;
	return btf;
}

void btf_keep(struct btf *btf)
{
	btf_drop_kept();
	kept = btf;
}

void btf_drop_kept(void)
{
	btf__free(kept);
	kept = NULL;
}
