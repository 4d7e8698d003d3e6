// SPDX-License-Identifier: GPL-2.0
/*
 * The exposition's writer (prom_writer.h), shared by prometheus.c and
 * prometheus_attrib.c.
 */
#include <stdlib.h>
#include <string.h>
#include "prom_writer.h"

void prom_family(struct writer *w, const struct family *fam)
{
	if (w->fam == fam)
		return;
	w->fam = fam;
	fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help,
		fam->name, fam->type);
}

static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* name{key="value",...,le="..."} value, the labels given as key, value
 * pairs ending in NULL. */
void prom_put_sample(struct writer *w, const char *suffix,
		     const char *const *labels, const char *le,
		     const char *value)
{
	char sep = '{';

	fprintf(w->f, "%s%s", w->fam->name, suffix);
	for (; labels && labels[0]; labels += 2, sep = ',') {
		fprintf(w->f, "%c%s=\"", sep, labels[0]);
		put_label_value(w->f, labels[1]);
		fputc('"', w->f);
	}
	if (le) {
		fprintf(w->f, "%cle=\"%s\"", sep, le);
		sep = ',';
	}
	fprintf(w->f, "%s %s\n", sep == ',' ? "}" : "", value);
}

void prom_sample_u64(struct writer *w, const struct family *fam,
		     const char *const *labels, __u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	prom_family(w, fam);
	prom_put_sample(w, "", labels, NULL, buf);
}

/* The shortest decimal that reads back as v, like the Go client's
 * FormatFloat(v, 'g', -1, 64): exact, and the same on every scrape. The
 * loader never calls setlocale(), so the point is a '.'. */
void prom_format_float(char *buf, size_t len, double v)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

void prom_ns_to_seconds(char *buf, size_t len, __u64 ns)
{
	prom_format_float(buf, len, (double)ns / 1e9);
}

bool prom_attached(const struct target *t)
{
	return t->mode != ATTACH_ABSENT;
}
