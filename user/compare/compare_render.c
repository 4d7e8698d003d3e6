// SPDX-License-Identifier: GPL-2.0
/* pmutrace compare's output: text, Markdown, a self-contained SVG, or JSON
 * (pmutrace-compare/2, docs/json-schema.md). */
#include <math.h>
#include <string.h>
#include "compare.h"
#include "compare_out.h"
#include "text.h"

static void fmt_value(char *buf, size_t len, const struct stat_cmp *s, double v,
		      bool exact)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (s->kind == KIND_NS && !exact)
		format_ns(buf, len, v);
	else if (s->kind == KIND_RATE)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (isinf(v))
		snprintf(buf, len, "inf");
	else
		snprintf(buf, len, "%.3f", v);
}

static void fmt_ratio(char *r, size_t rlen, char *ci, size_t cilen,
		      const struct stat_cmp *s)
{
	char lo[24], hi[24];

	if (s->ratio < 0)
		snprintf(r, rlen, "-");
	else
		fmt_num(r, rlen, s->ratio);
	fmt_num(lo, sizeof(lo), s->lo);
	fmt_num(hi, sizeof(hi), s->hi);
	if (s->lo < 0)
		snprintf(ci, cilen, "-");
	else
		snprintf(ci, cilen, "[%s, %s]", lo, hi);
}

/* "1696 816 688 | after 624 1248 1312": every run's value, in the order
 * given; sep goes between the sides. */
static void fmt_runs(FILE *out, const struct stat_cmp *s, const char *sep)
{
	char v[32];

	for (int i = 0; i < s->nb; i++) {
		fmt_value(v, sizeof(v), s, s->vb[i], true);
		fprintf(out, "%s%s", i ? " " : "", v);
	}
	fputs(sep, out);
	for (int i = 0; i < s->na; i++) {
		fmt_value(v, sizeof(v), s, s->va[i], true);
		fprintf(out, " %s", v);
	}
}

/* Markdown: what could start a cell, link, emphasis, code or HTML is
 * backslash-escaped (CommonMark allows it before any ASCII punctuation). */
void md_text(FILE *out, const char *s)
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

static void put_side(FILE *out, const char *what, int runs,
		     const struct loaded_run *r)
{
	fprintf(out, "- %s: %d run%s, ", what, runs, runs == 1 ? "" : "s");
	md_text(out, r->path);
	fprintf(out, "%s (", runs > 1 ? ", ..." : "");
	md_text(out, r->release);
	fputs(", ", out);
	md_text(out, r->machine);
	if (r->label[0]) {
		fputs(", ", out);
		md_text(out, r->label);
	}
	fputs(")\n", out);
}

static void term_side(FILE *out, int runs, const struct loaded_run *r)
{
	fprintf(out, "%d run%s of ", runs, runs == 1 ? "" : "s");
	text_put_term(out, r->path);
	fputs(" (", out);
	text_put_term(out, r->release);
	fputs(")", out);
}

/* One statistic's row of the text or Markdown table; runs: with every
 * run's value (Markdown's last column). */
void stat_row(FILE *out, const struct stat_cmp *st, const char *name, bool md,
	      bool runs)
{
	char vb[32], va[32], r[32], ci[64], v[256];

	fmt_value(vb, sizeof(vb), st, st->before, false);
	fmt_value(va, sizeof(va), st, st->after, false);
	fmt_ratio(r, sizeof(r), ci, sizeof(ci), st);
	verdict_text(st, v, sizeof(v));
	if (md) {
		fputs("| ", out);
		md_text(out, name);
		fprintf(out, " | %s | %s | %s | %s | %s |", vb, va, r, ci, v);
		if (runs) {
			fputc(' ', out);
			fmt_runs(out, st, " \\|");
			fputs(" |", out);
		}
		fputc('\n', out);
	} else {
		fputs("  ", out);
		text_put_term(out, name);
		fprintf(out, "%*s %10s %10s %8s  %-18s %s\n",
			(int)(strlen(name) < 13 ? 13 - strlen(name) : 0), "",
			vb, va, r, ci, v);
	}
}

