// SPDX-License-Identifier: GPL-2.0
/*
 * compare --cells: boots that each ran several scenarios (cells), as the
 * report's boot folders hold them (raw/LABEL-BOOT/CELL.json). Every cell is
 * compared as a compare of its own would, and the headline questions are
 * answered once over all cells, all in one family (family.c).
 *
 * The headline uses per-boot figures over the boot's cells: the boot stays
 * the replicate (cells of one boot share its level, so they are not
 * independent strata, as van Elteren's test would need), and each question
 * gets one rank test over the boots:
 * - contention: the boot's waits per 1000 reader calls, all cells summed;
 * - the waits' latency: p50 of the boot's waits, all cells' waits pooled;
 * - each reader's latency: the geometric mean over the boot's cells of the
 *   reader's p50 in that cell, so that each cell weighs the same; not from
 *   --hold cells, whose lock tracing runs inside the reader only where it
 *   takes the lock (before: a check-ext p50 of 3392 ns there, 360 without).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cells.h"

/* One cell of a boot folder, named by its file. */
static int load_cell(char *path, const char *name, void *arg, char *err,
		     size_t errlen)
{
	struct boot *b = arg;

	if (strlen(name) - 5 >= NAME_LEN || b->ncells == CELLS_MAX) {
		snprintf(err, errlen,
			 "%s: too many cells, or a file name too long", b->dir);
		return -1;
	}
	b->run[b->ncells] = malloc(sizeof(struct loaded_run));
	if (!b->run[b->ncells] ||
	    load_run(path, b->run[b->ncells], err, errlen))
		return -1;
	snprintf(b->cell[b->ncells++], NAME_LEN, "%.*s", (int)strlen(name) - 5,
		 name);
	return 0;
}

int cells_load(char *const *dirs, int n, struct boot **out, int *nout,
	       char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		if (*nout == CMP_MAX_RUNS) {
			snprintf(err, errlen, "more than %d boots on a side",
				 CMP_MAX_RUNS);
			return -1;
		}
		out[*nout] = calloc(1, sizeof(struct boot));
		if (!out[*nout])
			return -1;
		out[*nout]->dir = dirs[i];
		if (compare_each_json(dirs[i], load_cell, out[(*nout)++], err,
				      errlen))
			return -1;
	}
	if (*nout)
		return 0;
	snprintf(err, errlen, "a side names no boot folder");
	return -1;
}

static const struct loaded_run *cell_of(const struct boot *b, const char *cell)
{
	for (int i = 0; i < b->ncells; i++)
		if (!strcmp(b->cell[i], cell))
			return b->run[i];
	return NULL;
}

/* The cells' runs of one side: each must repeat the first. */
static int side_runs(struct boot *const *boots, int n, const char *cell,
		     const struct loaded_run **runs, int *nr, char *err,
		     size_t errlen)
{
	*nr = 0;
	for (int i = 0; i < n; i++) {
		const struct loaded_run *r = cell_of(boots[i], cell);

		if (!r)
			continue;
		runs[(*nr)++] = r;
		if (*nr > 1 && compare_check_repeat(runs[0], r, err, errlen))
			return -1;
	}
	return 0;
}

/* The headline statistic s of each boot on both sides, from fig(). */
static void
headline(struct cells *c, const char *name, const char *how, enum cmp_kind kind,
	 double (*fig)(const struct cells *, const struct boot *, const char *),
	 const char *target)
{
	struct headline *h = &c->head[c->nhead++];

	snprintf(h->name, sizeof(h->name), "%s", name);
	h->how = how;
	stat_init(&h->s, h->name, kind);
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < (side ? c->na : c->nb); i++) {
			double v = fig(c, side ? c->after[i] : c->before[i],
				       target);

			if (v < 0)
				continue;
			if (side)
				h->s.va[h->s.na++] = v;
			else
				h->s.vb[h->s.nb++] = v;
		}
	rank_compare(&h->s);
}

static double fig_waits(const struct cells *c, const struct boot *b,
			const char *unused)
{
	double ev = 0, calls = 0;

	(void)unused;
	for (int i = 0; i < c->ncells; i++) {
		const struct loaded_run *r = cell_of(b, c->cell[i]);

		if (!r || !r->has_lock)
			continue;
		ev += (double)r->contended;
		calls += reader_calls(r);
	}
	return calls > 0 ? 1000 * ev / calls : -1;
}

