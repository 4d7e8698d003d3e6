/* SPDX-License-Identifier: GPL-2.0 */
/* The measurement loop's side of the Prometheus export. */
#ifndef PMUTRACE_EXPORTER_H
#define PMUTRACE_EXPORTER_H

#include "pmutrace_user.h"
#include "prometheus.h"
#include "http_server.h"

/* Without --interval, the textfile is rewritten this often. */
#define EXPORTER_TEXTFILE_PERIOD_S 15

struct exporter {
	struct http_server *server;
	const char *listen; /* --prometheus, for the "serving" line */
	const char *textfile;
	double period; /* seconds between textfile writes */
	double textfile_at; /* monotonic time of the last write */
	struct prom_self self;
	char side_why[256];
	char error[PATH_MAX + 320]; /* why exporter_open/start() failed */
};

/* Checks the textfile, reads --web-config, listens: before anything is
 * loaded. start runs the server thread, once privileges are dropped. */
int exporter_open(struct exporter *x, const struct options *o);
int exporter_start(struct exporter *x);
void exporter_wait(const struct exporter *x, double s);
/* Serves a waiting scrape or a due textfile, reading the maps through
 * collect(ctx, r) only then: the exporter knows no tracer. */
typedef int (*exporter_collect_fn)(void *ctx, struct run_result *r);
int exporter_poll(struct exporter *x, exporter_collect_fn collect, void *ctx,
		  struct run_result *r);
int exporter_finish(struct exporter *x, const struct run_result *r);
void exporter_close(struct exporter *x);

#endif /* PMUTRACE_EXPORTER_H */
