// SPDX-License-Identifier: GPL-2.0
/* pmutrace compare's JSON (pmutrace-compare/3, docs/json-schema.md): one
 * comparison, or with --cells every cell's and the headline answers. */
#include <math.h>
#include <json-c/json.h>
#include "cells.h"
#include "compare_out.h"

/* -1 (none) and the unbounded are null: JSON has no infinity. */
static struct json_object *num_or_null(double v)
{
	return v < 0 || !isfinite(v) ? NULL : json_object_new_double(v);
}

static struct json_object *runs_json(const double *v, int n)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_double(v[i]));
	return a;
}

static struct json_object *side_json(const struct loaded_run *const *r, int n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *files = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(files,
				      json_object_new_string(r[i]->path));
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "runs", json_object_new_int(n));
	json_object_object_add(o, "release",
			       json_object_new_string(r[0]->release));
	json_object_object_add(o, "label", json_object_new_string(r[0]->label));
	return o;
}

struct json_object *stat_json(const struct stat_cmp *st)
{
	struct json_object *v = json_object_new_object();
	char why[256];

	json_object_object_add(v, "before", num_or_null(st->before));
	json_object_object_add(v, "after", num_or_null(st->after));
	json_object_object_add(v, "ratio", num_or_null(st->ratio));
	json_object_object_add(v, "lo", num_or_null(st->lo));
	json_object_object_add(v, "hi", num_or_null(st->hi));
	json_object_object_add(v, "level",
			       st->lo < 0 ? NULL :
					    json_object_new_double(st->level));
	json_object_object_add(
		v, "interval",
		st->lo < 0     ? NULL :
		st->within_run ? json_object_new_string("within_run") :
				 json_object_new_string("runs"));
	json_object_object_add(v, "p", num_or_null(st->p));
	json_object_object_add(
		v, "p_adjusted",
		st->withheld || st->untestable ? NULL : num_or_null(st->padj));
	json_object_object_add(
		v, "withheld",
		st->withheld ? json_object_new_string(st->withheld) : NULL);
	/* null: not known; "inf": not even x1000 */
	json_object_object_add(
		v, "detectable_ratio",
		st->detect <= 0	  ? NULL :
		isinf(st->detect) ? json_object_new_string("inf") :
				    json_object_new_double(st->detect));
	json_object_object_add(
		v, "verdict",
		verdict_word[st->verdict] ?
			json_object_new_string(verdict_word[st->verdict]) :
			NULL);
	verdict_text(st, why, sizeof(why));
	json_object_object_add(v, "note", json_object_new_string(why));
	json_object_object_add(
		v, "need_runs",
		st->need_runs ? json_object_new_int(cmp_runs_needed(st->nb)) :
				NULL);
	json_object_object_add(v, "before_runs", runs_json(st->vb, st->nb));
	json_object_object_add(v, "after_runs", runs_json(st->va, st->na));
	return v;
}

struct json_object *family_json(const struct family *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "tests", json_object_new_int(f->n));
	json_object_object_add(
		o, "method",
		json_object_new_string(f->per_test ? "per-test" :
						     "benjamini-hochberg"));
	json_object_object_add(o, "q", json_object_new_double(CMP_ALPHA));
	json_object_object_add(o, "verdict_rule",
			       json_object_new_string(cmp_verdict_rule()));
	return o;
}

/* For scripts: the same figures as the text, schema pmutrace-compare/3,
 * into o. */
static struct json_object *comparison_json(struct json_object *o,
					   const struct comparison *c)
{
	struct json_object *w = json_object_new_array();
	struct json_object *hs = json_object_new_array();

	json_object_object_add(o, "before", side_json(c->before, c->nb));
	json_object_object_add(o, "after", side_json(c->after, c->na));
	json_object_object_add(o, "alpha", json_object_new_double(CMP_ALPHA));
	json_object_object_add(o, "min_runs",
			       json_object_new_int(cmp_min_runs()));
	json_object_object_add(o, "resamples",
			       json_object_new_int64(c->resamples));
	json_object_object_add(o, "seed", json_object_new_uint64(c->seed));
	for (int i = 0; i < c->nwarnings; i++)
		json_object_array_add(w,
				      json_object_new_string(c->warnings[i]));
	json_object_object_add(o, "warnings", w);
	for (int i = 0; i < c->n; i++) {
		const struct hist_cmp *h = &c->h[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "name",
				       json_object_new_string(h->name));
		json_object_object_add(
			e, "kind",
			json_object_new_string(h->lock ? "lock_wait" :
							 "target"));
		json_object_object_add(e, "runs_before",
				       json_object_new_int(h->nb));
		json_object_object_add(e, "runs_after",
				       json_object_new_int(h->na));
		for (int s = 0; s < h->nstats; s++)
			json_object_object_add(e, h->s[s].name,
					       stat_json(&h->s[s]));
		json_object_array_add(hs, e);
	}
	json_object_object_add(o, "compared", hs);
	return o;
}

void json_print(FILE *out, struct json_object *o)
{
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void render_json(FILE *out, const struct comparison *c, const struct family *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "schema",
			       json_object_new_string("pmutrace-compare/3"));
	json_object_object_add(o, "family", family_json(f));
	json_print(out, comparison_json(o, c));
}

static struct json_object *boots_json(struct boot *const *b, int n)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(b[i]->dir));
	return a;
}

void render_cells_json(FILE *out, const struct cells *c, const struct family *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *hs = json_object_new_array();
	struct json_object *cs = json_object_new_object();

	json_object_object_add(o, "schema",
			       json_object_new_string("pmutrace-compare/3"));
	json_object_object_add(o, "mode", json_object_new_string("cells"));
	json_object_object_add(o, "family", family_json(f));
	json_object_object_add(o, "before_boots", boots_json(c->before, c->nb));
	json_object_object_add(o, "after_boots", boots_json(c->after, c->na));
	for (int i = 0; i < c->nhead; i++) {
		struct json_object *h = stat_json(&c->head[i].s);

		json_object_object_add(h, "question",
				       json_object_new_string(c->head[i].name));
		json_object_object_add(h, "per_boot",
				       json_object_new_string(c->head[i].how));
		json_object_object_add(
			h, "unit",
			json_object_new_string(c->head[i].s.kind == KIND_NS ?
						       "ns" :
						       "per_1000_calls"));
		json_object_array_add(hs, h);
	}
	json_object_object_add(o, "headline", hs);
	for (int i = 0; i < c->ncells; i++)
		json_object_object_add(cs, c->cell[i],
				       comparison_json(json_object_new_object(),
						       c->c[i]));
	json_object_object_add(o, "cells", cs);
	json_print(out, o);
}