static double fig_wait_p50(const struct cells *c, const struct boot *b,
			   const char *unused)
{
	static struct hist all;
	__u64 n = 0;

	(void)unused;
	memset(&all, 0, sizeof(all));
	for (int i = 0; i < c->ncells; i++) {
		const struct loaded_run *r = cell_of(b, c->cell[i]);

		if (!r || !r->has_lock)
			continue;
		for (__u32 k = 0; k < HIST_BUCKETS; k++)
			all.slots[k] += r->wait.h.slots[k];
		n += r->wait.count;
	}
	return n ? hist_percentile(&all, 0.5, 0, 0) : -1;
}

static double fig_reader(const struct cells *c, const struct boot *b,
			 const char *target)
{
	double logs = 0;
	int k = 0;

	for (int i = 0; i < c->ncells; i++) {
		const struct loaded_run *r = cell_of(b, c->cell[i]);

		for (int t = 0; r && t < r->ntargets; t++) {
			const struct loaded_target *x = &r->t[t];

			if (strcmp(x->name, target) || !x->lat.count ||
			    x->has_lock)
				continue;
			logs += log(hist_percentile(&x->lat.h, 0.5, x->lat.min,
						    x->lat.max));
			k++;
		}
	}
	return k ? exp(logs / k) : -1;
}

static void add_headlines(struct cells *c)
{
	static char how_reader[] =
		"per boot: the geometric mean over its cells of the reader's p50";
	char names[PMUTRACE_MAX_TARGETS * 2][NAME_LEN];
	int nn = 0;

	headline(c, "contention (lock waits per 1000 reader calls)",
		 "per boot: waits / reader calls of all its cells", KIND_RATE,
		 fig_waits, NULL);
	headline(c, "the waits' latency (p50)",
		 "per boot: p50 of all its cells' waits pooled", KIND_NS,
		 fig_wait_p50, NULL);
	for (int i = 0; i < c->ncells; i++) {
		const struct comparison *x = c->c[i];

		for (int t = 0; t < x->ntargets; t++) {
			bool seen = false;

			for (int k = 0; k < nn; k++)
				seen |= !strcmp(names[k], x->h[t].name);
			if (!seen &&
			    nn < (int)(sizeof(names) / sizeof(names[0])))
				snprintf(names[nn++], NAME_LEN, "%s",
					 x->h[t].name);
		}
	}
	for (int k = 0; k < nn && c->nhead < HEAD_MAX; k++) {
		char name[2 * NAME_LEN];

		snprintf(name, sizeof(name), "%s latency (p50)", names[k]);
		headline(c, name, how_reader, KIND_NS, fig_reader, names[k]);
	}
}

int cells_build(struct cells *c, unsigned int resamples, unsigned long seed,
		char *err, size_t errlen, bool *dup)
{
	const struct boot *b0 = c->before[0];

	*dup = false;
	for (int i = 0; i < b0->ncells; i++) {
		const char *cell = b0->cell[i];
		struct comparison *x;
		const struct loaded_run *all[2 * CMP_MAX_RUNS];

		if (c->ncells == CELLS_MAX)
			break;
		x = calloc(1, sizeof(*x));
		if (!x)
			return -1;
		if (side_runs(c->before, c->nb, cell, x->before, &x->nb, err,
			      errlen) ||
		    side_runs(c->after, c->na, cell, x->after, &x->na, err,
			      errlen))
			return -1;
		if (!x->na) {
			free(x);
			continue;
		}
		memcpy(all, x->before, x->nb * sizeof(*all));
		memcpy(all + x->nb, x->after, x->na * sizeof(*all));
		if (compare_check_duplicates(all, x->nb + x->na, err, errlen)) {
			*dup = true;
			return -1;
		}
		x->resamples = resamples;
		x->seed = seed;
		if (compare_build(x)) {
			free(x);
			continue;
		}
		snprintf(c->cell[c->ncells], NAME_LEN, "%s", cell);
		c->c[c->ncells++] = x;
	}
	if (!c->ncells) {
		snprintf(
			err, errlen,
			"the boots have no cell with a target or lock in common");
		return -1;
	}
	add_headlines(c);
	return 0;
}
