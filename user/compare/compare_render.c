// SPDX-License-Identifier: GPL-2.0
/* pmutrace compare's output: text, Markdown, or a self-contained SVG. */
#include <math.h>
#include <string.h>
#include <json-c/json.h>
#include "compare.h"
#include "text.h"

static const char *verdict(const struct stat_cmp *s)
{
	if (s->lo < 0)
		return "";
	if (s->hi < 1)
		return "lower";
	if (s->lo > 1)
		return "higher";
	return "no change shown";
}

static void fmt_value(char *buf, size_t len, int stat, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (stat == CMP_COUNT)
		snprintf(buf, len, "%.0f", v);
	else
		format_ns(buf, len, v);
}

static void fmt_ratio(char *r, size_t rlen, char *ci, size_t cilen,
		      const struct stat_cmp *s)
{
	if (s->ratio < 0)
		snprintf(r, rlen, "-");
	else
		snprintf(r, rlen, "%.3f", s->ratio);
	if (s->lo < 0)
		snprintf(ci, cilen, "-");
	else
		snprintf(ci, cilen, "[%.3f, %.3f]", s->lo, s->hi);
}

/* Markdown: what could start a cell, link, emphasis, code or HTML is
 * backslash-escaped (CommonMark allows it before any ASCII punctuation). */
