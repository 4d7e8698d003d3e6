/* SPDX-License-Identifier: GPL-2.0 */
/* What compare's renderers share (compare_render.c, compare_json.c,
 * cells_render.c). */
#ifndef PMUTRACE_COMPARE_OUT_H
#define PMUTRACE_COMPARE_OUT_H

#include <stdio.h>
#include "compare.h"

struct json_object;
struct cells;

extern const char *const verdict_word[];
void md_text(FILE *out, const char *s);
void family_text(FILE *out, const struct family *f, bool md);
void stat_row(FILE *out, const struct stat_cmp *st, const char *name, bool md,
	      bool runs);
void render_cmp_text(FILE *out, const struct comparison *c,
		     const struct family *f, bool md);
struct json_object *stat_json(const struct stat_cmp *st);
void render_json(FILE *out, const struct comparison *c, const struct family *f);
void render_cells_json(FILE *out, const struct cells *c,
		       const struct family *f);

#endif /* PMUTRACE_COMPARE_OUT_H */