/* The family the verdicts hold in, and the rule for a verdict. */
void family_text(FILE *out, const struct family *f, bool md)
{
	fprintf(out, "%sfamily: %s, %d tests; %s\n%sverdict rule: %s\n",
		md ? "- " : "", f->name, f->n,
		f->per_test ?
			"--per-test: each verdict from its raw p at 0.05 (not adjusted)" :
			"Benjamini-Hochberg, q = 0.05: verdicts from adjusted p",
		md ? "- " : "", cmp_verdict_rule());
}

static void header(FILE *out, const struct comparison *c,
		   const struct family *f, bool md)
{
	const struct loaded_run *b = c->before[0], *a = c->after[0];

	if (md) {
		fprintf(out, "## pmutrace compare\n\n");
		put_side(out, "before", c->nb, b);
		put_side(out, "after", c->na, a);
		fprintf(out,
			"- each run is one replicate: before/after are the medians of the runs' values; ratio = after / before (median of the run-pair ratios) with its 95%% Hodges-Lehmann interval; p: permutation Brunner-Munzel test on the runs\n");
	} else {
		fputs("pmutrace compare: ", out);
		term_side(out, c->nb, b);
		fputs(" -> ", out);
		term_side(out, c->na, a);
		fputc('\n', out);
		fprintf(out,
			"each run is one replicate: medians of the runs, ratio after/before with its 95%% interval; p: permutation Brunner-Munzel on the runs\n");
	}
	if (f)
		family_text(out, f, md);
	for (int i = 0; i < c->nwarnings; i++) {
		fputs(md ? "- **warning**: " : "warning: ", out);
		put_text(out, c->warnings[i], md);
		fputc('\n', out);
	}
}

void render_cmp_text(FILE *out, const struct comparison *c,
		     const struct family *f, bool md)
{
	header(out, c, f, md);
	for (int i = 0; i < c->n; i++) {
		const struct hist_cmp *h = &c->h[i];

		fputs(md ? "\n### " : "\n", out);
		put_text(out, h->name, md);
		if (md)
			fprintf(out,
				"\n\n| | before | after | ratio | 95%% interval | verdict | runs before \\| after |\n|---|---:|---:|---:|---|---|---|\n");
		else
			fprintf(out, "\n  %-13s %10s %10s %8s  %-18s %s\n", "",
				"before", "after", "ratio", "95% interval",
				"verdict");
		if (h->s[CMP_COUNT].before <= 0 && h->s[CMP_COUNT].after <= 0) {
			fprintf(out, md ? "| no calls in any run |||||||\n" :
					  "  no calls in any run\n");
			continue;
		}
		for (int k = 0; k < h->nstats; k++)
			stat_row(out, &h->s[k], h->s[k].name, md, true);
		if (md || (h->nb < 2 && h->na < 2))
			continue;
		/* The runs themselves: what the verdict is made of. */
		for (int k = 0; k < h->nstats; k++) {
			if (!h->s[k].nb && !h->s[k].na)
				continue;
			fprintf(out, "  %-13s before ", h->s[k].name);
			fmt_runs(out, &h->s[k], " | after");
			fputc('\n', out);
		}
	}
}

/*
 * Power-of-two sums of a side's runs, as fractions of calls: every run
 * weighs the same, as it does in the verdict.
 */
static void pow2_fractions(const struct loaded_hist *const *h, int n,
			   double f[HIST_MAX_EXP + 1])
{
	__u64 pow2[HIST_MAX_EXP + 1];
	int used = 0;

	memset(f, 0, (HIST_MAX_EXP + 1) * sizeof(*f));
	for (int r = 0; r < n; r++) {
		if (!h[r]->count)
			continue;
		used++;
		hist_fold_pow2(&h[r]->h, pow2);
		for (int p = 0; p <= HIST_MAX_EXP; p++)
			f[p] += (double)pow2[p] / (double)h[r]->count;
	}
	for (int p = 0; used && p <= HIST_MAX_EXP; p++)
		f[p] /= used;
}

#define SVG_W 720
#define SVG_PANEL 262
#define PLOT_X 70
#define PLOT_W 620
#define PLOT_H 150

static const char *const colour[2] = { "#1f77b4", "#ff7f0e" };

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

/* x of a time on the panel's log2 axis, bucket p covering [2^(p-1), 2^p). */
static double axis_x(double ns, int first, int last)
{
	double p = ns >= 1 ? log2(ns) + 1 : 0;

	return PLOT_X + (p - first) * PLOT_W / (last + 1 - first);
}

