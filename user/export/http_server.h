/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics server: its own thread, off the measurement loop. The loop
 * only publishes rendered bodies when the server asks for a fresh one; a
 * slow, idle or hostile client costs the loop nothing (docs/prometheus.md).
 */
#ifndef PMUTRACE_HTTP_SERVER_H
#define PMUTRACE_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "webconfig.h"

/* The defaults; the unit tests shorten the deadlines. */
struct http_limits {
	int head_ms; /* accept to the end of the request head (and TLS) */
	int fresh_ms; /* how long a scrape waits for a fresh body */
	int write_ms; /* from the head to the last byte of the answer */
	int max_conns; /* open at once, all peers */
	int max_per_peer; /* open at once from one address */
	int backoff_ms; /* no accept() for this long after EMFILE */
	int reuse_ms; /* a body this young is served, not rendered again */
};
#define HTTP_LIMITS_DEFAULT                         \
	{                                           \
		5000, 1000, 10000, 64, 16, 100, 100 \
	}

/* "127.0.0.1:9435", ":9435" (every interface), "[::1]:9435": numeric
 * addresses only. Returns 0 or -EINVAL, for early checks in the CLI. */
int prom_parse_listen(const char *addr_port, struct sockaddr_storage *addr,
		      socklen_t *len);

struct http_server;
/* Listens and loads the TLS files of wc (may be NULL), no thread yet; on
 * failure NULL with one line in err. limits NULL: the defaults. */
struct http_server *http_server_open(const char *addr_port,
				     const struct web_config *wc,
				     const struct http_limits *limits,
				     char *err, size_t errlen);
/* Starts the thread (after privileges are dropped: it inherits them). */
int http_server_start(struct http_server *s);
unsigned short http_server_port(const struct http_server *s);
bool http_server_tls(const struct http_server *s);
/* /metrics requests (GET and HEAD) let through. */
__u64 http_server_scrapes(const struct http_server *s);
/* Readable when a scrape waits for a fresh body; for the loop's poll(). */
int http_server_demand_fd(const struct http_server *s);
/* true (once per request burst) when a fresh body is wanted. */
bool http_server_wanted(struct http_server *s);
/* Hands over body (malloc'ed, len bytes) as what /metrics serves now. */
void http_server_publish(struct http_server *s, char *body, size_t len);
/* The most connections open at once so far, for the tests. */
int http_server_peak_conns(const struct http_server *s);
void http_server_stop(struct http_server *s);

#endif /* PMUTRACE_HTTP_SERVER_H */
