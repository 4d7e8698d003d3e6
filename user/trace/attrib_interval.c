// SPDX-License-Identifier: GPL-2.0
/*
 * Attribution for one -i interval: the cumulative rows and owners read from
 * the maps minus those of the interval before, matched by key (a process or
 * cgroup id; an owner thread). Maxima cannot be subtracted, so an interval
 * shows counts and totals; stacks and VMs are shown at the end only.
 */
#include <stdlib.h>
#include <string.h>
#include "attrib.h"

static int id_cmp(const void *x, const void *y)
{
	const struct attrib_row *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

static void val_sub(struct attrib_val *d, const struct attrib_val *p)
{
	d->count -= p->count;
	d->timed -= p->timed;
	d->sum_ns -= p->sum_ns;
	d->waits -= p->waits;
	d->wait_ns -= p->wait_ns;
	d->min_ns = d->max_ns = d->wait_max_ns = 0;
}

/* Rows with calls or waits in the interval, most calls first. */
static int rows_since(struct attrib_result *d, const struct attrib_result *a,
		      const struct attrib_interval_base *b)
{
	static const struct attrib_val none;

	d->rows = calloc(a->nrows ? a->nrows : 1, sizeof(*d->rows));
	if (!d->rows)
		return -1;
	d->nrows = 0;
	for (int i = 0; i < a->nrows; i++) {
		struct attrib_row *row = &d->rows[d->nrows];
		const struct attrib_row *p =
			b->nrows ? bsearch(&a->rows[i], b->rows, b->nrows,
					   sizeof(*b->rows), id_cmp) :
				   NULL;

		*row = a->rows[i];
		for (int t = 0; t < PMUTRACE_MAX_TARGETS; t++)
			val_sub(&row->t[t], p ? &p->t[t] : &none);
		val_sub(&row->lock, p ? &p->lock : &none);
		row->calls -= p ? p->calls : 0;
		d->nrows += row->calls || row->lock.waits;
	}
	attrib_sort_rows(d);
	return 0;
}

static const struct attrib_owner *
owner_find(const struct attrib_interval_base *b, const struct owner_key *k)
{
	for (int i = 0; i < b->nowners; i++)
		if (!memcmp(&b->owners[i].k, k, sizeof(*k)))
			return &b->owners[i];
	return NULL;
}

static int owners_since(struct attrib_result *d, const struct attrib_result *a,
			const struct attrib_interval_base *b)
{
	d->owner_v = calloc(a->nowners ? a->nowners : 1, sizeof(*d->owner_v));
	if (!d->owner_v)
		return -1;
	d->nowners = 0;
	for (int i = 0; i < a->nowners; i++) {
		struct attrib_owner *o = &d->owner_v[d->nowners];
		const struct attrib_owner *p = owner_find(b, &a->owner_v[i].k);

		*o = a->owner_v[i];
		o->w.count -= p ? p->w.count : 0;
		o->w.total_ns -= p ? p->w.total_ns : 0;
		o->w.max_ns = 0;
		d->nowners += o->w.count != 0;
	}
	attrib_sort_owners(d);
	return 0;
}

/* Remember this collect's figures as the next interval's start. */
static int keep_base(struct attrib_interval_base *b,
		     const struct attrib_result *a)
{
	struct attrib_row *rows = NULL;
	struct attrib_owner *owners = NULL;

	if (a->nrows && !(rows = malloc(a->nrows * sizeof(*rows))))
		return -1;
	if (a->nowners && !(owners = malloc(a->nowners * sizeof(*owners)))) {
		free(rows);
		return -1;
	}
	if (rows) {
		memcpy(rows, a->rows, a->nrows * sizeof(*rows));
		qsort(rows, a->nrows, sizeof(*rows), id_cmp);
	}
	if (owners)
		memcpy(owners, a->owner_v, a->nowners * sizeof(*owners));
	free(b->rows);
	free(b->owners);
	b->rows = rows;
	b->nrows = a->nrows;
	b->owners = owners;
	b->nowners = a->nowners;
	memcpy(b->miss, a->miss, sizeof(b->miss));
	b->prog_missed = a->prog_missed;
	return 0;
}

struct attrib_result *attrib_interval(struct attrib_result *a)
{
	struct attrib_result *d;

	if (!a || !(d = malloc(sizeof(*d))))
		return NULL;
	*d = *a;
	d->interval = true;
	d->rows = NULL;
	d->owner_v = NULL;
	d->waiters = d->owner_stacks_v = NULL;
	d->nwaiters = d->nowner_stacks = 0;
	d->vm_v = NULL;
	d->nvms = 0;
	d->vms = false;
	for (int m = 0; m < MISS_REASONS; m++)
		d->miss[m] -= a->base.miss[m];
	d->prog_missed -= a->base.prog_missed;
	if ((a->by && rows_since(d, a, &a->base)) ||
	    (a->owners && owners_since(d, a, &a->base)) ||
	    keep_base(&a->base, a)) {
		attrib_interval_free(d);
		return NULL;
	}
	return d;
}

void attrib_interval_free(struct attrib_result *d)
{
	if (!d)
		return;
	free(d->rows);
	free(d->owner_v);
	free(d);
}
