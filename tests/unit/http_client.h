/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics server's tests (test_http, test_http_load, test_webconfig):
 * a client over plain TCP or TLS from any 127.0.0.x address, and the
 * measurement loop as main.c runs it, with a fake collect.
 */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include "pmutrace_user.h"
#include "http_server.h"
#include "unit.h"

/* A connection to 127.0.0.1:port from the address from (NULL: any), or
 * -1. Blocking, SOCK_CLOEXEC. */
static inline int dial_from(unsigned short port, const char *from)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c >= 0 && from) {
		inet_pton(AF_INET, from, &src.sin_addr);
		if (bind(c, (struct sockaddr *)&src, sizeof(src))) {
			close(c);
			return -1;
		}
	}
	if (c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a))) {
		close(c);
		return -1;
	}
	return c;
}

/* Reads until the server closes, up to timeout_s; -1 on a timeout. */
static inline int read_all(int c, char *resp, size_t len, double timeout_s)
{
	double end = monotonic_s() + timeout_s;
	size_t got = 0;

	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		double left = end - monotonic_s();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			return -1;
		n = recv(c, resp + got, len - 1 - got, 0);
		if (n < 0 && errno == ECONNRESET)
			n = 0;
		if (n < 0)
			return -1;
		if (n == 0 || got + n == len - 1) {
			got += n;
			resp[got] = '\0';
			return (int)got;
		}
		got += n;
	}
}

/* One request from from (NULL: any address); the answer's length, or -1
 * when none came within timeout_s. */
static inline int fetch_from(unsigned short port, const char *from,
			     const char *request, char *resp, size_t len,
			     double timeout_s)
{
	int c = dial_from(port, from), n = -1;

	if (c < 0)
		return -1;
	if (send(c, request, strlen(request), MSG_NOSIGNAL) >= 0)
		n = read_all(c, resp, len, timeout_s);
	close(c);
	return n;
}

static inline int fetch(unsigned short port, const char *request, char *resp,
			size_t len)
{
	return fetch_from(port, NULL, request, resp, len, 5);
}

/* The same over TLS, with ctx (a client context). */
static inline int tls_fetch_from(SSL_CTX *ctx, unsigned short port,
				 const char *from, const char *req, char *resp,
				 size_t len, double timeout_s)
{
	struct timeval tv = {
		.tv_sec = (time_t)timeout_s,
		.tv_usec = (long)((timeout_s - (time_t)timeout_s) * 1e6)
	};
	int c = dial_from(port, from), got = 0, n;
	SSL *ssl = c >= 0 ? SSL_new(ctx) : NULL;

	if (c >= 0) {
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (!ssl || !SSL_set_fd(ssl, c) || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, req, strlen(req)) <= 0) {
		got = -1;
	} else {
		while ((size_t)got < len - 1 &&
		       (n = SSL_read(ssl, resp + got, len - 1 - got)) > 0)
			got += n;
		resp[got] = '\0';
	}
	SSL_free(ssl);
	if (c >= 0)
		close(c);
	return got;
}

/* A self-signed certificate for 127.0.0.1 in dir (cert.pem, key.pem);
 * false without openssl(1). */
static inline bool make_cert(const char *dir)
{
	char cmd[1024];

	snprintf(
		cmd, sizeof(cmd),
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		"-nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		"-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
		dir, dir);
	return !system(cmd);
}

/* The measurement loop as main.c runs it, with a fake collect: wait for
 * the interval or a demand, publish a body when asked, report the
 * lateness of each interval. */
struct loop {
	struct http_server *s;
	double interval;
	size_t body_size; /* 0: a small body naming the scrape count */
	bool stop;
	pthread_mutex_t m; /* guards the figures below, read by the test */
	int ticks, over_50ms;
	double late_max, late_sum;
	int publishes;
	pthread_t thread;
};

static inline void loop_publish(struct loop *l)
{
	size_t size = __atomic_load_n(&l->body_size, __ATOMIC_RELAXED);
	size_t len = size ? size : 64;
	char *body = malloc(len + 1);

	if (!body)
		return;
	if (size)
		memset(body, '#', len);
	else
		len = snprintf(body, len, "pmutrace_scrapes_total %llu\n",
			       (unsigned long long)http_server_scrapes(l->s));
	pthread_mutex_lock(&l->m);
	l->publishes++;
	pthread_mutex_unlock(&l->m);
	http_server_publish(l->s, body, len);
}

static inline void *loop_run(void *arg)
{
	struct loop *l = arg;
	double last = monotonic_s();

	while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		double now = monotonic_s(), step = l->interval - (now - last);
		struct pollfd p = { .fd = http_server_demand_fd(l->s),
				    .events = POLLIN };

		if (step > 0)
			poll(&p, 1, (int)(step * 1000) + 1);
		if (http_server_wanted(l->s))
			loop_publish(l);
		now = monotonic_s();
		if (now - last < l->interval - 1e-3)
			continue;
		pthread_mutex_lock(&l->m);
		if (now - last - l->interval > l->late_max)
			l->late_max = now - last - l->interval;
		l->late_sum += now - last - l->interval;
		l->over_50ms += now - last - l->interval > 0.05;
		l->ticks++;
		pthread_mutex_unlock(&l->m);
		last = now;
	}
	return NULL;
}

/* A started server on 127.0.0.1 (wc may be NULL), with the loop l
 * reporting every 0.1 s unless l is NULL. */
static inline struct http_server *open_server_wc(const struct web_config *wc,
						 const struct http_limits *lim,
						 struct loop *l)
{
	char err[512];
	struct http_server *s;

	if (l)
		memset(l, 0, sizeof(*l));
	s = http_server_open("127.0.0.1:0", wc, lim, err, sizeof(err));
	CHECK(s && !http_server_start(s), "server on 127.0.0.1:%u: %s",
	      s ? http_server_port(s) : 0, s ? "started" : err);
	if (s && l) {
		l->s = s;
		l->interval = 0.1;
		pthread_mutex_init(&l->m, NULL);
		pthread_create(&l->thread, NULL, loop_run, l);
	}
	return s;
}

static inline struct http_server *open_server(const struct http_limits *lim,
					      struct loop *l)
{
	return open_server_wc(NULL, lim, l);
}

static inline void close_server(struct http_server *s, struct loop *l)
{
	if (l && l->s) {
		__atomic_store_n(&l->stop, true, __ATOMIC_RELAXED);
		pthread_join(l->thread, NULL);
		pthread_mutex_destroy(&l->m);
	}
	http_server_stop(s);
}

#endif /* HTTP_CLIENT_H */
