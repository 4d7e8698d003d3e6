/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus export (docs/prometheus.md): the text exposition format 0.0.4,
 * an atomic textfile for node_exporter, and a minimal HTTP/1.0 server that
 * the loader's single thread polls between its own work.
 */
#ifndef PMUTRACE_PROMETHEUS_H
#define PMUTRACE_PROMETHEUS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include "pmutrace_user.h"

/*
 * Histogram edges: le = 2^k - 1 ns, in seconds, for every k in
 * [PROM_EDGE_MIN_EXP, PROM_EDGE_MAX_EXP] (127 ns .. about 17.2 s), then
 * +Inf. Observations are whole nanoseconds, so "<= 2^k - 1 ns" is exactly
 * "< 2^k ns", and 2^k ns is where one of pmutrace's fine buckets starts:
 * each coarse count is a sum of whole fine buckets.
 */
#define PROM_EDGE_MIN_EXP 7
#define PROM_EDGE_MAX_EXP 34

/* What the loader knows about itself, beyond the traced figures. */
struct prom_self {
	const char *patch_side; /* "before", "after"; NULL: "unknown" */
	double start_time; /* Unix time tracing began; 0: not exported */
	__u64 scrapes; /* /metrics served; prom_server_handle() sets it */
	bool stopped; /* tracing has ended: pmutrace_up 0 */
};

void prom_render(FILE *out, const struct run_result *r,
		 const struct prom_self *self);

/* Both return 0 or -errno. The check creates and removes a file beside
 * path, so an unwritable place is found before anything is loaded. */
int prom_write_textfile(const char *path, const struct run_result *r,
			const struct prom_self *self);
int prom_textfile_check(const char *path);

/* "127.0.0.1:9435", ":9435" (every interface), "[::1]:9435": numeric
 * addresses only. Returns 0 or -EINVAL, for early checks in the CLI. */
int prom_parse_listen(const char *addr_port, struct sockaddr_storage *addr,
		      socklen_t *len);

struct prom_server;
struct prom_server *prom_server_start(const char *addr_port, char *err,
				      size_t errlen);
/* The listening socket, for poll(POLLIN) beside the loader's timer. */
int prom_server_fd(const struct prom_server *s);
unsigned short prom_server_port(const struct prom_server *s);
__u64 prom_server_scrapes(const struct prom_server *s);
/* A connection waits: refresh r from the maps, then call handle. */
bool prom_server_pending(struct prom_server *s);
void prom_server_handle(struct prom_server *s, const struct run_result *r,
			const struct prom_self *self);
void prom_server_stop(struct prom_server *s);

#endif /* PMUTRACE_PROMETHEUS_H */
