// SPDX-License-Identifier: GPL-2.0
/* btf_lookup: one walk answers the prepared names exactly as libbpf's own
 * look-up would; anything else goes to libbpf. */
#include <errno.h>
#include <bpf/btf.h>
#include "unit.h"
#include "btf_lookup.h"

static int add_func(struct btf *b, const char *name, int proto)
{
	return btf__add_func(b, name, BTF_FUNC_GLOBAL, proto);
}

int main(void)
{
	struct btf *b = btf__new_empty(), *other = btf__new_empty();
	const char *names[] = { "zeta", "alpha", "absent", "kinds", NULL };
	int proto, alpha, zeta, kinds_enum, kinds_func, late;

	CHECK(b && other, "two empty BTFs");
	if (!b || !other)
		UNIT_EXIT();
	proto = btf__add_func_proto(b, 0);
	alpha = add_func(b, "alpha", proto);
	kinds_enum = btf__add_enum(b, "kinds", 4);
	btf__add_enum_value(b, "KIND_A", 0);
	kinds_func = add_func(b, "kinds", proto);
	zeta = add_func(b, "zeta", proto);
	add_func(b, "zeta", proto); /* a second one: the first counts */
	late = add_func(b, "not_prepared", proto);
	btf__add_func_proto(other, 0);
	add_func(other, "alpha", 1);

	btf_lookup_prepare(b, names, 5);
	CHECK(btf_lookup(b, "alpha", BTF_KIND_FUNC) == alpha &&
		      btf_lookup(b, "zeta", BTF_KIND_FUNC) == zeta,
	      "prepared functions: alpha %d, zeta %d (the first)",
	      btf_lookup(b, "alpha", BTF_KIND_FUNC),
	      btf_lookup(b, "zeta", BTF_KIND_FUNC));
	CHECK(btf_lookup(b, "zeta", BTF_KIND_FUNC) ==
		      btf__find_by_name_kind(b, "zeta", BTF_KIND_FUNC),
	      "the same id as libbpf's look-up");
	CHECK(btf_lookup(b, "kinds", BTF_KIND_ENUM) == kinds_enum &&
		      btf_lookup(b, "kinds", BTF_KIND_FUNC) == kinds_func,
	      "one name, two kinds: enum %d, func %d", kinds_enum, kinds_func);
	CHECK(btf_lookup(b, "absent", BTF_KIND_FUNC) == -ENOENT,
	      "a prepared name that is not there: -ENOENT");
	CHECK(btf_lookup(b, "not_prepared", BTF_KIND_FUNC) == late,
	      "a name not prepared: libbpf finds it");
	CHECK(btf_lookup(other, "alpha", BTF_KIND_FUNC) ==
		      btf__find_by_name_kind(other, "alpha", BTF_KIND_FUNC),
	      "another BTF: its own look-up");
	btf_lookup_forget();
	CHECK(btf_lookup(b, "absent", BTF_KIND_FUNC) < 0 &&
		      btf_lookup(b, "alpha", BTF_KIND_FUNC) == alpha,
	      "forgotten: libbpf answers again");
	btf__free(b);
	btf__free(other);
	UNIT_EXIT();
}
