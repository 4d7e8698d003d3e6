// SPDX-License-Identifier: GPL-2.0
/* compare --cells as text or Markdown: the headline answers first, then
 * every cell as a compare of its own prints it; JSON is compare_json.c's. */
#include <string.h>
#include "cells.h"
#include "compare_out.h"
#include "text.h"

static void boots_line(FILE *out, const char *what, struct boot *const *b,
		       int n, bool md)
{
	fprintf(out, "%s%s: %d boot%s (", md ? "- " : "", what, n,
		n == 1 ? "" : "s");
	for (int i = 0; i < n && i < 3; i++) {
		fputs(i ? ", " : "", out);
		/* Folder names were checked clean: no escape reaches out. */
		fputs(b[i]->dir, out);
	}
	fprintf(out, "%s)\n", n > 3 ? ", ..." : "");
}

void render_cells(FILE *out, const struct cells *c, const struct family *f,
		  enum cmp_format fmt)
{
	bool md = fmt == FMT_MARKDOWN;

	if (fmt == FMT_JSON) {
		render_cells_json(out, c, f);
		return;
	}
	fputs(md ? "## pmutrace compare --cells\n\n" :
		   "pmutrace compare --cells\n",
	      out);
	boots_line(out, "before", c->before, c->nb, md);
	boots_line(out, "after", c->after, c->na, md);
	family_text(out, f, md);
	fputs(md ? "\n### Headline: all cells, one value per boot\n\n" :
		   "\nheadline: all cells, one value per boot\n",
	      out);
	if (md)
		fputs("| question | before | after | ratio | 95% interval | verdict |\n|---|---:|---:|---:|---|---|\n",
		      out);
	for (int i = 0; i < c->nhead; i++)
		stat_row(out, &c->head[i].s, c->head[i].name, md, false);
	fputs(md ? "\n" : "", out);
	for (int i = 0; i < c->nhead; i++) {
		fputs(md ? "- " : "  ", out);
		if (md)
			md_text(out, c->head[i].name);
		else
			text_put_term(out, c->head[i].name);
		fprintf(out, ": %s\n", c->head[i].how);
	}
	for (int i = 0; i < c->ncells; i++) {
		fputs(md ? "\n## cell " : "\n== cell ", out);
		text_put_term(out, c->cell[i]);
		fputs("\n\n", out);
		render_cmp_text(out, c->c[i], NULL, md);
	}
}
