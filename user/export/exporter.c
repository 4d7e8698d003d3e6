// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus export while tracing: a fresh body rendered from the maps
 * whenever the server thread asks for one, and a node_exporter textfile
 * rewritten each interval and at exit. Nothing here waits for a client.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "exporter.h"
#include "pmu_domain.h"

int exporter_open(struct exporter *x, const struct options *o)
{
	struct web_config *wc = NULL;
	char why[PATH_MAX + 256];
	int err;

	memset(x, 0, sizeof(*x));
	x->textfile = o->textfile;
	x->listen = o->prometheus;
	x->period = o->interval ? o->interval : EXPORTER_TEXTFILE_PERIOD_S;
	if (o->textfile) {
		err = prom_textfile_check(o->textfile);
		if (err) {
			snprintf(x->error, sizeof(x->error),
				 "cannot write %s: %s", o->textfile,
				 strerror(-err));
			return -1;
		}
	}
	if (o->web_config) {
		wc = malloc(sizeof(*wc));
		if (!wc ||
		    web_config_load(o->web_config, wc, why, sizeof(why))) {
			snprintf(x->error, sizeof(x->error),
				 "--web-config %s: %s", o->web_config,
				 wc ? why : "out of memory");
			free(wc);
			return -1;
		}
	}
	if (o->prometheus) {
		x->server = http_server_open(o->prometheus, wc, NULL, why,
					     sizeof(why));
		if (!x->server)
			snprintf(x->error, sizeof(x->error), "%s", why);
	}
	free(wc);
	if (o->prometheus && !x->server)
		return -1;
	x->self.start_time = (double)time(NULL);
	return 0;
}

int exporter_start(struct exporter *x)
{
	int err, host_len;

	if (!x->server)
		return 0;
	err = http_server_start(x->server);
	if (err) {
		snprintf(x->error, sizeof(x->error),
			 "cannot start the metrics server: %s", strerror(-err));
		return -1;
	}
	/* The port matters with --prometheus ADDR:0. */
	host_len = (int)(strrchr(x->listen, ':') - x->listen);
	fprintf(stderr, "pmutrace: serving metrics on %s://%.*s:%u/metrics%s\n",
		http_server_tls(x->server) ? "https" : "http",
		host_len ? host_len : 1, host_len ? x->listen : "*",
		http_server_port(x->server),
		host_len ? "" : " (every interface)");
	return 0;
}

/* Sleep up to s seconds; a signal or a waiting scrape ends it early. */
void exporter_wait(const struct exporter *x, double s)
{
	struct pollfd p = { .fd = x->server ? http_server_demand_fd(x->server) :
					      -1,
			    .events = POLLIN };

	/* poll() skips fd -1: then it is a plain sleep. */
	poll(&p, 1, (int)(s * 1000) + 1);
}

static void refresh_self(struct exporter *x, const struct run_result *r)
{
	x->self.patch_side = patch_side(r, x->side_why, sizeof(x->side_why));
	x->self.scrapes = x->server ? http_server_scrapes(x->server) : 0;
}

/* The maps are read only when a scrape waits or the textfile is due. */
int exporter_poll(struct exporter *x, exporter_collect_fn collect, void *ctx,
		  struct run_result *r)
{
	bool scrape = x->server && http_server_wanted(x->server);
	bool textfile = x->textfile &&
			monotonic_s() - x->textfile_at >= x->period;
	int err;

	if (!scrape && !textfile)
		return 0;
	err = collect(ctx, r);
	if (err)
		return err;
	refresh_self(x, r);
	if (scrape) {
		size_t len;
		char *body = prom_render_alloc(r, &x->self, &len);

		/* Out of memory: the waiting scrapes get the last body. */
		if (body)
			http_server_publish(x->server, body, len);
	}
	if (textfile) {
		x->textfile_at = monotonic_s();
		err = prom_write_textfile(x->textfile, r, &x->self);
		if (err) /* say so and keep tracing: the next write may work */
			fprintf(stderr, "pmutrace: cannot write %s: %s\n",
				x->textfile, strerror(-err));
	}
	return 0;
}

/* The last figures stay in the textfile, with pmutrace_up 0. */
int exporter_finish(struct exporter *x, const struct run_result *r)
{
	if (!x->textfile)
		return 0;
	refresh_self(x, r);
	x->self.stopped = true;
	return prom_write_textfile(x->textfile, r, &x->self);
}

void exporter_close(struct exporter *x)
{
	http_server_stop(x->server);
	x->server = NULL;
}
