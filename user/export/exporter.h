/* SPDX-License-Identifier: GPL-2.0 */
/* The loader's side of the Prometheus export (user/prometheus.c). */
#ifndef PMUTRACE_EXPORTER_H
#define PMUTRACE_EXPORTER_H

#include "pmutrace_user.h"
#include "prometheus.h"

/* Without --interval, the textfile is rewritten this often. */
#define EXPORTER_TEXTFILE_PERIOD_S 15

struct exporter {
	struct prom_server *server;
	const char *textfile;
	double period; /* seconds between textfile writes */
	double textfile_at; /* monotonic time of the last write */
	struct prom_self self;
	char side_why[256];
	char error[320]; /* why exporter_open() failed */
};

int exporter_open(struct exporter *x, const struct options *o);
void exporter_wait(const struct exporter *x, double s);
int exporter_poll(struct exporter *x, struct tracer *tr, struct run_result *r);
int exporter_finish(struct exporter *x, const struct run_result *r);
void exporter_close(struct exporter *x);

#endif /* PMUTRACE_EXPORTER_H */