/* One dot per run at its p50, a row a side, under the histograms. */
static void svg_strip(FILE *out, const struct hist_cmp *h, int first, int last)
{
	const struct stat_cmp *s = &h->s[CMP_P50];

	for (int side = 0; side < 2; side++) {
		int y = 30 + PLOT_H + 30 + side * 14, n = side ? s->na : s->nb;

		fprintf(out,
			"<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\" fill=\"%s\">p50 %s</text>\n",
			PLOT_X - 4, y + 3, colour[side],
			side ? "after" : "before");
		for (int i = 0; i < n; i++)
			fprintf(out,
				"<circle cx=\"%.1f\" cy=\"%d\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.6\"/>\n",
				axis_x(side ? s->va[i] : s->vb[i], first, last),
				y, colour[side]);
	}
}

/* One panel: both sides' histograms as step lines over a log2 time axis. */
static void svg_panel(FILE *out, const struct hist_cmp *h, int y0)
{
	double f[2][HIST_MAX_EXP + 1], top = 0;
	int first = HIST_MAX_EXP, last = 0;
	__u64 calls[2] = { 0, 0 };

	pow2_fractions(h->hb, h->nb, f[0]);
	pow2_fractions(h->ha, h->na, f[1]);
	for (int r = 0; r < h->nb; r++)
		calls[0] += h->hb[r]->count;
	for (int r = 0; r < h->na; r++)
		calls[1] += h->ha[r]->count;
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
		x = axis_x(ns, first, last);
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
	svg_strip(out, h, first, last);
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">before: %d runs, %llu calls</text>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">after: %d runs, %llu calls</text>\n",
		PLOT_X + 290, 18, colour[0], h->nb,
		(unsigned long long)calls[0], PLOT_X + 460, 18, colour[1],
		h->na, (unsigned long long)calls[1]);
	fprintf(out,
		"<text x=\"12\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 12 %d)\">share of calls</text></g>\n",
		30 + PLOT_H, 30 + PLOT_H);
}

/* A target with no timed call in any run of either side gets no panel. */
static int has_samples(const struct hist_cmp *h)
{
	for (int r = 0; r < h->nb; r++)
		if (h->hb[r]->count)
			return 1;
	for (int r = 0; r < h->na; r++)
		if (h->ha[r]->count)
			return 1;
	return 0;
}

static void render_svg(FILE *out, const struct comparison *c)
{
	int shown = 0, height;

	for (int i = 0; i < c->n; i++)
		shown += has_samples(&c->h[i]);
	height = 50 + (shown ? shown : 1) * SVG_PANEL;

	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n",
		SVG_W, height);
	fprintf(out,
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(out,
		"<text x=\"%d\" y=\"18\">latency distributions on a log time axis (each run weighs the same); dots: each run's p50</text>\n",
		PLOT_X);
	fprintf(out, "<text x=\"%d\" y=\"34\" font-size=\"11\">", PLOT_X);
	fprintf(out, "<tspan fill=\"#1f77b4\">before: %d× ", c->nb);
	xml_text(out, c->before[0]->path);
	fprintf(out, " (");
	xml_text(out, c->before[0]->release);
	fprintf(out, ")</tspan>, <tspan fill=\"#ff7f0e\">after: %d× ", c->na);
	xml_text(out, c->after[0]->path);
	fprintf(out, " (");
	xml_text(out, c->after[0]->release);
	fprintf(out, ")</tspan></text>\n");
	for (int i = 0, y = 50; i < c->n; i++) {
		if (!has_samples(&c->h[i]))
			continue;
		svg_panel(out, &c->h[i], y);
		y += SVG_PANEL;
	}
	if (!shown)
		fprintf(out,
			"<text x=\"%d\" y=\"90\">no samples on either side</text>\n",
			PLOT_X);
	fprintf(out, "</svg>\n");
}

void render_comparison(FILE *out, const struct comparison *c,
		       const struct family *f, enum cmp_format fmt)
{
	if (fmt == FMT_JSON)
		render_json(out, c, f);
	else if (fmt == FMT_SVG)
		render_svg(out, c);
	else
		render_cmp_text(out, c, f, fmt == FMT_MARKDOWN);
}
