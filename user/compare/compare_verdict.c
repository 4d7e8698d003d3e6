// SPDX-License-Identifier: GPL-2.0
/* A verdict in words, the same in every output (compare_render.c,
 * compare_json.c). */
#include <math.h>
#include <stdio.h>
#include "compare.h"
#include "compare_out.h"

const char *const verdict_word[] = {
	[VERDICT_NONE] = NULL,
	[VERDICT_LOWER] = "lower",
	[VERDICT_HIGHER] = "higher",
	[VERDICT_SAME] = "no change shown",
};

/* Why these runs give no verdict (cmp_verdict_possible), with what would
 * do: as many after runs as cmp_runs_needed() says, or the fewest a side. */
static void need_text(const struct stat_cmp *s, char *buf, size_t len)
{
	int more = cmp_runs_needed(s->nb), least = cmp_min_runs();

	snprintf(
		buf, len,
		"no verdict: %d+%d runs, a side needs >= %d and the larger at most 1.25x the smaller (%d+%d would)",
		s->nb, s->na, least, more ? s->nb : least, more ? more : least);
}

/* "; could detect >= x1.6": what no change shown could have shown. */
static void detect_text(const struct stat_cmp *s, char *buf, size_t len)
{
	if (s->detect <= 0)
		snprintf(buf, len, "%s", "");
	else if (isinf(s->detect))
		snprintf(buf, len, "; could not detect even x1000");
	else
		snprintf(buf, len, "; could detect >= x%.2f", s->detect);
}

/* The verdict, or why there is none; "" for what is never judged. */
const char *verdict_text(const struct stat_cmp *s, char *buf, size_t len)
{
	char d[48];

	if (s->kind == KIND_COUNT)
		snprintf(buf, len, "%s", "");
	else if (!s->nb || !s->na)
		snprintf(buf, len, "no verdict: no values on a side");
	else if (s->need_runs)
		need_text(s, buf, len);
	else if (s->withheld)
		snprintf(buf, len, "no verdict: %s", s->withheld);
	else if (s->untestable)
		snprintf(buf, len, "no change shown: every run equal");
	else {
		detect_text(s, d, sizeof(d));
		snprintf(buf, len, "%s (p=%.3g, adjusted %.3g)%s",
			 verdict_word[s->verdict], s->p, s->padj,
			 s->verdict == VERDICT_SAME ? d : "");
	}
	return buf;
}