static void md_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\`*_{}[]<>()#+!|~&$", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* Text from the input files, in the format of the output: Markdown, or for
 * a terminal with anything that is not clean text shown as \xNN. */
static void put_text(FILE *out, const char *s, bool md)
{
	if (md)
		md_text(out, s);
	else
		text_put_term(out, s);
}

static void put_side(FILE *out, const char *what, const struct loaded_run *r)
{
	fprintf(out, "- %s: ", what);
	md_text(out, r->path);
	fputs(" (", out);
	md_text(out, r->release);
	fputs(", ", out);
	md_text(out, r->machine);
	if (r->label[0]) {
		fputs(", ", out);
		md_text(out, r->label);
	}
	fputs(")\n", out);
}

static void render_cmp_text(FILE *out, const struct comparison *c, bool md)
{
	const struct loaded_run *b = c->before, *a = c->after;

	if (md) {
		fprintf(out, "## pmutrace compare\n\n");
		put_side(out, "before", b);
		put_side(out, "after", a);
		fprintf(out,
			"- ratio = after / before; 95%% interval from %u bootstrap resamples of the histograms (seed %lu); a verdict only where the interval excludes 1\n",
			c->resamples, c->seed);
	} else {
		fputs("pmutrace compare: ", out);
		text_put_term(out, b->path);
		fputs(" (", out);
		text_put_term(out, b->release);
		fputs(") -> ", out);
		text_put_term(out, a->path);
		fputs(" (", out);
		text_put_term(out, a->release);
		fputs(")\n", out);
		fprintf(out,
			"ratio = after/before; 95%% interval from %u bootstrap resamples (seed %lu)\n",
			c->resamples, c->seed);
	}
	for (int i = 0; i < c->nwarnings; i++) {
		fputs(md ? "- **warning**: " : "warning: ", out);
		put_text(out, c->warnings[i], md);
		fputc('\n', out);
	}
	for (int i = 0; i < c->n; i++) {
		const struct hist_cmp *h = &c->h[i];

		fputs(md ? "\n### " : "\n", out);
		put_text(out, h->name, md);
		if (md)
			fprintf(out,
				"\n\n| | before | after | ratio | 95%% interval | verdict |\n|---|---:|---:|---:|---|---|\n");
		else
			fprintf(out, "\n  %-8s %12s %12s %9s  %-18s %s\n", "",
				"before", "after", "ratio", "95% interval",
				"verdict");
		for (int s = 0; s < CMP_STATS; s++) {
			const struct stat_cmp *st = &h->s[s];
			char vb[32], va[32], r[32], ci[48];

			fmt_value(vb, sizeof(vb), s, st->before);
			fmt_value(va, sizeof(va), s, st->after);
			fmt_ratio(r, sizeof(r), ci, sizeof(ci), st);
			if (md)
				fprintf(out,
					"| %s | %s | %s | %s | %s | %s |\n",
					st->name, vb, va, r, ci, verdict(st));
			else
				fprintf(out, "  %-8s %12s %12s %9s  %-18s %s\n",
					st->name, vb, va, r, ci, verdict(st));
		}
		if (c->lock_per_call && i < c->ntargets) {
			if (md)
				fprintf(out,
					"| lock per call | %.2f | %.2f | | | |\n",
					c->per_call_before[i],
					c->per_call_after[i]);
			else
				fprintf(out, "  %-8s %12.2f %12.2f\n",
					"lock/call", c->per_call_before[i],
					c->per_call_after[i]);
		}
	}
}

/* Power-of-two sums of a histogram, as fractions of its samples. */
static void pow2_fractions(const struct loaded_hist *h,
			   double f[HIST_MAX_EXP + 1])
{
	__u64 pow2[HIST_MAX_EXP + 1];

	hist_fold_pow2(&h->h, pow2);
	for (int p = 0; p <= HIST_MAX_EXP; p++)
		f[p] = h->count ? (double)pow2[p] / (double)h->count : 0;
}

#define SVG_W 720
#define SVG_PANEL 230
#define PLOT_X 70
#define PLOT_W 620
#define PLOT_H 150

/* Text from the input files, escaped for XML. */
static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* One panel: both histograms as step lines over a log2 time axis. */
static void svg_panel(FILE *out, const struct hist_cmp *h, int y0)
{
	static const char *const colour[2] = { "#1f77b4", "#ff7f0e" };
	double f[2][HIST_MAX_EXP + 1], top = 0;
	int first = HIST_MAX_EXP, last = 0;

	pow2_fractions(h->before, f[0]);
	pow2_fractions(h->after, f[1]);
	for (int s = 0; s < 2; s++)
		for (int p = 0; p <= HIST_MAX_EXP; p++) {
			if (f[s][p] <= 0)
				continue;
			first = p < first ? p : first;
			last = p > last ? p : last;
			top = f[s][p] > top ? f[s][p] : top;
		}
	fprintf(out, "<g transform=\"translate(0,%d)\">\n", y0);
	fprintf(out, "<text x=\"%d\" y=\"18\" font-weight=\"bold\">", PLOT_X);
	xml_text(out, h->name);
	fprintf(out, "</text>\n");
	if (first > last) {
		fprintf(out,
			"<text x=\"%d\" y=\"90\">no samples on either side</text></g>\n",
			PLOT_X);
		return;
	}
	first = first > 0 ? first - 1 : 0;
	last = last < HIST_MAX_EXP ? last + 1 : last;
	fprintf(out,
		"<rect x=\"%d\" y=\"30\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
		PLOT_X, PLOT_W, PLOT_H);
	/* Decade ticks: the axis is log2 of nanoseconds. */
	for (double ns = 1; ns < 1e12; ns *= 10) {
		double p = log2(ns) + 1, x;
		char label[16];

		if (p < first || p > last + 1)
			continue;
		x = PLOT_X + (p - first) * PLOT_W / (last + 1 - first);
		format_ns(label, sizeof(label), ns);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
			x, x, 30 + PLOT_H, x, 30 + PLOT_H + 14, label);
	}
	for (int s = 0; s < 2; s++) {
		fprintf(out,
			"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			colour[s]);
		for (int p = first; p <= last; p++) {
			double x0 = PLOT_X + (double)(p - first) * PLOT_W /
						     (last + 1 - first);
			double x1 = PLOT_X + (double)(p + 1 - first) * PLOT_W /
						     (last + 1 - first);
			double y = 30 + PLOT_H - f[s][p] / top * (PLOT_H - 5);

			fprintf(out, "%.1f,%.1f %.1f,%.1f ", x0, y, x1, y);
		}
		fprintf(out, "\"/>\n");
	}
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">before: %llu samples</text>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">after: %llu samples</text>\n",
		PLOT_X + 320, 18, colour[0],
		(unsigned long long)h->before->count, PLOT_X + 470, 18,
		colour[1], (unsigned long long)h->after->count);
	fprintf(out,
		"<text x=\"12\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 12 %d)\">share of calls</text></g>\n",
		30 + PLOT_H, 30 + PLOT_H);
}

static void render_svg(FILE *out, const struct comparison *c)
{
	int height = 50 + c->n * SVG_PANEL;

	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n",
		SVG_W, height);
	fprintf(out,
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(out,
		"<text x=\"%d\" y=\"18\">latency distributions on a log time axis</text>\n",
		PLOT_X);
	fprintf(out, "<text x=\"%d\" y=\"34\" font-size=\"11\">", PLOT_X);
	fprintf(out, "<tspan fill=\"#1f77b4\">before: ");
	xml_text(out, c->before->path);
	fprintf(out, " (");
	xml_text(out, c->before->release);
	fprintf(out, ")</tspan>, <tspan fill=\"#ff7f0e\">after: ");
	xml_text(out, c->after->path);
	fprintf(out, " (");
	xml_text(out, c->after->release);
	fprintf(out, ")</tspan></text>\n");
	for (int i = 0; i < c->n; i++)
		svg_panel(out, &c->h[i], 50 + i * SVG_PANEL);
	fprintf(out, "</svg>\n");
}

static struct json_object *num_or_null(double v)
{
	return v < 0 ? NULL : json_object_new_double(v);
}

static struct json_object *side_json(const struct loaded_run *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "first_file",
			       json_object_new_string(r->path));
	json_object_object_add(o, "runs", json_object_new_int(r->runs));
	json_object_object_add(o, "release",
			       json_object_new_string(r->release));
	json_object_object_add(o, "label", json_object_new_string(r->label));
	return o;
}

/* For scripts: the same figures as the text, schema pmutrace-compare/1. */
static void render_json(FILE *out, const struct comparison *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *w = json_object_new_array();
	struct json_object *hs = json_object_new_array();

	json_object_object_add(o, "schema",
			       json_object_new_string("pmutrace-compare/1"));
	json_object_object_add(o, "before", side_json(c->before));
	json_object_object_add(o, "after", side_json(c->after));
	json_object_object_add(o, "resamples",
			       json_object_new_int(c->resamples));
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
			json_object_new_string(i < c->ntargets ? "target" :
								 "lock_wait"));
		json_object_object_add(e, "too_few",
				       json_object_new_boolean(h->too_few));
		for (int s = 0; s < CMP_STATS; s++) {
			const struct stat_cmp *st = &h->s[s];
			struct json_object *v = json_object_new_object();

			json_object_object_add(v, "before",
					       num_or_null(st->before));
			json_object_object_add(v, "after",
					       num_or_null(st->after));
			json_object_object_add(v, "ratio",
					       num_or_null(st->ratio));
			json_object_object_add(v, "lo", num_or_null(st->lo));
			json_object_object_add(v, "hi", num_or_null(st->hi));
			json_object_object_add(
				v, "verdict",
				st->lo < 0 ?
					NULL :
					json_object_new_string(verdict(st)));
			json_object_object_add(e, st->name, v);
		}
		if (c->lock_per_call && i < c->ntargets) {
			json_object_object_add(
				e, "lock_per_call_before",
				num_or_null(c->per_call_before[i]));
			json_object_object_add(
				e, "lock_per_call_after",
				num_or_null(c->per_call_after[i]));
		}
		json_object_array_add(hs, e);
	}
	json_object_object_add(o, "compared", hs);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void render_comparison(FILE *out, const struct comparison *c,
		       enum cmp_format fmt)
{
	if (fmt == FMT_JSON)
		render_json(out, c);
	else if (fmt == FMT_SVG)
		render_svg(out, c);
	else
		render_cmp_text(out, c, fmt == FMT_MARKDOWN);
}
